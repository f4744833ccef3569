//! Identity 2.0 on the wire: attestation in the platforms' spellings, signals that add
//! up, candidates on a shared line, `spoof_suspected` (docs/IDENTITY.md).

use serde_json::{Value, json};

use crate::support::Server;

fn start(call_id: &str, ani: &str, telco: Value) -> Value {
    json!({"call_id": call_id, "identity_hints": {"ani": ani}, "telco": telco})
}

fn refs(candidates: &Value) -> Vec<&str> {
    candidates
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["customer_ref"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_household_line_offers_both_people_and_a_question() {
    let s = Server::start().await;
    let line = |id: &str| start(id, "+14155550031", json!({"line_type": "landline"}));
    s.ok("/v1/calls/start", line("hh-1")).await;
    s.ok(
        "/v1/calls/end",
        json!({"call_id": "hh-1", "customer_ref": "ann", "intent": "refund", "intent_status": "open"}),
    )
    .await;
    s.ok("/v1/calls/start", line("hh-2")).await;
    s.ok(
        "/v1/calls/end",
        json!({"call_id": "hh-2", "customer_ref": "ben"}),
    )
    .await;

    let r = s.ok("/v1/calls/start", line("hh-3")).await;
    let identity = &r["identity"];
    assert_eq!(identity["recommendation"], "confirm");
    assert_eq!(refs(&identity["candidates"]), ["ben", "ann"]);
    assert_eq!(r["customer_ref"], "ben");
    let ann = &identity["candidates"][1];
    assert_eq!(ann["hint"], "refund");
    assert!(ann["last_seen"].as_str().unwrap().ends_with('Z'));
    assert_eq!(identity["candidates"][0]["hint"], Value::Null);
    // 0.4 / 2 + recency:1day, as signals.
    assert_eq!(
        identity["signals"],
        json!([{"source": "ani:shared", "weight": 0.2}, {"source": "recency:1day", "weight": 0.05}])
    );
    assert_eq!(identity["confidence"], 0.25);
    assert_eq!(identity["risk"], json!([]));
    assert_eq!(r["billable"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_attestation_is_never_reused_and_says_why() {
    let s = Server::start().await;
    let call = |id: &str, attestation: &str| {
        start(
            id,
            "+14155550032",
            json!({"line_type": "mobile", "attestation": attestation}),
        )
    };
    s.ok("/v1/calls/start", call("sp-1", "TN-Validation-Passed-A"))
        .await;
    s.ok(
        "/v1/calls/end",
        json!({"call_id": "sp-1", "customer_ref": "owner"}),
    )
    .await;
    let genuine = s.ok("/v1/calls/start", call("sp-2", "A")).await;
    assert_eq!(genuine["identity"]["recommendation"], "reuse");
    assert_eq!(genuine["identity"]["risk"], json!([]));

    let spoof = s
        .ok("/v1/calls/start", call("sp-3", "TN-Validation-Failed-A"))
        .await;
    assert_eq!(spoof["identity"]["confidence"], 0.55);
    assert_eq!(spoof["identity"]["recommendation"], "confirm");
    assert_eq!(spoof["identity"]["risk"], json!(["spoof_suspected"]));
    assert_eq!(spoof["billable"], true);
    let again = s
        .ok("/v1/calls/start", call("sp-3", "TN-Validation-Failed-A"))
        .await;
    assert_eq!(again["identity"], spoof["identity"]);

    // B alone is evidence, not enough for `reuse`.
    let partial = s.ok("/v1/calls/start", call("sp-4", "B")).await;
    assert_eq!(partial["identity"]["recommendation"], "confirm");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mobile_dormant_for_months_is_not_reused_then_moves_to_its_new_subscriber() {
    let s = Server::start().await;
    let call = |id: &str| {
        start(
            id,
            "+14155550033",
            json!({"line_type": "mobile", "attestation": "TN-Validation-Passed-A"}),
        )
    };
    s.ok("/v1/calls/start", call("rc-1")).await;
    s.ok(
        "/v1/calls/end",
        json!({"call_id": "rc-1", "customer_ref": "first_owner"}),
    )
    .await;
    // Four months of silence on the number.
    s.sql("UPDATE calls SET started_at = started_at - interval '120 days', ended_at = ended_at - interval '120 days'")
        .await;
    s.sql("UPDATE customer_phones SET linked_at = linked_at - interval '120 days', first_confirmed_at = first_confirmed_at - interval '120 days', last_confirmed_at = last_confirmed_at - interval '120 days'")
        .await;

    let stranger = s.ok("/v1/calls/start", call("rc-2")).await;
    assert_eq!(stranger["customer_ref"], "first_owner");
    assert_eq!(stranger["identity"]["recommendation"], "confirm");
    assert_eq!(stranger["identity"]["risk"], json!(["possibly_recycled"]));
    s.ok(
        "/v1/calls/end",
        json!({"call_id": "rc-2", "customer_ref": "new_subscriber"}),
    )
    .await;

    let next = s.ok("/v1/calls/start", call("rc-3")).await;
    assert_eq!(next["customer_ref"], "new_subscriber");
    assert_eq!(next["identity"]["recommendation"], "reuse");
    assert_eq!(
        next["identity"]["sources"],
        json!(["ani:mobile", "recency:1day"])
    );
    assert_eq!(next["identity"]["candidates"], json!([]));
}
