// Journeys as a shopper makes them, in a real browser against the local stack.
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";

async function noSeriousA11yViolations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
}

test("browse, search with a typo, open the product, add it to the cart as a guest; the cart survives a reload", async ({ page }) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Shop by category" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Garden" })).toBeVisible();
  await noSeriousA11yViolations(page);

  await page.getByRole("link", { name: "Garden" }).click();
  await expect(page).toHaveURL(/\/c\/garden$/);
  await expect(page.getByText(/\d+ products?/)).toBeVisible();
  await noSeriousA11yViolations(page);

  const search = page.getByRole("combobox", { name: "Search products" });
  await search.fill("wheelbarow");
  await search.press("Enter");
  await expect(page).toHaveURL(/\/search\?q=wheelbarow$/);
  const result = page.getByRole("link", { name: /Wheelbarrow/ }).first();
  await expect(result).toBeVisible();
  await noSeriousA11yViolations(page);

  await result.click();
  await expect(page.getByRole("heading", { level: 1, name: /Wheelbarrow/ })).toBeVisible();
  const name = (await page.getByRole("heading", { level: 1 }).textContent()) ?? "";
  await noSeriousA11yViolations(page);
  await page.getByRole("button", { name: "Add to cart" }).click();
  await expect(page.getByRole("status")).toHaveText(/Added to your cart/);

  await page.getByRole("navigation", { name: "Account" }).getByRole("link", { name: "Cart" }).click();
  await expect(page.getByRole("heading", { name: "Your cart" })).toBeVisible();
  await expect(page.getByRole("link", { name })).toBeVisible();
  await noSeriousA11yViolations(page);
  await page.reload();
  await expect(page.getByRole("link", { name })).toBeVisible();
});

test("typing shows suggestions, and a suggestion opens its page", async ({ page }) => {
  await page.goto("/");
  await page.getByRole("combobox", { name: "Search products" }).fill("kett");
  const options = page.getByRole("option");
  await expect(options.first()).toBeVisible();
  await options.filter({ hasText: /kettle/i }).first().click();
  await expect(page.getByRole("heading", { level: 1, name: /kettle/i })).toBeVisible();
});

test("an unknown product says so", async ({ page }) => {
  await page.goto("/p/01900000-0000-7000-8000-00000000ffff");
  await expect(page.getByRole("heading", { name: "Not found" })).toBeVisible();
});

test("a guest's cart is still there after registering", async ({ page }) => {
  await page.goto("/search?q=kettle");
  const first = page.getByRole("list").getByRole("link").filter({ hasText: /kettle/i }).first();
  await first.click();
  const name = (await page.getByRole("heading", { level: 1 }).textContent()) ?? "";
  await page.getByRole("button", { name: "Add to cart" }).click();
  await expect(page.getByRole("status")).toHaveText(/Added to your cart/);

  const account = page.getByRole("navigation", { name: "Account" });
  await account.getByRole("link", { name: "Sign in" }).click();
  await page.getByRole("link", { name: "Create an account" }).click();
  await expect(page.getByRole("heading", { name: "Create an account" })).toBeVisible();
  await noSeriousA11yViolations(page);
  const email = `browser-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  await page.getByLabel("Name (optional)").fill("Ada Browser");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(account.getByText(email)).toBeVisible();

  await account.getByRole("link", { name: "Cart" }).click();
  await expect(page.getByRole("link", { name })).toBeVisible();
  // signed out, the account's cart is not shown to the browser any more
  await account.getByRole("button", { name: "Sign out" }).click();
  await expect(account.getByRole("link", { name: "Sign in" })).toBeVisible();
});

const API = process.env.API_URL ?? "http://127.0.0.1:3000";
const STRIPE = "http://127.0.0.1:8420";
const STRIPE_AUTH = { Authorization: `Basic ${Buffer.from("sk_test_ferrocart_local:").toString("base64")}` };

test("a customer's paid order shows in their orders, shipped, with its tracking and history", async ({ page, request }) => {
  // Set up through the API: an account, a paid order for the first demo product.
  const email = `orders-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  const password = "correct horse battery";
  expect((await request.post(`${API}/auth/register`, { data: { email, password } })).status()).toBe(202);
  const tokens = await (await request.post(`${API}/auth/login`, { data: { email, password } })).json();
  const auth = { Authorization: `Bearer ${tokens.access_token}` };
  const add = await request.post(`${API}/cart/items`, {
    headers: auth,
    data: { product_id: "01900000-0000-7000-8000-000000000002", quantity: 1 },
  });
  expect(add.status()).toBe(200);
  const placed = await request.post(`${API}/checkout`, {
    headers: { ...auth, "Idempotency-Key": crypto.randomUUID() },
    data: { shipping_address: { name: "Ada", line1: "Damrak 1", city: "Amsterdam", postal_code: "1012 LG", country: "NL" } },
  });
  expect(placed.status()).toBe(201);
  const order = await placed.json();
  const pm = await (
    await request.post(`${STRIPE}/v1/payment_methods`, {
      headers: STRIPE_AUTH,
      form: { type: "card", "card[number]": "4242424242424242", "card[exp_month]": "12", "card[exp_year]": "2034", "card[cvc]": "123" },
    })
  ).json();
  const pi = order.payment.payment_intent_id;
  await request.post(`${STRIPE}/v1/payment_intents/${pi}`, { headers: STRIPE_AUTH, form: { payment_method: pm.id } });
  expect((await request.post(`${STRIPE}/v1/payment_intents/${pi}/confirm`, { headers: STRIPE_AUTH })).status()).toBe(200);

  // The customer signs in and finds it.
  await page.goto("/account/login?next=/account/orders");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Your orders" })).toBeVisible();
  await noSeriousA11yViolations(page);
  await page.getByRole("link", { name: /Order of/ }).click();
  await expect(page.getByText("Shipped", { exact: true })).toBeVisible();
  await expect(page.getByRole("region", { name: "Shipments" })).toContainText("FC-");
  await expect(page.getByRole("region", { name: "History" })).toContainText("Awaiting payment");
  await noSeriousA11yViolations(page);
});
