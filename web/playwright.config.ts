import { defineConfig } from "@playwright/test";

// The storefront as the local stack serves it (make dev / ferrocart run: 127.0.0.1:3002, the API on
// :3000), in Debian's Chromium: Playwright downloads no browser here.
export default defineConfig({
  testDir: "e2e",
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  reporter: "list",
  use: {
    baseURL: process.env.STOREFRONT_URL ?? "http://127.0.0.1:3002",
    browserName: "chromium",
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--headless=new"],
    },
  },
});
