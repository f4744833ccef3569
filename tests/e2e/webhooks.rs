//! Webhooks end to end: the real binary delivers to a real HTTP receiver; signatures
//! are verified with the `standardwebhooks` crate; retries follow the schedule; 410
//! disables; an event committed just before kill -9 is delivered after the restart;
//! two processes deliver each event once; private addresses are refused.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::receiver::{Answer, Received, Receiver};
use crate::support::{Server, error_body};

/// Fast deliveries, to a receiver on 127.0.0.1.
const FAST: [(&str, &str); 3] = [
    ("STICKYCALLS_WEBHOOKS_ALLOW_PRIVATE", "true"),
    ("STICKYCALLS_WEBHOOK_POLL_MS", "50"),
    ("RUST_LOG", "warn"),
];

fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut env = FAST.to_vec();
    env.extend_from_slice(extra);
    env
}

/// Registers `url` for `events`; the endpoint and its secret.
async fn register(server: &Server, url: &str, events: &[&str]) -> (String, String) {
    let response = server
        .post(
            "/v1/webhooks",
            Some(&server.keys.test),
            &json!({"url": url, "events": events, "description": "CRM"}),
        )
        .await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (
        body["id"].as_str().unwrap().to_owned(),
        body["secret"].as_str().unwrap().to_owned(),
    )
}

/// A new caller's start and its end (intent `status` when given): the customer.
async fn call(server: &Server, call_id: &str, number: &str, intent: Option<&str>) -> String {
    let started = server
        .ok(
            "/v1/calls/start",
            json!({"call_id": call_id, "identity_hints": {"ani": number}}),
        )
        .await;
    let customer = started["customer_ref"].as_str().unwrap().to_owned();
    let mut end = json!({"call_id": call_id, "customer_ref": customer});
    if let Some(status) = intent {
        end["intent"] = json!("billing_refund");
        end["intent_status"] = json!(status);
        end["variables"] = json!({"summary": "refund of $50 approved"});
    }
    server.ok("/v1/calls/end", end).await;
    customer
}

async fn deliveries(server: &Server, endpoint: &str) -> Vec<Value> {
    let listed = server
        .get_ok(
            &format!("/v1/webhooks/{endpoint}/deliveries"),
            &server.keys.test,
        )
        .await;
    listed["deliveries"].as_array().unwrap().clone()
}

