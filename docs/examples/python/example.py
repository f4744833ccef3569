"""Sticky Calls from Python: identify the caller at call start, save at call end.

The seeds' decision logic (act on identity.recommendation, route by open intents),
the error table (401/402 alert an admin, 429/5xx retry, anything else falls back),
retries with back-off under one Idempotency-Key, and a 3 s timeout after which the
call goes on as a new caller's. Needs `requests` (pip install requests).

    STICKYCALLS_URL=http://127.0.0.1:8080 STICKYCALLS_KEY=sk_test_... python3 example.py
"""

import os
import sys
import time

import requests

BASE_URL = os.environ.get("STICKYCALLS_URL", "http://127.0.0.1:8080")
API_KEY = os.environ["STICKYCALLS_KEY"]
TIMEOUT_SECONDS = 3.0  # per attempt: the caller must never wait on us
ATTEMPTS = 3  # one try and two retries
RETRYABLE = {408, 409, 429, 500, 502, 503, 504}  # 409: the same key still running

# What a call goes on with when Sticky Calls cannot answer: a new caller.
FALLBACK = {
    "customer_ref": None,
    "identity": {"confidence": 0.0, "level": "low", "sources": [], "recommendation": "ignore"},
    "open_intents": [],
    "variables": {},
}


class Outcome:
    """An API answer, or the fallback and why."""

    def __init__(self, status, body, attempts, fallback=False):
        self.status, self.body, self.attempts, self.fallback = status, body, attempts, fallback


def post(path, body, idempotency_key, base_url=BASE_URL, api_key=API_KEY):
    """POSTs with retries. Never raises: a failure becomes the fallback."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            r = requests.post(
                f"{base_url}{path}",
                json=body,
                headers={"Authorization": f"Bearer {api_key}", "Idempotency-Key": idempotency_key},
                timeout=TIMEOUT_SECONDS,
            )
        except requests.Timeout:
            print(f"sticky calls: no answer in {TIMEOUT_SECONDS}s, standard flow", file=sys.stderr)
            return Outcome(None, FALLBACK, attempt, fallback=True)
        except requests.RequestException as e:
            print(f"sticky calls unreachable ({e}), standard flow", file=sys.stderr)
            return Outcome(None, FALLBACK, attempt, fallback=True)
        if r.status_code == 200:
            return Outcome(200, r.json(), attempt)
        if r.status_code in RETRYABLE and attempt < ATTEMPTS:
            # Retry-After when the server gives one, else 0.25 s, 0.5 s...; capped at 1 s.
            wait = min(float(r.headers.get("Retry-After", 0.25 * 2 ** (attempt - 1))), 1.0)
            time.sleep(wait)
            continue
        if r.status_code in (401, 402):
            # 401: check the API key; 402: no credits left. Both need a person.
            print(f"ALERT admin: sticky calls answered {r.status_code} {r.json().get('code')}", file=sys.stderr)
        else:
            print(f"sticky calls answered {r.status_code}, standard flow", file=sys.stderr)
        return Outcome(r.status_code, FALLBACK, attempt, fallback=True)


def identify_caller(call_id, ani, crm_id=None, base_url=BASE_URL, api_key=API_KEY):
    hints = {"ani": ani}
    if crm_id:
        hints["external_ids"] = {"customer_id": crm_id}
    body = {"call_id": call_id, "identity_hints": hints}
    return post("/v1/calls/start", body, f"{call_id}:start", base_url, api_key)


def save_context(call_id, customer_ref, intent, intent_status, variables):
    body = {"call_id": call_id, "customer_ref": customer_ref, "intent": intent,
            "intent_status": intent_status, "variables": variables}
    return post("/v1/calls/end", body, f"{call_id}:end")


def decide(answer):
    """The seeds' decision logic: what to do with the caller, and which queue."""
    recommendation = answer["identity"]["recommendation"]
    if recommendation == "reuse":
        action = "greet_with_context"  # personalised greeting, context to the agent
    elif recommendation == "confirm":
        action = "confirm_identity"  # one question (candidates' hints) before any context
    else:
        action = "standard_greeting"
    queue = "general"
    for intent in answer.get("open_intents", []):
        if intent["status"] != "open":
            continue
        if intent["intent"] == "escalation":
            queue = "senior"
            break
        if intent["intent"] == "billing_issue":
            queue = "billing"
        elif intent["intent"] == "technical_support" and queue == "general":
            queue = "technical"
    return action, queue


def report(label, outcome):
    answer = outcome.body
    action, queue = decide(answer)
    note = answer["variables"].get("test_note", {}).get("value", "")
    print(f"{label}: status={outcome.status or 0} attempts={outcome.attempts} fallback={str(outcome.fallback).lower()} "
          f"recommendation={answer['identity']['recommendation']} level={answer['identity']['level']} "
          f"action={action} queue={queue} note={note}")


def main():
    ani = os.environ.get("EXAMPLE_ANI", "+14155559999")
    prefix = os.environ.get("EXAMPLE_PREFIX", "py")
    # The seeds' "Test Match Logic": a new caller, their call saved, then recognised.
    first = identify_caller(f"{prefix}_001", ani)
    report("first", first)
    saved = save_context(f"{prefix}_001", first.body["customer_ref"], "billing_issue", "open",
                         {"test_note": "Test context"})
    print(f"end: status={saved.status or 0} fallback={str(saved.fallback).lower()}")
    report("second", identify_caller(f"{prefix}_002", ani))
    # Faults: a flaky route (retried under one Idempotency-Key), a slow one (3 s, then
    # the standard flow), a revoked key (alert, then the standard flow).
    if "FLAKY_URL" in os.environ:
        report("retried", identify_caller(f"{prefix}_003", ani, base_url=os.environ["FLAKY_URL"]))
    if "SLOW_URL" in os.environ:
        report("timeout", identify_caller(f"{prefix}_004", ani, base_url=os.environ["SLOW_URL"]))
    report("unauthorized", identify_caller(f"{prefix}_005", ani, api_key="sk_test_0000000000000000_revoked"))


if __name__ == "__main__":
    main()
