#!/usr/bin/env bash
# Schemathesis (pinned, in a virtualenv under target/) with every check against a live
# server on each store named (sqlite, postgres; memory too if asked), driven by the
# OpenAPI document the server itself serves. Usage: run.sh [STORE...];
# FUZZ_API_EXAMPLES examples per operation (default 50).
# The account it runs with holds ample credits, so a start is never refused for want
# of them (402 is not what is under test). Exits non-zero when any check fails.
set -euo pipefail
cd "$(dirname "$0")/../.."

SCHEMATHESIS_VERSION=4.32.5
VENV="$PWD/target/venv-fuzz-api"
EXAMPLES=${FUZZ_API_EXAMPLES:-50}
STORES=("$@")
[ ${#STORES[@]} -gt 0 ] || STORES=(sqlite postgres)
BIN=target/release/stickycalls
ROOT="$PWD"

if [ ! -x "$VENV/bin/st" ] || ! "$VENV/bin/st" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  rm -rf "$VENV"
  python3 -m venv "$VENV" 2>/dev/null || {
    # Debian ships venv apart from python3.
    rm -rf "$VENV"
    apt-get update -qq && apt-get install -y -qq python3-venv
    python3 -m venv "$VENV"
  }
  "$VENV/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi
cargo build --release --locked -p stickycalls

work=$(mktemp -d target/fuzz-api.XXXXXX)
failed=0
pg_cluster=""
cleanup() {
  if [ -n "$pg_cluster" ]; then python3 tests/support/pg_cluster.py stop "$pg_cluster"; fi
}
trap cleanup EXIT

# DATABASE_URL, else the local server, else a throwaway cluster under the work directory.
postgres_base() {
  local base=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
  if psql "$base" -qAtc "SELECT 1" >/dev/null 2>&1; then echo "$base"; return; fi
  python3 tests/support/pg_cluster.py start "$ROOT/$work/pg"
}

for store in "${STORES[@]}"; do
  case "$store" in
    memory) url="memory://" ;;
    sqlite) url="sqlite://$PWD/$work/fuzz.db" ;;
    postgres)
      base=$(postgres_base)
      if [ -d "$ROOT/$work/pg" ]; then pg_cluster="$ROOT/$work/pg"; fi
      name="fuzz_api_$$"
      psql "$base" -qc "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
      url="${base%/*}/$name" ;;
    *) echo "unknown store $store" >&2; exit 2 ;;
  esac
  export STICKYCALLS_DATABASE_URL="$url"
  key=""
  if [ "$store" != memory ]; then
    "$BIN" migrate >/dev/null
    account=$("$BIN" accounts create --name fuzz)
    key=$(echo "$account" | python3 -c 'import json,sys; print(json.load(sys.stdin)["keys"]["test"])')
    id=$(echo "$account" | python3 -c 'import json,sys; print(json.load(sys.stdin)["account_id"])')
    "$BIN" credits grant --account "$id" --env test --amount 100000000 >/dev/null
  fi
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  STICKYCALLS_LISTEN="127.0.0.1:$port" RUST_LOG=warn STICKYCALLS_RATE_LIMITS="free=100000/1" \
    STICKYCALLS_WEBHOOKS_ALLOW_PRIVATE=true \
    "$BIN" serve >"$work/$store.out" 2>"$work/$store.log" &
  server=$!
  for _ in $(seq 1 100); do grep -q "^listening on" "$work/$store.out" && break; sleep 0.2; done
  [ -n "$key" ] || key=$(grep -o 'sk_test_[0-9a-f_]*' "$work/$store.out" | head -1)
  echo "== $store: schemathesis $SCHEMATHESIS_VERSION, all checks, $EXAMPLES examples per operation"
  # Replacing the identity settings runs after every other operation, on its own: a
  # random default_region or withheld list would turn the phone numbers the hooks draw
  # for calls into 400s. Revoking keys runs last: revoking the key the run uses would
  # leave every later request a 401 that tests nothing.
  # Replacing the retention settings runs on its own too, without the check that every
  # schema-valid body is accepted (`positive_data_acceptance`, ST202; skipped with
  # --exclude-checks as https://schemathesis.readthedocs.io/en/stable/reference/checks/
  # shows): `customers_days` may not exceed `calls_days`, a rule between two fields JSON
  # Schema cannot state, and in our run the coverage phase drew such bodies although a
  # filter_body hook dropped them. Every other check still runs on it.
  for ops in "--exclude-operation-id revoke_key_doc --exclude-operation-id replace_settings_doc --exclude-operation-id replace_retention_doc" \
      "--include-operation-id replace_settings_doc" \
      "--include-operation-id replace_retention_doc --exclude-checks positive_data_acceptance" \
      "--include-operation-id revoke_key_doc"; do
    # Run from the work directory: schemathesis keeps its state in ./.schemathesis.
    # The hooks drop generated bodies the API refuses by design (calls/end with numbers
    # the tenant's region cannot read...); on some seeds that trips Hypothesis's
    # "too many examples filtered out" health check on calls/end, which tests nothing
    # of the API: it is suppressed as schemathesis's own message advises
    # (`--suppress-health-check=filter_too_much`). Every check still runs.
    # shellcheck disable=SC2086
    if ! (cd "$work" && PYTHONPATH="$ROOT/tests/fuzz-api" SCHEMATHESIS_HOOKS=hooks \
        "$VENV/bin/st" run "http://127.0.0.1:$port/v1/openapi.json" $ops \
        --checks all --header "Authorization: Bearer $key" --max-examples "$EXAMPLES" \
        --suppress-health-check=filter_too_much \
        --report junit --report-dir "$store-report"); then
      failed=1
    fi
  done
  if grep -q "panicked" "$work/$store.log"; then
    echo "== $store: the server panicked (see $work/$store.log)"; failed=1
  fi
  kill "$server"; wait "$server" 2>/dev/null || true
  if [ "$store" = postgres ]; then psql "$base" -qc "DROP DATABASE IF EXISTS $name" || true; fi
done
exit $failed
