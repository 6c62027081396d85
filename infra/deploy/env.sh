# Source me from bash (`. infra/deploy/env.sh`): puts the project's SAM CLI, cargo-lambda and zig first on PATH, with telemetry off.
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PATH="$_root/.local/deploy/bin:$PATH"
export SAM_CLI_TELEMETRY=0
unset _root
