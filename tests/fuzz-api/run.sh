#!/usr/bin/env bash
# Schemathesis (pinned, in a virtualenv under target/) with every check against a live
# server on each store named (memory, sqlite, postgres), driven by the OpenAPI document
# the server itself serves. Usage: run.sh [STORE...]; FUZZ_API_EXAMPLES per operation.
# Exits non-zero when any check fails on any store.
set -euo pipefail
cd "$(dirname "$0")/../.."

SCHEMATHESIS_VERSION=4.32.5
VENV="$PWD/target/venv-fuzz-api"
EXAMPLES=${FUZZ_API_EXAMPLES:-50}
STORES=("$@")
[ ${#STORES[@]} -gt 0 ] || STORES=(memory sqlite postgres)

if [ ! -x "$VENV/bin/st" ] || ! "$VENV/bin/st" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi
cargo build --release --locked -p stickycalls

work=$(mktemp -d target/fuzz-api.XXXXXX)
failed=0
for store in "${STORES[@]}"; do
  case "$store" in
    memory) url="memory://" ;;
    sqlite) url="sqlite://$PWD/$work/fuzz.db" ;;
    postgres)
      base=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
      name="fuzz_api_$$"
      psql "$base" -qc "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
      url="${base%/*}/$name" ;;
    *) echo "unknown store $store" >&2; exit 2 ;;
  esac
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  STICKYCALLS_DATABASE_URL="$url" STICKYCALLS_LISTEN="127.0.0.1:$port" RUST_LOG=warn \
    STICKYCALLS_RATE_LIMITS="free=100000/1" \
    target/release/stickycalls serve >"$work/$store.out" 2>"$work/$store.log" &
  server=$!
  for _ in $(seq 1 100); do grep -q "^listening on" "$work/$store.out" && break; sleep 0.2; done
  key=$(grep -o 'sk_test_[0-9a-f_]*' "$work/$store.out" | head -1)
  echo "== $store: schemathesis $SCHEMATHESIS_VERSION, all checks, $EXAMPLES examples per operation"
  # Run from the work directory: schemathesis keeps its state in ./.schemathesis.
  if ! (cd "$work" && "$VENV/bin/st" run "http://127.0.0.1:$port/v1/openapi.json" \
      --checks all --header "Authorization: Bearer $key" --max-examples "$EXAMPLES" \
      --report junit --report-dir "$store-report"); then
    failed=1
  fi
  kill "$server"; wait "$server" 2>/dev/null || true
  if [ "$store" = postgres ]; then psql "$base" -qc "DROP DATABASE IF EXISTS $name" || true; fi
done
exit $failed
