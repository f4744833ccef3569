//! Signup, keys, and isolation: every route that takes an id answers 404 to another
//! tenant's key and to the other environment's key, and changes nothing.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Server, error_body};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signup_opens_a_free_account_with_two_working_keys() {
    let s = Server::start().await;
    let response = s
        .post(
            "/v1/accounts",
            None,
            &json!({"email": "agent@example.com", "name": "An agent"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["plan"], "free");
    let test = body["keys"]["test"].as_str().unwrap();
    let prod = body["keys"]["prod"].as_str().unwrap();
    assert!(test.starts_with("sk_test_") && prod.starts_with("sk_prod_"));
    let account = s.get_ok("/v1/account", prod).await;
    assert_eq!(account["account_id"], body["account_id"]);
    assert_eq!(
        (
            account["plan"].as_str(),
            account["credits_remaining"].as_u64()
        ),
        (Some("free"), Some(100))
    );
    let listed = s.get_ok("/v1/keys", test).await;
    let keys = listed["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1, "{listed}");
    assert_eq!(keys[0]["environment"], "test");
    assert!(test.starts_with(keys[0]["prefix"].as_str().unwrap()));
    assert!(test.ends_with(keys[0]["last4"].as_str().unwrap()));
    assert!(
        !listed
            .to_string()
            .contains(test.rsplit('_').next().unwrap()),
        "no secret listed"
    );

    let bad = s
        .post("/v1/accounts", None, &json!({"email": "nope", "name": "x"}))
        .await;
    let bad = error_body(bad, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(bad["details"]["issues"][0]["path"], json!(["email"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signup_can_be_turned_off_and_is_limited_per_address() {
    let off = Server::start_with(&[("STICKYCALLS_PUBLIC_SIGNUP", "false")]).await;
    let refused = off
        .post(
            "/v1/accounts",
            None,
            &json!({"email": "a@example.com", "name": "A"}),
        )
        .await;
    error_body(refused, StatusCode::FORBIDDEN, "signup_disabled").await;

    let limited = Server::start_with(&[("STICKYCALLS_RATE_LIMITS", "signup=2/3600")]).await;
    limited.signup("first").await;
    limited.signup("second").await;
    let third = limited
        .post(
            "/v1/accounts",
            None,
            &json!({"email": "c@example.com", "name": "C"}),
        )
        .await;
    assert!(third.headers().get("retry-after").is_some());
    error_body(third, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_with_two_live_keys_and_the_last_key_kept() {
    let s = Server::start().await;
    let old = s.keys.test.clone();
    let created = s
        .send(
            Method::POST,
            "/v1/keys",
            Some(&old),
            Some(&json!({"name": "rotation"})),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    let new = created["key"].as_str().unwrap().to_owned();
    assert!(new.starts_with("sk_test_"));
    assert_eq!(created["name"], "rotation");

    // Both keys work at once.
    for key in [&old, &new] {
        s.get_ok("/v1/account", key).await;
    }
    let listed = s.get_ok("/v1/keys", &new).await;
    let ids: Vec<String> = listed["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 2, "{listed}");
    let old_id = ids
        .iter()
        .find(|id| *id != created["id"].as_str().unwrap())
        .unwrap()
        .clone();
    assert!(
        listed["keys"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k["last_used_at"].is_string()),
        "{listed}"
    );

    // A test key cannot make a prod key.
    let wrong = s
        .send(
            Method::POST,
            "/v1/keys",
            Some(&new),
            Some(&json!({"name": "p", "environment": "prod"})),
        )
        .await;
    error_body(wrong, StatusCode::FORBIDDEN, "environment_forbidden").await;

    // Revoke the old key with the new one: the old one stops at once on this process.
    let revoked = s
        .send(
            Method::DELETE,
            &format!("/v1/keys/{old_id}"),
            Some(&new),
            None,
        )
        .await;
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let refused = s.client_get_with_key("/v1/account", &old).await;
    error_body(refused, StatusCode::UNAUTHORIZED, "unauthorized").await;
    s.get_ok("/v1/account", &new).await;

    let new_id = created["id"].as_str().unwrap();
    let last = s
        .send(
            Method::DELETE,
            &format!("/v1/keys/{new_id}"),
            Some(&new),
            None,
        )
        .await;
    error_body(last, StatusCode::CONFLICT, "last_key").await;
    s.get_ok("/v1/account", &new).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_revoked_on_one_process_stops_on_the_other_within_the_bound() {
    let a = Server::start().await;
    let b = a
        .another_with(&[("STICKYCALLS_KEY_CACHE_SECONDS", "2")])
        .await;
    let spare: Value = a
        .send(
            Method::POST,
            "/v1/keys",
            Some(&a.keys.test),
            Some(&json!({"name": "spare"})),
        )
        .await
        .json()
        .await
        .unwrap();
    let spare_key = spare["key"].as_str().unwrap();
    let spare_id = spare["id"].as_str().unwrap();
    // B verifies (and caches) the key.
    b.get_ok("/v1/account", spare_key).await;
    let revoked = a
        .send(
            Method::DELETE,
            &format!("/v1/keys/{spare_id}"),
            Some(&a.keys.test),
            None,
        )
        .await;
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    error_body(
        a.client_get_with_key("/v1/account", spare_key).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    // Past B's documented bound (2 s here), B refuses it too.
    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    error_body(
        b.client_get_with_key("/v1/account", spare_key).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    b.get_ok("/v1/account", &a.keys.test).await;
}

/// Every route with an id, probed with another account's key and with the other
/// environment's key: 404 and nothing changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_tenants_and_environments_get_404_for_every_id() {
    let s = Server::start().await;
    let started = s
        .ok(
            "/v1/calls/start",
            json!({"call_id": "iso_1", "identity_hints": {"ani": "+14155550777"}}),
        )
        .await;
    s.ok(
        "/v1/calls/end",
        json!({"call_id": "iso_1", "variables": {"tier": "gold"}}),
    )
    .await;
    let who = started["customer_ref"].as_str().unwrap().to_owned();
    let keys = s.get_ok("/v1/keys", &s.keys.test).await;
    let key_id = keys["keys"][0]["id"].as_str().unwrap().to_owned();
    let other = s.signup("Other Co").await;

    let probes: Vec<(Method, String, Option<Value>, &str)> = vec![
        (
            Method::GET,
            format!("/v1/customers/{who}"),
            None,
            "customer_not_found",
        ),
        (
            Method::GET,
            format!("/v1/customers/{who}/export"),
            None,
            "customer_not_found",
        ),
        (
            Method::PUT,
            format!("/v1/customers/{who}/variables/tier"),
            Some(json!({"value": "lead"})),
            "customer_not_found",
        ),
        (
            Method::DELETE,
            format!("/v1/customers/{who}/variables/tier"),
            None,
            "customer_not_found",
        ),
        (
            Method::DELETE,
            format!("/v1/customers/{who}"),
            None,
            "customer_not_found",
        ),
        (
            Method::POST,
            "/v1/calls/end".to_owned(),
            Some(json!({"call_id": "iso_1"})),
            "call_not_found",
        ),
        (
            Method::DELETE,
            format!("/v1/keys/{key_id}"),
            None,
            "key_not_found",
        ),
    ];
    for key in [&other.test, &other.prod, &s.keys.prod] {
        for (method, path, body, code) in &probes {
            let response = s.send(method.clone(), path, Some(key), body.as_ref()).await;
            let body = error_body(response, StatusCode::NOT_FOUND, code).await;
            assert!(
                !body.to_string().contains("gold"),
                "{method} {path}: {body}"
            );
        }
        let search = s.get_ok("/v1/customers?ani=%2B14155550777", key).await;
        assert_eq!(search["customers"], json!([]), "search leaks: {search}");
        // The ref named in a start's hints is nobody here: no match, none of their data.
        let named = s
            .send(
                Method::POST,
                "/v1/calls/start",
                Some(key),
                Some(&json!({"call_id": "probe_ref", "identity_hints": {"customer_ref": who}})),
            )
            .await;
        assert_eq!(named.status(), StatusCode::OK);
        let named: Value = named.json().await.unwrap();
        assert_eq!(named["identity"]["confidence"], 0.0, "{named}");
        assert!(!named.to_string().contains("gold"), "{named}");
    }
    // Nothing changed for the owner.
    let view = s
        .get_ok(&format!("/v1/customers/{who}"), &s.keys.test)
        .await;
    assert_eq!(view["variables"]["tier"]["value"], "gold");
    assert_eq!(view["total_calls"], 1);
    assert_eq!(
        s.get_ok("/v1/keys", &s.keys.test).await["keys"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

/// Behind a trusted reverse proxy the signup limit counts the address the proxy saw
/// (`X-Forwarded-For`); from anyone else the header changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_signup_limit_counts_the_forwarded_client_only_behind_a_trusted_proxy() {
    let signup = |s: &Server, forwarded: &'static str, n: u32| {
        let request = reqwest::Client::new()
            .post(format!("{}/v1/accounts", s.base))
            .header("X-Forwarded-For", forwarded)
            .json(&json!({"email": format!("p{n}@example.com"), "name": format!("P{n}")}));
        async move { request.send().await.unwrap().status() }
    };
    let proxied = Server::start_with(&[
        ("STICKYCALLS_RATE_LIMITS", "signup=1/3600"),
        ("STICKYCALLS_TRUSTED_PROXIES", "127.0.0.1,::1"),
    ])
    .await;
    assert_eq!(
        signup(&proxied, "198.51.100.1", 1).await,
        StatusCode::CREATED
    );
    assert_eq!(
        signup(&proxied, "198.51.100.2", 2).await,
        StatusCode::CREATED
    );
    // A client cannot hide behind an entry it wrote itself: the proxy appended the last.
    assert_eq!(
        signup(&proxied, "203.0.113.5, 198.51.100.1", 3).await,
        StatusCode::TOO_MANY_REQUESTS
    );

    let direct = Server::start_with(&[("STICKYCALLS_RATE_LIMITS", "signup=1/3600")]).await;
    assert_eq!(
        signup(&direct, "198.51.100.1", 1).await,
        StatusCode::CREATED
    );
    assert_eq!(
        signup(&direct, "198.51.100.2", 2).await,
        StatusCode::TOO_MANY_REQUESTS
    );
}
