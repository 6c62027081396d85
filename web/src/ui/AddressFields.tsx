// The fields of a postal address, for checkout and the address book. The API checks the whole
// address (a region for US, CA and AU, the postal code's shape) and names the field it refuses.
import type { components } from "../api/schema";

export type AddressInput = components["schemas"]["AddressInput"];

// The countries the form offers, by name (the shop's shipping zones decide which it ships to).
const COUNTRIES = [
  "GB", "IE", "FR", "DE", "NL", "BE", "LU", "AT", "DK", "SE", "FI", "ES", "PT", "IT", "GR", "PL",
  "CZ", "SK", "SI", "HR", "HU", "RO", "BG", "EE", "LV", "LT", "CY", "MT", "CH", "NO", "US", "CA",
  "AU", "NZ", "JP",
];
const names = new Intl.DisplayNames(["en"], { type: "region" });
export const countries = COUNTRIES.map((code) => ({ code, name: names.of(code) ?? code })).sort((a, b) =>
  a.name.localeCompare(b.name),
);

/** A country picker over the countries the forms offer. */
export function CountrySelect({ value, onChange, autoComplete }: { value: string; onChange: (code: string) => void; autoComplete?: string }) {
  return (
    <select autoComplete={autoComplete} value={value} onChange={(e) => onChange(e.target.value)}>
      {countries.map((c) => (
        <option key={c.code} value={c.code}>
          {c.name}
        </option>
      ))}
    </select>
  );
}

export const emptyAddress: AddressInput = { name: "", line1: "", city: "", postal_code: "", country: "GB" };

/** Only the fields filled in: the API refuses empty strings. */
export function cleanAddress(a: AddressInput): AddressInput {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(a)) if (typeof v === "string" && v.trim()) out[k] = v.trim();
  return out as AddressInput;
}

export function AddressFields({ value, onChange }: { value: AddressInput; onChange: (a: AddressInput) => void }) {
  const field = (key: keyof AddressInput, label: string, autoComplete: string, required = false) => (
    <label>
      {label}
      <input
        required={required}
        autoComplete={autoComplete}
        value={value[key] ?? ""}
        onChange={(e) => onChange({ ...value, [key]: e.target.value })}
      />
    </label>
  );
  return (
    <>
      {field("name", "Full name", "name", true)}
      {field("line1", "Address line 1", "address-line1", true)}
      {field("line2", "Address line 2 (optional)", "address-line2")}
      {field("city", "Town or city", "address-level2", true)}
      {field("region", "State or province (US, Canada, Australia)", "address-level1")}
      {field("postal_code", "Postcode", "postal-code")}
      <label>
        Country
        <CountrySelect autoComplete="country" value={value.country} onChange={(country) => onChange({ ...value, country })} />
      </label>
      {field("phone", "Phone (optional, e.g. +44 20 7946 0958)", "tel")}
    </>
  );
}
