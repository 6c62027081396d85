// The customer's orders, and one order with its lines, totals, status history and tracking (a
// guest's by the token in its emails' link: /orders/<id>?token=...). An order still on its way is
// read again every few seconds, so payment and shipping show up without a reload.
import { useEffect, useState } from "react";
import { api, errorMessage } from "../../api/client";
import type { components, paths } from "../../api/schema";
import { Link } from "../../router";
import { money } from "../../ui/money";
import { STATUS, when } from "../../ui/orderStatus";
import { StatusHistory } from "../../ui/StatusHistory";
import { useSession } from "../account/session";

type Order = components["schemas"]["Order"];
type Listed = paths["/orders"]["get"]["responses"]["200"]["content"]["application/json"]["items"][number];

const MOVING = new Set(["pending_payment", "paid", "fulfilling"]);


export function OrderList() {
  const signedIn = useSession();
  const [orders, setOrders] = useState<Listed[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    document.title = "Your orders · Ferrocart";
    if (!signedIn) return;
    api.GET("/orders").then(({ data, error }) => (data ? setOrders(data.items) : setError(errorMessage(error))));
  }, [signedIn]);
  if (!signedIn)
    return (
      <p>
        <Link href="/account/login?next=/account/orders">Sign in</Link> to see your orders.
      </p>
    );
  return (
    <>
      <h1>Your orders</h1>
      {error && <p role="alert">{error}</p>}
      {orders?.length === 0 && <p>No orders yet.</p>}
      <ul className="orders">
        {orders?.map((o) => (
          <li key={o.order_id}>
            <Link href={`/orders/${o.order_id}`}>
              Order of {when(o.created_at)}: {money(o.total, o.currency)}
            </Link>{" "}
            <span>{STATUS[o.status] ?? o.status}</span>
          </li>
        ))}
      </ul>
    </>
  );
}

export function OrderPage({ id, token, placed }: { id: string; token: string | null; placed: boolean }) {
  const [order, setOrder] = useState<Order | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    document.title = "Your order · Ferrocart";
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const read = async () => {
      const { data, error } = await api.GET("/orders/{id}", {
        params: { path: { id } },
        ...(token ? { headers: { "x-order-token": token } } : {}),
      });
      if (!live) return;
      if (data) {
        setOrder(data);
        if (MOVING.has(data.status)) timer = setTimeout(read, 2000);
      } else setError(errorMessage(error));
    };
    read();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [id, token]);
  if (error) return <p role="alert">{error}</p>;
  if (!order) return <p aria-busy="true">Loading…</p>;
  const c = order.currency;
  return (
    <article>
      <h1>{placed ? "Thank you: your order is placed" : "Your order"}</h1>
      {placed && (
        <p role="status">
          We email your receipt as soon as the payment is confirmed.{token ? " Keep this page's address: it is your link to the order." : ""}
        </p>
      )}
      <p>
        Status: <strong>{STATUS[order.status] ?? order.status}</strong>
      </p>
      <table className="cart">
        <thead>
          <tr>
            <th scope="col">Product</th>
            <th scope="col">Quantity</th>
            <th scope="col">Price</th>
          </tr>
        </thead>
        <tbody>
          {order.lines.map((l) => (
            <tr key={l.product_id}>
              <td>{l.name}</td>
              <td>{l.quantity}</td>
              <td>{money(l.line_total, c)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row" colSpan={2}>Subtotal</th>
            <td>{money(order.subtotal, c)}</td>
          </tr>
          {order.discount_total > 0 && (
            <tr>
              <th scope="row" colSpan={2}>Discount</th>
              <td>−{money(order.discount_total, c)}</td>
            </tr>
          )}
          <tr>
            <th scope="row" colSpan={2}>Shipping</th>
            <td>{money(order.shipping, c)}</td>
          </tr>
          <tr>
            <th scope="row" colSpan={2}>{order.tax_included ? "Of which tax" : "Tax"}</th>
            <td>{money(order.tax_total, c)}</td>
          </tr>
          <tr>
            <th scope="row" colSpan={2}>Total</th>
            <td>{money(order.total, c)}</td>
          </tr>
        </tfoot>
      </table>
      {(order.shipments ?? []).length > 0 && (
        <section aria-label="Shipments">
          <h2>Tracking</h2>
          <ul>
            {order.shipments?.map((s) => (
              <li key={s.tracking_reference}>
                {s.carrier}: {s.tracking_reference} ({s.lines.map((l) => `${l.quantity} × ${l.name}`).join(", ")})
              </li>
            ))}
          </ul>
        </section>
      )}
      <StatusHistory history={order.status_history} />
    </article>
  );
}
