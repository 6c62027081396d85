// Journeys as a shopper makes them, in a real browser against the local stack.
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";

async function noSeriousA11yViolations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
}

const PASSWORD = "correct horse battery";
const uniqueEmail = (who: string) => `${who}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;

/** Types a card into the card element (Stripe's; locally the Stripe stand-in's). */
async function fillCard(page: Page, number: string) {
  await page.getByLabel("Card number").fill(number);
  await page.getByLabel("Expiry month (MM)").fill("12");
  await page.getByLabel("Expiry year (YY)").fill("34");
  await page.getByLabel("CVC").fill("123");
  await page.getByLabel("Card postcode").fill("SW1A 1AA");
}

/** Fills the address form (checkout's new address, or the address book's). */
async function fillAddress(page: Page, scope: Page | ReturnType<Page["locator"]> = page) {
  await scope.getByLabel("Full name").fill("Ada Lovelace");
  await scope.getByLabel("Address line 1").fill("10 Downing Street");
  await scope.getByLabel("Town or city").fill("London");
  await scope.getByLabel("Postcode", { exact: true }).fill("SW1A 2AA");
  await scope.getByLabel("Country").selectOption("GB");
}

test("browse, search with a typo, add to the cart as a guest, register (the cart stays), save an address, check out with it and a discount code, pay: the order ships with tracking", async ({ page }) => {
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

  const account = page.getByRole("navigation", { name: "Account" });
  await account.getByRole("link", { name: "Cart" }).click();
  await expect(page.getByRole("heading", { name: "Your cart" })).toBeVisible();
  await expect(page.getByRole("link", { name })).toBeVisible();
  await expect(page.getByRole("region", { name: "Shipping estimate" })).toContainText("Standard");
  await noSeriousA11yViolations(page);
  await page.reload();
  await expect(page.getByRole("link", { name })).toBeVisible();

  // Register: the guest cart becomes the account's.
  await account.getByRole("link", { name: "Sign in" }).click();
  await page.getByRole("link", { name: "Create an account" }).click();
  await expect(page.getByRole("heading", { name: "Create an account" })).toBeVisible();
  await noSeriousA11yViolations(page);
  const email = uniqueEmail("browser");
  await page.getByLabel("Name (optional)").fill("Ada Browser");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(account.getByText(email)).toBeVisible();
  await account.getByRole("link", { name: "Cart" }).click();
  await expect(page.getByRole("link", { name })).toBeVisible();

  // The address book.
  await account.getByRole("link", { name: /Account/ }).click();
  await expect(page.getByRole("heading", { name: "Your account" })).toBeVisible();
  await expect(page.getByText("(not verified yet)")).toBeVisible();
  await noSeriousA11yViolations(page);
  await page.getByRole("link", { name: "Your addresses" }).click();
  await expect(page.getByText("No saved addresses yet.")).toBeVisible();
  await fillAddress(page);
  await page.getByRole("button", { name: "Save address" }).click();
  await expect(page.getByRole("status")).toHaveText("Address saved.");
  await expect(page.getByText(/10 Downing Street, London, SW1A 2AA, United Kingdom/)).toBeVisible();
  await noSeriousA11yViolations(page);

  // The discount code, in the cart; then checkout with the saved address.
  await account.getByRole("link", { name: "Cart" }).click();
  await page.getByRole("textbox", { name: "Discount code" }).fill("welcome10");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByRole("region", { name: "Discount" })).toContainText("WELCOME10");
  await expect(page.getByRole("row", { name: /Discount/ })).toBeVisible();
  await page.getByRole("link", { name: "Check out" }).click();
  await expect(page.getByRole("heading", { name: "Checkout" })).toBeVisible();
  await expect(page.getByRole("radio", { name: /10 Downing Street/ })).toBeChecked();
  await expect(page.getByRole("table", { name: "Summary" })).toContainText("Discount");
  await expect(page.getByLabel("Card number")).toBeVisible();
  await noSeriousA11yViolations(page);
  await fillCard(page, "4242424242424242");
  await page.getByRole("button", { name: /^Pay / }).click();

  await expect(page.getByRole("heading", { name: "Thank you: your order is placed" })).toBeVisible();
  await expect(page.getByText(name)).toBeVisible();
  await expect(page.getByRole("row", { name: /Discount/ })).toBeVisible();
  await expect(page.getByText("Shipped", { exact: true })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole("region", { name: "Shipments" })).toContainText("FC-");
  await noSeriousA11yViolations(page);

  // The cart is empty now; signed out, the account's cart is not shown to the browser any more.
  await account.getByRole("link", { name: "Cart" }).click();
  await expect(page.getByText("Your cart is empty.")).toBeVisible();
  await account.getByRole("button", { name: "Sign out" }).click();
  await expect(account.getByRole("link", { name: "Sign in" })).toBeVisible();
});

test("a declined card says so; the order stays reserved and shown, and another card pays it (a guest)", async ({ page }) => {
  await page.goto("/search?q=kettle");
  await page.getByRole("list").getByRole("link").filter({ hasText: /kettle/i }).first().click();
  const name = (await page.getByRole("heading", { level: 1 }).textContent()) ?? "";
  await page.getByRole("button", { name: "Add to cart" }).click();
  await expect(page.getByRole("status")).toHaveText(/Added to your cart/);
  await page.goto("/cart");
  await page.getByRole("link", { name: "Check out" }).click();
  await expect(page.getByRole("heading", { name: "Checkout" })).toBeVisible();
  await page.getByLabel(/^Email/).fill(uniqueEmail("guest"));
  await fillAddress(page);
  await expect(page.getByRole("radio", { name: /Standard/ })).toBeChecked();
  await noSeriousA11yViolations(page);
  await fillCard(page, "4000000000000341");
  await page.getByRole("button", { name: /^Pay / }).click();

  await expect(page.getByRole("alert")).toContainText("Your card was declined.");
  await expect(page.getByRole("alert")).toContainText("Nothing was charged. Your order is kept for you");
  const held = page.getByRole("region", { name: "Your order" });
  await expect(held).toContainText(`1 × ${name}`);
  await noSeriousA11yViolations(page);

  // The order cannot be read for a moment (the shop busy): it is not forgotten for that.
  await page.route(/\/orders\/[0-9a-f-]{36}$/, (r) => r.fulfill({ status: 503, contentType: "application/json", body: '{"error":{"code":"try_again","message":"busy"}}' }));
  await page.reload();
  await expect(page.getByRole("alert")).toContainText("could not be read just now");
  await page.unroute(/\/orders\/[0-9a-f-]{36}$/);

  // Away and back: the cart says the order waits, and checkout still holds it.
  await page.goto("/cart");
  await expect(page.getByRole("note").filter({ hasText: "waiting for its payment" })).toBeVisible();
  await page.getByRole("link", { name: "Pay for it" }).click();
  await expect(held).toContainText(`1 × ${name}`);
  await fillCard(page, "4242424242424242");
  await page.getByRole("button", { name: /^Pay / }).click();
  await expect(page.getByRole("heading", { name: "Thank you: your order is placed" })).toBeVisible();
  await expect(page).toHaveURL(/\/orders\/[0-9a-f-]+\?token=[A-Za-z0-9_-]{43}&placed=1$/);
  await expect(page.getByText(/^(Paid|Being packed|Shipped)$/)).toBeVisible({ timeout: 30_000 });
  await page.goto("/cart");
  await expect(page.getByRole("note").filter({ hasText: "waiting for its payment" })).toHaveCount(0);
});

/** Presses Tab until the focused element's accessible name matches (and no further). */
async function tabTo(page: Page, name: RegExp) {
  for (let i = 0; i < 80; i++) {
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return "";
      const labelled = (el as HTMLInputElement).labels?.[0]?.textContent;
      return el.getAttribute("aria-label") ?? labelled ?? el.textContent ?? "";
    });
    if (name.test(focused.trim())) return;
    await page.keyboard.press("Tab");
  }
  throw new Error(`nothing named ${name} took the focus`);
}

test("the whole checkout with the keyboard only", async ({ page }) => {
  await page.goto("/search?q=kettle");
  await tabTo(page, /kettle/i);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { level: 1, name: /kettle/i })).toBeVisible();
  await tabTo(page, /^Add to cart$/);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("status")).toHaveText(/Added to your cart/);
  await tabTo(page, /^Cart$/);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Your cart" })).toBeVisible();
  await tabTo(page, /^Check out$/);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Checkout" })).toBeVisible();

  const type = async (label: RegExp, text: string) => {
    await tabTo(page, label);
    await page.keyboard.type(text);
  };
  await type(/^Email/, uniqueEmail("keyboard"));
  await type(/^Full name/, "Grace Hopper");
  await type(/^Address line 1/, "1 Keyboard Lane");
  await type(/^Town or city/, "Leeds");
  await type(/^Postcode/, "LS1 4AP");
  await type(/^Card number/, "4242424242424242");
  await type(/^Expiry month/, "12");
  await type(/^Expiry year/, "34");
  await type(/^CVC/, "123");
  await type(/^Card postcode/, "LS1 4AP");
  await tabTo(page, /^Pay /);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Thank you: your order is placed" })).toBeVisible();
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

const API = process.env.API_URL ?? "http://127.0.0.1:3000";
const STRIPE = "http://127.0.0.1:8420";
const STRIPE_AUTH = { Authorization: `Basic ${Buffer.from("sk_test_ferrocart_local:").toString("base64")}` };

/** Stripe's signed `charge.refunded` for an order's charge, `refunded` minor units so far. */
async function chargeRefunded(request: APIRequestContext, order: { total: number; currency: string; payment: { payment_intent_id: string } }, refunded: number) {
  const { createHmac, randomUUID } = await import("node:crypto");
  const pi = order.payment.payment_intent_id;
  const now = Math.floor(Date.now() / 1000);
  const body = JSON.stringify({
    id: `evt_${randomUUID().replace(/-/g, "")}`,
    object: "event",
    type: "charge.refunded",
    created: now,
    livemode: false,
    data: {
      object: {
        id: `ch_${pi.slice(3)}`,
        object: "charge",
        payment_intent: pi,
        amount: order.total,
        amount_refunded: refunded,
        currency: order.currency.toLowerCase(),
        refunded: refunded === order.total,
      },
    },
  });
  const v1 = createHmac("sha256", "whsec_ferrocart_local_development_only").update(`${now}.${body}`).digest("hex");
  const r = await request.post(`${API}/payments/webhook`, {
    headers: { "content-type": "application/json", "stripe-signature": `t=${now},v1=${v1}` },
    data: body,
  });
  expect(r.status()).toBe(200);
}

/** Through the API: an account with an order of one demo product, paid with the test card unless
 * `pay` is false. */
async function orderFor(request: APIRequestContext, who: string, pay = true) {
  const email = uniqueEmail(who);
  const password = PASSWORD;
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
  if (pay) {
    const pm = await (
      await request.post(`${STRIPE}/v1/payment_methods`, {
        headers: STRIPE_AUTH,
        form: { type: "card", "card[number]": "4242424242424242", "card[exp_month]": "12", "card[exp_year]": "2034", "card[cvc]": "123" },
      })
    ).json();
    const pi = order.payment.payment_intent_id;
    await request.post(`${STRIPE}/v1/payment_intents/${pi}`, { headers: STRIPE_AUTH, form: { payment_method: pm.id } });
    expect((await request.post(`${STRIPE}/v1/payment_intents/${pi}/confirm`, { headers: STRIPE_AUTH })).status()).toBe(200);
  }
  return { email, password, order };
}

test("a customer's paid order shows in their orders, shipped, with its tracking and history", async ({ page, request }) => {
  const { email, password } = await orderFor(request, "orders");

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

/** A real JPEG photo, drawn in the browser's canvas (no image file in the repository). */
async function photo(page: Page, width: number, height: number): Promise<Buffer> {
  const data = await page.evaluate(
    ({ w, h }) => {
      const canvas = document.createElement("canvas");
      canvas.width = w;
      canvas.height = h;
      const g = canvas.getContext("2d")!;
      const grad = g.createLinearGradient(0, 0, w, h);
      grad.addColorStop(0, "#0b4f9c");
      grad.addColorStop(1, "#f3c623");
      g.fillStyle = grad;
      g.fillRect(0, 0, w, h);
      g.fillStyle = "#fff";
      g.font = `${Math.floor(h / 6)}px sans-serif`;
      g.fillText("Ferrocart", w / 10, h / 2);
      return canvas.toDataURL("image/jpeg", 0.9).split(",")[1]!;
    },
    { w: width, h: height },
  );
  return Buffer.from(data, "base64");
}

test("an admin creates a product, uploads a photo, sets stock and puts it on sale; a shopper finds it by search", async ({ page, browser }) => {
  await page.goto("/account/login?next=/admin");
  await page.getByLabel("Email").fill("admin@ferrocart.local");
  await page.getByLabel("Password").fill("ferrocart-admin-demo");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Admin", exact: true })).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Account" }).getByRole("link", { name: "Admin", exact: true })).toBeVisible();
  await noSeriousA11yViolations(page);

  await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Products" }).click();
  await expect(page.getByRole("heading", { name: "Products" })).toBeVisible();
  await noSeriousA11yViolations(page);
  await page.getByRole("link", { name: "New product" }).click();
  const word = `zq${Date.now().toString(36)}`;
  const name = `Storm Lantern ${word}`;
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Description").fill("A hurricane lantern for the garden, made in the browser test.");
  await page.getByLabel("Category").selectOption("garden");
  await page.getByLabel(/^Brand/).fill("northwind");
  await page.getByLabel(/^Price/).fill("24.99");
  await noSeriousA11yViolations(page);
  await page.getByRole("button", { name: "Create product" }).click();

  await expect(page.getByRole("heading", { name })).toBeVisible();
  await expect(page).toHaveURL(/\/admin\/products\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("region", { name: "Status" })).toContainText("Draft");
  const photos = page.getByRole("region", { name: "Photos" });
  await photos.getByLabel(/^Add a photo/).setInputFiles({ name: "lantern.jpg", mimeType: "image/jpeg", buffer: await photo(page, 1600, 1200) });
  await expect(photos.getByRole("status")).toHaveText("Photo ready.", { timeout: 60_000 });
  await expect(photos.getByRole("img", { name: /1200×900 webp/ })).toBeVisible();
  await expect(photos.getByRole("img", { name: /160×120 jpeg/ })).toBeVisible();

  const stock = page.getByRole("form", { name: "Stock" });
  await stock.getByLabel(/^London/).fill("12");
  await stock.getByRole("button", { name: "Save stock" }).click();
  await expect(stock.getByRole("status")).toHaveText("Stock saved: 12 available to sell.");
  await page.getByRole("button", { name: "Put on sale" }).click();
  await expect(page.getByRole("region", { name: "Status" })).toContainText("On sale");
  await noSeriousA11yViolations(page);

  // A shopper (another browser, signed out) finds it by search once the index has it.
  const shopper = await (await browser.newContext()).newPage();
  await expect(async () => {
    await shopper.goto(`/search?q=${word}`);
    await expect(shopper.getByRole("link", { name: new RegExp(name) }).first()).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
  await shopper.getByRole("link", { name: new RegExp(name) }).first().click();
  await expect(shopper.getByRole("heading", { level: 1, name })).toBeVisible();
  await expect(shopper.getByText("£24.99").first()).toBeVisible();
  await expect(shopper.locator("picture img").first()).toBeVisible();
});

test("product and category pages carry their title, description, canonical link and JSON-LD for crawlers that run no JavaScript", async ({ request, page }) => {
  const id = "01900000-0000-7000-8000-000000000002";
  const product = await (await request.get(`${API}/products/${id}`)).json();
  const r = await request.get(`/p/${id}`);
  expect(r.status()).toBe(200);
  expect(r.headers()["content-type"]).toContain("text/html");
  const html = await r.text();
  const escaped = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  expect(html).toContain(`<title>${escaped(product.name)} · `);
  expect(html).toMatch(/<meta name="description" content="[^"]{20,}" \/>/);
  expect(html).toContain(`<link rel="canonical" href="http://127.0.0.1:3002/p/${id}" />`);
  expect(html.match(/<title>/g)).toHaveLength(1);
  expect(html).toMatch(/<script type="module"[^>]+src="\/assets\/index-[^"]+\.js"/);
  const ld = JSON.parse(html.match(/<script type="application\/ld\+json">(.*?)<\/script>/s)![1]!);
  expect(ld["@type"]).toBe("Product");
  expect(ld.name).toBe(product.name);
  expect(ld.offers.priceCurrency).toBe(product.currency);
  expect(Number(ld.offers.price) * 100).toBeCloseTo(product.price, 5);
  expect(ld.offers.availability).toMatch(/^https:\/\/schema\.org\/(InStock|LimitedAvailability|OutOfStock)$/);
  expect(ld.brand.name).toBeTruthy();
  // The same URL in a browser is the app's product page.
  await page.goto(`/p/${id}`);
  await expect(page.getByRole("heading", { level: 1, name: product.name })).toBeVisible();
  await expect(page.getByRole("button", { name: "Add to cart" })).toBeVisible();

  const c = await request.get("/c/garden");
  expect(c.status()).toBe(200);
  const chtml = await c.text();
  expect(chtml).toContain('<link rel="canonical" href="http://127.0.0.1:3002/c/garden" />');
  const cld = JSON.parse(chtml.match(/<script type="application\/ld\+json">(.*?)<\/script>/s)![1]!);
  expect(cld["@type"]).toBe("CollectionPage");
  expect(cld.mainEntity.itemListElement.length).toBeGreaterThan(0);
  expect(chtml).toMatch(/<a href="\/p\/[0-9a-f-]{36}">/);

  for (const missing of ["/p/01900000-0000-7000-8000-00000000ffff", "/p/nonsense", "/c/no-such-category"]) {
    const m = await request.get(missing);
    expect(m.status(), missing).toBe(404);
    const body = await m.text();
    expect(body).toContain('<meta name="robots" content="noindex" />');
    expect(body).not.toContain("ld+json");
  }
});

test("two tabs whose access token expired both stay signed in: the single-use refresh token is spent once", async ({ context, request }) => {
  const email = uniqueEmail("tabs");
  expect((await request.post(`${API}/auth/register`, { data: { email, password: PASSWORD } })).status()).toBe(202);
  const one = await context.newPage();
  await one.goto("/account/login?next=/account");
  await one.getByLabel("Email").fill(email);
  await one.getByLabel("Password").fill(PASSWORD);
  await one.getByRole("button", { name: "Sign in" }).click();
  await expect(one.getByRole("heading", { name: "Your account" })).toBeVisible();
  const two = await context.newPage();
  await two.goto("/account");
  await expect(two.getByText(email).first()).toBeVisible();

  // The access token "expires" in both tabs (they share localStorage); both reload at once.
  await one.evaluate(() => {
    const s = JSON.parse(localStorage.getItem("ferrocart.session")!);
    localStorage.setItem("ferrocart.session", JSON.stringify({ ...s, expiresAt: 0 }));
  });
  const refreshes: string[] = [];
  context.on("request", (r) => r.method() === "POST" && r.url().endsWith("/auth/refresh") && refreshes.push(r.url()));
  await Promise.all([one.reload(), two.reload()]);
  for (const tab of [one, two]) {
    await expect(tab.getByRole("heading", { name: "Your account" })).toBeVisible();
    await expect(tab.locator("dd").filter({ hasText: email })).toBeVisible();
  }
  expect(refreshes).toHaveLength(1);
  await one.reload();
  await expect(one.locator("dd").filter({ hasText: email })).toBeVisible();
});

test("an admin finds a customer's orders, refunds part of a paid one, sends its email again, and cancels an unpaid one", async ({ page, request }) => {
  const paid = await orderFor(request, "refund");
  const unpaid = await orderFor(request, "cancel", false);
  await page.goto("/account/login?next=/admin/orders");
  await page.getByLabel("Email").fill("admin@ferrocart.local");
  await page.getByLabel("Password").fill("ferrocart-admin-demo");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Orders" })).toBeVisible();
  const find = page.getByRole("form", { name: "Find orders" });
  await find.getByLabel("Customer email").fill(paid.email);
  await find.getByRole("button", { name: "Find" }).click();
  await expect(page.getByRole("row")).toHaveCount(2);
  await noSeriousA11yViolations(page);
  await page.getByRole("row").nth(1).getByRole("link").click();

  await expect(page.getByRole("heading", { name: /^Order / })).toBeVisible();
  await expect(page.locator("main p strong").first()).toHaveText(/^(Paid|Being packed|Shipped)$/);
  await noSeriousA11yViolations(page);
  const refund = page.getByRole("form", { name: "Refund" });
  await refund.getByLabel(/^Refund/).fill("1.00");
  await refund.getByRole("button", { name: "Refund" }).click();
  await expect(page.getByRole("status")).toContainText("Refund asked of Stripe");
  // Stripe's charge.refunded webhook records it (the stand-in sends none: the test does, signed as
  // Stripe signs); the page shows it once read again.
  await chargeRefunded(request, paid.order, 100);
  await expect(async () => {
    await page.reload();
    await expect(page.getByText(/€1\.00 refunded/)).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  const resend = page.getByRole("form", { name: "Send an email again" });
  await resend.getByLabel("Email").selectOption("order_confirmation");
  await resend.getByRole("button", { name: "Send again" }).click();
  await expect(page.getByRole("status")).toHaveText("Order confirmation email queued.");
  await expect(async () => {
    await page.reload();
    await expect(page.getByRole("region", { name: "Emails" })).toContainText("(sent again)", { timeout: 1_000 });
  }).toPass({ timeout: 20_000 });

  await page.goto(`/admin/orders/${unpaid.order.order_id}`);
  await expect(page.locator("main p strong").first()).toHaveText("Awaiting payment");
  page.once("dialog", (d) => d.accept());
  await page.getByRole("button", { name: "Cancel order" }).click();
  await expect(page.getByRole("status")).toHaveText("Order cancelled.");
  await expect(page.locator("main p strong").first()).toHaveText("Cancelled");
  await expect(page.getByRole("button", { name: "Cancel order" })).toHaveCount(0);

  // Discount codes: a new one, then switched off; and the shipping zones.
  await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Discount codes" }).click();
  await expect(page.getByRole("cell", { name: "WELCOME10", exact: true })).toBeVisible();
  await noSeriousA11yViolations(page);
  const code = `T${Date.now().toString(36).toUpperCase()}`;
  const form = page.getByRole("form", { name: "New discount code" });
  await form.getByLabel(/^Code/).fill(code);
  await form.getByLabel("Percent off").fill("15");
  await form.getByLabel(/^Uses in all/).fill("100");
  await form.getByRole("button", { name: "Create code" }).click();
  await expect(page.getByRole("status")).toHaveText(`Code ${code} created.`);
  const row = page.getByRole("row").filter({ hasText: code });
  await expect(row).toContainText("15% off");
  await expect(row).toContainText("0 of 100");
  await row.getByRole("button", { name: /Switch off/ }).click();
  await expect(page.getByRole("status")).toHaveText(`Code ${code} switched off.`);
  await expect(row).toContainText("Off");
  await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Shipping" }).click();
  await expect(page.getByRole("region", { name: "United Kingdom" })).toContainText("Standard");
  await noSeriousA11yViolations(page);
  await page.getByRole("button", { name: "Save shipping" }).click();
  await expect(page.getByRole("status")).toHaveText("Shipping saved.");
});

/** The newest email to `to` whose subject ends with `subject`, from the local SES (moto). */
async function emailTo(request: APIRequestContext, to: string, subject: string): Promise<string> {
  for (let i = 0; i < 40; i++) {
    const dump = await request.get("http://127.0.0.1:4566/moto-api/data.json");
    if (dump.ok()) {
      const messages = ((await dump.json()).ses?.Message ?? []) as { destinations: { ToAddresses: string[] }; subject: string; body: string }[];
      const hit = messages.filter((m) => m.destinations.ToAddresses.includes(to) && m.subject.endsWith(subject)).pop();
      if (hit) return hit.body;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`no "${subject}" email to ${to}`);
}

test("the account emails' links: verify the address, reset the password, sign in with the new one", async ({ page, request }) => {
  const email = uniqueEmail("links");
  await page.goto("/account/register");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("navigation", { name: "Account" }).getByText(email)).toBeVisible();

  const verify = (await emailTo(request, email, "confirm your email address")).match(/http:\/\/127\.0\.0\.1:3002\/verify-email\?token=[A-Za-z0-9_-]{43}/)![0];
  await page.goto(verify);
  await expect(page.getByRole("status")).toHaveText(`${email} is verified. Thank you.`);
  await noSeriousA11yViolations(page);
  await page.goto(verify);
  await expect(page.getByRole("alert")).toBeVisible();
  await page.goto("/account");
  await expect(page.getByText("(verified)")).toBeVisible();

  await page.getByRole("navigation", { name: "Account" }).getByRole("button", { name: "Sign out" }).click();
  await page.goto("/account/login");
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Send the link" }).click();
  await expect(page.getByRole("status")).toContainText("a link to set a new password is on its way");
  await noSeriousA11yViolations(page);
  const reset = (await emailTo(request, email, "reset your password")).match(/http:\/\/127\.0\.0\.1:3002\/reset-password\?token=[A-Za-z0-9_-]{43}/)![0];
  await page.goto(reset);
  await page.getByLabel(/^New password/).fill("a new password entirely");
  await noSeriousA11yViolations(page);
  await page.getByRole("button", { name: "Set password" }).click();
  await expect(page.getByRole("heading", { name: "Password changed" })).toBeVisible();
  await page.getByRole("link", { name: "Sign in" }).last().click();
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toBeVisible();
  await page.getByLabel("Password").fill("a new password entirely");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("navigation", { name: "Account" }).getByText(email)).toBeVisible();
});
