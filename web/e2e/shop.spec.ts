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
