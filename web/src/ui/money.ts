/** Minor units to a price as the shop shows it, e.g. 1999 GBP -> "£19.99". */
export function money(minor: number, currency: string): string {
  const digits = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions()
    .maximumFractionDigits ?? 2;
  return new Intl.NumberFormat("en-GB", { style: "currency", currency }).format(minor / 10 ** digits);
}
