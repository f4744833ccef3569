//! HTTP Basic credentials with the key as the user name, for platforms whose HTTP blocks
//! only do basic auth (credentials in the URL): accepted wherever a Bearer key is, refused
//! with the same 401, and never written to a log line.

use base64::Engine as _;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Server, error_body};

fn basic(key: &str, password: &str) -> String {
    let credentials = base64::engine::general_purpose::STANDARD.encode(format!("{key}:{password}"));
    format!("Basic {credentials}")
}

/// `method path` with `authorization` as it is, and a JSON body when given.
async fn send(
    s: &Server, method: Method, path: &str, authorization: &str, body: Option<&Value>,
) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", s.base))
        .header("Authorization", authorization);
    if let Some(body) = body {
        request = request.json(body);
    }
    request.send().await.expect("request")
}

async fn ok_json(response: reqwest::Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.expect("JSON");
    assert!(status.is_success(), "{status}: {body}");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_as_basic_user_name_works_like_bearer_and_is_never_logged() {
    let path = std::env::temp_dir().join(format!("stickycalls-basic-{}.jsonl", std::process::id()));
    let s = Server::start_logged(
        &[
            ("RUST_LOG", "trace"),
            ("STICKYCALLS_LOG_FORMAT", "json"),
            ("STICKYCALLS_ACCESS_LOG", "on"),
        ],
        std::fs::File::create(&path).unwrap(),
    )
    .await;
    let auth = basic(&s.keys.test, "");

    // start, end, customers, keys: as with Bearer.
    let start = json!({"call_id": "basic_1", "identity_hints": {"ani": "+14155550611"}});
    let started =
        ok_json(send(&s, Method::POST, "/v1/calls/start", &auth, Some(&start)).await).await;
    assert_eq!(started["identity"]["recommendation"], "ignore");
    let end = json!({"call_id": "basic_1", "variables": {"note": "hello"}});
    let ended = ok_json(send(&s, Method::POST, "/v1/calls/end", &auth, Some(&end)).await).await;
    assert_eq!(ended["customer_ref"], started["customer_ref"]);
    // Any password is ignored (Studio's URL may carry one).
    let found = ok_json(
        send(
            &s,
            Method::GET,
            "/v1/customers?ani=%2B14155550611",
            &basic(&s.keys.test, "x"),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        found["customers"][0]["customer_ref"],
        started["customer_ref"]
    );
    let created = ok_json(
        send(
            &s,
            Method::POST,
            "/v1/keys",
            &auth,
            Some(&json!({"name": "studio"})),
        )
        .await,
    )
    .await;
    let new_key = created["key"].as_str().unwrap().to_owned();
    let listed = ok_json(send(&s, Method::GET, "/v1/keys", &basic(&new_key, ""), None).await).await;
    assert_eq!(listed["keys"].as_array().unwrap().len(), 2, "{listed}");

    // /mcp: the MCP initialize handshake with Basic credentials.
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"}}});
    let mcp = reqwest::Client::new()
        .post(format!("{}/mcp", s.base))
        .header("Authorization", &auth)
        .header("accept", "application/json, text/event-stream")
        .json(&initialize)
        .send()
        .await
        .unwrap();
    assert_eq!(mcp.status(), StatusCode::OK);
    let mcp_text = mcp.text().await.unwrap();
    assert!(mcp_text.contains("serverInfo"), "{mcp_text}");

    // A wrong key, and a revoked one, get the same 401 as with Bearer.
    let (lookup_and_secret, _) = (s.keys.test.strip_prefix("sk_test_").unwrap(), ());
    let (_, secret) = lookup_and_secret.split_once('_').unwrap();
    let unknown = format!("sk_test_{}_{secret}", "0".repeat(16));
    for (bad, why) in [
        (unknown.as_str(), "unknown"),
        ("sk_test_nonsense", "malformed"),
        ("", "empty"),
    ] {
        let by_bearer = error_body(
            send(
                &s,
                Method::POST,
                "/v1/calls/start",
                &format!("Bearer {bad}"),
                Some(&start),
            )
            .await,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        )
        .await;
        let by_basic = error_body(
            send(
                &s,
                Method::POST,
                "/v1/calls/start",
                &basic(bad, ""),
                Some(&start),
            )
            .await,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        )
        .await;
        if !bad.is_empty() {
            assert_eq!(by_bearer["message"], by_basic["message"], "{why}");
        }
    }
    let garbage = error_body(
        send(
            &s,
            Method::POST,
            "/v1/calls/start",
            "Basic %%%",
            Some(&start),
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert!(
        garbage["message"].as_str().unwrap().contains("Malformed"),
        "{garbage}"
    );
    let revoked_id = created["id"].as_str().unwrap();
    let revoke = send(
        &s,
        Method::DELETE,
        &format!("/v1/keys/{revoked_id}"),
        &auth,
        None,
    )
    .await;
    assert!(revoke.status().is_success(), "{}", revoke.status());
    let by_basic = error_body(
        send(&s, Method::GET, "/v1/keys", &basic(&new_key, ""), None).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    let by_bearer = error_body(
        send(
            &s,
            Method::GET,
            "/v1/keys",
            &format!("Bearer {new_key}"),
            None,
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert_eq!(by_basic["message"], by_bearer["message"]);

    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let logs = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    assert!(logs.contains("request done"), "the requests were logged");
    let secret_of = |k: &str| k.rsplit('_').next().unwrap().to_owned();
    let credentials_of = |k: &str| basic(k, "").trim_start_matches("Basic ").to_owned();
    for private in [
        secret_of(&s.keys.test),
        secret_of(&new_key),
        credentials_of(&s.keys.test),
        credentials_of(&new_key),
        "4155550611".to_owned(),
    ] {
        assert!(!logs.contains(&private), "`{private}` leaked into the logs");
    }
}
