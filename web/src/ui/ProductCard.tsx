import type { ProductSummary } from "../api/client";
import { Link } from "../router";
import { money } from "./money";
import { Picture } from "./Picture";

export function ProductCard({ p, children }: { p: ProductSummary; children?: React.ReactNode }) {
  return (
    <li className="card">
      <Link href={`/p/${p.product_id}`}>
        <Picture image={p.image} alt={p.name} sizes="(max-width: 600px) 50vw, 240px" />
        <span className="name">{children ?? p.name}</span>
      </Link>
      <span className="price">
        {money(p.price, p.currency)}
        {p.regular_price != null && <s aria-label="was">{money(p.regular_price, p.currency)}</s>}
      </span>
      <span className={`availability ${p.availability}`}>{p.availability.replace(/_/g, " ")}</span>
    </li>
  );
}
