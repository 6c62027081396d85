// Discount codes and shipping for the admin. A code is never deleted, only switched off; the
// shipping zones are replaced whole at the version read, so two admins never overwrite each other.
import { useEffect, useState, type FormEvent } from "react";
import { api, errorMessage } from "../../api/client";
import type { components, paths } from "../../api/schema";
import { fromMinor, money, toMinor } from "../../ui/money";
import { AdminPage } from "./Admin";

type Discount = components["schemas"]["AdminDiscount"];
type Currency = components["schemas"]["Currency"];
type Zones = paths["/admin/shipping"]["put"]["requestBody"]["content"]["application/json"]["zones"];

const saving = (d: Discount) =>
  d.saving.type === "percent" ? `${d.saving.percent}% off` : `${money(d.saving.amount, d.currency ?? "GBP")} off`;

export function AdminDiscounts() {
  const [codes, setCodes] = useState<Discount[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [code, setCode] = useState("");
  const [kind, setKind] = useState<"percent" | "fixed">("percent");
  const [value, setValue] = useState("");
  const [currency, setCurrency] = useState<Currency>("GBP");
  const [maxUses, setMaxUses] = useState("");
  const [perCustomer, setPerCustomer] = useState("");
  const load = () =>
    api.GET("/admin/discounts").then(({ data, error }) => (data ? setCodes(data.items) : setError(errorMessage(error))));
  useEffect(() => {
    load();
  }, []);
  const whole = (s: string) => (s.trim() ? Number(s) : undefined);
  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const amount = kind === "fixed" ? toMinor(value, currency) : Number(value);
    if (!amount || !Number.isInteger(amount) || amount < 1 || (kind === "percent" && amount > 100))
      return setError(kind === "percent" ? "A percentage from 1 to 100." : `An amount in ${currency}.`);
    const { error } = await api.PUT("/admin/discounts/{code}", {
      params: { path: { code: code.trim().toUpperCase() } },
      body: {
        saving: kind === "percent" ? { type: "percent", percent: amount } : { type: "fixed", amount },
        ...(kind === "fixed" ? { currency } : {}),
        ...(whole(maxUses) ? { max_uses: whole(maxUses) } : {}),
        ...(whole(perCustomer) ? { max_uses_per_customer: whole(perCustomer) } : {}),
      },
    });
    if (error) return setError(errorMessage(error));
    setStatus(`Code ${code.trim().toUpperCase()} created.`);
    setCode("");
    setValue("");
    load();
  };
  const toggle = async (d: Discount) => {
    setError(null);
    const { saving, currency, min_subtotal, starts_at, ends_at, max_uses, max_uses_per_customer } = d;
    const { error } = await api.PUT("/admin/discounts/{code}", {
      params: { path: { code: d.code } },
      body: {
        saving,
        ...(currency ? { currency: currency as Currency } : {}),
        ...(min_subtotal ? { min_subtotal } : {}),
        ...(starts_at ? { starts_at } : {}),
        ...(ends_at ? { ends_at } : {}),
        ...(max_uses ? { max_uses } : {}),
        ...(max_uses_per_customer ? { max_uses_per_customer } : {}),
        ...(d.product_ids.length ? { product_ids: d.product_ids } : {}),
        ...(d.categories.length ? { categories: d.categories } : {}),
        active: !d.active,
        version: d.version,
      },
    });
    if (error) return setError(errorMessage(error));
    setStatus(`Code ${d.code} ${d.active ? "switched off" : "switched on"}.`);
    load();
  };
  return (
    <AdminPage title="Discount codes">
      {status && <p role="status">{status}</p>}
      {error && <p role="alert">{error}</p>}
      <table className="cart">
        <thead>
          <tr>
            <th scope="col">Code</th>
            <th scope="col">Saving</th>
            <th scope="col">Uses</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {codes?.map((d) => (
            <tr key={d.code}>
              <td>{d.code}</td>
              <td>{saving(d)}</td>
              <td>
                {d.uses}
                {d.max_uses ? ` of ${d.max_uses}` : ""}
                {d.max_uses_per_customer ? `, ${d.max_uses_per_customer} per customer` : ""}
              </td>
              <td>
                {d.active ? "On" : "Off"}{" "}
                <button type="button" onClick={() => toggle(d)}>
                  {d.active ? "Switch off" : "Switch on"}
                  <span className="visually-hidden"> {d.code}</span>
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="form" onSubmit={create} aria-label="New discount code">
        <h2>New code</h2>
        <label>
          Code (3-32 letters, digits, - or _)
          <input required pattern="[A-Za-z0-9_-]{3,32}" value={code} onChange={(e) => setCode(e.target.value)} />
        </label>
        <label>
          Saving
          <select value={kind} onChange={(e) => setKind(e.target.value as "percent" | "fixed")}>
            <option value="percent">A percentage off</option>
            <option value="fixed">An amount off</option>
          </select>
        </label>
        {kind === "fixed" && (
          <label>
            Currency
            <select value={currency} onChange={(e) => setCurrency(e.target.value as Currency)}>
              {["GBP", "EUR", "USD"].map((c) => (
                <option key={c}>{c}</option>
              ))}
            </select>
          </label>
        )}
        <label>
          {kind === "percent" ? "Percent off" : `Amount off (${currency}, e.g. ${fromMinor(500, currency)})`}
          <input required inputMode="decimal" value={value} onChange={(e) => setValue(e.target.value)} />
        </label>
        <label>
          Uses in all (optional)
          <input inputMode="numeric" pattern="[0-9]*" value={maxUses} onChange={(e) => setMaxUses(e.target.value)} />
        </label>
        <label>
          Uses per customer (optional)
          <input inputMode="numeric" pattern="[0-9]*" value={perCustomer} onChange={(e) => setPerCustomer(e.target.value)} />
        </label>
        <button type="submit">Create code</button>
      </form>
    </AdminPage>
  );
}

export function AdminShipping() {
  const [zones, setZones] = useState<Zones | null>(null);
  const [version, setVersion] = useState(0);
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const load = async () => {
    const { data, error } = await api.GET("/admin/selling");
    if (!data) return setError(errorMessage(error));
    setZones(data.shipping.zones);
    setVersion(data.shipping.version);
    setText(JSON.stringify(data.shipping.zones, null, 2));
  };
  useEffect(() => {
    load();
  }, []);
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    let parsed: Zones;
    try {
      parsed = JSON.parse(text) as Zones;
    } catch {
      return setError("The zones are not valid JSON.");
    }
    const { error } = await api.PUT("/admin/shipping", { body: { zones: parsed, version } });
    if (error) return setError(errorMessage(error));
    setStatus("Shipping saved.");
    load();
  };
  return (
    <AdminPage title="Shipping">
      {status && <p role="status">{status}</p>}
      {error && <p role="alert">{error}</p>}
      {zones?.map((z) => (
        <section key={z.zone_id} aria-label={z.name}>
          <h2>
            {z.name} ({z.countries.length} {z.countries.length === 1 ? "country" : "countries"})
          </h2>
          <ul>
            {z.options.map((o) => (
              <li key={o.option_id}>
                {o.name}
                {o.delivery_days ? `, ${o.delivery_days[0]}-${o.delivery_days[1]} days` : ""}: rates in{" "}
                {Object.keys(o.rates).join(", ")}
              </li>
            ))}
          </ul>
        </section>
      ))}
      <form className="form wide" onSubmit={save} aria-label="Edit the shipping zones">
        <h2>Edit</h2>
        <label>
          Zones, options and rates (JSON, as GET /admin/selling answers them; saved at version {version})
          <textarea rows={18} spellCheck={false} value={text} onChange={(e) => setText(e.target.value)} />
        </label>
        <button type="submit">Save shipping</button>
      </form>
    </AdminPage>
  );
}
