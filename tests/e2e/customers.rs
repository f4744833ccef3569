//! Customers over the API: search, read (free), variables, export, and erasure that
//! leaves nothing behind.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Server, error_body};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_search_and_write_variables_without_recording_a_call() {
    let s = Server::start().await;
    let key = s.keys.test.clone();
    let started = s
        .ok("/v1/calls/start", json!({"call_id": "cu_1", "identity_hints": {"ani": "+14155550901", "external_ids": {"crm": "C-901"}}}))
        .await;
    let who = started["customer_ref"].as_str().unwrap().to_owned();
    s.ok("/v1/calls/end", json!({"call_id": "cu_1", "intent": "refund", "intent_status": "open", "variables": {"tier": "gold"}})).await;
    let credits = s.get_ok("/v1/account", &key).await["credits_remaining"].clone();

    let view = s.get_ok(&format!("/v1/customers/{who}"), &key).await;
    assert_eq!(view["customer_ref"], who.as_str());
    assert_eq!(view["total_calls"], 1);
    assert_eq!(view["phones"][0]["number"], "+14155550901");
    assert_eq!(
        view["external_ids"][0],
        json!({"namespace": "crm", "value": "C-901", "linked_at": view["external_ids"][0]["linked_at"]})
    );
    assert_eq!(view["open_intents"][0]["intent"], "refund");
    assert_eq!(view["variables"]["tier"]["value"], "gold");

    for query in [
        "ani=%2B14155550901",
        "ani=4155550901",
        "external_id=crm:C-901",
    ] {
        let found = s.get_ok(&format!("/v1/customers?{query}"), &key).await;
        assert_eq!(
            found["customers"].as_array().unwrap().len(),
            1,
            "{query}: {found}"
        );
        assert_eq!(found["customers"][0]["customer_ref"], who.as_str());
    }
    let none = s.get_ok("/v1/customers?external_id=crm:nobody", &key).await;
    assert_eq!(none["customers"], json!([]));
    for bad in [
        "",
        "?ani=1&external_id=a:b",
        "?external_id=nocolon",
        "?ani=not-a-number",
    ] {
        let response = s
            .client_get_with_key(&format!("/v1/customers{bad}"), &key)
            .await;
        error_body(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    }

    let put = s
        .send(
            Method::PUT,
            &format!("/v1/customers/{who}/variables/preferred_agent"),
            Some(&key),
            Some(&json!({"value": "Dana", "ttl_seconds": 3600, "source": "crm"})),
        )
        .await;
    assert_eq!(put.status(), StatusCode::OK);
    let put: serde_json::Value = put.json().await.unwrap();
    assert_eq!(
        (
            put["key"].as_str(),
            put["value"].as_str(),
            put["ttl_seconds"].as_u64()
        ),
        (Some("preferred_agent"), Some("Dana"), Some(3600))
    );
    let card = s
        .send(
            Method::PUT,
            &format!("/v1/customers/{who}/variables/card"),
            Some(&key),
            Some(&json!("4111111111111111")),
        )
        .await;
    error_body(card, StatusCode::BAD_REQUEST, "sensitive_data_rejected").await;
    let gone = s
        .send(
            Method::DELETE,
            &format!("/v1/customers/{who}/variables/tier"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    let again = s
        .send(
            Method::DELETE,
            &format!("/v1/customers/{who}/variables/tier"),
            Some(&key),
            None,
        )
        .await;
    error_body(again, StatusCode::NOT_FOUND, "variable_not_found").await;

    // The next call sees the direct writes; reads created no call and cost nothing.
    let next = s
        .ok(
            "/v1/calls/start",
            json!({"call_id": "cu_2", "identity_hints": {"ani": "+14155550901"}}),
        )
        .await;
    assert_eq!(next["customer_ref"], who.as_str());
    assert_eq!(next["variables"]["preferred_agent"]["value"], "Dana");
    assert!(next["variables"].get("tier").is_none(), "{next}");
    assert_eq!(
        s.get_ok("/v1/account", &key).await["credits_remaining"],
        credits,
        "reads and a match are free"
    );
    assert_eq!(s.sql_count("SELECT count(*) FROM calls").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erase_leaves_nothing_and_the_next_call_is_a_new_caller() {
    let s = Server::start().await;
    let key = s.keys.test.clone();
    let started = s
        .post_raw(
            "/v1/calls/start",
            Some(&key),
            json!({"call_id": "er_1", "identity_hints": {"ani": "+14155550999", "external_ids": {"crm": "ERASE-ME-1"}}}).to_string(),
            &[("Idempotency-Key", "er-start-1")],
        )
        .await;
    let started: serde_json::Value = started.json().await.unwrap();
    let who = started["customer_ref"].as_str().unwrap().to_owned();
    s.ok("/v1/calls/end", json!({"call_id": "er_1", "intent": "cancel", "intent_status": "open", "variables": {"secret_word": "Marmalade42"}})).await;
    let second = s
        .post_raw(
            "/v1/calls/start",
            Some(&key),
            json!({"call_id": "er_2", "identity_hints": {"ani": "+14155550999"}}).to_string(),
            &[("Idempotency-Key", "er-start-2")],
        )
        .await;
    let second: serde_json::Value = second.json().await.unwrap();
    assert_eq!(
        second["variables"]["secret_word"]["value"], "Marmalade42",
        "the stored response holds their data"
    );

    let mut held = Vec::new();
    for needle in ["4155550999", "Marmalade42", "ERASE-ME-1", who.as_str()] {
        held.push((needle.to_owned(), tables_holding(&s, needle).await));
    }

    // Ending the matched call confirms them on the number: the export says when.
    s.ok("/v1/calls/end", json!({"call_id": "er_2"})).await;
    let export = s.get_ok(&format!("/v1/customers/{who}/export"), &key).await;
    assert_eq!(export["calls"].as_array().unwrap().len(), 2);
    assert_eq!(export["calls"][0]["ani"], "+14155550999");
    assert_eq!(export["calls"][1]["recommendation"], "reuse");
    assert!(export["phones"][0]["last_confirmed_at"].is_string());
    assert_eq!(export["phones"][0]["last_attestation"], Value::Null);
    assert_eq!(export["variables"]["secret_word"]["value"], "Marmalade42");
    assert_eq!(export["intents"][0]["intent"], "cancel");

    let erased = s
        .send(
            Method::DELETE,
            &format!("/v1/customers/{who}"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(erased.status(), StatusCode::NO_CONTENT);
    let export = s
        .client_get_with_key(&format!("/v1/customers/{who}/export"), &key)
        .await;
    error_body(export, StatusCode::NOT_FOUND, "customer_not_found").await;
    let twice = s
        .send(
            Method::DELETE,
            &format!("/v1/customers/{who}"),
            Some(&key),
            None,
        )
        .await;
    error_body(twice, StatusCode::NOT_FOUND, "customer_not_found").await;

    // A scan of every row of every table of the database (whatever tables later
    // migrations add) finds none of it; before the erasure it found each one.
    for (needle, before) in &held {
        if needle != who.as_str() {
            // A number, a CRM id and a variable's value are stored sealed (and the
            // first two as blind indexes): no scan ever finds them in clear.
            assert_eq!(*before, 0, "`{needle}` is stored in clear");
        } else {
            assert!(*before > 0, "the scan finds `{needle}` while it is stored");
        }
        assert_eq!(
            tables_holding(&s, needle).await,
            0,
            "`{needle}` is still stored"
        );
    }

    // The same number is a new caller; a replay of the old key runs anew.
    let again = s
        .ok(
            "/v1/calls/start",
            json!({"call_id": "er_3", "identity_hints": {"ani": "+14155550999"}}),
        )
        .await;
    assert_eq!(again["identity"]["confidence"], 0.0);
    assert_ne!(again["customer_ref"], who.as_str());
    let replay = s
        .post_raw(
            "/v1/calls/start",
            Some(&key),
            json!({"call_id": "er_2", "identity_hints": {"ani": "+14155550999"}}).to_string(),
            &[("Idempotency-Key", "er-start-2")],
        )
        .await;
    assert!(replay.headers().get("idempotent-replayed").is_none());
    let replay: serde_json::Value = replay.json().await.unwrap();
    assert!(!replay.to_string().contains("Marmalade42"), "{replay}");
}

/// How many tables of the server's database hold `needle` anywhere in a row.
async fn tables_holding(s: &Server, needle: &str) -> i64 {
    s.sql_count(&format!(
        "SELECT count(*) FROM information_schema.tables
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
           AND query_to_xml(
                 format('SELECT to_jsonb(t)::text AS r FROM %I.%I t', table_schema, table_name),
                 false, true, '')::text LIKE '%{needle}%'"
    ))
    .await
}
