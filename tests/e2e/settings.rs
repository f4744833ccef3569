//! Identity settings and calibration on the wire: a tenant's settings change its own
//! decisions and no other's, bad settings are refused whole, the calibration endpoint
//! reports what the ends confirmed, and learning trusts CRM ids that were always right.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Server, error_body};

const SETTINGS: &str = "/v1/settings/identity";

async fn put(s: &Server, key: &str, body: Value) -> reqwest::Response {
    s.send(Method::PUT, SETTINGS, Some(key), Some(&body)).await
}

async fn put_ok(s: &Server, key: &str, body: Value) -> Value {
    let response = put(s, key, body).await;
    let status = response.status();
    let json: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{json}");
    json
}

async fn start(s: &Server, key: &str, body: Value) -> Value {
    let response = s.post("/v1/calls/start", Some(key), &body).await;
    let status = response.status();
    let json: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{json}");
    json
}

async fn end(s: &Server, key: &str, body: Value) {
    let response = s.post("/v1/calls/end", Some(key), &body).await;
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{text}");
}

fn mobile(call_id: &str) -> Value {
    json!({"call_id": call_id, "identity_hints": {"ani": "+14155550070"}, "telco": {"line_type": "mobile"}})
}

/// A known mobile caller, then the recommendation of their next call.
async fn returning_recommendation(s: &Server, key: &str) -> String {
    start(s, key, mobile("t-1")).await;
    end(
        s,
        key,
        json!({"call_id": "t-1", "customer_ref": "cust_same"}),
    )
    .await;
    let again = start(s, key, mobile("t-2")).await;
    again["identity"]["recommendation"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenants_settings_change_its_decisions_and_no_one_elses() {
    let s = Server::start().await;
    let other = s.signup("Other Co").await;
    let defaults = s.get_ok(SETTINGS, &s.keys.test).await;
    assert_eq!(
        defaults["thresholds"],
        json!({"reuse": 0.5, "confirm": 0.3})
    );
    assert_eq!(defaults["default_region"], "US");
    assert_eq!(
        defaults["learning"], true,
        "bounded learning is on by default"
    );
    assert_eq!(defaults["weights"]["ani_mobile"], 0.5);

    let saved = put_ok(&s, &s.keys.test, json!({"thresholds": {"reuse": 0.9}})).await;
    assert_eq!(saved["thresholds"], json!({"reuse": 0.9, "confirm": 0.3}));
    assert_eq!(s.get_ok(SETTINGS, &s.keys.test).await, saved);

    assert_eq!(returning_recommendation(&s, &s.keys.test).await, "confirm");
    // The same account's prod environment and another account keep the defaults.
    assert_eq!(s.get_ok(SETTINGS, &s.keys.prod).await, defaults);
    assert_eq!(returning_recommendation(&s, &s.keys.prod).await, "reuse");
    assert_eq!(returning_recommendation(&s, &other.test).await, "reuse");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_settings_are_refused_naming_each_field_and_change_nothing() {
    let s = Server::start().await;
    let key = s.keys.test.as_str();
    let before = s.get_ok(SETTINGS, key).await;
    let r = put(
        &s,
        key,
        json!({
            "default_region": "Atlantis",
            "weights": {"ani_mobile": 2},
            "thresholds": {"reuse": 1.4, "confirm": 0.2},
            "withheld_anis": ["  "],
            "learning": true
        }),
    )
    .await;
    let body = error_body(r, StatusCode::BAD_REQUEST, "invalid_request").await;
    let paths: Vec<Value> = body["details"]["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].clone())
        .collect();
    assert_eq!(
        paths,
        vec![
            json!(["default_region"]),
            json!(["withheld_anis", "0"]),
            json!(["weights", "ani_mobile"]),
            json!(["thresholds", "reuse"]),
        ]
    );
    for (bad, path) in [
        (
            json!({"weights": {"ani_fax": 0.2}}),
            json!(["weights", "ani_fax"]),
        ),
        (json!({"learning": "yes"}), json!(["learning"])),
        (json!({"thresholds": [0.5, 0.3]}), json!(["thresholds"])),
    ] {
        let r = put(&s, key, bad.clone()).await;
        let body = error_body(r, StatusCode::BAD_REQUEST, "invalid_request").await;
        assert_eq!(body["details"]["issues"][0]["path"], path, "{bad}");
    }
    assert_eq!(s.get_ok(SETTINGS, key).await, before);
    assert_eq!(
        s.sql_count("SELECT count(*) FROM identity_settings").await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_region_and_withheld_markers_are_the_tenants() {
    let s = Server::start().await;
    let key = s.keys.test.as_str();
    let national = |id: &str| json!({"call_id": id, "identity_hints": {"ani": "07911 123456"}});
    let search = "/v1/customers?ani=%2B447911123456";
    start(&s, key, national("r-0")).await;
    let found = s.get_ok(search, key).await;
    assert_eq!(found["customers"], json!([]), "read as a US number");
    put_ok(
        &s,
        key,
        json!({"default_region": "GB", "withheld_anis": ["anonymous", "Numero Privado"]}),
    )
    .await;
    start(&s, key, national("r-1")).await;
    let found = s.get_ok(search, key).await;
    assert_eq!(found["customers"].as_array().unwrap().len(), 1, "{found}");
    let withheld = start(
        &s,
        key,
        json!({"call_id": "r-2", "identity_hints": {"ani": "numero privado"}}),
    )
    .await;
    assert_eq!(
        withheld["identity"]["recommendation"], "ignore",
        "{withheld}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calibration_reports_what_the_ends_confirmed() {
    let s = Server::start().await;
    let key = s.keys.test.as_str();
    start(&s, key, mobile("c-1")).await;
    end(
        &s,
        key,
        json!({"call_id": "c-1", "customer_ref": "cust_ann"}),
    )
    .await;
    for (n, confirmed_as) in [(2, None), (3, Some("cust_bob"))] {
        let call_id = format!("c-{n}");
        let out = start(&s, key, mobile(&call_id)).await;
        assert_eq!(out["identity"]["recommendation"], "reuse", "{out}");
        let mut body = json!({"call_id": call_id});
        if let Some(who) = confirmed_as {
            body["customer_ref"] = json!(who);
        }
        end(&s, key, body).await;
    }
    start(&s, key, json!({"call_id": "c-4"})).await;

    let c = s.get_ok("/v1/identity/calibration?days=7", key).await;
    assert_eq!(
        (
            c["days"].as_u64(),
            c["calls"].as_u64(),
            c["confirmed"].as_u64()
        ),
        (Some(7), Some(4), Some(3)),
        "{c}"
    );
    assert_eq!(c["bins"].as_array().unwrap().len(), 10);
    assert_eq!(
        c["bins"][0],
        json!({"from": 0.0, "to": 0.1, "calls": 1, "correct": 0})
    );
    assert_eq!(c["reuse"], json!({"precision": 0.5, "recall": 0.333333}));
    let brier = c["brier"].as_f64().unwrap();
    assert!(brier > 0.0 && brier < 1.0, "{c}");
    assert_eq!(c["learning"], json!({"enabled": true, "adjustments": []}));
    // Another environment has its own figures.
    let prod = s.get_ok("/v1/identity/calibration", &s.keys.prod).await;
    assert_eq!(
        (
            prod["days"].as_u64(),
            prod["calls"].as_u64(),
            prod["brier"].clone()
        ),
        (Some(30), Some(0), Value::Null)
    );
    for bad in ["0", "367", "week"] {
        let r = s
            .client_get_with_key(&format!("/v1/identity/calibration?days={bad}"), key)
            .await;
        let body = error_body(r, StatusCode::BAD_REQUEST, "invalid_request").await;
        assert_eq!(
            body["details"]["issues"][0]["path"],
            json!(["days"]),
            "{bad}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn learning_trusts_crm_ids_that_were_always_confirmed() {
    let s = Server::start().await;
    let key = s.keys.test.as_str();
    put_ok(&s, key, json!({"learning": true})).await;
    let by_crm = |call_id: String, n: usize| json!({"call_id": call_id, "identity_hints": {"external_ids": {"crm": format!("C-{n}")}}});
    let people = 30;
    for n in 0..people {
        start(&s, key, by_crm(format!("l-{n}-a"), n)).await;
        end(
            &s,
            key,
            json!({"call_id": format!("l-{n}-a"), "customer_ref": format!("cust_{n}")}),
        )
        .await;
        let second = start(&s, key, by_crm(format!("l-{n}-b"), n)).await;
        assert_eq!(
            second["identity"]["recommendation"], "confirm",
            "not learned yet: {second}"
        );
        end(
            &s,
            key,
            json!({"call_id": format!("l-{n}-b"), "customer_ref": format!("cust_{n}")}),
        )
        .await;
    }
    let c = s.get_ok("/v1/identity/calibration", key).await;
    assert_eq!(
        c["learning"],
        json!({"enabled": true, "adjustments": [{"weight": "external_id", "from": 0.4, "to": 0.5, "confirmed": people, "correct": people}]}),
        "{c}"
    );
    // Saving the settings again reloads the policy at once (else within the cache
    // lifetime): a CRM id alone now supports reuse.
    put_ok(&s, key, json!({"learning": true})).await;
    let third = start(&s, key, by_crm("l-0-c".into(), 0)).await;
    assert_eq!(third["identity"]["recommendation"], "reuse", "{third}");
    assert_eq!(third["customer_ref"], "cust_0");
    // Learning off: the weights as set.
    put_ok(&s, key, json!({"learning": false})).await;
    let fourth = start(&s, key, by_crm("l-1-c".into(), 1)).await;
    assert_eq!(fourth["identity"]["recommendation"], "confirm", "{fourth}");
}
