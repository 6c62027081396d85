import { useEffect, useState } from "react";
import { api, errorMessage, type ProductSummary } from "../../api/client";
import { Link } from "../../router";
import { ProductCard } from "../../ui/ProductCard";

type Category = { slug: string; name: string };

export function Home() {
  const [categories, setCategories] = useState<Category[]>([]);
  const [products, setProducts] = useState<ProductSummary[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    document.title = "Ferrocart";
    api.GET("/categories").then(({ data, error }) => (data ? setCategories(data.items) : setError(errorMessage(error))));
    api
      .GET("/search", { params: { query: { sort: "newest", limit: 50 } } })
      .then(({ data, error }) => (data ? setProducts(data.items) : setError(errorMessage(error))));
  }, []);
  // The sales among the newest products (search has no on-sale filter: a sale has a time window).
  const onSale = products.filter((p) => p.regular_price != null).slice(0, 8);
  return (
    <>
      <h1>Shop by category</h1>
      {error && <p role="alert">{error}</p>}
      <ul className="categories">
        {categories.map((c) => (
          <li key={c.slug}>
            <Link href={`/c/${c.slug}`}>{c.name}</Link>
          </li>
        ))}
      </ul>
      {onSale.length > 0 && (
        <section aria-label="On sale">
          <h2>On sale</h2>
          <ul className="grid">
            {onSale.map((p) => (
              <ProductCard key={p.product_id} p={p} />
            ))}
          </ul>
        </section>
      )}
      <section aria-label="New in">
        <h2>New in</h2>
        <ul className="grid">
          {products.slice(0, 12).map((p) => (
            <ProductCard key={p.product_id} p={p} />
          ))}
        </ul>
      </section>
    </>
  );
}
