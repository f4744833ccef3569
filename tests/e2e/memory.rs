//! `STICKYCALLS_DATABASE_URL=memory://`: the in-memory store behind the real binary,
//! for integrators' CI. It says that nothing survives, serves the seeds' flow, and a
//! restart starts from nothing.

use serde_json::json;

use crate::sqlite::{printed_key, seeds_first_call, seeds_second_call, serve_url};

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
    let new = seeds_first_call(&first.base, &key).await;
    assert_eq!(new["identity"]["confidence"], 0.0);
    assert_eq!(new["billable"], true);
    let back = seeds_second_call(&first.base, &key).await;
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