/// The endpoint's deliveries once the latest satisfies `done` (or after 30 s).
async fn first_delivery_when(
    server: &Server, endpoint: &str, done: impl Fn(&Value) -> bool,
) -> Vec<Value> {
    let mut listed = Vec::new();
    for _ in 0..600 {
        listed = deliveries(server, endpoint).await;
        if listed.first().is_some_and(&done) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    listed
}

fn kinds(got: &[Received]) -> BTreeMap<String, usize> {
    let mut seen = BTreeMap::new();
    for r in got {
        *seen.entry(r.kind()).or_default() += 1;
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_type_is_delivered_signed() {
    let receiver = Receiver::start(Answer::Status(204)).await;
    let server = Server::start_with(&with(&[])).await;
    let all = [
        "call.ended",
        "intent.opened",
        "intent.resolved",
        "customer.erased",
        "credits.low",
        "credits.exhausted",
    ];
    let (endpoint, secret) = register(&server, &receiver.url, &all).await;
    assert!(secret.starts_with("whsec_"));

    let customer = call(&server, "wh-1", "+14155550201", Some("open")).await;
    let again = server
        .ok(
            "/v1/calls/start",
            json!({"call_id": "wh-2", "identity_hints": {"ani": "+14155550201"}}),
        )
        .await;
    assert_eq!(again["customer_ref"], customer.as_str());
    server
        .ok(
            "/v1/calls/end",
            json!({"call_id": "wh-2", "customer_ref": customer, "intent": "billing_refund",
                   "intent_status": "resolved"}),
        )
        .await;
    // Delivered before the erasure (which would erase them, undelivered).
    receiver
        .wait_for(Duration::from_secs(30), |got| got.len() >= 4)
        .await;
    let erase = server
        .send(
            Method::DELETE,
            &format!("/v1/customers/{customer}"),
            Some(&server.keys.test),
            None,
        )
        .await;
    assert_eq!(erase.status(), StatusCode::NO_CONTENT);
    // Spend every credit: new callers until 402.
    let mut n = 0;
    loop {
        let response = server
            .post(
                "/v1/calls/start",
                Some(&server.keys.test),
                &json!({"call_id": format!("drain-{n}"), "identity_hints": {"ani": format!("+1646555{n:04}")}}),
            )
            .await;
        if response.status() == StatusCode::PAYMENT_REQUIRED {
            break;
        }
        assert_eq!(response.status(), StatusCode::OK);
        n += 1;
    }

    let got = receiver
        .wait_for(Duration::from_secs(30), |got| kinds(got).len() == all.len())
        .await;
    let seen = kinds(&got);
    for kind in all {
        let times = if kind == "call.ended" { 2 } else { 1 };
        assert_eq!(seen.get(kind), Some(&times), "{kind}: {seen:?}");
    }
    for r in &got {
        r.verify(&secret);
        assert_eq!(r.headers["content-type"], "application/json");
        // Refs and counts only: never a number or a variable's value.
        assert!(
            !r.body.contains("4155550201") && !r.body.contains("refund of"),
            "{}",
            r.body
        );
    }
    let by_kind = |k: &str| got.iter().find(|r| r.kind() == k).unwrap().json();
    // The erasure erased the events about the customer; its own names only them.
    assert_eq!(
        by_kind("customer.erased")["data"],
        json!({"customer_ref": customer, "reason": "request"})
    );
    assert_eq!(by_kind("credits.exhausted")["data"]["credits_remaining"], 0);
    assert_eq!(by_kind("intent.opened")["data"]["intent"], "billing_refund");
    let listed = deliveries(&server, &endpoint).await;
    assert!(
        listed
            .iter()
            .all(|d| d["status"] == "delivered" && d["last_response_code"] == 204),
        "{listed:?}"
    );
    // The events about the erased customer were erased with them (delivered before).
    let kinds_listed: Vec<&str> = listed
        .iter()
        .map(|d| d["event_type"].as_str().unwrap())
        .collect();
    assert!(!kinds_listed.contains(&"call.ended"), "{kinds_listed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_receiver_is_retried_on_the_schedule_then_given_up() {
    let receiver = Receiver::start(Answer::Status(500)).await;
    let server = Server::start_with(&with(&[("STICKYCALLS_WEBHOOK_RETRY_SECONDS", "1,2")])).await;
    let (endpoint, secret) = register(&server, &receiver.url, &["call.ended"]).await;
    call(&server, "retry-1", "+14155550202", None).await;
    let got = receiver
        .wait_for(Duration::from_secs(30), |got| got.len() >= 3)
        .await;
    assert_eq!(got.len(), 3, "the first attempt and two retries");
    for r in &got {
        r.verify(&secret);
        assert_eq!(r.id(), got[0].id(), "the same event each time");
    }
    let waits: Vec<f64> = got
        .windows(2)
        .map(|w| (w[1].at - w[0].at).as_secs_f64())
        .collect();
    assert!(waits[0] >= 0.9 && waits[1] >= 1.9, "waits {waits:?}");
    // Nothing after the schedule.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(receiver.got().len(), 3);
    let listed = deliveries(&server, &endpoint).await;
    assert_eq!(listed[0]["status"], "failed", "{listed:?}");
    assert_eq!(listed[0]["attempts"], 3);
    assert_eq!(listed[0]["last_response_code"], 500);
    assert_eq!(listed[0]["next_attempt_at"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gone_disables_the_endpoint() {
    let receiver = Receiver::start(Answer::Status(410)).await;
    let server = Server::start_with(&with(&[])).await;
    let (endpoint, _) = register(&server, &receiver.url, &["call.ended"]).await;
    call(&server, "gone-1", "+14155550203", None).await;
    receiver
        .wait_for(Duration::from_secs(30), |got| !got.is_empty())
        .await;
    let mut shown = Value::Null;
    for _ in 0..600 {
        shown = server
            .get_ok(&format!("/v1/webhooks/{endpoint}"), &server.keys.test)
            .await;
        if shown["status"] == "disabled" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(shown["status"], "disabled", "{shown}");
    assert!(shown["disabled_at"].is_string());
    call(&server, "gone-2", "+14155550204", None).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.got().len(), 1, "nothing more is sent");
    let listed = deliveries(&server, &endpoint).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["status"], "cancelled");
    assert_eq!(listed[0]["last_response_code"], 410);
}

/// An attempt that takes longer than the time-out is cut and tried again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_receiver_times_out() {
    let receiver = Receiver::start(Answer::Slow(Duration::from_secs(5))).await;
    let server = Server::start_with(&with(&[
        ("STICKYCALLS_WEBHOOK_TIMEOUT_SECONDS", "1"),
        ("STICKYCALLS_WEBHOOK_RETRY_SECONDS", "60"),
    ]))
    .await;
    let (endpoint, _) = register(&server, &receiver.url, &["call.ended"]).await;
    call(&server, "slow-1", "+14155550209", None).await;
    let listed = first_delivery_when(&server, &endpoint, |d| d["last_error"].is_string()).await;
    assert_eq!(listed[0]["last_error"], "timed out", "{listed:?}");
    assert_eq!(listed[0]["status"], "pending");
    assert_eq!(listed[0]["attempts"], 1);
}

/// One endpoint gets at most four attempts at once, however many are due.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_endpoint_gets_at_most_four_attempts_at_once() {
    let receiver = Receiver::start(Answer::Slow(Duration::from_millis(400))).await;
    let server = Server::start_with(&with(&[("STICKYCALLS_WEBHOOK_POLL_MS", "60000")])).await;
    register(&server, &receiver.url, &["call.ended"]).await;
    // This process has looked once, found nothing, and sleeps for a minute.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for i in 0..12 {
        call(
            &server,
            &format!("busy-{i}"),
            &format!("+1415557{i:04}"),
            None,
        )
        .await;
    }
    // A second process finds all twelve due at once.
    let worker = server.another_with(&with(&[])).await;
    let got = receiver
        .wait_for(Duration::from_secs(30), |got| got.len() >= 12)
        .await;
    assert_eq!(got.len(), 12);
    let most = receiver.most_in_flight();
    assert!((2..=4).contains(&most), "{most} at once");
    drop(worker);
}

/// A redirect is an answer, not an instruction: never followed (it could point anywhere,
/// a private address included), the attempt failed and retried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_is_not_followed() {
    let target = Receiver::start(Answer::Status(200)).await;
    let to: &'static str = Box::leak(target.url.clone().into_boxed_str());
    let receiver = Receiver::start(Answer::Redirect(to)).await;
    let server = Server::start_with(&with(&[("STICKYCALLS_WEBHOOK_RETRY_SECONDS", "60")])).await;
    let (endpoint, _) = register(&server, &receiver.url, &["call.ended"]).await;
    call(&server, "redirect-1", "+14155550208", None).await;
    receiver
        .wait_for(Duration::from_secs(30), |got| !got.is_empty())
        .await;
    let listed = first_delivery_when(&server, &endpoint, |d| {
        d["attempts"] == 1 && d["last_response_code"] == 307
    })
    .await;
    assert_eq!(listed[0]["last_response_code"], 307, "{listed:?}");
    assert_eq!(listed[0]["status"], "pending", "retried later");
    assert!(listed[0]["next_attempt_at"].is_string());
    assert!(target.got().is_empty(), "the redirect was not followed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_committed_before_kill_9_is_delivered_after_the_restart() {
    let receiver = Receiver::start(Answer::Status(200)).await;
    // This process looks for deliveries once a minute: it dies before it would.
    let mut first = Server::start_with(&[
        ("STICKYCALLS_WEBHOOKS_ALLOW_PRIVATE", "true"),
        ("STICKYCALLS_WEBHOOK_POLL_MS", "60000"),
    ])
    .await;
    let (_, secret) = register(&first, &receiver.url, &["call.ended"]).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    call(&first, "crash-1", "+14155550205", None).await;
    first._child.start_kill().unwrap(); // SIGKILL
    first._child.wait().await.unwrap();
    assert!(receiver.got().is_empty(), "not delivered before the kill");
    let second = first.another_with(&with(&[])).await;
    let got = receiver
        .wait_for(Duration::from_secs(30), |got| !got.is_empty())
        .await;
    assert_eq!(got.len(), 1, "delivered after the restart");
    got[0].verify(&secret);
    assert_eq!(got[0].json()["data"]["call_id"], "crash-1");
    drop(second);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_deliver_each_event_once() {
    let receiver = Receiver::start(Answer::Status(200)).await;
    let one = Server::start_with(&with(&[])).await;
    let two = one.another_with(&with(&[])).await;
    register(&one, &receiver.url, &["call.ended"]).await;
    let ends = 30;
    for i in 0..ends {
        let server = if i % 2 == 0 { &one } else { &two };
        call(
            server,
            &format!("pair-{i}"),
            &format!("+1415556{i:04}"),
            None,
        )
        .await;
    }
    receiver
        .wait_for(Duration::from_secs(30), |got| got.len() >= ends)
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = receiver.got();
    let mut ids: Vec<&str> = got.iter().map(Received::id).collect();
    ids.sort();
    let total = ids.len();
    ids.dedup();
    assert_eq!(
        (total, ids.len()),
        (ends, ends),
        "each of {ends} events once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_addresses_are_refused_at_creation_and_at_delivery() {
    let receiver = Receiver::start(Answer::Status(200)).await;
    let strict = Server::start_with(&[("STICKYCALLS_WEBHOOK_POLL_MS", "50")]).await;
    for url in [
        receiver.url.as_str(),
        "http://localhost:8080/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://10.0.0.7/hook",
        "ftp://example.com/hook",
    ] {
        let response = strict
            .post(
                "/v1/webhooks",
                Some(&strict.keys.test),
                &json!({"url": url, "events": ["call.ended"]}),
            )
            .await;
        let body = error_body(response, StatusCode::BAD_REQUEST, "invalid_request").await;
        assert_eq!(
            body["details"]["issues"][0]["path"],
            json!(["url"]),
            "{url}: {body}"
        );
    }
    let listed = strict.get_ok("/v1/webhooks", &strict.keys.test).await;
    assert_eq!(listed["webhooks"], json!([]), "nothing was registered");

    // An endpoint registered where private targets were allowed is refused by a
    // process where they are not, at delivery.
    let lax = strict
        .another_with(&[("STICKYCALLS_WEBHOOKS_ALLOW_PRIVATE", "true")])
        .await;
    let (endpoint, _) = register(&lax, &receiver.url, &["call.ended"]).await;
    drop(lax); // only the strict process delivers
    call(&strict, "ssrf-1", "+14155550206", None).await;
    // A claimed delivery counts its attempt before the attempt's outcome is recorded.
    let listed = first_delivery_when(&strict, &endpoint, |d| {
        d["attempts"] == 1 && !d["last_error"].is_null()
    })
    .await;
    assert_eq!(listed[0]["attempts"], 1, "{listed:?}");
    assert!(
        listed[0]["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("refused")),
        "{listed:?}"
    );
    assert!(
        receiver.got().is_empty(),
        "nothing reached the private address"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoints_are_managed_per_tenant_and_rotation_signs_with_both() {
    let receiver = Receiver::start(Answer::Status(200)).await;
    let server = Server::start_with(&with(&[])).await;
    let (endpoint, old) = register(&server, &receiver.url, &["call.ended"]).await;
    let path = format!("/v1/webhooks/{endpoint}");
    let listed = server.get_ok("/v1/webhooks", &server.keys.test).await;
    assert_eq!(listed["webhooks"][0]["id"], endpoint.as_str());
    assert!(
        listed["webhooks"][0].get("secret").is_none(),
        "never listed"
    );
    // The prod key is another tenant.
    let other = server
        .send(Method::GET, &path, Some(&server.keys.prod), None)
        .await;
    error_body(other, StatusCode::NOT_FOUND, "webhook_not_found").await;
    let rotated = server
        .send(
            Method::POST,
            &format!("{path}/rotate-secret"),
            Some(&server.keys.test),
            None,
        )
        .await;
    assert_eq!(rotated.status(), StatusCode::OK);
    let rotated: Value = rotated.json().await.unwrap();
    let new = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    call(&server, "rot-1", "+14155550207", None).await;
    let got = receiver
        .wait_for(Duration::from_secs(30), |g| !g.is_empty())
        .await;
    got[0].verify(&new);
    got[0].verify(&old); // valid for 24 h
    let bad = server
        .post(
            "/v1/webhooks",
            Some(&server.keys.test),
            &json!({"url": receiver.url, "events": ["call.started"]}),
        )
        .await;
    let body = error_body(bad, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(body["details"]["issues"][0]["path"], json!(["events"]));
    let deleted = server
        .send(Method::DELETE, &path, Some(&server.keys.test), None)
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let again = server
        .send(Method::DELETE, &path, Some(&server.keys.test), None)
        .await;
    error_body(again, StatusCode::NOT_FOUND, "webhook_not_found").await;
}
