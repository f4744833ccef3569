//! The seeds' examples, replayed against the real server.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::Server;

fn redact(body: &Value) -> Value {
    let mut body = body.clone();
    fn walk(v: &mut Value) {
        match v {
            Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    match k.as_str() {
                        "call_start" | "call_end" | "expires_at" | "first_seen" | "last_seen"
                        | "period_start" | "period_end" => {
                            assert!(is_timestamp(v), "{k}: {v}");
                            *v = json!("[timestamp]");
                        }
                        "customer_ref"
                            if v.as_str()
                                .is_some_and(|r| r.starts_with("cust_") && r.len() == 37) =>
                        {
                            *v = json!("[generated cust_ ref]");
                        }
                        "request_id" => *v = json!("[request id]"),
                        _ => walk(v),
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut body);
    body
}

/// RFC 3339, UTC, milliseconds, `Z`.
fn is_timestamp(v: &Value) -> bool {
    let Some(s) = v.as_str() else { return false };
    let b = s.as_bytes();
    s.len() == 24
        && b[10] == b'T'
        && b[19] == b'.'
        && s.ends_with('Z')
        && s.chars().enumerate().all(|(i, c)| {
            matches!(i, 4 | 7) && c == '-'
                || matches!(i, 13 | 16) && c == ':'
                || matches!(i, 10 | 19 | 23)
                || c.is_ascii_digit()
        })
}

/// Keys sorted: a JSON object's order means nothing on the wire, and serde_json's
/// follows whichever features the build turned on.
pub fn snapshot(name: &str, body: &Value) {
    insta::with_settings!({sort_maps => true}, {
        insta::assert_json_snapshot!(name, redact(body));
    });
}

/// The identity as the seeds show it: the four fields they name. The additions
/// (`signals`, `candidates`, `risk`) are checked to agree with them.
fn seed_view(identity: &Value) -> Value {
    let weights: f64 = identity["signals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["weight"].as_f64().unwrap())
        .sum();
    let confidence = identity["confidence"].as_f64().unwrap();
    assert_eq!(((weights.min(1.0) * 100.0).round()) / 100.0, confidence);
    let sources: Vec<&Value> = identity["signals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["source"])
        .collect();
    assert_eq!(json!(sources), identity["sources"]);
    json!({
        "confidence": identity["confidence"],
        "level": identity["level"],
        "sources": identity["sources"],
        "recommendation": identity["recommendation"],
    })
}

fn keys(v: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

/// Generic IVR guide, "Test Match Logic": no match, save context, match.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_match_logic_flow() {
    let s = Server::start().await;
    let health = s.get("/v1/health").await;
    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(
        health.json::<Value>().await.unwrap(),
        json!({"status": "healthy"})
    );

    let first = s
        .ok(
            "/v1/calls/start",
            json!({"call_id": "test_001", "identity_hints": {"ani": "+14155559999"}}),
        )
        .await;
    assert_eq!(
        seed_view(&first["identity"]),
        json!({"confidence": 0.0, "level": "low", "sources": [], "recommendation": "ignore"})
    );
    assert_eq!(
        (
            &first["open_intents"],
            &first["variables"],
            &first["billable"]
        ),
        (&json!([]), &json!({}), &json!(true))
    );
    snapshot("new_caller_start", &first);

    let end = s
        .ok(
            "/v1/calls/end",
            json!({"call_id": "test_001", "customer_ref": "cust_abc123", "intent": "test_intent",
            "intent_status": "resolved", "variables": {"test_note": "Test context"}}),
        )
        .await;
    assert_eq!(
        (&end["call_id"], &end["customer_ref"]),
        (&json!("test_001"), &json!("cust_abc123"))
    );
    assert!(is_timestamp(&end["call_end"]));
    snapshot("end_with_variables", &end);

    let second = s
        .ok(
            "/v1/calls/start",
            json!({"call_id": "test_002", "identity_hints": {"ani": "+14155559999"}}),
        )
        .await;
    assert!(
        second["identity"]["confidence"].as_f64().unwrap() >= 0.5,
        "{second}"
    );
    assert_eq!(second["customer_ref"], "cust_abc123");
    assert_eq!(second["variables"]["test_note"]["value"], "Test context");
    assert_eq!(second["billable"], false);
    snapshot("returning_caller_start", &second);
}

/// The served OpenAPI document is the committed one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_is_served() {
    let s = Server::start().await;
    let served = s.get("/v1/openapi.json").await.text().await.unwrap();
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.json")).unwrap();
    assert_eq!(served, committed);
}

/// Documentation home, Quick Start: the response's shape and types.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quick_start_response_shape() {
    let s = Server::start().await;
    let r = s
        .ok(
            "/v1/calls/start",
            json!({"call_id": "call_001", "identity_hints": {"ani": "+14155551234"}}),
        )
        .await;
    assert_eq!(
        keys(&r),
        [
            "billable",
            "call_id",
            "call_start",
            "customer_ref",
            "identity",
            "open_intents",
            "variables"
        ]
    );
    // The seed's four fields, and the additions (docs/IDENTITY.md section 1).
    assert_eq!(
        keys(&r["identity"]),
        [
            "candidates",
            "confidence",
            "level",
            "probability",
            "recommendation",
            "risk",
            "signals",
            "sources"
        ]
    );
    assert_eq!(r["call_id"], "call_001");
    assert!(r["customer_ref"].is_string() && r["identity"]["confidence"].is_number());
    assert!(
        r["identity"]["sources"].is_array()
            && r["open_intents"].is_array()
            && r["variables"].is_object()
    );
    assert!(is_timestamp(&r["call_start"]));
}

/// Best-practices figures: mobile 0.5, mobile + external id 0.9, + recency 0.95, and
/// an ANI-only repeat call the same day without telco data 0.5.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn best_practices_confidence_figures() {
    let s = Server::start().await;
    let with_ids = |call_id: &str| {
        json!({"call_id": call_id, "identity_hints": {"ani": "+14155551234",
            "external_ids": {"crm_id": "crm_12345", "account_number": "ACC-789"}}, "telco": {"line_type": "mobile"}})
    };
    s.ok("/v1/calls/start", with_ids("call_100")).await;
    s.ok("/v1/calls/end", json!({"call_id": "call_100"})).await;
    // Move that call 40 days back: no recency signal.
    s.sql("UPDATE calls SET started_at = started_at - interval '40 days'")
        .await;

    let mobile_only = s
        .ok("/v1/calls/start", json!({"call_id": "call_123", "identity_hints": {"ani": "+14155551234"}, "telco": {"line_type": "mobile"}}))
        .await;
    assert_eq!(
        seed_view(&mobile_only["identity"]),
        json!({"confidence": 0.5, "level": "medium", "sources": ["ani:mobile"], "recommendation": "reuse"})
    );
    s.sql("UPDATE calls SET started_at = started_at - interval '40 days'")
        .await;

    let both = s.ok("/v1/calls/start", with_ids("call_124")).await;
    assert_eq!(
        seed_view(&both["identity"]),
        json!({"confidence": 0.9, "level": "very_high", "sources": ["ani:mobile", "external_id"], "recommendation": "reuse"})
    );

    let recent = s.ok("/v1/calls/start", with_ids("call_125")).await;
    assert_eq!(recent["identity"]["confidence"], 0.95);
    assert_eq!(
        recent["identity"]["sources"],
        json!(["ani:mobile", "external_id", "recency:1day"])
    );

    let other = s
        .ok(
            "/v1/calls/start",
            json!({"call_id": "r1", "identity_hints": {"ani": "+14155550042"}}),
        )
        .await;
    s.ok("/v1/calls/end", json!({"call_id": "r1"})).await;
    let repeat = s
        .ok(
            "/v1/calls/start",
            json!({"call_id": "r2", "identity_hints": {"ani": "+14155550042"}}),
        )
        .await;
    assert_eq!(repeat["customer_ref"], other["customer_ref"]);
    assert_eq!(
        seed_view(&repeat["identity"]),
        json!({"confidence": 0.5, "level": "medium", "sources": ["ani:unknown", "recency:1day"], "recommendation": "reuse"})
    );
}

/// The Twilio Flex functions: the fields they read at start, and their save on wrap-up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twilio_flex_functions() {
    let s = Server::start().await;
    let data = s
        .ok(
            "/v1/calls/start",
            json!({"call_id": "CA0123456789abcdef", "identity_hints": {"ani": "+14155551234",
            "external_ids": {"twilio_call_sid": "CA0123456789abcdef"}}}),
        )
        .await;
    for field in ["customer_ref", "call_start", "variables", "open_intents"] {
        assert!(!data[field].is_null(), "{field} in {data}");
    }
    assert!(data["identity"]["confidence"].is_number() && data["identity"]["level"].is_string());
    let saved = s
        .ok(
            "/v1/calls/end",
            json!({"call_id": "CA0123456789abcdef", "customer_ref": data["customer_ref"],
            "intent": "general_inquiry", "intent_status": "closed",
            "variables": {"summary": "Billing issue - duplicate charge", "disposition": ""}}),
        )
        .await;
    assert_eq!(saved["variables_updated"], 2);
}

