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
      .GET("/search", { params: { query: { sort: "newest", limit: 12 } } })
      .then(({ data, error }) => (data ? setProducts(data.items) : setError(errorMessage(error))));
  }, []);
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
      <h2>New in</h2>
      <ul className="grid">
        {products.map((p) => (
          <ProductCard key={p.product_id} p={p} />
        ))}
      </ul>
    </>
  );
}
