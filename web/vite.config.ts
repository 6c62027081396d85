import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Static files in dist/, served by CloudFront from S3 (and by `make dev` on 127.0.0.1:3002).
// VITE_API_URL is the API's base URL, fixed at build time.
export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", sourcemap: false, target: "es2022" },
  server: { host: "127.0.0.1", port: 3002, strictPort: true },
  preview: { host: "127.0.0.1", port: 3002, strictPort: true },
});
