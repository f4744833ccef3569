//! Per-key rate limits with the IETF fields, and the Prometheus metrics.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{Server, error_body};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_past_its_plan_limit_gets_429_then_recovers_after_retry_after() {
    let s = Server::start_with(&[("STICKYCALLS_RATE_LIMITS", "free=3/2")]).await;
    let key = s.keys.test.clone();
    for remaining in [2, 1, 0] {
        let response = s.client_get_with_key("/v1/account", &key).await;
        assert_eq!(response.status(), StatusCode::OK);
        let headers = response.headers();
        assert_eq!(headers["ratelimit-policy"], "\"free\";q=3;w=2");
        let state = headers["ratelimit"].to_str().unwrap();
        assert!(
            state.starts_with(&format!("\"free\";r={remaining};t=")),
            "{state}"
        );
    }
    let refused = s.client_get_with_key("/v1/account", &key).await;
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    let state = refused.headers()["ratelimit"].to_str().unwrap().to_owned();
    assert_eq!(state, format!("\"free\";r=0;t={retry_after}"));
    error_body(refused, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    // Other keys have their own quota.
    s.get_ok("/v1/account", &s.keys.prod).await;

    tokio::time::sleep(std::time::Duration::from_secs(retry_after)).await;
    let recovered = s.client_get_with_key("/v1/account", &key).await;
    assert_eq!(recovered.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_starts_credits_and_the_pool() {
    let s = Server::start().await;
    s.ok(
        "/v1/calls/start",
        json!({"call_id": "me_1", "identity_hints": {"ani": "+14155550321"}}),
    )
    .await;
    s.ok("/v1/calls/end", json!({"call_id": "me_1"})).await;
    s.ok(
        "/v1/calls/start",
        json!({"call_id": "me_2", "identity_hints": {"ani": "+14155550321"}}),
    )
    .await;
    let missing = s
        .client_get_with_key("/v1/customers/cust_nobody", &s.keys.test)
        .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    let response = s.get("/metrics").await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    let value = |series: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(series).and_then(|v| v.trim().parse().ok()))
            .unwrap_or_else(|| panic!("no `{series}` in\n{text}"))
    };
    assert_eq!(
        value(
            "stickycalls_http_requests_total{route=\"/v1/calls/start\",method=\"POST\",status=\"200\"}"
        ),
        2.0
    );
    assert_eq!(
        value(
            "stickycalls_http_requests_total{route=\"/v1/customers/{customer_ref}\",method=\"GET\",status=\"404\"}"
        ),
        1.0
    );
    assert_eq!(
        value("stickycalls_http_request_duration_seconds_count{route=\"/v1/calls/start\"}"),
        2.0
    );
    assert_eq!(
        value("stickycalls_call_starts_total{recommendation=\"ignore\"}"),
        1.0
    );
    assert_eq!(
        value("stickycalls_call_starts_total{recommendation=\"reuse\"}"),
        1.0
    );
    assert_eq!(value("stickycalls_billable_starts_total"), 1.0);
    assert_eq!(value("stickycalls_match_ratio"), 0.5);
    assert_eq!(value("stickycalls_credits_spent_total"), 1.0);
    assert!(value("stickycalls_db_pool_connections_open") >= 1.0);
    assert!(
        text.contains("stickycalls_db_pool_connections_in_use"),
        "{text}"
    );
    assert!(
        !text.contains("4155550321") && !text.contains("cust_nobody"),
        "no ids in labels"
    );
}
