# The single entry point: what the README tells a person to run is what CI runs.
CARGO ?= cargo
# Crates the domain must never depend on (it holds no I/O).
FORBIDDEN_IN_DOMAIN := tokio diesel diesel-async actix-web
# Storage adapters (and the shared rate limiter's): they implement the domain's ports
# and must not know billing.
STORAGE_CRATES := stickycalls-postgres stickycalls-sqlite stickycalls-memory stickycalls-redis
# The inbound adapters, each a crate, and the ground they share.
INBOUND_CRATES := stickycalls-http-api stickycalls-console stickycalls-mcp
INBOUND_SHARED := stickycalls-inbound
# Crates whose files must not import each other in a circle.
CIRCLE_FREE := crates/domain crates/inbound crates/http-api crates/console crates/mcp

# The diesel CLI, built locally (with libpq, and SQLite bundled) only to check the
# committed schema.rs files. Its features are in its path, so a CLI built with fewer
# is never taken for it.
DIESEL := target/tools/diesel-pg-sqlite/bin/diesel
DIESEL_VERSION := 2.3.4
# The load generator of `make bench`, built locally from crates.io.
OHA := target/tools/bin/oha
OHA_VERSION := 1.16.0

# Servers the test targets start on PostgreSQL seal personal data under this throwaway
# master key (never use it for real data); SQLite ones make their own key file beside
# the data, as `make run` does. A STICKYCALLS_MASTER_KEY already set wins.
TEST_MASTER_KEY := 5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed
test test-browser fuzz-api attack chaos cluster-test cluster identity-sim examples deploy-check bench bench-smoke flamegraph: export STICKYCALLS_MASTER_KEY ?= $(TEST_MASTER_KEY)

.PHONY: run test redis-server test-browser lint fmt fmt-check clippy check-boundaries check-schema schema openapi postman examples deploy-check bench bench-smoke bench-tools flamegraph fuzz fuzz-long fuzz-api attack chaos cluster cluster-test identity-sim

## run: build and serve the API on http://127.0.0.1:8080. With no STICKYCALLS_DATABASE_URL
## the data lives in a SQLite file under ./data/ (nothing to install); the first start
## creates a local account and prints its test key once, and makes the master key file
## beside the data (docs/SECURITY.md).
run:
	$(CARGO) run --release --locked --bin stickycalls -- serve

## test: every test of the workspace (Redis: REDIS_URL, the local one, or a throwaway
## redis-server, installed from Debian's package when missing)
test: redis-server
	$(CARGO) test --workspace --all-targets --locked
	$(CARGO) test --workspace --doc --locked

# The tests' Redis: nothing to do when one answers on 127.0.0.1:6379 or REDIS_URL is set.
redis-server:
	@[ -n "$$REDIS_URL" ] || command -v redis-server >/dev/null || \
	  python3 -c "import socket; socket.create_connection(('127.0.0.1', 6379), 1)" 2>/dev/null || \
	  (apt-get update -qq && apt-get install -y -qq redis-server)

## test-browser: the web console in headless Chromium (Playwright on Debian's chromium;
## installs chromium, node, and the pinned playwright-core and axe-core under
## target/node-browser when missing): every page, keys, customers, settings, banners,
## form tokens, session expiry, phone width, axe-core; screenshots of every page in
## target/console-screenshots/
test-browser:
	$(CARGO) build --release --locked -p stickycalls
	python3 tests/browser/run.py

## fuzz: the parsers' fuzz properties (phone numbers, customer refs, variables, request
## bodies) in release with FUZZ_CASES cases each (`make test` runs 256 of each)
FUZZ_CASES ?= 300000
fuzz:
	PROPTEST_CASES=$(FUZZ_CASES) $(CARGO) test --release --locked -p stickycalls-domain fuzz:: -- --test-threads 1

## fuzz-long: each fuzz property for FUZZ_MINUTES minutes (default 10), fresh seeds
fuzz-long:
	tests/fuzz/long.sh

## fuzz-api: schemathesis (pinned, installed into target/venv-fuzz-api) with all checks
## against a live server on SQLite and PostgreSQL, from the OpenAPI document it serves
## (FUZZ_API_EXAMPLES per operation, default 50; CI runs 20)
fuzz-api:
	tests/fuzz-api/run.sh $(FUZZ_API_STORES)

## attack: a SQLite server under a hostile mix (bad bodies, unknown keys, NUL bytes,
## oversized headers, 1,000 stalled connections) beside valid calls for ATTACK_SECONDS
## (default 60; CI runs 15): every valid call 200, no 5xx, no panic, stalls cut in time
ATTACK_SECONDS ?= 60
attack:
	$(CARGO) build --release --locked -p stickycalls
	ATTACK_SECONDS=$(ATTACK_SECONDS) python3 tests/attack/run.py

