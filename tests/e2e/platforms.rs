//! Real clients' habits (issue 18): what platform templates send for values they do
//! not have, run as the seeds' own integrations send it.

use serde_json::json;

use crate::support::Server;

/// The seeds' Twilio "Save Context" Function, after its get-context fallback fired:
/// `customer_ref: ""`, empty notes. The wrap-up is saved on the start's customer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twilios_wrap_up_with_an_empty_customer_ref_is_saved() {
    let s = Server::start().await;
    let started = s
        .ok(
            "/v1/calls/start",
            json!({"call_id": "CA42", "identity_hints": {"ani": "+14155550142",
                "external_ids": {"twilio_call_sid": "CA42"}}}),
        )
        .await;
    let ended = s
        .ok(
            "/v1/calls/end",
            json!({"call_id": "CA42", "customer_ref": "", "intent": "general_inquiry",
                "intent_status": "closed", "variables": {"summary": "", "disposition": ""}}),
        )
        .await;
    assert_eq!(ended["customer_ref"], started["customer_ref"]);
}

/// Studio, Connect and Genesys data actions send numbers as JSON numbers and blanks for
/// what they lack: a CRM id of `1042` is the text "1042", a blank DNIS is none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numbers_and_blanks_from_platform_templates_are_read() {
    let s = Server::start().await;
    let first = s
        .ok(
            "/v1/calls/start",
            json!({"call_id": "n1", "identity_hints": {"ani": "", "dnis": "",
                "customer_ref": "", "external_ids": {"crm": 1042}}}),
        )
        .await;
    s.ok(
        "/v1/calls/end",
        json!({"call_id": "n1", "customer_ref": "crm-1042"}),
    )
    .await;
    let again = s
        .ok(
            "/v1/calls/start",
            json!({"call_id": "n2", "identity_hints": {"external_ids": {"crm": "1042"}}}),
        )
        .await;
    assert_eq!(again["customer_ref"], "crm-1042", "{first} then {again}");
}
