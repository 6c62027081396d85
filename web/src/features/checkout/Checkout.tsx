// Checkout: where to (a saved address or a new one; a guest adds an email), how (the shipping
// options that ship this cart there, priced as the order will be), the discount code, and the
// card (Stripe.js's card element and confirmCardPayment). Placing the order reserves its stock and
// empties the cart; the card is then charged. A declined card leaves the order reserved and shown,
// and another card pays the same order: nothing is lost and nothing is placed twice.
import { useEffect, useState, type FormEvent } from "react";
import { api, errorMessage } from "../../api/client";
import type { components } from "../../api/schema";
import { navigate } from "../../router";
import { AddressFields, cleanAddress, emptyAddress, type AddressInput } from "../../ui/AddressFields";
import { deliveryDays, money } from "../../ui/money";
import { useSession } from "../account/session";
import { Discount } from "../cart/Discount";
import { orderUrl, pending, type CheckoutBody, type Pending, type Placed } from "./pending";
import { loadStripe, type CardElement, type Stripe } from "./stripe";

type Cart = components["schemas"]["Cart"];
type Order = components["schemas"]["Order"];
type Saved = components["schemas"]["SavedAddress"];

const NEW = "new";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Outcome = { placed: Placed } | { error: string; unknown: boolean };

/** POST /checkout, retrying (same key, same body) what the API says is retryable. `unknown`: no
 * answer came (the order may exist), so the key is kept for the next press of Pay. */
async function placeOrder(key: string, body: CheckoutBody): Promise<Outcome> {
  for (let attempt = 0; ; attempt++) {
    let reply;
    try {
      reply = await api.POST("/checkout", { params: { header: { "Idempotency-Key": key } }, body });
    } catch {
      return { error: "The shop could not be reached. Check your connection and press Pay again.", unknown: true };
    }
    const { data, error, response } = reply;
    if (data) return { placed: data };
    const code = (error as { error?: { code?: string } } | undefined)?.error?.code;
    const retryable = response.status === 503 || code === "request_in_progress";
    if (!retryable) return { error: errorMessage(error), unknown: false };
    if (attempt >= 4) return { error: errorMessage(error), unknown: true };
    const after = Number(response.headers.get("retry-after") ?? "1");
    await sleep(Math.min(Math.max(after, 0.2), 3) * 1000);
  }
}

/** The card element, mounted into the element given to `mount` once it is on the page. */
function useCard() {
  const [el, mount] = useState<HTMLDivElement | null>(null);
  const [stripe, setStripe] = useState<{ stripe: Stripe; card: CardElement } | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (!el) return;
    let card: CardElement | null = null;
    let live = true;
    loadStripe()
      .then((s) => {
        if (!live) return;
        card = s.elements().create("card");
        card.mount(el);
        setStripe({ stripe: s, card });
      })
      .catch(() => setFailed(true));
    return () => {
      live = false;
      card?.destroy();
      setStripe(null);
    };
  }, [el]);
  return { mount, stripe, failed };
}

