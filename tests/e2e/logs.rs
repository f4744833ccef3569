//! Logs: JSON lines on request, a request id on each request's lines, and nothing
//! private in them even at trace level.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::Server;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_logs_hold_request_ids_and_no_private_data() {
    let path = std::env::temp_dir().join(format!("stickycalls-logs-{}.jsonl", std::process::id()));
    let file = std::fs::File::create(&path).unwrap();
    let s = Server::start_logged(
        &[
            ("RUST_LOG", "trace"),
            ("STICKYCALLS_LOG_FORMAT", "json"),
            ("STICKYCALLS_ACCESS_LOG", "on"),
        ],
        file,
    )
    .await;
    s.ok(
        "/v1/calls/start",
        json!({"call_id": "log_1", "identity_hints": {"ani": "+14155550400",
        "external_ids": {"crm": "CRM-SECRET-77"}}}),
    )
    .await;
    s.ok(
        "/v1/calls/end",
        json!({"call_id": "log_1", "customer_ref": "CLIENT-REF-4242",
        "variables": {"note": "SecretValue123"}}),
    )
    .await;
    s.ok(
        "/v1/calls/start",
        json!({"call_id": "log_2", "identity_hints": {"ani": "4155550400"}}),
    )
    .await;
    let bad = s
        .post(
            "/v1/calls/start",
            Some(&s.keys.test),
            &json!({"call_id": "log_3", "identity_hints": {"ani": "nope"}}),
        )
        .await;
    assert_eq!(bad.status(), 400);
    // The tenant's own routes: signup (name, email), a new key, a search by number, a
    // variable written directly, an export, an erase.
    let other = s.signup("Confidential Name Ltd").await;
    let created: Value = s
        .send(
            Method::POST,
            "/v1/keys",
            Some(&other.test),
            Some(&json!({"name": "KeyLabel"})),
        )
        .await
        .json()
        .await
        .unwrap();
    let new_key = created["key"].as_str().unwrap().to_owned();
    let found = s
        .get_ok("/v1/customers?ani=%2B14155550400", &s.keys.test)
        .await;
    let who = found["customers"][0]["customer_ref"]
        .as_str()
        .unwrap()
        .to_owned();
    let put = s
        .send(
            Method::PUT,
            &format!("/v1/customers/{who}/variables/pin_hint"),
            Some(&s.keys.test),
            Some(&json!({"value": "VarValue987"})),
        )
        .await;
    assert_eq!(put.status(), 200);
    s.get_ok(&format!("/v1/customers/{who}/export"), &s.keys.test)
        .await;
    let erased = s
        .send(
            Method::DELETE,
            &format!("/v1/customers/{who}"),
            Some(&s.keys.test),
            None,
        )
        .await;
    assert_eq!(erased.status(), 204);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let logs = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);

    let lines: Vec<Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is JSON"))
        .collect();
    let done: Vec<&Value> = lines
        .iter()
        .filter(|l| l["fields"]["message"] == "request done")
        .collect();
    assert!(done.len() >= 4, "{} request lines", done.len());
    assert!(
        done.iter().all(|l| l["span"]["request_id"]
            .as_str()
            .is_some_and(|id| id.len() == 32)),
        "{done:?}"
    );
    let secrets: Vec<&str> = [&s.keys.test, &other.test, &other.prod, &new_key]
        .iter()
        .map(|k| k.rsplit('_').next().unwrap())
        .collect();
    let mut private = vec![
        "4155550400",
        "SecretValue123",
        "CRM-SECRET-77",
        "CLIENT-REF-4242",
        "VarValue987",
        "Confidential Name",
        "ops@other.test",
    ];
    private.extend(secrets);
    assert!(logs.contains("customer erased"), "the flow ran and logged");
    for private in private {
        assert!(!logs.contains(private), "`{private}` leaked into the logs");
    }
}

/// Without `STICKYCALLS_ACCESS_LOG=on` a request writes no line of its own, even at
/// trace level; the server's other lines are still there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_lines_are_off_by_default() {
    let path = std::env::temp_dir().join(format!("stickycalls-quiet-{}.jsonl", std::process::id()));
    let s = Server::start_logged(
        &[("RUST_LOG", "trace"), ("STICKYCALLS_LOG_FORMAT", "json")],
        std::fs::File::create(&path).unwrap(),
    )
    .await;
    s.ok(
        "/v1/calls/start",
        json!({"call_id": "quiet_1", "identity_hints": {"ani": "+14155550401"}}),
    )
    .await;
    s.ok("/v1/calls/end", json!({"call_id": "quiet_1"})).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let logs = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    let messages: Vec<String> = logs
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("every line is JSON"))
        .filter_map(|l| l["fields"]["message"].as_str().map(str::to_owned))
        .collect();
    assert!(messages.iter().any(|m| m == "listening"), "{messages:?}");
    for access in ["request done", "call started", "call ended"] {
        assert!(!messages.iter().any(|m| m == access), "`{access}` logged");
    }
}
