//! Several server processes on one PostgreSQL (and one Redis): the rate limit holds
//! for the cluster, a revocation and a settings change made on one node reach the
//! others long before their caches would expire, a retry sent to another node is the
//! same request, and a node whose Redis is gone limits alone instead of refusing
//! calls. The long runs (10,000 billable starts, a rolling restart behind HAProxy) are
//! `make cluster-test`'s.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use stickycalls_test_support::{redis_url, unique_prefix};

use crate::support::Server;

/// Environment for a node sharing its rate limits through a test Redis under `prefix`.
fn shared_limits(url: &str, prefix: &str, limits: &str) -> Vec<(String, String)> {
    vec![
        ("STICKYCALLS_REDIS_URL".into(), url.into()),
        ("STICKYCALLS_REDIS_PREFIX".into(), prefix.into()),
        ("STICKYCALLS_RATE_LIMITS".into(), limits.into()),
    ]
}

fn pairs(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// How many of `requests` GETs, sent to the nodes in turn, were answered 200.
async fn accepted(nodes: &[&Server], key: &str, requests: usize) -> usize {
    let mut ok = 0;
    for i in 0..requests {
        let node = nodes[i % nodes.len()];
        let response = node.client_get_with_key("/v1/account", key).await;
        match response.status() {
            StatusCode::OK => ok += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("unexpected {other}"),
        }
    }
    ok
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_on_one_redis_let_one_quota_through() {
    let redis = tokio::task::spawn_blocking(redis_url)
        .await
        .unwrap()
        .unwrap();
    let env = shared_limits(&redis, &unique_prefix("e2e-quota"), "free=30/3600");
    let a = Server::start_with(&pairs(&env)).await;
    let b = a.another_with(&pairs(&env)).await;
    let c = a.another_with(&pairs(&env)).await;
    let key = a.keys.test.clone();
    assert_eq!(accepted(&[&a, &b, &c], &key, 90).await, 30);
    // The fields are the same as a single process's.
    let refused = b.client_get_with_key("/v1/account", &key).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        refused.headers()["ratelimit-policy"],
        "\"free\";q=30;w=3600"
    );
    assert!(refused.headers().contains_key("retry-after"));
    let metrics = c.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("stickycalls_ratelimit_shared_down 0"),
        "{metrics}"
    );

    // Without Redis each process counts alone: three nodes let three quotas through.
    let alone = [("STICKYCALLS_RATE_LIMITS", "free=30/3600")];
    let x = Server::start_with(&alone).await;
    let y = x.another_with(&alone).await;
    let z = x.another_with(&alone).await;
    assert_eq!(accepted(&[&x, &y, &z], &x.keys.test, 90).await, 90);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_whose_redis_is_gone_limits_alone_and_refuses_no_call() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("redis://{}/", closed.local_addr().unwrap());
    drop(closed);
    let env = shared_limits(&dead, "x:", "free=3/3600");
    let s = Server::start_with(&pairs(&env)).await;
    for i in 0..3 {
        let started = s
            .post(
                "/v1/calls/start",
                Some(&s.keys.test),
                &json!({"call_id": format!("down-{i}"), "identity_hints": {"ani": "+14155550101"}}),
            )
            .await;
        assert_eq!(started.status(), StatusCode::OK, "answered without Redis");
        assert_eq!(started.headers()["ratelimit-policy"], "\"free\";q=3;w=3600");
    }
    let refused = s.client_get_with_key("/v1/account", &s.keys.test).await;
    assert_eq!(
        refused.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the process's own limiter still holds the quota"
    );
    let metrics = s.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("stickycalls_ratelimit_shared_down 1"),
        "{metrics}"
    );
    let local: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("stickycalls_ratelimit_local_decisions_total "))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(local >= 4, "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_key_is_refused_by_every_node_long_before_their_caches_expire() {
    // Caches that would trust a verified key for five minutes.
    let env = [("STICKYCALLS_KEY_CACHE_SECONDS", "300")];
    let a = Server::start_with(&env).await;
    let b = a.another_with(&env).await;
    let c = a.another_with(&env).await;
    let created = a
        .post("/v1/keys", Some(&a.keys.test), &json!({"name": "ivr"}))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    let (token, id) = (
        created["key"].as_str().unwrap().to_owned(),
        created["id"].as_str().unwrap().to_owned(),
    );
    for node in [&b, &c] {
        // Verified and cached there.
        node.get_ok("/v1/account", &token).await;
    }
    let revoked = a
        .send(
            Method::DELETE,
            &format!("/v1/keys/{id}"),
            Some(&a.keys.test),
            None,
        )
        .await;
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let began = Instant::now();
    for node in [&b, &c] {
        loop {
            let status = node
                .client_get_with_key("/v1/account", &token)
                .await
                .status();
            if status == StatusCode::UNAUTHORIZED {
                break;
            }
            assert_eq!(status, StatusCode::OK);
            assert!(
                began.elapsed() < Duration::from_secs(30),
                "still accepted 30 s after its revocation"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    eprintln!(
        "revocation seen by both other nodes after {} ms",
        began.elapsed().as_millis()
    );
}

fn mobile(call_id: &str) -> Value {
    json!({"call_id": call_id, "identity_hints": {"ani": "+14155550070"}, "telco": {"line_type": "mobile"}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_settings_saved_on_one_node_decide_the_next_start_on_another() {
    let env = [("STICKYCALLS_SETTINGS_CACHE_SECONDS", "300")];
    let a = Server::start_with(&env).await;
    let b = a.another_with(&env).await;
    a.ok("/v1/calls/start", mobile("s-1")).await;
    a.ok(
        "/v1/calls/end",
        json!({"call_id": "s-1", "customer_ref": "cust_same"}),
    )
    .await;
    // B scores with the defaults, and caches them.
    let before = b.ok("/v1/calls/start", mobile("s-2")).await;
    assert_eq!(before["identity"]["recommendation"], "reuse");
    let saved = a
        .send(
            Method::PUT,
            "/v1/settings/identity",
            Some(&a.keys.test),
            Some(&json!({"thresholds": {"reuse": 0.9}})),
        )
        .await;
    assert_eq!(saved.status(), StatusCode::OK);
    let began = Instant::now();
    for n in 3.. {
        let next = b.ok("/v1/calls/start", mobile(&format!("s-{n}"))).await;
        if next["identity"]["recommendation"] == "confirm" {
            break;
        }
        assert!(
            began.elapsed() < Duration::from_secs(30),
            "B still scores with the old settings"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_sent_to_other_nodes_is_the_same_start_billed_once() {
    let a = Server::start().await;
    let b = a.another().await;
    let c = a.another().await;
    let credits = |v: &Value| v["credits_remaining"].clone();
    let before = a.get_ok("/v1/account", &a.keys.test).await;
    let body = json!({"call_id": "retry-1", "identity_hints": {"ani": "+14155550199"}}).to_string();
    let h = [("Idempotency-Key", "c7a0e3f2-1b4d-4e8a-9c6f-2d5b8e1a0f37")];
    // The three nodes at once, then each again.
    let (x, y, z) = tokio::join!(
        a.post_raw("/v1/calls/start", Some(&a.keys.test), body.clone(), &h),
        b.post_raw("/v1/calls/start", Some(&a.keys.test), body.clone(), &h),
        c.post_raw("/v1/calls/start", Some(&a.keys.test), body.clone(), &h),
    );
    let mut answers = Vec::new();
    for response in [x, y, z] {
        // A node that found the first still running says so (409) and is retried.
        if response.status() == StatusCode::CONFLICT {
            continue;
        }
        assert_eq!(response.status(), StatusCode::OK);
        answers.push(response.json::<Value>().await.unwrap());
    }
    for node in [&a, &b, &c] {
        let again = node
            .post_raw("/v1/calls/start", Some(&a.keys.test), body.clone(), &h)
            .await;
        assert_eq!(again.status(), StatusCode::OK);
        assert_eq!(again.headers()["idempotent-replayed"], "true");
        answers.push(again.json().await.unwrap());
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:?}");
    assert_eq!(
        a.sql_count("SELECT count(*) FROM calls WHERE call_id = 'retry-1'")
            .await,
        1
    );
    let after = c.get_ok("/v1/account", &a.keys.test).await;
    assert_eq!(
        credits(&before).as_i64().unwrap() - credits(&after).as_i64().unwrap(),
        1,
        "one credit for one call, whichever nodes answered"
    );
}
