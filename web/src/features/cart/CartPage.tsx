import { useEffect, useState } from "react";
import { api, errorMessage } from "../../api/client";
import type { components } from "../../api/schema";
import { Link } from "../../router";
import { CountrySelect } from "../../ui/AddressFields";
import { deliveryDays, money } from "../../ui/money";
import { pending } from "../checkout/pending";
import { Discount } from "./Discount";

type Cart = components["schemas"]["Cart"];

export function CartPage() {
  const [cart, setCart] = useState<Cart | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [country, setCountry] = useState("GB");
  const waiting = pending.get()?.placed;
  useEffect(() => {
    document.title = "Your cart · Ferrocart";
  }, []);
  // Priced with the shipping to the chosen country: the same figures checkout will charge.
  useEffect(() => {
    api
      .GET("/cart", { params: { query: { country } } })
      .then(({ data, error }) => (data ? setCart(data) : setError(errorMessage(error))));
  }, [country]);
  const change = async (product_id: string, quantity: number) => {
    const { data, error } = await api.PATCH("/cart/items/{product_id}", {
      params: { path: { product_id } },
      body: { quantity },
    });
    if (data) setCart(data);
    else setError(errorMessage(error));
  };
  const remove = async (product_id: string) => {
    const { data, error } = await api.DELETE("/cart/items/{product_id}", { params: { path: { product_id } } });
    if (data) setCart(data);
    else setError(errorMessage(error));
  };
  if (!cart) return <p aria-busy="true">{error ?? "Loading…"}</p>;
  const currency = cart.currency ?? "GBP";
  const estimate = cart.shipping_estimate;
  const blocked = cart.lines.some((l) => !l.purchasable || l.short_of_stock) || cart.discount?.applies === false;
  return (
    <>
      <h1>Your cart</h1>
      {error && <p role="alert">{error}</p>}
      {waiting && (
        <p role="note">
          An order of yours is waiting for its payment, its items kept for you.{" "}
          <Link href="/checkout">Pay for it</Link>
        </p>
      )}
      {cart.lines.length === 0 ? (
        <p>
          Your cart is empty. <Link href="/">Find something</Link>
        </p>
      ) : (
        <table className="cart">
          <thead>
            <tr>
              <th scope="col">Product</th>
              <th scope="col">Quantity</th>
              <th scope="col">Price</th>
              <th scope="col">
                <span className="visually-hidden">Remove</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {cart.lines.map((l) => (
              <tr key={l.product_id}>
                <td>
                  <Link href={`/p/${l.product_id}`}>{l.name ?? "A product no longer sold"}</Link>
                  {!l.purchasable && <p role="note">No longer sold: remove it to check out.</p>}
                  {l.short_of_stock && <p role="note">Fewer left than you asked for.</p>}
                </td>
                <td>
                  <label>
                    <span className="visually-hidden">Quantity of {l.name}</span>
                    <input
                      type="number"
                      min={1}
                      max={cart.max_quantity_per_line}
                      defaultValue={l.quantity}
                      onChange={(e) => {
                        const n = Number(e.target.value);
                        if (n >= 1 && n <= cart.max_quantity_per_line) change(l.product_id, n);
                      }}
                    />
                  </label>
                </td>
                <td>{l.line_total != null ? money(l.line_total, l.currency ?? currency) : "–"}</td>
                <td>
                  <button type="button" onClick={() => remove(l.product_id)}>
                    Remove<span className="visually-hidden"> {l.name}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row" colSpan={2}>
                Subtotal
              </th>
              <td>{money(cart.subtotal, currency)}</td>
              <td />
            </tr>
            {(cart.discount_total ?? 0) > 0 && (
              <tr>
                <th scope="row" colSpan={2}>
                  Discount
                </th>
                <td>−{money(cart.discount_total ?? 0, currency)}</td>
                <td />
              </tr>
            )}
          </tfoot>
        </table>
      )}
      {cart.lines.length > 0 && (
        <>
          <Discount cart={cart} onCart={setCart} />
          <section aria-label="Shipping estimate">
            <h2>Delivery</h2>
            <label>
              Deliver to{" "}
              <CountrySelect value={country} onChange={setCountry} />
            </label>
            {estimate && estimate.options.length === 0 && <p role="note">We do not ship this cart there.</p>}
            <ul>
              {estimate?.options.map((o) => (
                <li key={o.option_id}>
                  {o.name}
                  {deliveryDays(o.delivery_days)}:{" "}
                  {o.free ? "free" : money(o.amount, currency)}; total {money(o.total, currency)}, of which tax{" "}
                  {money(o.tax_total, currency)}
                </li>
              ))}
            </ul>
          </section>
          {blocked ? (
            <p role="note">Fix the lines marked above (or the discount code) to check out.</p>
          ) : (
            <p>
              <Link href="/checkout" className="button">
                Check out
              </Link>
            </p>
          )}
        </>
      )}
      <p className="limits">
        Up to {cart.max_lines} products, {cart.max_quantity_per_line} of each.
      </p>
    </>
  );
}
