"""Amazon Connect -> Sticky Calls: an AWS Lambda (Python 3.12, standard library only)
for the flow's "AWS Lambda function" block (Invoke Lambda, Synchronous). Connect waits
for the block's Timeout (default 3 s, at most 8 s in synchronous mode) and sends a
timeout or an error down the block's Error branch. This code gives Sticky Calls TIMEOUT
and then answers found=false itself, so set the block's Timeout above that (8 s) and the
function's own timeout to 8 s. Response validation STRING_MAP: a flat object of string
values, so nested answers are flattened here (under 32 KB).
Environment: STICKYCALLS_URL, STICKYCALLS_KEY."""

import json
import os
import urllib.error
import urllib.request

TIMEOUT = 3.0
FALLBACK = {"found": "false", "customer_ref": "", "recommendation": "ignore", "level": "low",
            "confidence": "0", "open_intent": "", "last_note": ""}


def post(path, body, idempotency_key):
    request = urllib.request.Request(
        os.environ["STICKYCALLS_URL"] + path, data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": "Bearer " + os.environ["STICKYCALLS_KEY"],
                 "Content-Type": "application/json", "Idempotency-Key": idempotency_key})
    with urllib.request.urlopen(request, timeout=TIMEOUT) as r:
        return json.load(r)


def lambda_handler(event, context):
    contact = event["Details"]["ContactData"]
    params = event["Details"].get("Parameters") or {}
    if params.get("action") == "save":
        return save(contact, params)
    hints = {"ani": (contact.get("CustomerEndpoint") or {}).get("Address", "")}
    if params.get("crm_id"):
        hints["external_ids"] = {"customer_id": params["crm_id"]}
    try:
        a = post("/v1/calls/start", {"call_id": contact["ContactId"], "identity_hints": hints},
                 contact["ContactId"] + ":start")
    except (urllib.error.URLError, TimeoutError, ValueError) as e:
        print(f"sticky calls: {e}; standard flow")
        return dict(FALLBACK)
    identity = a["identity"]
    intent = next((i["intent"] for i in a.get("open_intents", []) if i["status"] == "open"), "")
    notes = list((a.get("variables") or {}).values())
    return {
        "found": "true",
        "customer_ref": a.get("customer_ref") or "",
        "recommendation": identity["recommendation"],
        "level": identity["level"],
        "confidence": str(identity["confidence"]),
        "open_intent": intent,
        # Notes only for a caller we are sure of (reuse); never on confirm or ignore.
        "last_note": str(notes[0]["value"]) if notes and identity["recommendation"] == "reuse" else "",
    }


def save(contact, params):
    body = {"call_id": contact["ContactId"],
            "customer_ref": params.get("customer_ref") or (contact.get("Attributes") or {}).get("customer_ref"),
            "intent": params.get("intent") or "general_inquiry",
            "intent_status": params.get("intent_status") or "resolved",
            "variables": {"summary": params["summary"]} if params.get("summary") else {}}
    body = {k: v for k, v in body.items() if v is not None}
    try:
        post("/v1/calls/end", body, contact["ContactId"] + ":end")
        return {"saved": "true"}
    except (urllib.error.URLError, TimeoutError, ValueError) as e:
        print(f"sticky calls: {e}; not saved")
        return {"saved": "false"}
