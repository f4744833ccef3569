"""Amazon Lex V2 -> Sticky Calls: a code hook Lambda (Python 3.12, standard library
only). On the first turn (DialogCodeHook) it identifies the caller and keeps the answer
in session attributes (strings) for the bot's prompts and conditions; when an intent is
fulfilled (FulfillmentCodeHook) it saves the call. Under Amazon Connect, pass the
caller's number and the contact id to the bot as session attributes `caller_number`
and `contact_id` (the "Get customer input" block). A live caller hears silence while
this runs: we spend at most 3 s per call to Sticky Calls.
Environment: STICKYCALLS_URL, STICKYCALLS_KEY."""

import json
import os
import urllib.error
import urllib.request

TIMEOUT = 3.0


def post(path, body, idempotency_key):
    request = urllib.request.Request(
        os.environ["STICKYCALLS_URL"] + path, data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": "Bearer " + os.environ["STICKYCALLS_KEY"],
                 "Content-Type": "application/json", "Idempotency-Key": idempotency_key})
    with urllib.request.urlopen(request, timeout=TIMEOUT) as r:
        return json.load(r)


def identify(attributes, call_id):
    try:
        a = post("/v1/calls/start", {"call_id": call_id,
                                     "identity_hints": {"ani": attributes.get("caller_number", "")}},
                 call_id + ":start")
    except (urllib.error.URLError, TimeoutError, ValueError) as e:
        print(f"sticky calls: {e}; treating the caller as new")
        attributes.update(sticky_checked="true", recommendation="ignore", customer_ref="")
        return
    reuse = a["identity"]["recommendation"] == "reuse"
    attributes.update(
        sticky_checked="true",
        customer_ref=a.get("customer_ref") or "",
        recommendation=a["identity"]["recommendation"],
        # Context only for a caller we are sure of.
        open_issues=", ".join(i["intent"] for i in a.get("open_intents", []) if i["status"] == "open") if reuse else "",
        caller_notes="; ".join(f"{k}: {v['value']}" for k, v in a.get("variables", {}).items()) if reuse else "",
    )


def lambda_handler(event, context):
    state = event["sessionState"]
    attributes = state.get("sessionAttributes") or {}
    intent = state["intent"]
    call_id = "lex_" + attributes.get("contact_id", event["sessionId"])
    if event["invocationSource"] == "DialogCodeHook":
        if attributes.get("sticky_checked") != "true":
            identify(attributes, call_id)
        return {"sessionState": {"sessionAttributes": attributes, "dialogAction": {"type": "Delegate"},
                                 "intent": intent}}
    # FulfillmentCodeHook: the caller's request is done; save it under this call.
    body = {"call_id": call_id, "intent": intent["name"], "intent_status": "resolved",
            "variables": {"summary": event.get("inputTranscript", "")[:1000]}}
    if attributes.get("customer_ref"):
        body["customer_ref"] = attributes["customer_ref"]
    try:
        post("/v1/calls/end", body, call_id + ":end")
    except (urllib.error.URLError, TimeoutError, ValueError) as e:
        print(f"sticky calls: {e}; not saved")
    intent["state"] = "Fulfilled"
    return {"sessionState": {"sessionAttributes": attributes, "dialogAction": {"type": "Close"}, "intent": intent},
            "messages": [{"contentType": "PlainText", "content": "All done. Thanks for calling."}]}
