#!/usr/bin/env bash
# Installs the build and deploy tools inside the project, idempotently:
#   - a Python venv in .local/deploy with the SAM CLI, cargo-lambda and zig (requirements.txt)
#   - the Rust target Lambda's arm64 functions are built for (aarch64-unknown-linux-gnu)
# Then: `source infra/deploy/env.sh` (or use the Makefile's sam-build / sam-validate targets).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="$root/.local/deploy"
req="$root/infra/deploy/requirements.txt"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [ ! -x "$venv/bin/sam" ] || [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" != "$want" ]; then
  echo "[deploy-tools] creating .local/deploy (SAM CLI, cargo-lambda, zig)" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$req"
  echo "$want" > "$venv/.requirements.sha256"
fi
if [ "${1:-}" != "--no-rust-target" ] && ! rustup target list --installed | grep -q '^aarch64-unknown-linux-gnu$'; then
  echo "[deploy-tools] adding the Rust target aarch64-unknown-linux-gnu" >&2
  rustup target add aarch64-unknown-linux-gnu
fi
echo "[deploy-tools] ready: $("$venv/bin/sam" --version), $("$venv/bin/cargo-lambda" lambda --version)" >&2
