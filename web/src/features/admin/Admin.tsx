// The admin's pages: products (create, edit, publish/archive, photos, stock), orders (filter,
// detail, cancel, refund, resend an email), discount codes and shipping. The API decides who is an
// admin (403 for anyone else); these pages only ask first so a customer sees a plain answer.
import { useEffect, useState, type ReactNode } from "react";
import { api } from "../../api/client";
import { Link } from "../../router";
import { session, useSession } from "../account/session";

export function useAdmin(): "yes" | "no" | "unknown" {
  const signedIn = useSession();
  const [role, setRole] = useState(signedIn?.role);
  useEffect(() => {
    if (!signedIn) return;
    api.GET("/me").then(({ data }) => {
      if (!data) return;
      setRole(data.role);
      session.setRole(data.role);
    });
  }, [signedIn?.email]);
  if (!signedIn) return "no";
  if (!role) return "unknown";
  return role === "admin" ? "yes" : "no";
}

/** An admin page: its heading, the admin's menu, and the page itself for admins only. */
export function AdminPage({ title, children }: { title: string; children: ReactNode }) {
  const admin = useAdmin();
  useEffect(() => {
    document.title = `${title} · Admin · Ferrocart`;
  }, [title]);
  return (
    <>
      <nav aria-label="Admin" className="admin-nav">
        <Link href="/admin/products">Products</Link> <Link href="/admin/orders">Orders</Link>{" "}
        <Link href="/admin/discounts">Discount codes</Link> <Link href="/admin/shipping">Shipping</Link>
      </nav>
      <h1>{title}</h1>
      {admin === "unknown" && <p aria-busy="true">Loading…</p>}
      {admin === "no" && (
        <p role="alert">
          These pages are for the shop's admins. <Link href="/account/login?next=/admin">Sign in</Link> as one.
        </p>
      )}
      {admin === "yes" && children}
    </>
  );
}

export function AdminHome() {
  return (
    <AdminPage title="Admin">
      <ul>
        <li>
          <Link href="/admin/products">Products</Link>: create and edit, photos, stock per warehouse
        </li>
        <li>
          <Link href="/admin/orders">Orders</Link>: find, cancel, refund, send an email again
        </li>
        <li>
          <Link href="/admin/discounts">Discount codes</Link>
        </li>
        <li>
          <Link href="/admin/shipping">Shipping zones and options</Link>
        </li>
      </ul>
    </AdminPage>
  );
}
