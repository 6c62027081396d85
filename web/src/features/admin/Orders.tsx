// Orders for the admin: find them (status, customer email, dates), and one order with what only
// the shop sees, to cancel, refund (in full or in part) or send an email again.
import { useEffect, useRef, useState, type FormEvent } from "react";
import { api, errorMessage } from "../../api/client";
import type { paths } from "../../api/schema";
import { Link } from "../../router";
import { money, toMinor } from "../../ui/money";
import { STATUS, when } from "../../ui/orderStatus";
import { StatusHistory } from "../../ui/StatusHistory";
import { AdminPage } from "./Admin";

type Listed = paths["/admin/orders"]["get"]["responses"]["200"]["content"]["application/json"]["items"][number];
type Detail = paths["/admin/orders/{id}"]["get"]["responses"]["200"]["content"]["application/json"];
type Status = NonNullable<paths["/admin/orders"]["get"]["parameters"]["query"]>["status"];
type EmailKind = paths["/admin/orders/{id}/emails/{kind}"]["post"]["parameters"]["path"]["kind"];

const EMAILS: Record<EmailKind, string> = {
  order_confirmation: "Order confirmation",
  shipped: "Shipped",
  payment_failed: "Payment failed",
  order_cancelled: "Order cancelled",
  refund: "Refund",
};

