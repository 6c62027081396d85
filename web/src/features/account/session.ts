// The signed-in session: the access token (with its expiry) and the single-use refresh token,
// kept in localStorage so a reload stays signed in and every tab shares it. An expired access
// token is refreshed once, by one request of one tab at a time; a refresh the API refuses signs
// out.
import { useSyncExternalStore } from "react";

const KEY = "ferrocart.session";

export type Session = { access: string; expiresAt: number; refresh: string; email: string; role?: "customer" | "admin" };

type TokenPair = { access_token: string; expires_in: number; refresh_token: string };

function read(): Session | null {
  try {
    return JSON.parse(localStorage.getItem(KEY) ?? "null") as Session | null;
  } catch {
    return null;
  }
}

let current: Session | null = read();
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

// Another tab signed in, out, or refreshed: this one follows (they share one session).
if (typeof window !== "undefined")
  window.addEventListener("storage", (e) => {
    if (e.key !== KEY && e.key !== null) return;
    current = read();
    listeners.forEach((l) => l());
  });

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

const fresh = (s: Session) => s.expiresAt - Date.now() > 30_000;

/** Spends the refresh token once for every tab: under a lock shared by the tabs (Web Locks), and
 * only if no other tab refreshed it meanwhile (a refresh token works once; spent twice, the API
 * refuses the second and that tab would be signed out). */
async function refresh(apiUrl: string): Promise<string | null> {
  const latest = read();
  if (!latest) {
    set(null);
    return null;
  }
  if (fresh(latest)) {
    current = latest;
    return latest.access;
  }
  try {
    const r = await fetch(`${apiUrl}/auth/refresh`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refresh_token: latest.refresh }),
    });
    if (!r.ok) {
      set(null);
      return null;
    }
    const pair = (await r.json()) as TokenPair;
    session.start(pair, latest.email, latest.role);
    return pair.access_token;
  } catch {
    return latest.access;
  }
}

/** A valid access token, refreshed first if it has (nearly) expired; null if signed out. */
export async function accessToken(apiUrl: string): Promise<string | null> {
  const s = current;
  if (!s) return null;
  if (fresh(s)) return s.access;
  refreshing ??= (async () => {
    try {
      const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
      return locks ? await locks.request("ferrocart.refresh", () => refresh(apiUrl)) : await refresh(apiUrl);
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}
