// A search's answer as a page: facets (brands, price bands) as filters, the matches with their
// highlights, and "more" by the opaque cursor. The category page is this with its category fixed.
import { useEffect, useState } from "react";
import { api, errorMessage } from "../../api/client";
import type { paths } from "../../api/schema";
import { Highlighted } from "../../ui/Highlighted";
import { money } from "../../ui/money";
import { ProductCard } from "../../ui/ProductCard";

type Answer = paths["/search"]["get"]["responses"]["200"]["content"]["application/json"];
type Query = NonNullable<paths["/search"]["get"]["parameters"]["query"]>;

export function Results({ q, category }: { q: string; category?: string }) {
  const [brand, setBrand] = useState<string | undefined>();
  const [band, setBand] = useState<{ min?: number; max?: number }>({});
  const [answer, setAnswer] = useState<Answer | null>(null);
  const [items, setItems] = useState<Answer["items"]>([]);
  const [error, setError] = useState<string | null>(null);
  const query = (cursor?: string): Query => ({
    ...(q ? { q } : {}),
    ...(category ? { category } : {}),
    ...(brand ? { brand } : {}),
    ...(band.min != null ? { min_price: band.min } : {}),
    ...(band.max != null ? { max_price: band.max } : {}),
    ...(cursor ? { cursor } : {}),
    limit: 24,
  });
  useEffect(() => {
    setBrand(undefined);
    setBand({});
  }, [q, category]);
  useEffect(() => {
    let live = true;
    api.GET("/search", { params: { query: query() } }).then(({ data, error }) => {
      if (!live) return;
      if (data) {
        setAnswer(data);
        setItems(data.items);
        setError(null);
      } else setError(errorMessage(error));
    });
    return () => {
      live = false;
    };
  }, [q, category, brand, band.min, band.max]);
  const more = async () => {
    if (!answer?.next_cursor) return;
    const { data, error } = await api.GET("/search", { params: { query: query(answer.next_cursor) } });
    if (data) {
      setAnswer(data);
      setItems((prev) => [...prev, ...data.items]);
    } else setError(errorMessage(error));
  };
  const currency = items[0]?.currency ?? "GBP";
  return (
    <div className="results">
      {/* Shown with the first answer: filters drawn before the products arrive would move. */}
      {answer && (
        <aside aria-label="Filters">
          <fieldset>
            <legend>Brand</legend>
            <label>
              <input type="radio" name="brand" checked={!brand} onChange={() => setBrand(undefined)} /> Any
            </label>
            {answer?.facets.brands.map((b) => (
              <label key={b.value}>
                <input type="radio" name="brand" checked={brand === b.value} onChange={() => setBrand(b.value)} /> {b.value} ({b.count})
              </label>
            ))}
          </fieldset>
          <fieldset>
            <legend>Price</legend>
            <label>
              <input type="radio" name="band" checked={band.min == null && band.max == null} onChange={() => setBand({})} /> Any
            </label>
            {answer?.facets.price_bands
              .filter((p) => p.count > 0)
              .map((p) => (
                <label key={p.min}>
                  <input
                    type="radio"
                    name="band"
                    checked={band.min === p.min}
                    onChange={() => setBand({ min: p.min, ...(p.max != null ? { max: p.max - 1 } : {}) })}
                  />{" "}
                  {p.max != null ? `${money(p.min, currency)} – ${money(p.max, currency)}` : `${money(p.min, currency)} and up`} ({p.count})
                </label>
              ))}
          </fieldset>
        </aside>
      )}
      <section aria-label="Products">
        {error && <p role="alert">{error}</p>}
        {answer && (
            <p aria-live="polite">
              {answer.total} {answer.total === 1 ? "product" : "products"}
            </p>
        )}
        <ul className="grid">
          {items.map((p) => (
            <ProductCard key={p.product_id} p={p}>
              {p.highlights ? <Highlighted html={p.highlights.name} /> : undefined}
            </ProductCard>
          ))}
        </ul>
        {answer?.next_cursor && (
          <button type="button" onClick={more}>
            More products
          </button>
        )}
      </section>
    </div>
  );
}
