// Every call to the API goes through this client, typed from ../openapi.yaml (npm run gen): a
// contract change that breaks the storefront breaks its build.
import createClient, { type Middleware } from "openapi-fetch";
import { accessToken } from "../features/account/session";
import type { components, paths } from "./schema";

export type ProductSummary = components["schemas"]["ProductSummary"];
export type ProductDetail = components["schemas"]["ProductDetail"];

export const API_URL: string = import.meta.env.VITE_API_URL ?? "http://127.0.0.1:3000";

const CART_TOKEN = "ferrocart.cart-token";

/** The guest cart's token: answered in X-Cart-Token by the first add, kept across reloads. */
export const cartToken = {
  get: (): string | null => localStorage.getItem(CART_TOKEN),
  set: (t: string) => localStorage.setItem(CART_TOKEN, t),
  clear: () => localStorage.removeItem(CART_TOKEN),
};

// Signed in: the bearer token on every request but the token exchanges themselves. A guest: the
// cart token, which login also takes (the guest cart is merged into the account's).
const guestCart: Middleware = {
  async onRequest({ request, schemaPath }) {
    const bearer = schemaPath.startsWith("/auth/") ? null : await accessToken(API_URL);
    if (bearer) request.headers.set("authorization", `Bearer ${bearer}`);
    const token = cartToken.get();
    if (token && !bearer) request.headers.set("x-cart-token", token);
    return request;
  },
  onResponse({ response }) {
    const token = response.headers.get("x-cart-token");
    if (token) cartToken.set(token);
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: API_URL });
api.use(guestCart);

/** The API's error shape, for messages a person can act on. */
export function errorMessage(error: unknown): string {
  const e = error as { error?: { message?: string } } | undefined;
  return e?.error?.message ?? "Something went wrong. Please try again.";
}
