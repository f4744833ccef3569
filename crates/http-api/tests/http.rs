//! The REST API through `actix_web::test`, on the in-memory store: the whole request
//! path (auth, the use cases, the one error mapping) without a database, where the
//! database is not what is under test.

use std::sync::Arc;
use stickycalls_vault::SoftwareVault;

use actix_web::http::StatusCode;
use actix_web::test;
use serde_json::{Value, json};
use stickycalls_inbound::{ApiOptions, AppState, Backend};
use stickycalls_memory::{MemoryLedger, MemoryStore};
use stickycalls_test_support::fakes::{SequentialIds, TestClock, billing_on};

struct Memory;

impl Backend for Memory {
    type Store = MemoryStore;
    type Ledger = MemoryLedger;
    type Clock = TestClock;
    type Ids = SequentialIds;
    type Resolver = Unresolved;
}

/// No name resolves in these tests (webhook URLs with a public address do).
#[derive(Debug, Clone, Copy, Default)]
struct Unresolved;

impl stickycalls_domain::ports::HostResolver for Unresolved {
    async fn resolve(&self, _host: &str, _port: u16) -> Vec<std::net::IpAddr> {
        Vec::new()
    }
}

fn state() -> Arc<AppState<Memory>> {
    let store = MemoryStore::new(billing_on());
    Arc::new(AppState::new(
        store.clone(),
        MemoryLedger::new(store),
        TestClock::default(),
        SequentialIds,
        SoftwareVault::ephemeral(),
        ApiOptions::default(),
    ))
}

/// The REST API alone.
fn app(
    state: Arc<AppState<Memory>>,
) -> actix_web::App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    stickycalls_inbound::app(state, stickycalls_http_api::routes::<Memory>)
}

/// Sends a request; the status and the JSON body (`null` when empty).
macro_rules! call {
    ($service:expr, $request:expr $(,)?) => {{
        let response = test::call_service(&$service, $request.to_request()).await;
        let status = response.status();
        let body = test::read_body(response).await;
        let json: Value = if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&body).expect("a JSON body")
        };
        (status, json)
    }};
}

fn bearer(key: &str) -> (&'static str, String) {
    ("Authorization", format!("Bearer {key}"))
}

/// Signup opens the billing policy's plan; keys stop at the cap of 20 with the error
/// body of docs/API.md "Errors"; a new caller spends a credit of it.
#[actix_web::test]
async fn signup_keys_up_to_the_cap_and_a_billed_start() {
    let service = test::init_service(app(state())).await;
    let (status, opened) = call!(
        service,
        test::TestRequest::post()
            .uri("/v1/accounts")
            .peer_addr("127.0.0.1:1000".parse().unwrap())
            .set_json(json!({"email": "ops@acme.example", "name": "Acme"})),
    );
    assert_eq!(status, StatusCode::CREATED, "{opened}");
    assert_eq!(opened["plan"], "free");
    assert_eq!(opened["credits_per_environment"], 100);
    let key = opened["keys"]["test"].as_str().unwrap().to_owned();

    for n in 2..=20 {
        let (status, body) = call!(
            service,
            test::TestRequest::post()
                .uri("/v1/keys")
                .insert_header(bearer(&key))
                .set_json(json!({"name": format!("ci-{n}")})),
        );
        assert_eq!(status, StatusCode::CREATED, "key {n}: {body}");
        assert!(body["key"].as_str().unwrap().starts_with("sk_test_"));
    }
    let (status, refused) = call!(
        service,
        test::TestRequest::post()
            .uri("/v1/keys")
            .insert_header(bearer(&key))
            .set_json(json!({"name": "one-too-many"})),
    );
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(refused["code"], "too_many_keys");
    assert_eq!(
        refused["message"],
        "At most 20 live keys per environment: revoke one first"
    );
    let (_, listed) = call!(
        service,
        test::TestRequest::get()
            .uri("/v1/keys")
            .insert_header(bearer(&key)),
    );
    assert_eq!(listed["keys"].as_array().unwrap().len(), 20);

    let (status, started) = call!(
        service,
        test::TestRequest::post()
            .uri("/v1/calls/start")
            .insert_header(bearer(&key))
            .set_json(json!({"call_id": "test_001", "identity_hints": {"ani": "+14155559999"}})),
    );
    assert_eq!(status, StatusCode::OK, "{started}");
    assert_eq!(started["billable"], true);
    let (_, account) = call!(
        service,
        test::TestRequest::get()
            .uri("/v1/account")
            .insert_header(bearer(&key)),
    );
    assert_eq!(account["credits_remaining"], 99, "{account}");
}

/// A bad signup names every bad field at once; a search names exactly one key; an
/// unknown customer is 404: each through the one error mapping.
#[actix_web::test]
async fn errors_come_from_the_use_cases_through_one_mapping() {
    let service = test::init_service(app(state())).await;
    let (status, body) = call!(
        service,
        test::TestRequest::post()
            .uri("/v1/accounts")
            .peer_addr("127.0.0.1:1001".parse().unwrap())
            .set_json(json!({"email": "nope", "name": " "})),
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "invalid_request");
    let paths: Vec<&Value> = body["details"]["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["path"])
        .collect();
    assert_eq!(paths, [&json!(["name"]), &json!(["email"])]);

    let (_, opened) = call!(
        service,
        test::TestRequest::post()
            .uri("/v1/accounts")
            .peer_addr("127.0.0.1:1001".parse().unwrap())
            .set_json(json!({"email": "ops@acme.example", "name": "Acme"})),
    );
    let key = opened["keys"]["prod"].as_str().unwrap().to_owned();
    let (status, body) = call!(
        service,
        test::TestRequest::get()
            .uri("/v1/customers")
            .insert_header(bearer(&key)),
    );
    assert_eq!(
        (status, &body["code"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_request"))
    );
    let (status, body) = call!(
        service,
        test::TestRequest::get()
            .uri("/v1/customers/cust_nobody")
            .insert_header(bearer(&key)),
    );
    assert_eq!(
        (status, &body["code"]),
        (StatusCode::NOT_FOUND, &json!("customer_not_found"))
    );
}
