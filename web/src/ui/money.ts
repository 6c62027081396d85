/** Minor units to a price as the shop shows it, e.g. 1999 GBP -> "£19.99". */
export function money(minor: number, currency: string): string {
  const digits = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions()
    .maximumFractionDigits ?? 2;
  return new Intl.NumberFormat("en-GB", { style: "currency", currency }).format(minor / 10 ** digits);
}

/** How many minor units a currency's major unit has, as a power of ten (JPY 0, GBP 2). */
export function digits(currency: string): number {
  return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** "12.5" GBP -> 1250; null for anything that is not an amount in that currency. */
export function toMinor(text: string, currency: string): number | null {
  const d = digits(currency);
  const m = text.trim().match(d > 0 ? new RegExp(`^(\\d+)(?:\\.(\\d{1,${d}}))?$`) : /^(\d+)$/);
  if (!m) return null;
  const whole = Number(m[1]);
  const frac = Number((m[2] ?? "").padEnd(d, "0") || "0");
  return whole * 10 ** d + frac;
}

/** 1250 GBP -> "12.50": an amount as an admin types it. */
export function fromMinor(minor: number, currency: string): string {
  const d = digits(currency);
  return d === 0 ? String(minor) : (minor / 10 ** d).toFixed(d);
}

/** [min, max] business days as a shopper reads them: "1 day", "2-4 days". */
export function deliveryDays(days: number[] | null | undefined): string {
  if (!days || days.length !== 2) return "";
  const [min, max] = days;
  return min === max ? ` (${min} ${min === 1 ? "day" : "days"})` : ` (${min}-${max} days)`;
}