/// `intent_is_open` (best practices) is an alias of `intent_status`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intent_is_open_alias() {
    let s = Server::start().await;
    s.ok(
        "/v1/calls/start",
        json!({"call_id": "a1", "identity_hints": {"ani": "+14155550077"}}),
    )
    .await;
    s.ok(
        "/v1/calls/end",
        json!({"call_id": "a1", "intent": "refund_request", "intent_is_open": true,
        "variables": {"refund_amount": "$99.99", "refund_status": "processing"}}),
    )
    .await;
    let next = s
        .ok(
            "/v1/calls/start",
            json!({"call_id": "a2", "identity_hints": {"ani": "+14155550077"}}),
        )
        .await;
    assert_eq!(next["open_intents"][0]["intent"], "refund_request");
    assert_eq!(next["open_intents"][0]["status"], "open");
    assert_eq!(next["open_intents"][0]["attempt_count"], 1);
    assert!(
        next["identity"]["sources"]
            .as_array()
            .unwrap()
            .contains(&json!("intent:open"))
    );
    snapshot("start_with_open_intent", &next);
    s.ok(
        "/v1/calls/end",
        json!({"call_id": "a2", "intent": "refund_request", "intent_is_open": false}),
    )
    .await;
    let after = s
        .ok(
            "/v1/calls/start",
            json!({"call_id": "a3", "identity_hints": {"ani": "+14155550077"}}),
        )
        .await;
    assert_eq!(after["open_intents"], json!([]));
}