## chaos: kill -9 the server mid-write (SQLite and PostgreSQL, CHAOS_KILLS times) and
## crash-restart PostgreSQL under load (CHAOS_PG_RESTARTS times), then check that every
## acknowledged write is stored and credits spent equal billable calls, exactly
CHAOS_KILLS ?= 3
CHAOS_PG_RESTARTS ?= 2
chaos:
	$(CARGO) build --release --locked -p stickycalls
	CHAOS_KILLS=$(CHAOS_KILLS) CHAOS_PG_RESTARTS=$(CHAOS_PG_RESTARTS) python3 tests/chaos/run.py

## cluster-test: three nodes on one PostgreSQL and one Redis behind HAProxy
## (deploy/haproxy.cfg; installs haproxy and redis-server when missing): the rate limit
## over the cluster, revocation delay, retries across nodes, starts/s with 1, 2 and 3
## nodes, CLUSTER_STARTS (10,000) billable starts through a rolling restart and a Redis
## outage with no failed request and exact credits; target/cluster/report.json
CLUSTER_STARTS ?= 10000
CLUSTER_SECONDS ?= 5
cluster-test: bench-tools
	CLUSTER_STARTS=$(CLUSTER_STARTS) CLUSTER_SECONDS=$(CLUSTER_SECONDS) python3 tests/cluster/run.py

## cluster: the same three nodes, PostgreSQL, Redis and HAProxy, left running (prints the
## balancer's URL and a test key; Ctrl-C stops everything)
cluster:
	$(CARGO) build --release --locked -p stickycalls
	python3 tests/cluster/run.py serve

## identity-sim: a simulated contact center's calls (households, a PBX line, recycled
## mobiles, spoofs, withheld numbers, CRM ids) through the API on SQLite, and how well
## callers were identified per kind of call (SIM_CALLS, default 2500; SIM_SEED;
## SIM_HISTORY calls replayed first, not counted; SIM_SETTINGS, default the defaults; see
## docs/IDENTITY.md)
SIM_CALLS ?= 2500
SIM_SEED ?= 7
identity-sim:
	$(CARGO) build --release --locked -p stickycalls
	SIM_CALLS=$(SIM_CALLS) SIM_SEED=$(SIM_SEED) python3 tests/identity-sim/run.py

## examples: every example of docs/examples/ (curl, Python, Node.js, Ruby, PHP, Java,
## C#), the Postman collection's Test Match Logic (newman) and the platform guides'
## code against a live server on a temporary SQLite store; installs the runtimes it
## needs (Debian packages, a venv under target/venv-examples, newman under target/)
examples:
	$(CARGO) build --release --locked -p stickycalls
	python3 tests/examples/run.py

## deploy-check: deploy/nginx.conf and deploy/Caddyfile run for real in front of a
## release server (TLS answers; a client's forged X-Forwarded-For is replaced), the
## systemd unit verified; installs nginx and caddy from Debian when missing
deploy-check:
	$(CARGO) build --release --locked -p stickycalls
	python3 tests/deploy/check.py

## lint: formatting, clippy with warnings as errors, crate boundaries, schema.rs
lint: fmt-check clippy check-boundaries check-schema

fmt:
	$(CARGO) fmt --all

fmt-check:
	$(CARGO) fmt --all --check

clippy:
	$(CARGO) clippy --workspace --all-targets --all-features --locked -- -D warnings

## check-boundaries: the domain's normal dependency tree holds no I/O crate, the
## in-memory store none either, and no storage crate depends on the billing crate; no
## inbound crate (REST, console, MCP, or the ground they share) depends on a store, on
## the billing or webhook adapters, or on another inbound crate; and no file of the
## domain or of an inbound crate is part of a circle of imports.
## Each tree is listed whole (a failing `cargo tree` fails the check) and must name
## the crate it was asked for, so a typo cannot make the check pass vacuously.
check-boundaries:
	@status=0; \
	deny() { \
	  crate="$$1"; flags="$$2"; shift 2; \
	  tree=$$($(CARGO) tree --locked -p "$$crate" $$flags -e normal --prefix none) || { echo "check-boundaries: cargo tree -p $$crate failed"; exit 2; }; \
	  echo "$$tree" | grep -q "^$$crate v" || { echo "check-boundaries: cargo tree -p $$crate did not list $$crate"; exit 2; }; \
	  for dep in "$$@"; do \
	    if echo "$$tree" | grep -q "^$$dep v"; then \
	      echo "check-boundaries: $$crate $$flags depends on $$dep"; status=1; \
	    fi; \
	  done; \
	}; \
	deny stickycalls-domain "" $(FORBIDDEN_IN_DOMAIN) || exit $$?; \
	deny stickycalls-domain "--all-features" $(FORBIDDEN_IN_DOMAIN) || exit $$?; \
	deny stickycalls-memory "" $(FORBIDDEN_IN_DOMAIN) stickycalls-billing || exit $$?; \
	for store in $(STORAGE_CRATES); do deny $$store "" stickycalls-billing || exit $$?; done; \
	for room in $(INBOUND_CRATES); do \
	  others=$$(echo $(INBOUND_CRATES) | tr ' ' '\n' | grep -vx "$$room"); \
	  deny $$room "" $(STORAGE_CRATES) stickycalls-billing stickycalls-webhooks diesel diesel-async $$others || exit $$?; \
	done; \
	deny $(INBOUND_SHARED) "" $(STORAGE_CRATES) stickycalls-billing stickycalls-webhooks diesel diesel-async $(INBOUND_CRATES) || exit $$?; \
	python3 tests/boundaries/module_cycles.py $(CIRCLE_FREE) || status=1; \
	if [ $$status -eq 0 ]; then echo "check-boundaries: stickycalls-domain and stickycalls-memory are free of $(FORBIDDEN_IN_DOMAIN); no storage crate depends on stickycalls-billing; no inbound crate depends on a store or on another inbound crate"; fi; \
	exit $$status

