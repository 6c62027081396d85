// The same job as functions/image-resize, done the usual Node way with sharp (libvips), which is
// what AWS's Serverless Image Handler uses: auto-orient, resize to 1200/480/160 px wide (never
// enlarging, lanczos3), encode each as WebP q80 and JPEG q80 (metadata stripped, sharp's default).
//
//   node sharp-resize.mjs <input.jpg> [iterations] [concurrency]
//
// concurrency = libvips threads (sharp.concurrency); 0 keeps sharp's default (one per core).
// Prints one JSON line like the Rust benchmark.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import sharp from "sharp";

const [input, iterationsArg = "10", concurrencyArg = "0"] = process.argv.slice(2);
if (!input) {
  console.error("usage: node sharp-resize.mjs <input.jpg> [iterations] [concurrency]");
  process.exit(2);
}
const iterations = Math.max(1, Number(iterationsArg));
const concurrency = Number(concurrencyArg);
if (concurrency > 0) sharp.concurrency(concurrency);
// The six outputs run as parallel jobs on libuv's pool (UV_THREADPOOL_SIZE, default 4), each job
// using `concurrency` libvips threads; set UV_THREADPOOL_SIZE=1 for a strictly single-core run.
sharp.cache(false); // every iteration decodes from scratch, as a fresh Lambda event would

const WIDTHS = [1200, 480, 160];
const bytes = readFileSync(input);

async function variants() {
  const base = sharp(bytes, { limitInputPixels: 50_000_000 }).rotate();
  const jobs = [];
  for (const width of WIDTHS) {
    const resized = base.clone().resize({ width, withoutEnlargement: true, kernel: "lanczos3" });
    jobs.push(resized.clone().webp({ quality: 80 }).toBuffer({ resolveWithObject: true }));
    jobs.push(resized.clone().jpeg({ quality: 80 }).toBuffer({ resolveWithObject: true }));
  }
  return Promise.all(jobs);
}

const times = [];
let produced = [];
const cpuStart = process.cpuUsage();
for (let i = 0; i < iterations; i++) {
  const t = performance.now();
  produced = await variants();
  times.push(performance.now() - t);
}
const cpu = process.cpuUsage(cpuStart);
times.sort((a, b) => a - b);
console.log(JSON.stringify({
  tool: `sharp ${sharp.versions.sharp} (libvips ${sharp.versions.vips}), concurrency ${sharp.concurrency()}`,
  input_bytes: bytes.length,
  iterations,
  min_ms: times[0],
  median_ms: times[Math.floor(times.length / 2)],
  cpu_ms_per_iteration: (cpu.user + cpu.system) / 1000 / iterations,
  peak_rss_mib: process.resourceUsage().maxRSS / 1024,
  variants: produced.map((o) => `${o.info.width}x${o.info.height} ${o.info.format}`),
  output_bytes: produced.reduce((n, o) => n + o.data.length, 0),
}));
