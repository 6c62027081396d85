# Ferrocart developer commands. The two that matter:
#   make dev    run the whole shop locally (http://127.0.0.1:3000) with demo data, until Ctrl-C
#   make test   run every test (unit + integration against a fresh local stack, then the contract test)

CARGO ?= cargo
BIN   := $(or $(CARGO_TARGET_DIR),target)/debug
RELEASE := $(or $(CARGO_TARGET_DIR),target)/release
# Every function's package (-p add-to-cart -p checkout ...).
FUNCTIONS := $(foreach d,$(wildcard functions/*),-p $(notdir $(d)))
# sam validate reads no account, but the SDK wants a region and some credentials.
DUMMY_AWS := AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=none AWS_SECRET_ACCESS_KEY=none SAM_CLI_TELEMETRY=0
# What infra/deploy/env.sh does for a bash shell, for make's /bin/sh: the project's SAM CLI,
# cargo-lambda and zig first on PATH.
DEPLOY_ENV := PATH="$(CURDIR)/.local/deploy/bin:$$PATH" SAM_CLI_TELEMETRY=0

.PHONY: setup build dev web test contract lint ci bench bench-password bench-resize bench-order bench-order-guest bench-functions bench-search bench-recommend bench-storefront screenshots emails create-admin routes clean-local \
        deploy-tools sam-validate sam-build lambda-build

setup:            ## install the local stand-ins for AWS into .local/ (idempotent)
	bash infra/local/install.sh

build:
	$(CARGO) build --workspace --bins

dev: setup build web  ## DynamoDB Local + moto + every function behind a local HTTP API, seeded; the storefront on :3002
	$(BIN)/ferrocart dev

web:              ## the storefront (web/): install its locked packages, typecheck against openapi.yaml, build to web/dist
	cd web && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund && npm run build

# make test's contract run asks 300 generated cases per operation (make contract: 1000), to keep
# the whole of CI within its 40 minutes on two cores. The stack's own lines go to target/logs/.
TEST_CONTRACT_EXAMPLES ?= 300

test: setup web   ## unit tests, integration tests and the storefront's browser tests against a fresh local stack, then the contract test against another
	$(CARGO) build --workspace --all-targets
	$(BIN)/ferrocart run --log target/logs/tests-stack.log -- bash -c \
	  '$(CARGO) test --workspace --no-fail-fast; rust=$$?; (cd web && npm run test:browser); web=$$?; exit $$(( rust | web ))'
	CONTRACT_EXAMPLES=$(TEST_CONTRACT_EXAMPLES) $(BIN)/ferrocart run --log target/logs/contract-stack.log -- bash infra/contract/run.sh

contract: setup   ## the contract test alone: schemathesis over openapi.yaml, 1000 cases per operation (CONTRACT_EXAMPLES, CONTRACT_SEED)
	$(CARGO) build --workspace --bins
	$(BIN)/ferrocart run -- bash infra/contract/run.sh

lint: setup
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	.local/venv/bin/cfn-lint template.yaml infra/waf.yaml

ci: lint test

bench: bench-password bench-resize bench-order bench-functions bench-search bench-recommend bench-storefront ## every PERFORMANCE.md figure (~30 min; figures in docs/performance.md)

bench-storefront: build web ## the storefront's budgets: Lighthouse (mobile) on home, category, product, cart, search; first-load JS; product image bytes
	target/debug/ferrocart run -- bash infra/bench/storefront.sh

screenshots: build web ## README's storefront screenshots (docs/images/*.png), in Debian's Chromium against a fresh stack
	target/debug/ferrocart run -- bash -c 'cd web && node scripts/screenshots.mjs'

bench-password:   ## Argon2id time at the parameters in use (release build)
	$(CARGO) run --release -p ferrocart-cli -- bench-password --iterations 30

bench-resize:     ## image-resize vs sharp on the same 12 MP JPEG (installs sharp into .local/bench)
	bash infra/bench/resize.sh 10

bench-order:      ## DynamoDB units, SQS requests and invocations of one whole order (local meter)
	$(CARGO) build --workspace --all-targets
	$(BIN)/ferrocart run -- $(BIN)/order-cost 3

bench-order-guest: ## as bench-order, for a guest's order (no account; checkout with an email)
	$(CARGO) build --workspace --all-targets
	$(BIN)/ferrocart run -- $(BIN)/order-cost 3 --guest

bench-functions: build ## init time vs hello-world, peak RSS, CPU per warm request (whole process and in-process), size of every release binary
	$(CARGO) build --release -p hello-bench -p handler-bench $(FUNCTIONS)
	$(BIN)/ferrocart bench-functions --bin-dir $(RELEASE)

bench-search:     ## the search index in-process: build, size, open and query p50/p99 at 10,000 and 100,000 products (release build)
	$(CARGO) run --release -p search-bench -- 10000 100000

bench-recommend:  ## the recommendations job in-process: read, count and rank 1,000,000 order lines (release build)
	$(CARGO) run --release -p recommend-bench -- 1000000

deploy-tools:     ## install the SAM CLI, cargo-lambda and zig into .local/deploy, and the arm64 Rust target
	bash infra/deploy/install.sh

sam-validate:     ## the template through SAM's validation and cfn-lint; sam local's resolved environment (offline)
	$(DUMMY_AWS) .local/deploy/bin/sam validate --lint
	$(DUMMY_AWS) .local/deploy/bin/python infra/deploy/check_sam_local_env.py

sam-build: deploy-tools ## every function for arm64 with cargo-lambda, one shared target dir (.aws-sam/build)
	$(DEPLOY_ENV) sam build

lambda-build: deploy-tools ## the same binaries without SAM: target/lambda/<function>/bootstrap
	$(DEPLOY_ENV) cargo lambda build --release --arm64 $(FUNCTIONS)

emails:           ## the emails the running local stack has sent (make dev in another terminal)
	$(CARGO) run -q -p ferrocart-cli -- emails

create-admin:     ## make create-admin EMAIL=you@example.com (password read from FERROCART_ADMIN_PASSWORD)
	@test -n "$(EMAIL)" || { echo "usage: FERROCART_ADMIN_PASSWORD=... make create-admin EMAIL=you@example.com"; exit 2; }
	$(CARGO) run -q -p ferrocart-cli -- create-admin --email "$(EMAIL)" $(ARGS)

routes:
	$(CARGO) run -q -p ferrocart-cli -- routes

clean-local:      ## remove the installed local servers (.local/)
	rm -rf .local
