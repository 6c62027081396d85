// The cart's discount code: apply (the API says why one does not apply), show what it takes off,
// remove. Used by the cart and the checkout.
import { useState } from "react";
import { api, errorMessage } from "../../api/client";
import type { components } from "../../api/schema";
import { money } from "../../ui/money";

type Cart = components["schemas"]["Cart"];

export function Discount({ cart, onCart }: { cart: Cart; onCart: (c: Cart) => void }) {
  const [code, setCode] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const currency = cart.currency ?? "GBP";
  const apply = async () => {
    if (!code.trim()) return setError("Type a code first.");
    setBusy(true);
    setError(null);
    const { data, error } = await api.POST("/cart/discount", { body: { code: code.trim() } });
    setBusy(false);
    if (data) {
      onCart(data);
      setCode("");
    } else setError(errorMessage(error));
  };
  const remove = async () => {
    const { data, error } = await api.DELETE("/cart/discount");
    if (data) onCart(data);
    else setError(errorMessage(error));
  };
  const d = cart.discount;
  return (
    <section aria-label="Discount" className="discount">
      {d ? (
        <p>
          Code <strong>{d.code}</strong>:{" "}
          {d.applies ? `−${money(d.amount, currency)}` : (d.problem?.message ?? "does not apply to this cart")}{" "}
          <button type="button" onClick={remove}>
            Remove code<span className="visually-hidden"> {d.code}</span>
          </button>
        </p>
      ) : (
        // Not a form of its own: it sits inside the checkout's form, and Enter applies the code.
        <div className="inline-form">
          <label>
            Discount code
            <input
              value={code}
              onChange={(e) => setCode(e.target.value)}
              autoCapitalize="characters"
              onKeyDown={(e) => {
                if (e.key === "Enter") {
                  e.preventDefault();
                  apply();
                }
              }}
            />
          </label>
          <button type="button" onClick={apply} disabled={busy}>
            Apply
          </button>
        </div>
      )}
      {error && <p role="alert">{error}</p>}
    </section>
  );
}
