import { useEffect, useState } from "react";
import { api, errorMessage, type ProductDetail, type ProductSummary } from "../../api/client";
import { Link } from "../../router";
import { money } from "../../ui/money";
import { Picture } from "../../ui/Picture";
import { ProductCard } from "../../ui/ProductCard";

/** Whether the shop's prices include tax (the same for every country; a cached public answer). */
function useTaxIncluded(): boolean | null {
  const [included, setIncluded] = useState<boolean | null>(null);
  useEffect(() => {
    api.GET("/shipping-options", { params: { query: { country: "GB" } } }).then(({ data }) => data && setIncluded(data.tax_included));
  }, []);
  return included;
}

export function ProductPage({ id }: { id: string }) {
  const [product, setProduct] = useState<ProductDetail | null>(null);
  const [missing, setMissing] = useState(false);
  const [recommended, setRecommended] = useState<ProductSummary[]>([]);
  const [quantity, setQuantity] = useState(1);
  const [status, setStatus] = useState<string | null>(null);
  const [shown, setShown] = useState(0);
  const taxIncluded = useTaxIncluded();
  useEffect(() => {
    setProduct(null);
    setShown(0);
    setMissing(false);
    api.GET("/products/{id}", { params: { path: { id } } }).then(({ data }) => {
      if (data) {
        setProduct(data);
        document.title = `${data.name} · Ferrocart`;
      } else setMissing(true);
    });
    api
      .GET("/products/{id}/recommendations", { params: { path: { id } } })
      .then(({ data }) => setRecommended(data?.items ?? []));
  }, [id]);
  if (missing)
    return (
      <>
        <h1>Not found</h1>
        <p>
          This product is not in the shop. <Link href="/">Back to the shop</Link>
        </p>
      </>
    );
  if (!product) return <p aria-busy="true">Loading…</p>;
  const add = async () => {
    setStatus(null);
    const { data, error } = await api.POST("/cart/items", { body: { product_id: id, quantity } });
    setStatus(data ? `Added to your cart (${data.line_count} ${data.line_count === 1 ? "line" : "lines"}).` : errorMessage(error));
  };
  const image = product.images[shown] ?? product.images[0] ?? null;
  return (
    <article className="product">
      <div className="gallery">
        <Picture image={image} alt={product.name} sizes="(max-width: 800px) 100vw, 480px" />
        {product.images.length > 1 && (
          <ul className="thumbs" aria-label="Photos">
            {product.images.map((im, i) => {
              const thumb = im.variants.find((v) => v.format === "webp" && v.width <= 160) ?? im.variants[0];
              return (
                <li key={im.image_id}>
                  <button type="button" aria-pressed={i === shown} onClick={() => setShown(i)}>
                    <img src={thumb?.url} width={80} height={thumb ? Math.round((80 * thumb.height) / thumb.width) : 60} alt={`Photo ${i + 1} of ${product.images.length}`} />
                  </button>
                </li>
              );
            })}
          </ul>
        )}
      </div>
      <div>
        <h1>{product.name}</h1>
        <p className="brand">{product.brand}</p>
        <p className="price">
          {money(product.price, product.currency)}
          {product.regular_price != null && (
            <>
              {" "}
              <s aria-label="was">{money(product.regular_price, product.currency)}</s>
            </>
          )}
          {taxIncluded != null && <span className="tax"> {taxIncluded ? "incl. tax" : "plus tax"}</span>}
        </p>
        {product.sale_ends_at && (
          <p className="sale">
            Sale ends {new Date(product.sale_ends_at).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" })}
          </p>
        )}
        <p className={`availability ${product.availability}`}>{product.availability.replace(/_/g, " ")}</p>
        <p>{product.description}</p>
        <label>
          Quantity{" "}
          <input
            type="number"
            min={1}
            max={20}
            value={quantity}
            onChange={(e) => setQuantity(Math.max(1, Math.min(20, Number(e.target.value) || 1)))}
          />
        </label>{" "}
        <button type="button" onClick={add} disabled={product.availability === "out_of_stock"}>
          Add to cart
        </button>
        {status && <p role="status">{status}</p>}
      </div>
      {recommended.length > 0 && (
        <section className="recommended" aria-label="Frequently bought together">
          <h2>Frequently bought together</h2>
          <ul className="grid">
            {recommended.map((p) => (
              <ProductCard key={p.product_id} p={p} />
            ))}
          </ul>
        </section>
      )}
    </article>
  );
}
