// README's screenshots (docs/images/*.png), taken in Debian's Chromium against the running local
// stack: make screenshots. A product gets a photo first (the demo catalog has none), as an admin
// would upload it.
import { chromium, request as http } from "@playwright/test";
import { mkdirSync } from "node:fs";

const WEB = process.env.STOREFRONT_URL ?? "http://127.0.0.1:3002";
const API = process.env.API_URL ?? "http://127.0.0.1:3000";
const OUT = new URL("../../docs/images/", import.meta.url).pathname;
mkdirSync(OUT, { recursive: true });

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox"] });
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
const api = await http.newContext();

const login = await (await api.post(`${API}/auth/login`, { data: { email: "admin@ferrocart.local", password: "ferrocart-admin-demo" } })).json();
const auth = { authorization: `Bearer ${login.access_token}` };
const id = "01900000-0000-7000-8000-000000000002";
await page.goto(`${WEB}/`);
const png = await page.evaluate(() => {
  const c = document.createElement("canvas");
  c.width = 1600;
  c.height = 1200;
  const g = c.getContext("2d");
  const grad = g.createLinearGradient(0, 0, 1600, 1200);
  grad.addColorStop(0, "#dfe7ef");
  grad.addColorStop(1, "#9fb3c8");
  g.fillStyle = grad;
  g.fillRect(0, 0, 1600, 1200);
  g.fillStyle = "#33475b";
  g.beginPath();
  g.moveTo(520, 980);
  g.lineTo(780, 260);
  g.lineTo(840, 260);
  g.lineTo(1080, 980);
  g.closePath();
  g.fill();
  g.fillStyle = "#c0c8d0";
  g.fillRect(760, 180, 100, 90);
  return c.toDataURL("image/png").split(",")[1];
});
const photo = Buffer.from(png, "base64");
const product = await (await api.get(`${API}/products/${id}`)).json();
if (product.images.length === 0) {
  const up = await (
    await api.post(`${API}/admin/products/${id}/images`, { headers: auth, data: { content_type: "image/png", content_length: photo.length } })
  ).json();
  const headers = Object.fromEntries(Object.entries(up.upload.headers).filter(([k]) => k.toLowerCase() !== "content-length"));
  await api.put(up.upload.url, { headers, data: photo });
  for (let i = 0; i < 60; i++) {
    const p = await (await api.get(`${API}/admin/products/${id}`, { headers: auth })).json();
    if (p.images.length > 0) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function shot(name, url, ready) {
  await page.goto(`${WEB}${url}`);
  await ready();
  await page.waitForLoadState("networkidle");
  await page.screenshot({ path: `${OUT}${name}.png` });
  console.log(`docs/images/${name}.png`);
}

await shot("home", "/", () => page.getByRole("heading", { name: "Shop by category" }).waitFor());
await shot("search", "/search?q=kettel", () => page.getByRole("link", { name: /kettle/i }).first().waitFor());
await shot("product", `/p/${id}`, () => page.getByRole("button", { name: "Add to cart" }).waitFor());
await page.getByRole("button", { name: "Add to cart" }).click();
await page.getByRole("status").waitFor();
await page.goto(`${WEB}/cart`);
await page.getByRole("textbox", { name: "Discount code" }).fill("WELCOME10");
await page.getByRole("button", { name: "Apply" }).click();
await page.getByRole("row", { name: /Discount/ }).waitFor();
await page.screenshot({ path: `${OUT}cart.png` });
console.log("docs/images/cart.png");
await page.getByRole("link", { name: "Check out" }).click();
await page.getByLabel(/^Email/).fill("ada@example.com");
await page.getByLabel("Full name").fill("Ada Lovelace");
await page.getByLabel("Address line 1").fill("10 Downing Street");
await page.getByLabel("Town or city").fill("London");
await page.getByLabel("Postcode", { exact: true }).fill("SW1A 2AA");
await page.getByLabel("Card number").fill("4242424242424242");
await page.getByLabel("Expiry month (MM)").fill("12");
await page.getByLabel("Expiry year (YY)").fill("34");
await page.getByLabel("CVC").fill("123");
await page.getByLabel("Card postcode").fill("SW1A 2AA");
await page.screenshot({ path: `${OUT}checkout.png`, fullPage: true });
console.log("docs/images/checkout.png");
await browser.close();
