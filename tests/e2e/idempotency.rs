//! `Idempotency-Key` on POSTs.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Server, error_body};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_key_and_body_replays_another_body_conflicts() {
    let s = Server::start().await;
    let key = s.keys.test.clone();
    s.ok(
        "/v1/calls/start",
        json!({"call_id": "k1", "identity_hints": {"ani": "+14155550111"}}),
    )
    .await;
    let body = json!({"call_id": "k1", "variables": {"note": "first"}}).to_string();
    let headers = [("Idempotency-Key", "end_k1_attempt1")];
    let first = s
        .post_raw("/v1/calls/end", Some(&key), body.clone(), &headers)
        .await;
    assert_eq!(first.status(), StatusCode::OK);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.unwrap();

    let replay = s
        .post_raw("/v1/calls/end", Some(&key), body, &headers)
        .await;
    assert_eq!(replay.status(), StatusCode::OK);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(
        replay.json::<Value>().await.unwrap(),
        first,
        "the stored response, byte for byte"
    );

    let other = json!({"call_id": "k1", "variables": {"note": "second"}}).to_string();
    let conflict = s
        .post_raw("/v1/calls/end", Some(&key), other, &headers)
        .await;
    let body = error_body(conflict, StatusCode::CONFLICT, "idempotency_key_reused").await;
    crate::seeds::snapshot("error_409_idempotency_key_reused", &body);

    // A start retried with its key is replayed, not billed again.
    let start = json!({"call_id": "k2", "identity_hints": {"ani": "+14155550112"}}).to_string();
    let h = [("Idempotency-Key", "start_k2")];
    let a = s
        .post_raw("/v1/calls/start", Some(&key), start.clone(), &h)
        .await;
    assert_eq!(a.headers()["x-credits-remaining"], "98");
    let b = s.post_raw("/v1/calls/start", Some(&key), start, &h).await;
    assert_eq!(b.headers()["idempotent-replayed"], "true");
    let probe = s
        .post(
            "/v1/calls/start",
            Some(&key),
            &json!({"call_id": "k3", "identity_hints": {"ani": "+14155550113"}}),
        )
        .await;
    assert_eq!(probe.headers()["x-credits-remaining"], "97");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_per_tenant() {
    let s = Server::start().await;
    let body = json!({"call_id": "t1", "identity_hints": {"ani": "+14155550114"}}).to_string();
    let h = [("Idempotency-Key", "same-key")];
    let test = s
        .post_raw("/v1/calls/start", Some(&s.keys.test), body.clone(), &h)
        .await;
    let prod = s
        .post_raw("/v1/calls/start", Some(&s.keys.prod), body, &h)
        .await;
    assert_eq!(
        (test.status(), prod.status()),
        (StatusCode::OK, StatusCode::OK)
    );
    assert!(
        prod.headers().get("idempotent-replayed").is_none(),
        "prod never sees test's stored response"
    );
}

/// A 402 is not stored: once credits arrive, the same request with the same key runs
/// and succeeds (it used to replay the 402 for a day).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_for_credits_is_not_replayed_once_credits_arrive() {
    let s = Server::start().await;
    s.sql("UPDATE credit_balances SET allowance_left = 0, top_up = 0")
        .await;
    let body = json!({"call_id": "p1", "identity_hints": {"ani": "+14155550402"}}).to_string();
    let headers = [("Idempotency-Key", "start_p1")];
    let broke = s
        .post_raw(
            "/v1/calls/start",
            Some(&s.keys.test),
            body.clone(),
            &headers,
        )
        .await;
    error_body(broke, StatusCode::PAYMENT_REQUIRED, "insufficient_credits").await;
    s.sql("UPDATE credit_balances SET top_up = 5").await;
    let paid = s
        .post_raw("/v1/calls/start", Some(&s.keys.test), body, &headers)
        .await;
    assert_eq!(paid.status(), StatusCode::OK);
    assert!(paid.headers().get("idempotent-replayed").is_none());
}

/// `POST /v1/keys` and `POST /v1/accounts` honour `Idempotency-Key`: a retry gets the
/// same secret back, not a second key or account, and the database holds neither the
/// secret nor the header in clear.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_and_signups_are_replayed_sealed() {
    let s = Server::start().await;
    let header = "5b0e4c2a-9f7d-4d8e-b1a3-0c6f2e9d7a41";
    let h = [("Idempotency-Key", header)];
    let body = json!({"name": "ivr"}).to_string();
    let first = s
        .post_raw("/v1/keys", Some(&s.keys.test), body.clone(), &h)
        .await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let again = s.post_raw("/v1/keys", Some(&s.keys.test), body, &h).await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(
        again.json::<Value>().await.unwrap(),
        first,
        "the same key, shown again"
    );
    let listed = s.get_ok("/v1/keys", &s.keys.test).await;
    assert_eq!(
        listed["keys"].as_array().unwrap().len(),
        2,
        "one key made, not two"
    );

    let signup = json!({"email": "ops@acme.example", "name": "Acme"}).to_string();
    let a = s.post_raw("/v1/accounts", None, signup.clone(), &h).await;
    assert_eq!(a.status(), StatusCode::CREATED);
    let a: Value = a.json().await.unwrap();
    let b = s.post_raw("/v1/accounts", None, signup, &h).await;
    assert_eq!(b.headers()["idempotent-replayed"], "true");
    assert_eq!(b.json::<Value>().await.unwrap(), a);
    let other = json!({"email": "ops@other.example", "name": "Other"}).to_string();
    let conflict = s.post_raw("/v1/accounts", None, other, &h).await;
    error_body(conflict, StatusCode::CONFLICT, "idempotency_key_reused").await;

    let secret = first["key"].as_str().unwrap();
    let in_clear = format!(
        "SELECT count(*) FROM idempotency_keys WHERE key LIKE '%{header}%' \
         OR response_body LIKE '%{secret}%' OR response_body LIKE '%{}%' \
         OR response_body LIKE '%sk_%'",
        a["keys"]["test"].as_str().unwrap()
    );
    assert_eq!(
        s.sql_count(&in_clear).await,
        0,
        "no header or secret in clear"
    );
    assert_eq!(
        s.sql_count("SELECT count(*) FROM idempotency_keys WHERE response_body LIKE 'sealed:v1:%'")
            .await,
        2
    );
}
