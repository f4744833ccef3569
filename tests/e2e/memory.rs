//! `STICKYCALLS_DATABASE_URL=memory://`: the in-memory store behind the real binary,
//! for integrators' CI. It says that nothing survives, serves the seeds' flow, and a
//! restart starts from nothing.

use serde_json::json;

use crate::sqlite::{post, serve_url};

fn printed_key(printed: &[String]) -> String {
    printed
        .iter()
        .find_map(|l| {
            l.split_whitespace()
                .find(|w| w.starts_with("sk_test_"))
                .map(str::to_owned)
        })
        .expect("a fresh store prints a test key")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seeds_flow_in_memory_and_a_restart_forgets() {
    let mut first = serve_url("memory://").await;
    assert!(
        first
            .printed
            .iter()
            .any(|l| l == "data: in memory (nothing survives a restart)"),
        "{:?}",
        first.printed
    );
    let key = printed_key(&first.printed);
    let new = post(
        &first.base,
        &key,
        "/v1/calls/start",
        json!({"call_id": "test_001", "identity_hints": {"ani": "+14155559999"}}),
    )
    .await;
    assert_eq!(new["identity"]["confidence"], 0.0);
    assert_eq!(new["billable"], true);
    post(&first.base, &key, "/v1/calls/end", json!({"call_id": "test_001", "customer_ref": "cust_abc123",
        "intent": "test_intent", "intent_status": "resolved", "variables": {"test_note": "Test context"}})).await;
    let back = post(
        &first.base,
        &key,
        "/v1/calls/start",
        json!({"call_id": "test_002", "identity_hints": {"ani": "+14155559999"}}),
    )
    .await;
    assert_eq!(back["identity"]["confidence"], 0.5, "{back}");
    assert_eq!(back["customer_ref"], "cust_abc123");
    assert_eq!(back["variables"]["test_note"]["value"], "Test context");
    first.child.kill().await.unwrap();

    let second = serve_url("memory://").await;
    let fresh = printed_key(&second.printed);
    assert_ne!(fresh, key, "a restart starts from an empty store");
    let refused = reqwest::Client::new()
        .post(format!("{}/v1/calls/start", second.base))
        .header("Authorization", format!("Bearer {key}"))
        .json(&json!({"call_id": "test_003", "identity_hints": {"ani": "+14155559999"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401, "the old key is gone");
}
