#!/usr/bin/env bash
# `make fuzz-long`: each parser fuzz property (or those named) for FUZZ_MINUTES minutes
# (default 10), in rounds of FUZZ_ROUND cases (default 20000), each round with a fresh
# random seed; prints the cases run per property. Stops at the first failure and shows
# proptest's minimal failing input.
set -euo pipefail
cd "$(dirname "$0")/../.."
MINUTES=${FUZZ_MINUTES:-10}
ROUND=${FUZZ_ROUND:-20000}
PROPS=("$@")
[ ${#PROPS[@]} -gt 0 ] || PROPS=(
  phone_numbers_never_panic_and_read_back_the_same
  customer_refs_never_panic_and_are_storable
  variables_never_panic_and_store_only_storable_text
  request_bodies_never_panic
)
run() {
  PROPTEST_CASES=$ROUND cargo test -q --release --locked -p stickycalls-domain --lib \
    "fuzz::$1" -- --exact --test-threads 1
}
run "${PROPS[0]}" >/dev/null  # build once
out=$(mktemp)
for prop in "${PROPS[@]}"; do
  end=$((SECONDS + MINUTES * 60))
  rounds=0
  while [ $SECONDS -lt $end ]; do
    if ! run "$prop" >"$out" 2>&1; then
      cat "$out"
      echo "fuzz-long: $prop FAILED after $((rounds * ROUND)) cases"
      exit 1
    fi
    rounds=$((rounds + 1))
  done
  echo "fuzz-long: $prop: $((rounds * ROUND)) cases in $MINUTES min, no failure"
done
