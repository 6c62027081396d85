import { useEffect, useState } from "react";
import { api, errorMessage } from "../../api/client";
import type { components } from "../../api/schema";
import { Link } from "../../router";
import { money } from "../../ui/money";

type Cart = components["schemas"]["Cart"];

export function CartPage() {
  const [cart, setCart] = useState<Cart | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () =>
    api.GET("/cart").then(({ data, error }) => (data ? setCart(data) : setError(errorMessage(error))));
  useEffect(() => {
    document.title = "Your cart · Ferrocart";
    load();
  }, []);
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
  return (
    <>
      <h1>Your cart</h1>
      {error && <p role="alert">{error}</p>}
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
          </tfoot>
        </table>
      )}
      <p className="limits">
        Up to {cart.max_lines} products, {cart.max_quantity_per_line} of each.
      </p>
    </>
  );
}