export function AdminOrders() {
  const [status, setStatus] = useState<Status | "">("");
  const [email, setEmail] = useState("");
  const [days, setDays] = useState("30");
  const [items, setItems] = useState<Listed[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Only the newest search's answer is shown: an older one arriving later must not replace it.
  const asked = useRef(0);
  const find = async (from: string | null) => {
    setError(null);
    const mine = ++asked.current;
    const since = new Date(Date.now() - Number(days) * 86_400_000).toISOString();
    const { data, error } = await api.GET("/admin/orders", {
      params: {
        query: {
          from: since,
          ...(status ? { status } : {}),
          ...(email.trim() ? { email: email.trim() } : {}),
          ...(from ? { cursor: from } : {}),
        },
      },
    });
    if (mine !== asked.current) return;
    if (!data) return setError(errorMessage(error));
    setItems((old) => (from && old ? [...old, ...data.items] : data.items));
    setCursor(data.next_cursor);
  };
  useEffect(() => {
    find(null);
  }, []);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    find(null);
  };
  return (
    <AdminPage title="Orders">
      <form className="inline-form" onSubmit={submit} aria-label="Find orders">
        <label>
          Status
          <select value={status ?? ""} onChange={(e) => setStatus(e.target.value as Status | "")}>
            <option value="">Any</option>
            {Object.entries(STATUS).map(([k, v]) => (
              <option key={k} value={k}>
                {v}
              </option>
            ))}
          </select>
        </label>
        <label>
          Customer email
          <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label>
          Placed in the last
          <select value={days} onChange={(e) => setDays(e.target.value)}>
            <option value="1">day</option>
            <option value="7">7 days</option>
            <option value="30">30 days</option>
            <option value="92">92 days</option>
          </select>
        </label>
        <button type="submit">Find</button>
      </form>
      {error && <p role="alert">{error}</p>}
      {items?.length === 0 && <p>No orders match.</p>}
      {items && items.length > 0 && (
        <table className="cart">
          <thead>
            <tr>
              <th scope="col">Placed</th>
              <th scope="col">Ship to</th>
              <th scope="col">Status</th>
              <th scope="col">Total</th>
            </tr>
          </thead>
          <tbody>
            {items.map((o) => (
              <tr key={o.order_id}>
                <td>
                  <Link href={`/admin/orders/${o.order_id}`}>{when(o.created_at)}</Link>
                </td>
                <td>
                  {o.ship_to} ({o.country}){o.guest_email ? `, guest ${o.guest_email}` : ""}
                </td>
                <td>{STATUS[o.status]}</td>
                <td>{money(o.total, o.currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {cursor && (
        <button type="button" onClick={() => find(cursor)}>
          More orders
        </button>
      )}
    </AdminPage>
  );
}

export function AdminOrder({ id }: { id: string }) {
  const [order, setOrder] = useState<Detail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [amount, setAmount] = useState("");
  const [reason, setReason] = useState<"requested_by_customer" | "duplicate" | "fraudulent">("requested_by_customer");
  const [kind, setKind] = useState<EmailKind>("order_confirmation");
  const load = async () => {
    const { data, error } = await api.GET("/admin/orders/{id}", { params: { path: { id } } });
    if (data) setOrder(data);
    else setError(errorMessage(error));
  };
  useEffect(() => {
    load();
  }, [id]);
  if (!order)
    return (
      <AdminPage title="Order">
        {error ? <p role="alert">{error}</p> : <p aria-busy="true">Loading…</p>}
      </AdminPage>
    );
  const c = order.currency;
  const left = order.total - order.amount_refunded;
  const act = async (run: () => Promise<{ error?: unknown }>, said: string) => {
    setError(null);
    setStatus(null);
    const { error } = await run();
    if (error) return setError(errorMessage(error));
    setStatus(said);
    await load();
  };
  const cancel = () => {
    if (!window.confirm("Cancel this order? Its stock goes back, and a paid order is refunded in full.")) return;
    act(() => api.POST("/admin/orders/{id}/cancel", { params: { path: { id } } }), "Order cancelled.");
  };
  const refund = (e: FormEvent) => {
    e.preventDefault();
    const minor = amount.trim() ? toMinor(amount, c) : null;
    if (amount.trim() && (minor === null || minor < 1)) return setError(`The amount is not an amount in ${c}.`);
    act(
      () =>
        api.POST("/admin/orders/{id}/refunds", {
          params: { path: { id }, header: { "Idempotency-Key": crypto.randomUUID() } },
          body: { reason, ...(minor !== null ? { amount: minor } : {}) },
        }),
      "Refund asked of Stripe: the order shows it once Stripe confirms.",
    );
  };
  const resend = (e: FormEvent) => {
    e.preventDefault();
    act(
      () =>
        api.POST("/admin/orders/{id}/emails/{kind}", {
          params: { path: { id, kind }, header: { "Idempotency-Key": crypto.randomUUID() } },
        }),
      `${EMAILS[kind]} email queued.`,
    );
  };
  return (
    <AdminPage title={`Order ${order.order_id.slice(0, 8)}`}>
      {status && <p role="status">{status}</p>}
      {error && <p role="alert">{error}</p>}
      <p>
        <strong>{STATUS[order.status]}</strong> · {money(order.total, c)}
        {order.amount_refunded > 0 && ` · ${money(order.amount_refunded, c)} refunded`}
        {order.cancel_reason && ` · cancelled: ${order.cancel_reason}`} ·{" "}
        {order.guest_email ? `guest ${order.guest_email}` : `customer ${order.customer_id}`}
      </p>
      <ul>
        {order.lines.map((l) => (
          <li key={l.product_id}>
            {l.quantity} × {l.name}: {money(l.line_total, c)}
          </li>
        ))}
      </ul>
      {order.shipping_address && (
        <p>
          Ships to {order.shipping_address.name}, {order.shipping_address.line1}, {order.shipping_address.city}{" "}
          {order.shipping_address.postal_code ?? ""} ({order.shipping_address.country})
        </p>
      )}
      <section aria-label="Actions" className="actions">
        <h2>Actions</h2>
        {!["shipped", "cancelled", "refunded"].includes(order.status) && (
          <button type="button" onClick={cancel}>
            Cancel order
          </button>
        )}
        {["paid", "fulfilling", "shipped"].includes(order.status) && left > 0 && (
          <form className="inline-form" onSubmit={refund} aria-label="Refund">
            <label>
              Refund ({c}; empty: all {money(left, c)} left)
              <input inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} />
            </label>
            <label>
              Reason
              <select value={reason} onChange={(e) => setReason(e.target.value as typeof reason)}>
                <option value="requested_by_customer">Asked by the customer</option>
                <option value="duplicate">Duplicate</option>
                <option value="fraudulent">Fraudulent</option>
              </select>
            </label>
            <button type="submit">Refund</button>
          </form>
        )}
        <form className="inline-form" onSubmit={resend} aria-label="Send an email again">
          <label>
            Email
            <select value={kind} onChange={(e) => setKind(e.target.value as EmailKind)}>
              {Object.entries(EMAILS).map(([k, v]) => (
                <option key={k} value={k}>
                  {v}
                </option>
              ))}
            </select>
          </label>
          <button type="submit">Send again</button>
        </form>
      </section>
      <section aria-label="Emails">
        <h2>Emails</h2>
        <ul>
          {order.emails.map((m, i) => (
            <li key={i}>
              {EMAILS[m.kind as EmailKind] ?? m.kind}: {m.status}
              {m.to ? ` to ${m.to}` : ""}
              {m.resend ? " (sent again)" : ""}
            </li>
          ))}
        </ul>
      </section>
      <section aria-label="Payment events">
        <h2>Payment</h2>
        <ul>
          {order.payment_events.map((p, i) => (
            <li key={i}>
              {when(p.at)}: {p.kind} {money(p.amount, p.currency.toUpperCase())} {p.outcome}
              {p.error_code ? ` (${p.error_code})` : ""}
            </li>
          ))}
        </ul>
      </section>
      <StatusHistory history={order.status_history} />
    </AdminPage>
  );
}
