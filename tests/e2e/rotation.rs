//! Master-key rotation (issue 27): `stickycalls keys rotate-master` re-wraps every data
//! key while a node given both keys serves starts, ends and reads without one failed
//! request; afterwards the new key alone opens everything and the old one alone is
//! refused.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use reqwest::Method;
use serde_json::json;
use tokio::process::Command;

use crate::sealing::{exits_with, remember};
use crate::support::{Server, TEST_MASTER_KEY};

const NEW_MASTER_KEY: &str = "4e3a9d27c1f08b65e2d4a7c9b3f1e0d8a6c5b4e3f2a1d0c9b8a7f6e5d4c3b2a1";

/// One caller's round: a new caller's start and end (a new customer key), a returning
/// caller's start, and a read of their saved values. Returns the refs it made and the
/// statuses that were not 200.
async fn round(s: &Server, n: u64) -> (String, Vec<u16>) {
    let mut failed = Vec::new();
    let ani = format!("+1415556{n:04}");
    let started = s
        .post(
            "/v1/calls/start",
            Some(&s.keys.test),
            &json!({"call_id": format!("load-{n}"), "identity_hints": {"ani": ani}}),
        )
        .await;
    if started.status() != 200 {
        failed.push(started.status().as_u16());
        return (String::new(), failed);
    }
    let body: serde_json::Value = started.json().await.unwrap();
    let customer = body["customer_ref"].as_str().unwrap_or_default().to_owned();
    let end = json!({"call_id": format!("load-{n}"), "variables": {"plan": format!("gold-{n}")}});
    let steps = [
        s.post("/v1/calls/end", Some(&s.keys.test), &end).await,
        s.post(
            "/v1/calls/start",
            Some(&s.keys.test),
            &json!({"call_id": format!("again-{n}"), "identity_hints": {"ani": "+14155550101"}}),
        )
        .await,
        s.send(
            Method::GET,
            &format!("/v1/customers/{customer}"),
            Some(&s.keys.test),
            None,
        )
        .await,
    ];
    failed.extend(
        steps
            .iter()
            .filter(|r| r.status() != 200)
            .map(|r| r.status().as_u16()),
    );
    (customer, failed)
}

/// Four clients run rounds against `node` from a second before `during` is called
/// until half a second after its future ends; what it returned, the customers made and
/// the statuses that were not 200. (A closure: tokio's `Command::output` spawns the
/// process when called, not when awaited: `let child = self.spawn();` before its `async`
/// block, tokio 1.54 `src/process/mod.rs`.)
pub(crate) async fn under_load<T, F: Future<Output = T>>(
    node: Arc<Server>, during: impl FnOnce() -> F,
) -> (T, Vec<String>, Vec<u16>) {
    let stop = Arc::new(AtomicBool::new(false));
    let counter = Arc::new(AtomicU64::new(0));
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let (s, stop, counter) = (node.clone(), stop.clone(), counter.clone());
            tokio::spawn(async move {
                let (mut made, mut failed) = (Vec::new(), Vec::new());
                // A client stops at its first failure: one is enough to fail the test.
                while !stop.load(Ordering::Relaxed) && failed.is_empty() {
                    let (customer, bad) = round(&s, counter.fetch_add(1, Ordering::Relaxed)).await;
                    made.push(customer);
                    failed.extend(bad);
                }
                (made, failed)
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let out = during().await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    let (mut made, mut failed) = (Vec::new(), Vec::new());
    for client in clients {
        let (m, f) = client.await.unwrap();
        made.extend(m);
        failed.extend(f);
    }
    (out, made, failed)
}

/// A rotation command run [`under_load`]: it succeeded, the load ran and no request
/// failed; what it printed, and the customers the load made.
pub(crate) fn finished(
    what: &str, (out, made, failed): (std::io::Result<std::process::Output>, Vec<String>, Vec<u16>),
) -> (serde_json::Value, Vec<String>) {
    let out = out.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let done: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    eprintln!(
        "{what} under load: {} rounds of 4 requests, {done}",
        made.len()
    );
    assert!(failed.is_empty(), "failed requests: {failed:?}");
    assert!(made.len() >= 8, "the load ran: {} rounds", made.len());
    (done, made)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_master_key_rotates_under_load_without_a_failed_request() {
    let first = Server::start().await;
    let early = remember(&first, "r0", "+14155550101", "Pine-Lane-77").await;
    let both = first
        .another_with(&[
            ("STICKYCALLS_MASTER_KEY", NEW_MASTER_KEY),
            ("STICKYCALLS_MASTER_KEY_PREVIOUS", TEST_MASTER_KEY),
            // The load is not what is measured: no credits or rate limits run out.
            ("STICKYCALLS_BILLING", "off"),
            ("STICKYCALLS_RATE_LIMITS", "free=1000000/60"),
        ])
        .await;
    let both = Arc::new(both);

    // New callers' keys made before the rotation are wrapped under the old master key.
    let rotate = || {
        Command::new(env!("CARGO_BIN_EXE_stickycalls"))
            .args(["keys", "rotate-master"])
            .env("STICKYCALLS_MASTER_KEY", NEW_MASTER_KEY)
            .env("STICKYCALLS_MASTER_KEY_PREVIOUS", TEST_MASTER_KEY)
            .env("STICKYCALLS_DATABASE_URL", &first.db_url)
            .output()
    };
    let (done, made) = finished("rotation", under_load(both, rotate).await);
    assert!(
        done["rewrapped"].as_u64().unwrap() >= 10,
        "the keys made before the rotation (the load's first second) were re-wrapped: {done}"
    );
    assert_eq!(done["unreadable"], 0, "{done}");

    // The new key alone opens every customer, those made during the rotation included.
    let new_only = first
        .another_with(&[
            ("STICKYCALLS_MASTER_KEY", NEW_MASTER_KEY),
            ("STICKYCALLS_RATE_LIMITS", "free=1000000/60"),
        ])
        .await;
    let view = new_only
        .get_ok(&format!("/v1/customers/{early}"), &first.keys.test)
        .await;
    assert_eq!(view["variables"]["address"]["value"], "Pine-Lane-77");
    assert_eq!(view["phones"][0]["number"], "+14155550101");
    for customer in made.iter().filter(|c| !c.is_empty()) {
        let view = new_only
            .get_ok(&format!("/v1/customers/{customer}"), &first.keys.test)
            .await;
        assert!(
            view["variables"]["plan"]["value"]
                .as_str()
                .is_some_and(|v| v.starts_with("gold-")),
            "{customer}: {view}"
        );
    }
    // The old key alone is refused, saying what to do.
    let said = exits_with(
        &first.db_url,
        &[("STICKYCALLS_MASTER_KEY", TEST_MASTER_KEY)],
    )
    .await;
    assert!(
        said.contains("is not the one this keyring was made with"),
        "{said}"
    );
}
