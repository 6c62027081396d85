// Products for the admin: the list of those on sale, a new product, and the editor (details and
// status, photos uploaded straight to S3 with progress and their variants once resized, stock per
// warehouse).
import { useEffect, useState, type FormEvent } from "react";
import { api, errorMessage, type ProductSummary } from "../../api/client";
import type { components, paths } from "../../api/schema";
import { Link, navigate } from "../../router";
import { fromMinor, money, toMinor } from "../../ui/money";
import { AdminPage } from "./Admin";

type Admined = paths["/admin/products/{id}"]["get"]["responses"]["200"]["content"]["application/json"];
type Currency = components["schemas"]["Currency"];
type TaxClass = components["schemas"]["TaxClass"];
type Status = components["schemas"]["ProductStatus"];

const CURRENCIES: Currency[] = ["GBP", "EUR", "USD", "AUD", "CAD", "CHF", "DKK", "JPY", "NOK", "PLN", "SEK"];
const STATUS: Record<Status, string> = { draft: "Draft", active: "On sale", archived: "Archived" };

export function AdminProducts() {
  const [items, setItems] = useState<ProductSummary[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const more = async (from: string | null) => {
    const { data, error } = await api.GET("/products", { params: { query: { limit: 50, ...(from ? { cursor: from } : {}) } } });
    if (!data) return setError(errorMessage(error));
    setItems((old) => (from ? [...old, ...data.items] : data.items));
    setCursor(data.next_cursor);
  };
  useEffect(() => {
    more(null);
  }, []);
  return (
    <AdminPage title="Products">
      <p>
        <Link href="/admin/products/new" className="button">
          New product
        </Link>
      </p>
      {error && <p role="alert">{error}</p>}
      <h2>On sale</h2>
      <ul className="admin-list">
        {items.map((p) => (
          <li key={p.product_id}>
            <Link href={`/admin/products/${p.product_id}`}>{p.name}</Link> {money(p.price, p.currency)} ({p.availability.replace("_", " ")})
          </li>
        ))}
      </ul>
      {cursor && (
        <button type="button" onClick={() => more(cursor)}>
          More products
        </button>
      )}
    </AdminPage>
  );
}

type Draft = {
  name: string;
  description: string;
  category: string;
  brand: string;
  price: string;
  currency: Currency;
  weight: string;
  tax_class: TaxClass;
  sale: string;
};

const blank: Draft = {
  name: "",
  description: "",
  category: "",
  brand: "",
  price: "",
  currency: "GBP",
  weight: "500",
  tax_class: "standard",
  sale: "",
};

function useCategories() {
  const [cats, setCats] = useState<{ slug: string; name: string }[]>([]);
  useEffect(() => {
    api.GET("/categories").then(({ data }) => data && setCats(data.items));
  }, []);
  return cats;
}

/** The fields both the new product and the editor have; `isNew` adds category and brand. */
function ProductFields({ draft, onChange, isNew }: { draft: Draft; onChange: (d: Draft) => void; isNew: boolean }) {
  const cats = useCategories();
  const text = (key: keyof Draft, label: string, extra: object = {}) => (
    <label>
      {label}
      <input value={draft[key]} onChange={(e) => onChange({ ...draft, [key]: e.target.value })} {...extra} />
    </label>
  );
  return (
    <>
      {text("name", "Name", { required: true, maxLength: 200 })}
      <label>
        Description
        <textarea rows={4} maxLength={5000} value={draft.description} onChange={(e) => onChange({ ...draft, description: e.target.value })} />
      </label>
      {isNew && (
        <>
          <label>
            Category
            <select required value={draft.category} onChange={(e) => onChange({ ...draft, category: e.target.value })}>
              <option value="">Choose…</option>
              {cats.map((c) => (
                <option key={c.slug} value={c.slug}>
                  {c.name}
                </option>
              ))}
            </select>
          </label>
          {text("brand", "Brand (its slug, e.g. northwind)", { required: true, pattern: "[a-z0-9-]{1,40}" })}
        </>
      )}
      <label>
        Currency
        <select value={draft.currency} onChange={(e) => onChange({ ...draft, currency: e.target.value as Currency })}>
          {CURRENCIES.map((c) => (
            <option key={c}>{c}</option>
          ))}
        </select>
      </label>
      {text("price", `Price (${draft.currency}, e.g. 24.99)`, { required: true, inputMode: "decimal" })}
      {text("sale", "Sale price (optional; empty: no sale)", { inputMode: "decimal" })}
      {text("weight", "Shipping weight of one (grams)", { inputMode: "numeric", pattern: "[0-9]{1,7}" })}
      <label>
        Tax class
        <select value={draft.tax_class} onChange={(e) => onChange({ ...draft, tax_class: e.target.value as TaxClass })}>
          <option value="standard">Standard rate</option>
          <option value="reduced">Reduced rate</option>
          <option value="zero">Zero rate</option>
        </select>
      </label>
    </>
  );
}

/** The draft as the API's fields, or what is wrong with it. */
function fields(d: Draft): { ok: true; price: number; sale: number | null; weight: number } | { ok: false; error: string } {
  const price = toMinor(d.price, d.currency);
  if (price === null) return { ok: false, error: `The price is not an amount in ${d.currency}.` };
  const sale = d.sale.trim() ? toMinor(d.sale, d.currency) : null;
  if (d.sale.trim() && sale === null) return { ok: false, error: `The sale price is not an amount in ${d.currency}.` };
  const weight = Number(d.weight);
  if (!Number.isInteger(weight) || weight < 0) return { ok: false, error: "The weight is a whole number of grams." };
  return { ok: true, price, sale, weight };
}

export function NewProduct() {
  const [draft, setDraft] = useState<Draft>(blank);
  const [error, setError] = useState<string | null>(null);
  const create = async (e: FormEvent) => {
    e.preventDefault();
    const f = fields(draft);
    if (!f.ok) return setError(f.error);
    const { data, error } = await api.POST("/admin/products", {
      body: {
        name: draft.name.trim(),
        ...(draft.description.trim() ? { description: draft.description } : {}),
        category: draft.category,
        brand: draft.brand.trim(),
        price: f.price,
        currency: draft.currency,
        weight_grams: f.weight,
        tax_class: draft.tax_class,
        ...(f.sale !== null ? { sale_price: f.sale } : {}),
        status: "draft",
      },
    });
    if (!data) return setError(errorMessage(error));
    navigate(`/admin/products/${data.product_id}`);
  };
  return (
    <AdminPage title="New product">
      <form className="form" onSubmit={create} aria-label="New product">
        {error && <p role="alert">{error}</p>}
        <ProductFields draft={draft} onChange={setDraft} isNew />
        <p>It starts as a draft: add photos and stock, then put it on sale.</p>
        <button type="submit">Create product</button>
      </form>
    </AdminPage>
  );
}

function draftOf(p: Admined): Draft {
  return {
    name: p.name,
    description: p.description,
    category: p.category,
    brand: p.brand,
    price: fromMinor(p.price, p.currency),
    currency: p.currency as Currency,
    weight: String(p.weight_grams),
    tax_class: p.tax_class,
    sale: p.sale_price != null ? fromMinor(p.sale_price, p.currency) : "",
  };
}

export function ProductEditor({ id }: { id: string }) {
  const [product, setProduct] = useState<Admined | null>(null);
  const [draft, setDraft] = useState<Draft>(blank);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const load = async (): Promise<Admined | undefined> => {
    const { data, error } = await api.GET("/admin/products/{id}", { params: { path: { id } } });
    if (!data) {
      setError(errorMessage(error));
      return undefined;
    }
    setProduct(data);
    setDraft(draftOf(data));
    return data;
  };
  useEffect(() => {
    load();
  }, [id]);
  const save = async (body: paths["/admin/products/{id}"]["patch"]["requestBody"]["content"]["application/json"], said: string) => {
    setError(null);
    const { data, error } = await api.PATCH("/admin/products/{id}", { params: { path: { id } }, body });
    if (!data) return setError(errorMessage(error));
    setStatus(said);
    await load();
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const f = fields(draft);
    if (!f.ok) return setError(f.error);
    await save(
      {
        name: draft.name.trim(),
        description: draft.description,
        price: f.price,
        currency: draft.currency,
        weight_grams: f.weight,
        tax_class: draft.tax_class,
        sale_price: f.sale,
      },
      "Saved.",
    );
  };
  return (
    <AdminPage title={product ? product.name : "Product"}>
      {!product && !error && <p aria-busy="true">Loading…</p>}
      {status && <p role="status">{status}</p>}
      {error && <p role="alert">{error}</p>}
      {product && (
        <div className="editor">
          <section aria-label="Status">
            <p>
              Status: <strong>{STATUS[product.status]}</strong> · {product.stock_available} available to sell ·{" "}
              {product.status === "active" && <Link href={`/p/${product.product_id}`}>its page in the shop</Link>}
            </p>
            {product.status !== "active" && (
              <button type="button" onClick={() => save({ status: "active" }, "It is on sale.")}>
                Put on sale
              </button>
            )}{" "}
            {product.status !== "archived" && (
              <button type="button" onClick={() => save({ status: "archived" }, "Archived: no longer sold.")}>
                Archive
              </button>
            )}{" "}
            {product.status !== "draft" && (
              <button type="button" onClick={() => save({ status: "draft" }, "Back to draft.")}>
                Back to draft
              </button>
            )}
          </section>
          <form className="form" onSubmit={submit} aria-label="Details">
            <h2>Details</h2>
            <ProductFields draft={draft} onChange={setDraft} isNew={false} />
            <button type="submit">Save details</button>
          </form>
          <Photos product={product} reload={load} />
          <Stock product={product} reload={load} />
        </div>
      )}
    </AdminPage>
  );
}

/** PUT the file to S3 as the presigned request says, reporting progress. */
function upload(url: string, headers: Record<string, string>, file: File, onProgress: (p: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    // The browser sets Content-Length itself (a page may not).
    for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() !== "content-length") xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => (xhr.status >= 200 && xhr.status < 300 ? resolve() : reject(new Error(`S3 answered ${xhr.status}`)));
    xhr.onerror = () => reject(new Error("The upload did not reach storage."));
    xhr.send(file);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function Photos({ product, reload }: { product: Admined; reload: () => Promise<Admined | undefined> }) {
  const [progress, setProgress] = useState<number | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const choose = async (file: File | undefined) => {
    if (!file) return;
    setError(null);
    setNote(null);
    const type = file.type as "image/jpeg" | "image/png" | "image/webp";
    if (!["image/jpeg", "image/png", "image/webp"].includes(type)) return setError("Choose a JPEG, PNG or WebP photo.");
    const { data, error } = await api.POST("/admin/products/{id}/images", {
      params: { path: { id: product.product_id } },
      body: { content_type: type, content_length: file.size },
    });
    if (!data) return setError(errorMessage(error));
    try {
      setProgress(0);
      await upload(data.upload.url, data.upload.headers, file, setProgress);
    } catch (e) {
      setProgress(null);
      return setError(e instanceof Error ? e.message : "The upload failed.");
    }
    setProgress(null);
    setNote("Uploaded: making the sizes the shop shows…");
    // The resizer runs on the upload's event; the variants show up on the product seconds later.
    for (let i = 0; i < 60; i++) {
      await sleep(1000);
      const p = await reload();
      if (p?.images.some((im) => im.image_id === data.image_id)) return setNote("Photo ready.");
      const rejected = await api.GET("/admin/images", { params: { query: { status: "rejected", limit: 20 } } });
      const why = rejected.data?.items.find((im) => im.image_id === data.image_id);
      if (why) {
        setNote(null);
        return setError(`The photo was refused: ${why.reason ?? "not an image the shop can use"}.`);
      }
    }
    setNote("Still resizing: reload the page in a minute.");
  };
  return (
    <section aria-label="Photos">
      <h2>Photos</h2>
      <label>
        Add a photo (JPEG, PNG or WebP, up to 15 MB)
        <input type="file" accept="image/jpeg,image/png,image/webp" onChange={(e) => choose(e.target.files?.[0])} />
      </label>
      {progress !== null && (
        <p>
          <label>
            Uploading <progress max={1} value={progress} /> {Math.round(progress * 100)}%
          </label>
        </p>
      )}
      {note && <p role="status">{note}</p>}
      {error && <p role="alert">{error}</p>}
      {product.images.length === 0 && <p>No photos yet.</p>}
      <ul className="photos">
        {product.images.map((im) => (
          <li key={im.image_id}>
            <ul aria-label="Sizes" className="variants">
              {im.variants.map((v) => (
                <li key={v.url}>
                  <img src={v.url} width={Math.min(v.width, 160)} alt={`${product.name}, ${v.width}×${v.height} ${v.format}`} />
                  <span>
                    {v.width}×{v.height} {v.format}
                  </span>
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Stock({ product, reload }: { product: Admined; reload: () => Promise<Admined | undefined> }) {
  const [counts, setCounts] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  useEffect(() => {
    setCounts(Object.fromEntries(product.warehouses.map((w) => [w.warehouse_id, String(w.quantity)])));
  }, [product]);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const warehouses = [];
    for (const w of product.warehouses) {
      const n = Number(counts[w.warehouse_id]);
      if (!Number.isInteger(n) || n < 0) return setError(`${w.name}: a whole number of units, 0 or more.`);
      if (n !== w.quantity) warehouses.push({ warehouse_id: w.warehouse_id, quantity: n });
    }
    if (warehouses.length === 0) return setStatus("Nothing changed.");
    const { data, error } = await api.PUT("/admin/products/{id}/stock", {
      params: { path: { id: product.product_id } },
      body: { warehouses },
    });
    if (!data) return setError(errorMessage(error));
    setStatus(`Stock saved: ${data.stock_available} available to sell.`);
    await reload();
  };
  return (
    <form className="form" onSubmit={submit} aria-label="Stock">
      <h2>Stock</h2>
      {status && <p role="status">{status}</p>}
      {error && <p role="alert">{error}</p>}
      {product.warehouses.map((w) => (
        <label key={w.warehouse_id}>
          {w.name} ({w.country}): units on hand
          <input
            inputMode="numeric"
            pattern="[0-9]{1,7}"
            value={counts[w.warehouse_id] ?? ""}
            onChange={(e) => setCounts({ ...counts, [w.warehouse_id]: e.target.value })}
          />
        </label>
      ))}
      <button type="submit">Save stock</button>
    </form>
  );
}
