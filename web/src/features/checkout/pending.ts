// A checkout placed but not yet paid: its Idempotency-Key and body (a retry with both finishes
// it, or replays its answer) and the answer, kept in localStorage so a declined card, a reload or
// a closed tab never loses the order it reserved, nor places a second one.
import type { paths } from "../../api/schema";

export type CheckoutBody = paths["/checkout"]["post"]["requestBody"]["content"]["application/json"];
export type Placed = paths["/checkout"]["post"]["responses"]["201"]["content"]["application/json"];
export type Pending = { key: string; body: string; placed?: Placed };

const KEY = "ferrocart.checkout";

export const pending = {
  get(): Pending | null {
    try {
      return JSON.parse(localStorage.getItem(KEY) ?? "null") as Pending | null;
    } catch {
      return null;
    }
  },
  set: (p: Pending) => localStorage.setItem(KEY, JSON.stringify(p)),
  clear: () => localStorage.removeItem(KEY),
};

/** The order page a placed checkout leads to (a guest's carries its order token). */
export function orderUrl(placed: Placed, extra = ""): string {
  const q = new URLSearchParams();
  if (placed.order_token) q.set("token", placed.order_token);
  if (extra) q.set(extra, "1");
  const s = q.toString();
  return `/orders/${placed.order_id}${s ? `?${s}` : ""}`;
}
