// The signed-in session: the access token (with its expiry) and the single-use refresh token,
// kept in localStorage so a reload stays signed in. An expired access token is refreshed once,
// by one request at a time; a refresh the API refuses signs out.
import { useSyncExternalStore } from "react";

const KEY = "ferrocart.session";

export type Session = { access: string; expiresAt: number; refresh: string; email: string; role?: "customer" | "admin" };

type TokenPair = { access_token: string; expires_in: number; refresh_token: string };

let current: Session | null = (() => {
  try {
    return JSON.parse(localStorage.getItem(KEY) ?? "null") as Session | null;
  } catch {
    return null;
  }
})();
const listeners = new Set<() => void>();

function set(s: Session | null) {
  current = s;
  if (s) localStorage.setItem(KEY, JSON.stringify(s));
  else localStorage.removeItem(KEY);
  listeners.forEach((l) => l());
}

export const session = {
  get: () => current,
  start(pair: TokenPair, email: string, role = current?.role) {
    set({ access: pair.access_token, expiresAt: Date.now() + pair.expires_in * 1000, refresh: pair.refresh_token, email, role });
  },
  /** What the account may do (GET /me's role): only shows or hides the admin's pages' link. */
  setRole(role: "customer" | "admin") {
    if (current) set({ ...current, role });
  },
  end: () => set(null),
};

export function useSession(): Session | null {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => current,
  );
}

let refreshing: Promise<string | null> | null = null;

/** A valid access token, refreshed first if it has (nearly) expired; null if signed out. */
export async function accessToken(apiUrl: string): Promise<string | null> {
  const s = current;
  if (!s) return null;
  if (s.expiresAt - Date.now() > 30_000) return s.access;
  refreshing ??= (async () => {
    try {
      const r = await fetch(`${apiUrl}/auth/refresh`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ refresh_token: s.refresh }),
      });
      if (!r.ok) {
        set(null);
        return null;
      }
      const pair = (await r.json()) as TokenPair;
      session.start(pair, s.email);
      return pair.access_token;
    } catch {
      return s.access;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}
