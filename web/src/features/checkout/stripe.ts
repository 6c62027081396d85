// Stripe.js, loaded only on the checkout page (it is not in the first-load bundle). Built with
// VITE_STRIPE_JS (https://js.stripe.com/v3/ when deployed; locally the Stripe stand-in's own copy,
// which talks to it) and VITE_STRIPE_PUBLISHABLE_KEY, both fixed at build time.

export const STRIPE_JS: string = import.meta.env.VITE_STRIPE_JS ?? "http://127.0.0.1:8420/js.stripe.com/v3/";
export const STRIPE_KEY: string = import.meta.env.VITE_STRIPE_PUBLISHABLE_KEY ?? "pk_test_ferrocart_local";

/** The part of Stripe.js the checkout uses: the card element and confirmCardPayment. */
export type CardElement = { mount(el: HTMLElement): void; destroy(): void };
export type Stripe = {
  elements(): { create(type: "card", options?: object): CardElement };
  confirmCardPayment(
    clientSecret: string,
    data: { payment_method: { card: CardElement; billing_details?: { name?: string; email?: string } } },
  ): Promise<{ error?: { message?: string; code?: string } | null; paymentIntent?: { status: string } }>;
};

let loading: Promise<Stripe> | null = null;

export function loadStripe(): Promise<Stripe> {
  loading ??= new Promise<Stripe>((resolve, reject) => {
    const script = document.createElement("script");
    script.src = STRIPE_JS;
    script.onload = () => {
      const make = (window as unknown as { Stripe?: (key: string) => Stripe }).Stripe;
      if (make) resolve(make(STRIPE_KEY));
      else reject(new Error("Stripe.js did not load"));
    };
    script.onerror = () => {
      loading = null;
      reject(new Error("Stripe.js did not load"));
    };
    document.head.appendChild(script);
  });
  return loading;
}