export function Checkout() {
  const signedIn = useSession();
  const [held, setHeld] = useState<Pending | null>(() => pending.get());
  const [order, setOrder] = useState<Order | null>(null);
  const [cart, setCart] = useState<Cart | null>(null);
  const [book, setBook] = useState<Saved[] | null>(null);
  const [choice, setChoice] = useState<string>(NEW);
  const [address, setAddress] = useState<AddressInput>(emptyAddress);
  const [save, setSave] = useState(true);
  const [email, setEmail] = useState("");
  const [option, setOption] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const placed = held?.placed;
  const { mount, stripe, failed } = useCard();

  useEffect(() => {
    document.title = "Checkout · Ferrocart";
  }, []);

  // A placed order still waiting for its payment is shown (and paid) instead of the cart; one
  // paid, or one that expired or was cancelled, is forgotten.
  useEffect(() => {
    if (!placed) return;
    api
      .GET("/orders/{id}", {
        params: { path: { id: placed.order_id } },
        ...(placed.order_token ? { headers: { "x-order-token": placed.order_token } } : {}),
      })
      .then(({ data, response }) => {
        if (data?.status === "pending_payment") return setOrder(data);
        // Not known to be gone (the shop busy, the network down): kept, so no second order.
        if (!data && ![401, 403, 404].includes(response.status))
          return setError("Your order could not be read just now. Reload the page to pay for it.");
        pending.clear();
        setHeld(null);
        if (data && data.status !== "cancelled") navigate(orderUrl(placed));
      })
      .catch(() => setError("The shop could not be reached. Reload the page to pay for your order."));
  }, [placed]);

  useEffect(() => {
    if (!signedIn || placed) return;
    api.GET("/me/addresses").then(({ data }) => {
      if (!data) return;
      setBook(data.addresses);
      const first = data.default_address_id ?? data.addresses[0]?.id;
      if (first) setChoice(first);
    });
  }, [signedIn, placed]);

  const saved = book?.find((a) => a.id === choice);
  const country = (saved?.country ?? address.country).toUpperCase();
  useEffect(() => {
    if (placed) return;
    api.GET("/cart", { params: { query: { country } } }).then(({ data, error }) => {
      if (data) setCart(data);
      else setError(errorMessage(error));
    });
  }, [country, placed]);

  const options = cart?.shipping_estimate?.options ?? [];
  const chosen = options.find((o) => o.option_id === option) ?? options[0];

  const pay = async (e: FormEvent) => {
    e.preventDefault();
    if (!stripe) return;
    setBusy(true);
    setError(null);
    let done = placed;
    if (done && !done.payment.client_secret && held) {
      // Placed while the payment could not start: the same request again finishes it.
      const outcome = await placeOrder(held.key, JSON.parse(held.body) as CheckoutBody);
      if ("error" in outcome) {
        setBusy(false);
        return setError(outcome.error);
      }
      const next = { ...held, placed: outcome.placed };
      pending.set(next);
      setHeld(next);
      done = outcome.placed;
    }
    if (!done) {
      const body: CheckoutBody = saved
        ? { address_id: saved.id }
        : { shipping_address: cleanAddress(address), ...(signedIn ? { save_address: save } : {}) };
      if (!signedIn) body.email = email.trim();
      if (chosen) body.shipping_option_id = chosen.option_id;
      const text = JSON.stringify(body);
      // The same order retried keeps its key: the API replays it rather than placing another.
      const key = held && held.body === text ? held.key : crypto.randomUUID();
      pending.set({ key, body: text });
      setHeld({ key, body: text });
      const outcome = await placeOrder(key, body);
      if ("error" in outcome) {
        if (!outcome.unknown) {
          pending.clear();
          setHeld(null);
        }
        setBusy(false);
        return setError(outcome.error);
      }
      const next = { key, body: text, placed: outcome.placed };
      pending.set(next);
      setHeld(next);
      done = outcome.placed;
    }
    const secret = done.payment.client_secret;
    if (!secret) {
      setBusy(false);
      return setError("The payment could not be started. Your order is kept: please press Pay again.");
    }
    const name = saved?.name ?? address.name;
    const result = await stripe.stripe.confirmCardPayment(secret, {
      payment_method: { card: stripe.card, billing_details: { name, ...(email ? { email } : {}) } },
    });
    setBusy(false);
    if (result.error || !result.paymentIntent) {
      const why = result.error?.message ?? "The payment did not go through.";
      return setError(`${why} Nothing was charged. Your order is kept for you: try another card.`);
    }
    pending.clear();
    navigate(orderUrl(done, "placed"));
  };

  if (placed && !order) return error ? <p role="alert">{error}</p> : <p aria-busy="true">Loading…</p>;
  if (!placed && !cart) return <p aria-busy="true">{error ?? "Loading…"}</p>;
  if (!placed && cart && cart.lines.length === 0)
    return (
      <>
        <h1>Checkout</h1>
        <p>Your cart is empty.</p>
      </>
    );
  const currency = order?.currency ?? cart?.currency ?? "GBP";
  const total = placed?.total ?? chosen?.total;

  return (
    <form className="checkout" onSubmit={pay} aria-label="Checkout">
      <h1>Checkout</h1>
      {order ? (
        <section aria-label="Your order">
          <h2>Your order, waiting for payment</h2>
          <ul>
            {order.lines.map((l) => (
              <li key={l.product_id}>
                {l.quantity} × {l.name}: {money(l.line_total, currency)}
              </li>
            ))}
          </ul>
          <p>
            Ships to {order.shipping_address?.name}, {order.shipping_address?.city} ({order.shipping_option?.name}).
            Total <strong>{money(order.total, currency)}</strong>.
          </p>
        </section>
      ) : (
        cart && (
          <>
            {!signedIn && (
              <fieldset>
                <legend>Your email</legend>
                <label>
                  Email (for the receipt and your order's link)
                  <input type="email" required autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} />
                </label>
              </fieldset>
            )}
            <fieldset>
              <legend>Ship to</legend>
              {book && book.length > 0 && (
                <div role="radiogroup" aria-label="Saved addresses" className="choices">
                  {book.map((a) => (
                    <label key={a.id}>
                      <input type="radio" name="address" checked={choice === a.id} onChange={() => setChoice(a.id)} />
                      {a.name}, {a.line1}, {a.city} {a.postal_code ?? ""} ({a.country})
                    </label>
                  ))}
                  <label>
                    <input type="radio" name="address" checked={choice === NEW} onChange={() => setChoice(NEW)} />A new
                    address
                  </label>
                </div>
              )}
              {choice === NEW && (
                <div className="form">
                  <AddressFields value={address} onChange={setAddress} />
                  {signedIn && (
                    <label className="check">
                      <input type="checkbox" checked={save} onChange={(e) => setSave(e.target.checked)} />
                      Save it to my address book
                    </label>
                  )}
                </div>
              )}
            </fieldset>
            <fieldset>
              <legend>Delivery</legend>
              {options.length === 0 ? (
                <p role="note">We do not ship this cart to that country.</p>
              ) : (
                options.map((o) => (
                  <label key={o.option_id} className="check">
                    <input
                      type="radio"
                      name="shipping"
                      checked={chosen?.option_id === o.option_id}
                      onChange={() => setOption(o.option_id)}
                    />
                    {o.name}
                    {deliveryDays(o.delivery_days)}:{" "}
                    {o.free ? "free" : money(o.amount, currency)}
                  </label>
                ))
              )}
            </fieldset>
            <Discount cart={cart} onCart={setCart} />
            <table className="cart" aria-label="Summary">
              <tbody>
                {cart.lines.map((l) => (
                  <tr key={l.product_id}>
                    <td>
                      {l.quantity} × {l.name}
                    </td>
                    <td>{l.line_total != null ? money(l.line_total, currency) : "–"}</td>
                  </tr>
                ))}
                {(cart.discount_total ?? 0) > 0 && (
                  <tr>
                    <td>Discount</td>
                    <td>−{money(cart.discount_total ?? 0, currency)}</td>
                  </tr>
                )}
                {chosen && (
                  <tr>
                    <td>Delivery</td>
                    <td>{chosen.free ? "free" : money(chosen.amount, currency)}</td>
                  </tr>
                )}
                {chosen && (
                  <tr>
                    <td>{cart.shipping_estimate?.tax_included ? "Of which tax" : "Tax"}</td>
                    <td>{money(chosen.tax_total, currency)}</td>
                  </tr>
                )}
              </tbody>
              <tfoot>
                <tr>
                  <th scope="row">Total</th>
                  <td>{total != null ? money(total, currency) : "–"}</td>
                </tr>
              </tfoot>
            </table>
          </>
        )
      )}
      <fieldset>
        <legend>Card</legend>
        <div ref={mount} className="card-element" />
        {failed && <p role="alert">The payment form did not load. Check your connection and reload the page.</p>}
      </fieldset>
      {error && <p role="alert">{error}</p>}
      <button type="submit" disabled={busy || !stripe || (!placed && !chosen)}>
        {busy ? "Paying…" : `Pay ${total != null ? money(total, currency) : ""}`}
      </button>
    </form>
  );
}
