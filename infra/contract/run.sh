#!/usr/bin/env bash
# The contract test: schemathesis generates requests from openapi.yaml (valid ones and ones that
# break it), sends them to the running local stack, and checks every answer against the document
# (`--checks all`: no 5xx, only documented statuses, headers and bodies as described, schema-valid
# requests accepted, invalid ones refused, 405 + Allow for undeclared methods, auth enforced).
# Run by `make contract` and `make test` inside `ferrocart run` (a fresh, seeded stack):
#
#   target/debug/ferrocart run -- bash infra/contract/run.sh
#
# CONTRACT_EXAMPLES (default 1000) generated cases per operation in the fuzzing phase, on top of
# the examples, coverage and stateful phases; CONTRACT_SEED replays a run exactly. Reports (JUnit,
# NDJSON) and schemathesis' output per part land in target/contract/, then the per-route summary.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
st="$root/.local/contract/bin/st"
[ -x "$st" ] || { echo "schemathesis not installed: run infra/local/install.sh" >&2; exit 1; }
api="${API_URL:-http://127.0.0.1:3000}"
examples="${CONTRACT_EXAMPLES:-1000}"
seed="${CONTRACT_SEED:-20261201}"
out="$root/target/contract"
rm -rf "$out"
mkdir -p "$out"

# The demo admin (seeded): admin routes need the role, and an admin may also shop. Its two sessions
# are opened before anything else: the fuzzing phase tries the admin's email with wrong passwords,
# and the login throttle then (rightly) refuses it for 10 minutes. A later phase gets a fresh access
# token by spending its session's refresh token, which no throttle holds up.
login() { # prints "<access token> <refresh token>"
  curl -sf -XPOST "$api/auth/login" -H 'content-type: application/json' \
    -d '{"email":"admin@ferrocart.local","password":"ferrocart-admin-demo"}' |
    python3 -c 'import sys,json;t=json.load(sys.stdin);print(t["access_token"],t["refresh_token"])'
}
refresh() { # <variable holding "<access> <refresh>">: renews it in place
  local -n pair="$1"
  pair="$(curl -sf -XPOST "$api/auth/refresh" -H 'content-type: application/json' \
    -d "{\"refresh_token\":\"${pair#* }\"}" |
    python3 -c 'import sys,json;t=json.load(sys.stdin);print(t["access_token"],t["refresh_token"])')"
}

run() { # <name> <token> <schemathesis filter and phase args...>: report and output in $out/<name>
  local name="$1" tok="$2"
  shift 2
  mkdir -p "$out/$name"
  "$st" --no-color --config-file infra/contract/schemathesis.toml run openapi.yaml \
    --url "$api" --header "Authorization: Bearer $tok" --checks all \
    --max-examples "$examples" --seed "$seed" --generation-database none --output-truncate true \
    --report junit,ndjson --report-dir "$out/$name" "$@" > "$out/$name/output.txt" 2>&1
}
only() { for id in "$@"; do printf -- '--include-operation-id %s ' "$id"; done; }

# Generating is the slow part (Python, one core per process): the operations are split in two
# halves of about equal cost, run side by side, each with its examples, coverage and fuzzing
# phases. Then the stateful phase over every operation but logout (it follows the links between
# operations), and logout alone with a session of its own: it ends the session its token names.
main_session="$(login)"
logout_session="$(login)"
token="${main_session%% *}"
phases=--phases=examples,coverage,fuzzing
# shellcheck disable=SC2046
run half-1 "$token" $phases $(only setStock updateProduct paymentWebhook listOrders getProduct getRecommendations \
  getOrder addToCart getCart me listAddresses createAddress updateAddress requestPasswordReset \
  confirmPasswordReset applyCartDiscount listDiscounts adminGetOrder adminGetProduct createRefund resendEmail putShipping listImages search productPage) & one=$!
# shellcheck disable=SC2046
run half-2 "$token" $phases $(only listProducts checkout register createProduct login refresh \
  updateCartItem createImageUpload listCategories listShippingOptions removeCartItem deleteAddress verifyEmail \
  requestEmailVerification removeCartDiscount putDiscount adminListOrders cancelOrder getSellingSettings putTaxSettings listLowStock searchSuggest categoryPage) & two=$!
status=0
wait "$one" || status=$?
wait "$two" || status=$?
refresh main_session
run stateful "${main_session%% *}" --phases=stateful --exclude-operation-id logout || status=$?
refresh logout_session
run logout "${logout_session%% *}" $phases --include-operation-id logout || status=$?
for name in half-1 half-2 stateful logout; do
  printf '\n=== contract: %s\n' "$name"
  cat "$out/$name/output.txt"
done
"$root/.local/contract/bin/python" infra/contract/summary.py "$out" "$examples" || status=$?
exit "$status"
