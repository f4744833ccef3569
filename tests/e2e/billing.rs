//! Billing over HTTP: the account page, usage, the operator's commands, and exact
//! credits across two server processes.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::seeds::snapshot;
use crate::support::{Server, error_body};

fn start(call_id: &str, ani: &str) -> Value {
    json!({"call_id": call_id, "identity_hints": {"ani": ani}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_and_usage_per_environment() {
    let s = Server::start().await;
    let fresh = s.get_ok("/v1/account", &s.keys.test).await;
    assert_eq!(
        (
            &fresh["plan"],
            &fresh["allowance"],
            &fresh["allowance_left"],
            &fresh["environment"]
        ),
        (&json!("free"), &json!(100), &json!(100), &json!("test"))
    );
    let first = s.ok("/v1/calls/start", start("u1", "+14155550500")).await;
    s.ok(
        "/v1/calls/end",
        json!({"call_id": "u1", "intent": "refund", "intent_status": "open"}),
    )
    .await;
    s.ok("/v1/calls/start", start("u2", "+14155550500")).await;
    s.ok(
        "/v1/calls/end",
        json!({"call_id": "u2", "intent": "refund", "intent_status": "resolved"}),
    )
    .await;
    assert_eq!(first["billable"], true);

    let account = s.get_ok("/v1/account", &s.keys.test).await;
    assert_eq!(
        (
            &account["allowance_used"],
            &account["allowance_left"],
            &account["credits_remaining"]
        ),
        (&json!(1), &json!(99), &json!(99))
    );
    assert_eq!(account["account_id"], s.keys.account_id.as_str());
    let mut redacted = account.clone();
    redacted["account_id"] = json!("[account id]");
    snapshot("account", &redacted);
    let prod = s.get_ok("/v1/account", &s.keys.prod).await;
    assert_eq!(
        (&prod["environment"], &prod["allowance_left"]),
        (&json!("prod"), &json!(100)),
        "prod credits are untouched"
    );

    let usage = s.get_ok("/v1/usage", &s.keys.test).await;
    let days = usage["days"].as_array().unwrap();
    assert_eq!(days.len(), 1, "{usage}");
    let today = &days[0];
    assert_eq!(
        (
            &today["calls_started"],
            &today["matches"],
            &today["billable"],
            &today["credits_used"],
            &today["match_rate"]
        ),
        (&json!(2), &json!(1), &json!(1), &json!(1), &json!(0.5))
    );
    assert_eq!(
        (
            &today["intents_opened"],
            &today["intents_resolved"],
            &today["average_confidence"]
        ),
        (&json!(1), &json!(1), &json!(0.28))
    );
    let mut redacted = usage.clone();
    redacted["from"] = json!("[date]");
    redacted["to"] = json!("[date]");
    redacted["days"][0]["date"] = json!("[date]");
    snapshot("usage", &redacted);
    let prod_usage = s.get_ok("/v1/usage", &s.keys.prod).await;
    assert_eq!(prod_usage["days"], json!([]));

    let bad = s
        .client_get_with_key("/v1/usage?from=2026-13-01", &s.keys.test)
        .await;
    let body = error_body(bad, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(body["details"]["issues"][0]["path"], json!(["from"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_grants_credits_and_sets_plans() {
    let s = Server::start().await;
    s.ok("/v1/calls/start", start("p1", "+14155550501")).await;
    let granted = s
        .cli(&[
            "credits",
            "grant",
            "--account",
            &s.keys.account_id,
            "--env",
            "test",
            "--amount",
            "50",
        ])
        .await;
    assert_eq!(
        (&granted["top_up_balance"], &granted["allowance_left"]),
        (&json!(50), &json!(99))
    );
    let account = s.get_ok("/v1/account", &s.keys.test).await;
    assert_eq!(
        (&account["top_up_balance"], &account["credits_remaining"]),
        (&json!(50), &json!(149))
    );

    s.cli(&[
        "plans",
        "set",
        "--account",
        &s.keys.account_id,
        "--plan",
        "starter",
    ])
    .await;
    let account = s.get_ok("/v1/account", &s.keys.test).await;
    assert_eq!(
        (
            &account["plan"],
            &account["allowance"],
            &account["allowance_left"]
        ),
        (&json!("starter"), &json!(10000), &json!(9999))
    );
    let prod = s.get_ok("/v1/account", &s.keys.prod).await;
    assert_eq!(
        (&prod["plan"], &prod["allowance_left"]),
        (&json!("starter"), &json!(10000))
    );
}

/// Two server processes on one database, 200 concurrent billable starts spread over
/// both, 50 credits: exactly 50 succeed, 50 debits in the ledger, balance 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_spend_exactly_the_credits_there_are() {
    // The default wait for a connection: 200 requests at once on a loaded CI machine
    // can outwait the 1 s the other tests use, and a 503 is not what this test checks.
    let a = Server::start_with(&[("RUST_LOG", "warn")]).await;
    let b = a.another().await;
    a.sql("UPDATE credit_balances SET allowance_left = 0").await;
    a.cli(&[
        "credits",
        "grant",
        "--account",
        &a.keys.account_id,
        "--env",
        "test",
        "--amount",
        "50",
    ])
    .await;
    let requests = (0..200).map(|i| {
        let server = if i % 2 == 0 { &a } else { &b };
        let body = start(&format!("c{i}"), &format!("+1415556{i:04}"));
        async move {
            server
                .post("/v1/calls/start", Some(&server.keys.test), &body)
                .await
                .status()
        }
    });
    let statuses = futures_util::future::join_all(requests).await;
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::PAYMENT_REQUIRED)
        .count();
    assert_eq!((ok, refused), (50, 150), "{statuses:?}");
    assert_eq!(
        a.sql_count("SELECT count(*) FROM credit_ledger WHERE kind = 'debit'")
            .await,
        50
    );
    assert_eq!(a.sql_count("SELECT count(*) FROM calls").await, 50);
    let account = b.get_ok("/v1/account", &b.keys.test).await;
    assert_eq!(account["credits_remaining"], 0);
}

/// The operator's switch: with billing off nothing is charged, even at zero credits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn billing_switched_off_charges_nothing() {
    let s = Server::start_with(&[("STICKYCALLS_BILLING", "off"), ("RUST_LOG", "warn")]).await;
    s.sql("UPDATE credit_balances SET allowance_left = 0, top_up = 0")
        .await;
    let r = s
        .post(
            "/v1/calls/start",
            Some(&s.keys.test),
            &start("free_1", "+14155550600"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().get("x-credits-remaining").is_none());
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["billable"], true, "still the kind of start that costs");
    assert_eq!(
        s.sql_count("SELECT count(*) FROM credit_ledger WHERE kind = 'debit'")
            .await,
        0
    );
    let account = s.get_ok("/v1/account", &s.keys.test).await;
    assert_eq!(account["billing_enabled"], false);
}

/// A standalone end of a new caller at zero credits answers 402 and stores nothing;
/// it used to create the customer for free, making the caller's next start a free match.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standalone_end_of_a_new_caller_is_not_free() {
    let s = Server::start().await;
    s.sql("UPDATE credit_balances SET allowance_left = 0, top_up = 0")
        .await;
    let end = json!({"call_id": "batch_9", "identity_hints": {"ani": "+14155550909"},
        "variables": {"note": "n"}});
    let refused = s.post("/v1/calls/end", Some(&s.keys.test), &end).await;
    error_body(
        refused,
        StatusCode::PAYMENT_REQUIRED,
        "insufficient_credits",
    )
    .await;
    assert_eq!(s.sql_count("SELECT count(*) FROM calls").await, 0);
    assert_eq!(s.sql_count("SELECT count(*) FROM customers").await, 0);
    assert_eq!(s.sql_count("SELECT count(*) FROM variables").await, 0);
}
