#!/usr/bin/env bash
# Image-resize benchmark: our Rust consumer's `process` vs sharp (libvips) on the same 12 MP JPEG,
# same machine, same run, one after the other, each in its own process (so peak RSS is per tool).
# Two pairings: each tool as it runs by default (both use every core), and both on one thread.
#   bash infra/bench/resize.sh [iterations]        (make bench-resize)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
n="${1:-10}"
bench_dir="$root/.local/bench"
if [ ! -d "$bench_dir/node_modules/sharp" ]; then
  mkdir -p "$bench_dir"
  cp infra/bench/package.json "$bench_dir/"
  npm install --silent --no-audit --no-fund --prefix "$bench_dir" >/dev/null
fi
cp infra/bench/sharp-resize.mjs "$bench_dir/"
cargo build --release -q -p ferrocart-cli
bin="${CARGO_TARGET_DIR:-target}/release/ferrocart"
input="$root/target/bench/12mp.jpg"
rust=$("$bin" bench-resize --iterations "$n" 2>/dev/null)
[ -f "$input" ] || { echo "benchmark input was not created" >&2; exit 1; }
sharp=$(node "$bench_dir/sharp-resize.mjs" "$input" "$n" 0)
rust1=$("$bin" bench-resize --iterations "$n" --one-thread 2>/dev/null)
sharp1=$(UV_THREADPOOL_SIZE=1 node "$bench_dir/sharp-resize.mjs" "$input" "$n" 1)
printf '%s\n' "$rust" "$sharp" "$rust1" "$sharp1"
python3 - "$rust" "$sharp" "$rust1" "$sharp1" <<'PY'
import json, sys
r, s, r1, s1 = (json.loads(a) for a in sys.argv[1:])
print(f"\ninput: {r['input_bytes']} bytes, 4000x3000 JPEG -> {len(r['variants'])} variants; {r['iterations']} iterations each")
print(f"{'':62} {'median ms':>9} {'CPU ms':>7} {'peak RSS MiB':>13}")
for x in (r, s, r1, s1):
    print(f"{x['tool']:62} {x['median_ms']:9.1f} {x['cpu_ms_per_iteration']:7.0f} {x['peak_rss_mib']:13.1f}")
for a, b, label in ((r, s, "defaults (all cores)"), (r1, s1, "one thread each")):
    print(f"{label:22} time Rust/sharp = {a['median_ms'] / b['median_ms']:.2f}, "
          f"CPU Rust/sharp = {a['cpu_ms_per_iteration'] / b['cpu_ms_per_iteration']:.2f}, "
          f"peak memory Rust/sharp = {a['peak_rss_mib'] / b['peak_rss_mib']:.2f}")
PY
