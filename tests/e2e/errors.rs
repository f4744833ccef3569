//! One test per error status, each checking the body's shape (docs/API.md "Errors").

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::seeds::snapshot;
use crate::support::{CuttableProxy, Server, database, error_body, host_port, via};

fn start(call_id: &str, ani: &str) -> Value {
    json!({"call_id": call_id, "identity_hints": {"ani": ani}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_400_naming_the_field() {
    let s = Server::start().await;
    let key = Some(s.keys.test.as_str());
    let r = s
        .post("/v1/calls/start", key, &start("x", "not a phone"))
        .await;
    let body = error_body(r, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(
        body["details"]["issues"][0]["path"],
        json!(["identity_hints", "ani"])
    );
    snapshot("error_400_invalid_ani", &body);

    let r = s
        .post(
            "/v1/calls/start",
            key,
            &json!({"identity_hints": {"ani": 14155551234u64}}),
        )
        .await;
    let body = error_body(r, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(
        body["details"]["issues"][0]["path"],
        json!(["identity_hints", "ani"]),
        "wrong type, with its path"
    );

    let r = s
        .post(
            "/v1/calls/start",
            key,
            &json!({"identity_hints": {"ani": "+14155551234"}}),
        )
        .await;
    let body = error_body(r, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(body["details"]["issues"][0]["path"], json!(["call_id"]));

    let r = s
        .post_raw("/v1/calls/start", key, "{\"call_id\": ".into(), &[])
        .await;
    error_body(r, StatusCode::BAD_REQUEST, "invalid_request").await;

    s.ok("/v1/calls/start", start("card", "+14155550200")).await;
    let r = s
        .post(
            "/v1/calls/end",
            key,
            &json!({"call_id": "card", "variables": {"pan": "4111 1111 1111 1111"}}),
        )
        .await;
    let body = error_body(r, StatusCode::BAD_REQUEST, "sensitive_data_rejected").await;
    assert_eq!(
        body["details"]["issues"][0]["path"],
        json!(["variables", "pan"])
    );
    snapshot("error_400_sensitive_data", &body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_missing_malformed_unknown_wrong_or_revoked_are_401() {
    let s = Server::start().await;
    let body = start("auth", "+14155550201");
    let missing = error_body(
        s.post("/v1/calls/start", None, &body).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    snapshot("error_401_missing_key", &missing);
    error_body(
        s.post("/v1/calls/start", Some("sk_test_abc123"), &body)
            .await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;

    let (lookup_and_secret, env) = (s.keys.test.strip_prefix("sk_test_").unwrap(), "sk_test_");
    let (lookup, secret) = lookup_and_secret.split_once('_').unwrap();
    let unknown = format!("{env}{}_{secret}", "0".repeat(16));
    let wrong_secret = format!("{env}{lookup}_{}", "0".repeat(64));
    let unknown_body = error_body(
        s.post("/v1/calls/start", Some(&unknown), &body).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    let wrong_body = error_body(
        s.post("/v1/calls/start", Some(&wrong_secret), &body).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert_eq!(
        unknown_body["message"], wrong_body["message"],
        "an unknown key and a wrong one look alike"
    );
    let env_swapped = s.keys.test.replacen("sk_test_", "sk_prod_", 1);
    error_body(
        s.post("/v1/calls/start", Some(&env_swapped), &body).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;

    // Revoked before its first use (a process caches a verified key for up to 60 s).
    s.sql(&format!(
        "UPDATE api_keys SET revoked_at = now() WHERE lookup_id = '{}'",
        s.keys
            .prod
            .strip_prefix("sk_prod_")
            .unwrap()
            .split_once('_')
            .unwrap()
            .0
    ))
    .await;
    error_body(
        s.post("/v1/calls/start", Some(&s.keys.prod), &body).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    s.ok("/v1/calls/start", body).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_credits_is_402_and_stores_nothing_while_matches_stay_free() {
    let s = Server::start().await;
    let key = Some(s.keys.test.as_str());
    s.ok("/v1/calls/start", start("known", "+14155550202"))
        .await;
    s.ok("/v1/calls/end", json!({"call_id": "known"})).await;
    s.sql("UPDATE credit_balances SET allowance_left = 0, top_up = 0")
        .await;
    let r = s
        .post("/v1/calls/start", key, &start("broke", "+14155550203"))
        .await;
    let body = error_body(r, StatusCode::PAYMENT_REQUIRED, "insufficient_credits").await;
    snapshot("error_402_insufficient_credits", &body);
    let r = s
        .post("/v1/calls/end", key, &json!({"call_id": "broke"}))
        .await;
    error_body(r, StatusCode::NOT_FOUND, "call_not_found").await;
    let matched = s
        .ok("/v1/calls/start", start("again", "+14155550202"))
        .await;
    assert_eq!(matched["billable"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_calls_and_routes_are_404() {
    let s = Server::start().await;
    let r = s
        .post(
            "/v1/calls/end",
            Some(&s.keys.test),
            &json!({"call_id": "never_started"}),
        )
        .await;
    let body = error_body(r, StatusCode::NOT_FOUND, "call_not_found").await;
    snapshot("error_404_call_not_found", &body);
    let body = error_body(
        s.get("/v1/nothing-here").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    snapshot("error_404_route", &body);
    // Another environment's call is unknown here.
    s.ok("/v1/calls/start", start("mine", "+14155550204")).await;
    let r = s
        .post(
            "/v1/calls/end",
            Some(&s.keys.prod),
            &json!({"call_id": "mine"}),
        )
        .await;
    error_body(r, StatusCode::NOT_FOUND, "call_not_found").await;
}

/// Another method on a known route is 405 in our error body, with `Allow` naming the
/// methods it takes; `HEAD` works wherever `GET` does, with the headers and no body.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_methods_are_405_with_allow_and_head_works_like_get() {
    use reqwest::Method;
    let s = Server::start().await;
    for (method, path, allow) in [
        (Method::GET, "/v1/calls/start", "POST"),
        (Method::PATCH, "/v1/keys", "GET, HEAD, POST"),
        (Method::POST, "/v1/customers/cust_x", "GET, HEAD, DELETE"),
        (Method::DELETE, "/v1/health", "GET, HEAD"),
    ] {
        let r = s.send(method.clone(), path, Some(&s.keys.test), None).await;
        assert_eq!(r.headers()["allow"], allow, "{method} {path}");
        let body = error_body(r, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
        assert!(body["request_id"].as_str().is_some_and(|id| !id.is_empty()));
    }
    let get = s
        .send(Method::GET, "/v1/account", Some(&s.keys.test), None)
        .await;
    let head = s
        .send(Method::HEAD, "/v1/account", Some(&s.keys.test), None)
        .await;
    assert_eq!(
        (get.status(), head.status()),
        (StatusCode::OK, StatusCode::OK)
    );
    assert_eq!(
        head.headers()["content-type"],
        get.headers()["content-type"]
    );
    assert!(head.bytes().await.unwrap().is_empty(), "HEAD has no body");
    let health = s.send(Method::HEAD, "/v1/health", None, None).await;
    assert_eq!(health.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ending_twice_differently_is_409() {
    let s = Server::start().await;
    s.ok("/v1/calls/start", start("twice", "+14155550205"))
        .await;
    let first = s
        .ok(
            "/v1/calls/end",
            json!({"call_id": "twice", "variables": {"a": "1"}}),
        )
        .await;
    let same = s
        .ok(
            "/v1/calls/end",
            json!({"call_id": "twice", "variables": {"a": "1"}}),
        )
        .await;
    assert_eq!(first, same, "the same end answers the original response");
    let r = s
        .post(
            "/v1/calls/end",
            Some(&s.keys.test),
            &json!({"call_id": "twice", "variables": {"a": "2"}}),
        )
        .await;
    let body = error_body(r, StatusCode::CONFLICT, "call_already_ended").await;
    snapshot("error_409_call_already_ended", &body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_64_kib_are_413() {
    let s = Server::start().await;
    let big = json!({"call_id": "big", "variables": {"blob": "x".repeat(70 * 1024)}});
    let r = s.post("/v1/calls/end", Some(&s.keys.test), &big).await;
    let body = error_body(r, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    snapshot("error_413_payload_too_large", &body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_database_is_503_and_unhealthy() {
    let db = database().await;
    let proxy = CuttableProxy::to(host_port(&db.url)).await;
    let through_proxy = via(&db.url, &format!("127.0.0.1:{}", proxy.port));
    let s = Server::start_on(db, &through_proxy).await;
    s.ok("/v1/calls/start", start("before", "+14155550206"))
        .await;

    proxy.cut();
    let health = s.get("/v1/health").await;
    assert_eq!(health.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        health.json::<Value>().await.unwrap(),
        json!({"status": "unhealthy"})
    );
    let r = s
        .post(
            "/v1/calls/start",
            Some(&s.keys.test),
            &start("during", "+14155550207"),
        )
        .await;
    assert_eq!(
        r.headers().get("retry-after").map(|v| v.to_str().unwrap()),
        Some("1")
    );
    let body = error_body(r, StatusCode::SERVICE_UNAVAILABLE, "service_unavailable").await;
    assert!(
        !body.to_string().contains("postgres"),
        "no internals in the body: {body}"
    );
    snapshot("error_503_service_unavailable", &body);
}
