// A small history router: every kind of page, each a stable, shareable URL.
import { useEffect, useState, type AnchorHTMLAttributes, type MouseEvent } from "react";

export type Route =
  | { page: "home" }
  | { page: "category"; slug: string }
  | { page: "search"; q: string }
  | { page: "product"; id: string }
  | { page: "cart" }
  | { page: "checkout" }
  | { page: "login" }
  | { page: "register" }
  | { page: "orders" }
  | { page: "account" }
  | { page: "addresses" }
  | { page: "forgot-password" }
  | { page: "reset-password"; token: string }
  | { page: "verify-email"; token: string }
  | { page: "order"; id: string; token: string | null; placed: boolean }
  | { page: "admin" }
  | { page: "admin-products" }
  | { page: "admin-new-product" }
  | { page: "admin-product"; id: string }
  | { page: "admin-orders" }
  | { page: "admin-order"; id: string }
  | { page: "admin-discounts" }
  | { page: "admin-shipping" }
  | { page: "not-found" };

export function parse(url: URL): Route {
  const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const [first, second] = parts;
  if (parts.length === 0) return { page: "home" };
  if (first === "c" && second && parts.length === 2) return { page: "category", slug: second };
  if (first === "p" && second && parts.length === 2) return { page: "product", id: second };
  if (first === "search" && parts.length === 1) return { page: "search", q: url.searchParams.get("q") ?? "" };
  if (first === "cart" && parts.length === 1) return { page: "cart" };
  if (first === "checkout" && parts.length === 1) return { page: "checkout" };
  if (first === "account" && second === "login" && parts.length === 2) return { page: "login" };
  if (first === "account" && second === "register" && parts.length === 2) return { page: "register" };
  if (first === "account" && second === "orders" && parts.length === 2) return { page: "orders" };
  if (first === "account" && parts.length === 1) return { page: "account" };
  if (first === "account" && second === "addresses" && parts.length === 2) return { page: "addresses" };
  if (first === "account" && second === "forgot-password" && parts.length === 2) return { page: "forgot-password" };
  // The links the account emails carry.
  if (first === "reset-password" && parts.length === 1)
    return { page: "reset-password", token: url.searchParams.get("token") ?? "" };
  if (first === "verify-email" && parts.length === 1)
    return { page: "verify-email", token: url.searchParams.get("token") ?? "" };
  if (first === "orders" && second && parts.length === 2)
    return { page: "order", id: second, token: url.searchParams.get("token"), placed: url.searchParams.has("placed") };
  if (first === "admin") return admin(parts.slice(1));
  return { page: "not-found" };
}

function admin(parts: string[]): Route {
  const [first, second] = parts;
  if (parts.length === 0) return { page: "admin" };
  if (first === "products" && parts.length === 1) return { page: "admin-products" };
  if (first === "products" && second === "new" && parts.length === 2) return { page: "admin-new-product" };
  if (first === "products" && second && parts.length === 2) return { page: "admin-product", id: second };
  if (first === "orders" && parts.length === 1) return { page: "admin-orders" };
  if (first === "orders" && second && parts.length === 2) return { page: "admin-order", id: second };
  if (first === "discounts" && parts.length === 1) return { page: "admin-discounts" };
  if (first === "shipping" && parts.length === 1) return { page: "admin-shipping" };
  return { page: "not-found" };
}

export function navigate(to: string) {
  window.history.pushState(null, "", to);
  window.dispatchEvent(new PopStateEvent("popstate"));
  window.scrollTo(0, 0);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parse(new URL(window.location.href)));
  useEffect(() => {
    const on = () => setRoute(parse(new URL(window.location.href)));
    window.addEventListener("popstate", on);
    return () => window.removeEventListener("popstate", on);
  }, []);
  return route;
}

/** A link that changes the page without a reload (and still works as a plain link). */
export function Link(props: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(props.href);
  };
  return <a {...props} onClick={onClick} />;
}
