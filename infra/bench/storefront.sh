#!/usr/bin/env bash
# The storefront's budgets (issue 16), measured against the running local stack (make bench-storefront):
#   - Lighthouse (npm lighthouse, mobile settings: its default emulated phone, simulated slow 4G
#     and 4x CPU slowdown) performance, accessibility, best practices and SEO on home, a category,
#     a product, the cart and a search, in Debian's Chromium;
#   - first-load JavaScript of the product page, as transferred (compressed, as CloudFront serves it);
#   - the product page's image bytes, against what its largest shown variant needs (Lighthouse's
#     image-delivery insight: bytes beyond what the displayed size and format need).
# A product with a photo is made first (the demo catalog has none), as an admin does it.
#   target/debug/ferrocart run -- bash infra/bench/storefront.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
api="${API_URL:-http://127.0.0.1:3000}"
web="${STOREFRONT_URL:-http://127.0.0.1:3002}"
chrome="${CHROME_PATH:-/usr/bin/chromium}"
lh_dir="$root/.local/lighthouse"
out="$root/target/bench/storefront"
mkdir -p "$out"
if [ ! -x "$lh_dir/node_modules/.bin/lighthouse" ]; then
  mkdir -p "$lh_dir"
  npm install --silent --no-audit --no-fund --prefix "$lh_dir" lighthouse@13.5.0 >/dev/null
fi
curl -sf "$web/" >/dev/null || { echo "no storefront at $web: make web, then run inside ferrocart run" >&2; exit 1; }

json() { python3 -c "import sys,json; print(json.load(sys.stdin)$1)"; }
token=$(curl -sf -XPOST "$api/auth/login" -H 'content-type: application/json' \
  -d '{"email":"admin@ferrocart.local","password":"ferrocart-admin-demo"}' | json '["access_token"]')
auth=(-H "authorization: Bearer $token" -H 'content-type: application/json')
pid=$(curl -sf -XPOST "$api/admin/products" "${auth[@]}" \
  -d '{"name":"Benchmark Lantern","description":"A storm lantern with a photo, for the storefront benchmark.","category":"garden","brand":"northwind","price":2499,"currency":"GBP","status":"active"}' |
  json '["product_id"]')
curl -sf -XPUT "$api/admin/products/$pid/stock" "${auth[@]}" -d '{"warehouses":[{"warehouse_id":"lon-1","quantity":50}]}' >/dev/null
# A 1600x1200 photo-like PNG, drawn by the same Chromium.
cat > "$out/photo.html" <<'HTML'
<html><body style="margin:0;width:1600px;height:1200px;background:linear-gradient(135deg,#0b4f9c,#f3c623 60%,#8a1c1c)"><h1 style="font:180px sans-serif;color:#fff;padding:300px 120px">Ferrocart</h1></body></html>
HTML
"$chrome" --headless=new --no-sandbox --hide-scrollbars --window-size=1600,1200 \
  --screenshot="$out/photo.png" "file://$out/photo.html" >/dev/null 2>&1
size=$(stat -c %s "$out/photo.png")
upload=$(curl -sf -XPOST "$api/admin/products/$pid/images" "${auth[@]}" -d "{\"content_type\":\"image/png\",\"content_length\":$size}")
url=$(echo "$upload" | json '["upload"]["url"]')
headers=$(echo "$upload" | python3 -c 'import sys,json; [print(f"{k}: {v}") for k,v in json.load(sys.stdin)["upload"]["headers"].items()]')
args=()
while IFS= read -r h; do [ -n "$h" ] && args+=(-H "$h"); done <<< "$headers"
curl -sf -XPUT "${args[@]}" --data-binary "@$out/photo.png" "$url" >/dev/null
for _ in $(seq 60); do
  n=$(curl -sf "$api/admin/products/$pid" -H "authorization: Bearer $token" | json '["images"].__len__()')
  [ "$n" -gt 0 ] && break
  sleep 1
done
[ "$n" -gt 0 ] || { echo "the photo was not resized within a minute" >&2; exit 1; }

pages=(home:/ category:/c/garden product:/p/$pid cart:/cart search:/search?q=lantern)
for entry in "${pages[@]}"; do
  name="${entry%%:*}"
  CHROME_PATH="$chrome" "$lh_dir/node_modules/.bin/lighthouse" "$web${entry#*:}" --quiet \
    --output=json --output-path="$out/$name.json" --chrome-flags="--headless=new --no-sandbox" >/dev/null 2>&1
done
python3 - "$out" "${pages[@]}" <<'PY'
import json, sys
out, pages = sys.argv[1], sys.argv[2:]
cats = ["performance", "accessibility", "best-practices", "seo"]
print(f"{'page':10} {'path':52} " + " ".join(f"{c[:13]:>13}" for c in cats) + f" {'FCP':>6} {'LCP':>6} {'CLS':>6}")
for entry in pages:
    name, path = entry.split(":", 1)
    d = json.load(open(f"{out}/{name}.json"))
    a = d["audits"]
    print(f"{name:10} {path:52} " + " ".join(f"{round(d['categories'][c]['score'] * 100):13d}" for c in cats)
          + f" {a['first-contentful-paint']['displayValue']:>6} {a['largest-contentful-paint']['displayValue']:>6}"
          + f" {a['cumulative-layout-shift']['displayValue']:>6}")
d = json.load(open(f"{out}/product.json"))
reqs = d["audits"]["network-requests"]["details"]["items"]
js = [r for r in reqs if r.get("resourceType") == "Script"]
imgs = [r for r in reqs if r.get("resourceType") == "Image"]
print(f"\nproduct page, first load: JavaScript {sum(r['transferSize'] for r in js) / 1024:.1f} KB transferred "
      f"({len(js)} file(s), {sum(r['resourceSize'] for r in js) / 1024:.1f} KB uncompressed)")
for r in imgs:
    print(f"  image {r['url'].rsplit('/', 1)[-1]}: {r['transferSize']} bytes")
insight = d["audits"]["image-delivery-insight"]
extra = sum(i.get("wastedBytes", 0) for i in (insight.get("details") or {}).get("items", []))
print(f"product page, images: {sum(r['transferSize'] for r in imgs)} bytes; beyond what the shown size needs "
      f"(Lighthouse image-delivery-insight): {extra} bytes (score {insight['score']}); "
      f"image-size-responsive score {d['audits']['image-size-responsive']['score']}")
PY
