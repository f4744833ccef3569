#!/usr/bin/env bash
# Sticky Calls with cURL (and jq for the decision): identify the caller at call start,
# save at call end, with the seeds' decision logic, retries under one Idempotency-Key
# (curl's --retry honours Retry-After on 408/429/500/502/503/504) and a 3 s timeout
# per try, after which the call goes on as a new caller's.
#
#   STICKYCALLS_URL=http://127.0.0.1:8080 STICKYCALLS_KEY=sk_test_... bash example.sh
set -uo pipefail

BASE_URL="${STICKYCALLS_URL:-http://127.0.0.1:8080}"
API_KEY="${STICKYCALLS_KEY:?set STICKYCALLS_KEY}"
FALLBACK='{"customer_ref":null,"identity":{"confidence":0.0,"level":"low","sources":[],"recommendation":"ignore"},"open_intents":[],"variables":{}}'

# post URL PATH IDEMPOTENCY_KEY BODY [KEY]: prints "STATUS ATTEMPTS FALLBACK" then the body.
post() {
  local url=$1 path=$2 idem=$3 body=$4 key=${5:-$API_KEY} out log code attempts
  out=$(mktemp) log=$(mktemp)
  # curl warns once per retry ("Will retry in ..."): that count is the retries.
  code=$(curl --no-progress-meter -o "$out" -w '%{http_code}' -X POST "$url$path" \
    --max-time 3 --retry 2 --retry-max-time 3 \
    -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
    -H "Idempotency-Key: $idem" -d "$body" 2>"$log")
  attempts=$(( $(grep -c 'Will retry' "$log") + 1 ))
  rm -f "$log"
  if [ "$code" = "200" ]; then
    echo "200 $attempts false"; cat "$out"
  else
    case "$code" in
      000) echo "sticky calls: no answer in 3 s, standard flow" >&2; code=0 ;;
      401|402) echo "ALERT admin: sticky calls answered $code $(jq -r .code "$out" 2>/dev/null)" >&2 ;;
      *) echo "sticky calls answered $code, standard flow" >&2 ;;
    esac
    echo "$code $attempts true"; echo "$FALLBACK"
  fi
  rm -f "$out"
}

identify_caller() { # CALL_ID ANI [URL] [KEY]
  post "${3:-$BASE_URL}" /v1/calls/start "$1:start" \
    "$(jq -nc --arg c "$1" --arg a "$2" '{call_id:$c, identity_hints:{ani:$a}}')" "${4:-$API_KEY}"
}

# The seeds' decision logic, in jq: the action from the recommendation, the queue from
# open intents.
DECIDE='
  (.identity.recommendation) as $r
  | (if $r == "reuse" then "greet_with_context" elif $r == "confirm" then "confirm_identity"
     else "standard_greeting" end) as $action
  | ([.open_intents[]? | select(.status == "open") | .intent]) as $open
  | (if ($open | index("escalation")) then "senior" elif ($open | index("billing_issue")) then "billing"
     elif ($open | index("technical_support")) then "technical" else "general" end) as $queue
  | "recommendation=\(.identity.recommendation) level=\(.identity.level) action=\($action) queue=\($queue) note=\(.variables.test_note.value // "")"'

report() { # LABEL, then post's output on stdin
  local status attempts fallback body
  read -r status attempts fallback
  body=$(cat)
  echo "$1: status=$status attempts=$attempts fallback=$fallback $(jq -r "$DECIDE" <<<"$body")"
}

ANI="${EXAMPLE_ANI:-+14155559999}"
PREFIX="${EXAMPLE_PREFIX:-curl}"
# The seeds' "Test Match Logic": a new caller, their call saved, then recognised.
first=$(identify_caller "${PREFIX}_001" "$ANI")
report first <<<"$first"
ref=$(tail -n +2 <<<"$first" | jq -r .customer_ref)
end=$(post "$BASE_URL" /v1/calls/end "${PREFIX}_001:end" \
  "$(jq -nc --arg c "${PREFIX}_001" --arg r "$ref" '{call_id:$c, customer_ref:$r, intent:"billing_issue",
    intent_status:"open", variables:{test_note:"Test context"}}')")
read -r status _ fallback <<<"$end"
echo "end: status=$status fallback=$fallback"
identify_caller "${PREFIX}_002" "$ANI" | report second
# Faults: a flaky route, a slow one, a revoked key.
[ -n "${FLAKY_URL:-}" ] && identify_caller "${PREFIX}_003" "$ANI" "$FLAKY_URL" | report retried
[ -n "${SLOW_URL:-}" ] && identify_caller "${PREFIX}_004" "$ANI" "$SLOW_URL" | report timeout
identify_caller "${PREFIX}_005" "$ANI" "$BASE_URL" sk_test_0000000000000000_revoked | report unauthorized