$(DIESEL):
	@command -v pg_config >/dev/null || (apt-get update -qq && apt-get install -y -qq libpq-dev)
	$(CARGO) install diesel_cli --version $(DIESEL_VERSION) --no-default-features --features "postgres sqlite-bundled" --root target/tools/diesel-pg-sqlite --locked

## check-schema: crates/postgres/src/schema.rs and crates/sqlite/src/schema.rs are what
## diesel prints for each backend's migrations
check-schema: $(DIESEL)
	DIESEL_CLI=$(abspath $(DIESEL)) $(CARGO) test --locked -p stickycalls-postgres --test postgres -- --ignored --exact committed_schema_matches_migrations
	DIESEL_CLI=$(abspath $(DIESEL)) $(CARGO) test --locked -p stickycalls-sqlite --test sqlite -- --ignored --exact committed_schema_matches_migrations

## schema: regenerate both schema.rs files from the migrations
schema: $(DIESEL)
	UPDATE_SCHEMA=1 DIESEL_CLI=$(abspath $(DIESEL)) $(CARGO) test --locked -p stickycalls-postgres --test postgres -- --ignored --exact committed_schema_matches_migrations
	UPDATE_SCHEMA=1 DIESEL_CLI=$(abspath $(DIESEL)) $(CARGO) test --locked -p stickycalls-sqlite --test sqlite -- --ignored --exact committed_schema_matches_migrations

## openapi: regenerate docs/openapi.json from the API's types
openapi:
	UPDATE_OPENAPI=1 $(CARGO) test --locked -p stickycalls-http-api committed_openapi_matches_the_code
	UPDATE_POSTMAN=1 $(CARGO) test --locked -p stickycalls-http-api committed_collection_matches_the_code

## postman: regenerate docs/postman/ from the OpenAPI document (`make openapi` does too)
postman:
	UPDATE_POSTMAN=1 $(CARGO) test --locked -p stickycalls-http-api committed_collection_matches_the_code

$(OHA):
	$(CARGO) install oha --version $(OHA_VERSION) --root target/tools --locked

## bench-tools: oha (built into target/tools), Redis for the Redis phase (as `make test`),
## pgbench (Debian's postgresql package if neither PATH nor /usr/lib/postgresql has it),
## and the release binaries
bench-tools: $(OHA) redis-server
	@command -v pgbench >/dev/null || ls /usr/lib/postgresql/*/bin/pgbench >/dev/null 2>&1 || \
	  (apt-get update -qq && apt-get install -y -qq postgresql)
	$(CARGO) build --release --locked -p stickycalls -p stickycalls-bench

## bench: 1,000,000 and 10,000 customers, the real server under oha, pgbench as the
## ceiling; writes target/bench/report.json and report.md (about 10 minutes)
bench: bench-tools
	target/release/stickycalls-bench --out target/bench

## flamegraph: the server's CPU under saturated returning starts as a flame graph,
## target/bench-profile/flamegraph.svg (perf from Debian's linux-perf, inferno from
## crates.io; a 100,000-customer run of the bench, about 4 minutes)
flamegraph: bench-tools
	@command -v perf >/dev/null || (apt-get update -qq && apt-get install -y -qq linux-perf)
	@test -x target/tools/bin/inferno-flamegraph || $(CARGO) install --locked --root target/tools inferno
	target/release/stickycalls-bench --profile --customers 100000 --small 10000 --sqlite-customers 10000 --seconds 10 --out target/bench-profile

## bench-smoke: the same harness on a tiny data set with 2-second phases (under a minute
## once built): proves it works, its figures mean nothing
bench-smoke: bench-tools
	target/release/stickycalls-bench --smoke --customers 2000 --small 500 --sqlite-customers 500 --seconds 2 --rate 200 --out target/bench-smoke
