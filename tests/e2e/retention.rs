//! Retention on the wire: the settings are the tenant's own and refused whole when
//! wrong; `stickycalls purge` (what the server runs every 10 minutes) deletes the calls
//! past the period and erases the idle customers, each with a `customer.erased` event
//! whose reason is `retention`, and leaves everything else.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Server, error_body};

const RETENTION: &str = "/v1/settings/retention";

async fn put(s: &Server, key: &str, body: Value) -> reqwest::Response {
    s.send(Method::PUT, RETENTION, Some(key), Some(&body)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_settings_are_the_environments_own_and_refused_whole() {
    let s = Server::start().await;
    let defaults = json!({"calls_days": 400, "customers_days": null, "webhook_events_days": 30});
    assert_eq!(s.get_ok(RETENTION, &s.keys.test).await, defaults);

    for (body, fields) in [
        (
            json!({"calls_days": 60, "customers_days": 90}),
            vec!["customers_days"],
        ),
        (
            json!({"calls_days": 29, "customers_days": 4000}),
            vec!["calls_days", "customers_days"],
        ),
    ] {
        let e = error_body(
            put(&s, &s.keys.test, body).await,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        )
        .await;
        let named: Vec<String> = e["details"]["issues"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                i["path"].as_array().unwrap()[0]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(named, fields, "{e}");
    }
    let e = error_body(
        put(&s, &s.keys.test, json!({"calls_days": "forever"})).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    )
    .await;
    assert!(e.to_string().contains("calls_days"), "{e}");
    assert_eq!(
        s.get_ok(RETENTION, &s.keys.test).await,
        defaults,
        "nothing saved"
    );

    let response = put(
        &s,
        &s.keys.test,
        json!({"calls_days": 90, "customers_days": 30}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let saved = json!({"calls_days": 90, "customers_days": 30, "webhook_events_days": 30});
    assert_eq!(response.json::<Value>().await.unwrap(), saved);
    assert_eq!(s.get_ok(RETENTION, &s.keys.test).await, saved);
    assert_eq!(
        s.get_ok(RETENTION, &s.keys.prod).await,
        defaults,
        "prod is apart"
    );
    // An omitted field takes its default again.
    let response = put(&s, &s.keys.test, json!({"customers_days": 30})).await;
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"calls_days": 400, "customers_days": 30, "webhook_events_days": 30})
    );
}

async fn caller(s: &Server, call_id: &str, number: &str) -> String {
    let started = s
        .ok(
            "/v1/calls/start",
            json!({"call_id": call_id, "identity_hints": {"ani": number}}),
        )
        .await;
    let customer = started["customer_ref"].as_str().unwrap().to_owned();
    s.ok(
        "/v1/calls/end",
        json!({"call_id": call_id, "customer_ref": customer}),
    )
    .await;
    customer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_purge_deletes_old_calls_and_erases_idle_customers() {
    let s = Server::start_with(&[("STICKYCALLS_WEBHOOKS_ALLOW_PRIVATE", "true")]).await;
    let response = put(
        &s,
        &s.keys.test,
        json!({"calls_days": 30, "customers_days": 30}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = s
        .post(
            "/v1/webhooks",
            Some(&s.keys.test),
            &json!({"url": "http://127.0.0.1:9/erased", "events": ["customer.erased"]}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let gone = caller(&s, "r-old", "+14155550301").await;
    let kept = caller(&s, "r-new", "+14155550302").await;
    let prod = s
        .post(
            "/v1/calls/start",
            Some(&s.keys.prod),
            &json!({"call_id": "r-prod", "identity_hints": {"ani": "+14155550301"}}),
        )
        .await;
    assert_eq!(prod.status(), StatusCode::OK);
    // Forty-five days pass for the first caller and the prod call.
    s.sql(&format!(
        "UPDATE calls SET started_at = started_at - interval '45 days' WHERE call_id IN ('r-old', 'r-prod');
         UPDATE customers SET created_at = created_at - interval '45 days' WHERE customer_ref = '{gone}'"
    ))
    .await;

    let report = s.cli(&["purge"]).await;
    assert_eq!(
        report["retention"],
        json!({"calls": 1, "customers": 1, "webhook_events": 0, "closed_rows": 0}),
        "{report}"
    );
    let path = |c: &str| format!("/v1/customers/{c}");
    let response = s.client_get_with_key(&path(&gone), &s.keys.test).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        s.get_ok(&path(&kept), &s.keys.test).await["customer_ref"],
        kept.as_str()
    );
    assert_eq!(
        s.sql_count("SELECT count(*) FROM calls WHERE call_id = 'r-prod'")
            .await,
        1,
        "prod keeps calls 400 days"
    );
    let erased = s
        .sql_count(&format!(
            "SELECT count(*) FROM webhook_events WHERE event_type = 'customer.erased'
             AND body::jsonb -> 'data' = '{{\"customer_ref\": \"{gone}\", \"reason\": \"retention\"}}'::jsonb"
        ))
        .await;
    assert_eq!(erased, 1);
    let again = s.cli(&["purge"]).await;
    assert_eq!(
        again["retention"],
        json!({"calls": 0, "customers": 0, "webhook_events": 0, "closed_rows": 0})
    );
    // The settled days of the last month are rolled up (by the server's housekeeping
    // or the first purge), each once: the second purge finds none left.
    assert_eq!(again["rolled_days"], 0, "{again}");
    assert_eq!(
        s.sql_count("SELECT count(DISTINCT day) FROM rolled_days WHERE day >= current_date - 31")
            .await,
        30
    );
}