/// Retrying a start replays it (never billed twice); another body is `call_id_reused`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_replays_and_reuse_conflicts() {
    let s = Server::start().await;
    let body = json!({"call_id": "retry_1", "identity_hints": {"ani": "+14155550088"}});
    let first = s.post("/v1/calls/start", Some(&s.keys.test), &body).await;
    assert_eq!(first.headers()["x-credits-remaining"], "99");
    let first: Value = first.json().await.unwrap();
    let again = s.ok("/v1/calls/start", body).await;
    assert_eq!(
        (
            &again["customer_ref"],
            &again["call_start"],
            &again["identity"]
        ),
        (
            &first["customer_ref"],
            &first["call_start"],
            &first["identity"]
        )
    );
    let other = s
        .ok(
            "/v1/calls/start",
            json!({"call_id": "probe", "identity_hints": {"ani": "+14155550099"}}),
        )
        .await;
    assert_eq!(other["billable"], true);
    let probe = s
        .post(
            "/v1/calls/start",
            Some(&s.keys.test),
            &json!({"call_id": "probe2", "identity_hints": {"ani": "+14155550098"}}),
        )
        .await;
    assert_eq!(
        probe.headers()["x-credits-remaining"],
        "97",
        "the retry was not charged"
    );
    let reused = s
        .post(
            "/v1/calls/start",
            Some(&s.keys.test),
            &json!({"call_id": "retry_1", "identity_hints": {"ani": "+14155550000"}}),
        )
        .await;
    let body = crate::support::error_body(reused, StatusCode::CONFLICT, "call_id_reused").await;
    snapshot("error_409_call_id_reused", &body);
}

/// An end for a call never started, with hints, is recorded whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standalone_end() {
    let s = Server::start().await;
    let end = s
        .ok("/v1/calls/end", json!({"call_id": "batch_7", "identity_hints": {"ani": "+14155550066"},
            "intent": "callback", "intent_status": "open", "variables": {"note": "from the batch"}}))
        .await;
    assert_eq!(
        (
            &end["duration_seconds"],
            &end["intents_updated"],
            &end["variables_updated"]
        ),
        (&json!(0), &json!(1), &json!(1))
    );
    let next = s
        .ok(
            "/v1/calls/start",
            json!({"call_id": "live_1", "identity_hints": {"ani": "+14155550066"}}),
        )
        .await;
    assert_eq!(next["customer_ref"], end["customer_ref"]);
    assert_eq!(next["variables"]["note"]["value"], "from the batch");
}

/// Best practices, "Integration Tests": new customer billable, returning one free.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn best_practices_integration_tests() {
    let s = Server::start().await;
    let new = s
        .ok(
            "/v1/calls/start",
            json!({"call_id": "test_new_001", "identity_hints": {"ani": "+19999999999"}}),
        )
        .await;
    assert_eq!(new["billable"], true);
    assert_eq!(new["identity"]["confidence"], 0.0);
    s.ok(
        "/v1/calls/start",
        json!({"call_id": "test_001", "identity_hints": {"ani": "+14155551234"}}),
    )
    .await;
    s.ok(
        "/v1/calls/end",
        json!({"call_id": "test_001", "customer_ref": "cust_test", "variables": {"name": "Test"},
        "intent": "test", "intent_is_open": false}),
    )
    .await;
    let back = s
        .ok(
            "/v1/calls/start",
            json!({"call_id": "test_002", "identity_hints": {"ani": "+14155551234"}}),
        )
        .await;
    assert_eq!(back["customer_ref"], "cust_test");
    assert!(back["identity"]["confidence"].as_f64().unwrap() > 0.0);
    assert_eq!(back["billable"], false);
    assert_eq!(back["variables"]["name"]["value"], "Test");
}
