//! The web console through `actix_web::test` on the in-memory store: sign-in and its
//! cookie, the security headers, form tokens and cross-site refusal, session ends
//! (idle, revoked key), and that what a page shows or does is what the API sees. The
//! browser suite (`make test-browser`) drives the same pages in Chromium.

use std::sync::Arc;
use stickycalls_vault::SoftwareVault;

use actix_http::Request;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use serde_json::{Value, json};
use stickycalls_console::Console;
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

/// No name resolves in these tests.
#[derive(Debug, Clone, Copy, Default)]
struct Unresolved;

impl stickycalls_domain::ports::HostResolver for Unresolved {
    async fn resolve(&self, _host: &str, _port: u16) -> Vec<std::net::IpAddr> {
        Vec::new()
    }
}

/// The console beside the REST API (what a page does is checked through the API).
fn app(
    state: Arc<AppState<Memory>>,
) -> actix_web::App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    stickycalls_inbound::app(state, |rooms| {
        stickycalls_http_api::routes::<Memory>(rooms);
        Console::default().mount::<Memory>(rooms);
    })
}

fn state_with(clock: TestClock) -> Arc<AppState<Memory>> {
    let store = MemoryStore::new(billing_on());
    Arc::new(AppState::new(
        store.clone(),
        MemoryLedger::new(store),
        clock,
        SequentialIds,
        SoftwareVault::ephemeral(),
        ApiOptions::default(),
    ))
}

/// The console under test, whatever its body type.
trait App: Service<Request, Response = ServiceResponse<Self::Body>, Error = actix_web::Error> {
    type Body: MessageBody;
}

impl<S, Bd: MessageBody> App for S
where
    S: Service<Request, Response = ServiceResponse<Bd>, Error = actix_web::Error>,
{
    type Body = Bd;
}

/// A page: status, `Location`, `Set-Cookie` values, CSP, body text.
struct Page {
    status: StatusCode,
    location: String,
    cookies: Vec<String>,
    csp: String,
    body: String,
}

async fn send(service: &impl App, request: TestRequest) -> Page {
    let response = test::call_service(service, request.to_request()).await;
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (status, location, csp) = (
        response.status(),
        header("location"),
        header("content-security-policy"),
    );
    let cookies = response
        .headers()
        .get_all("set-cookie")
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let body = String::from_utf8(test::read_body(response).await.to_vec()).unwrap();
    Page {
        status,
        location,
        cookies,
        csp,
        body,
    }
}

/// A console page, signed in with `cookie`.
async fn page(service: &impl App, uri: &str, cookie: &str) -> Page {
    send(
        service,
        TestRequest::get()
            .uri(uri)
            .insert_header(("Cookie", cookie.to_owned())),
    )
    .await
}

/// An API read with `key`.
async fn api_get(service: &impl App, uri: &str, key: &str) -> Page {
    send(
        service,
        TestRequest::get()
            .uri(uri)
            .insert_header(("Authorization", format!("Bearer {key}"))),
    )
    .await
}

fn form_token(html: &str) -> String {
    let re = regex::Regex::new(r#"name="csrf" value="([0-9a-f]{64})""#).unwrap();
    re.captures(html).expect("a form token")[1].to_owned()
}

async fn signup(service: &impl App) -> String {
    let page = send(
        service,
        TestRequest::post()
            .uri("/v1/accounts")
            .peer_addr("127.0.0.1:1000".parse().unwrap())
            .set_json(json!({"email": "ops@acme.example", "name": "Acme"})),
    )
    .await;
    let opened: Value = serde_json::from_str(&page.body).unwrap();
    opened["keys"]["test"].as_str().unwrap().to_owned()
}

/// The `name=value` of the session cookie a sign-in set.
fn session_cookie(page: &Page) -> String {
    let set = page
        .cookies
        .iter()
        .find(|c| c.starts_with("stickycalls_console_test="))
        .expect("a session cookie");
    set.split(';').next().unwrap().to_owned()
}

async fn sign_in(service: &impl App, key: &str) -> Page {
    send(
        service,
        TestRequest::post()
            .uri("/console/sign-in")
            .insert_header(("Origin", "http://localhost:8080"))
            .insert_header(("Host", "localhost:8080"))
            .set_form([("key", key)]),
    )
    .await
}

#[actix_web::test]
async fn a_key_signs_in_to_a_strict_session_and_the_overview_shows_the_accounts_credits() {
    let service = test::init_service(app(state_with(TestClock::default()))).await;
    let key = signup(&service).await;

    let anonymous = send(&service, TestRequest::get().uri("/console/test/")).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert_eq!(anonymous.location, "/console/sign-in?environment=test");

    let refused = sign_in(&service, "sk_test_0123456789abcdef_nope").await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(refused.cookies.is_empty());
    assert!(refused.body.contains("That key was not accepted"));

    let signed = sign_in(&service, &key).await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER);
    assert_eq!(signed.location, "/console/test/");
    let set = &signed.cookies[0];
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(set.contains(attribute), "{set}");
    }
    assert!(!set.contains("Secure"), "plain HTTP: {set}");
    assert!(!set.contains(&key));

    let overview = page(&service, "/console/test/", &session_cookie(&signed)).await;
    assert_eq!(overview.status, StatusCode::OK);
    assert!(
        overview.csp.contains("default-src 'none'"),
        "{}",
        overview.csp
    );
    assert!(overview.csp.contains("script-src 'self'"));
    let account = api_get(&service, "/v1/account", &key).await;
    let account: Value = serde_json::from_str(&account.body).unwrap();
    let shown = format!(
        r#"<span class="figure" id="credits-remaining">{}</span>"#,
        account["credits_remaining"]
    );
    assert!(overview.body.contains(&shown), "{}", overview.body);
    // No script or style inline, nothing from another host.
    assert!(!overview.body.contains("<script>"));
    assert!(!overview.body.contains("style="));
    assert!(!overview.body.contains("http://") && !overview.body.contains("https://"));

    // Over TLS (as a proxy reports it) the cookie is Secure.
    let secure = send(
        &service,
        TestRequest::post()
            .uri("/console/sign-in")
            .insert_header(("X-Forwarded-Proto", "https"))
            .set_form([("key", key.as_str())]),
    )
    .await;
    assert!(
        secure.cookies[0].contains("Secure"),
        "{}",
        secure.cookies[0]
    );
}

#[actix_web::test]
async fn forms_need_the_sessions_token_and_this_site() {
    let service = test::init_service(app(state_with(TestClock::default()))).await;
    let key = signup(&service).await;
    let cookie = session_cookie(&sign_in(&service, &key).await);
    let keys_page = page(&service, "/console/test/keys", &cookie).await;
    let token = form_token(&keys_page.body);
    let count_keys = || async {
        let listed = api_get(&service, "/v1/keys", &key).await;
        let listed: Value = serde_json::from_str(&listed.body).unwrap();
        listed["keys"].as_array().unwrap().len()
    };
    assert_eq!(count_keys().await, 1);

    let create = |token: &str, site: &str| {
        TestRequest::post()
            .uri("/console/test/keys")
            .insert_header(("Cookie", cookie.clone()))
            .insert_header(("Sec-Fetch-Site", site.to_owned()))
            .set_form([("csrf", token), ("name", "from a form")])
    };
    let forged = send(&service, create(&"0".repeat(64), "same-origin")).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let missing = send(
        &service,
        TestRequest::post()
            .uri("/console/test/keys")
            .insert_header(("Cookie", cookie.clone()))
            .set_form([("name", "no token")]),
    )
    .await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    let cross_site = send(&service, create(&token, "cross-site")).await;
    assert_eq!(cross_site.status, StatusCode::FORBIDDEN);
    assert_eq!(count_keys().await, 1, "nothing was created");

    let created = send(&service, create(&token, "same-origin")).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let secret = regex::Regex::new(r#"id="new-key">(sk_test_[0-9a-f_]+)<"#)
        .unwrap()
        .captures(&created.body)
        .expect("the new key, shown once")[1]
        .to_owned();
    assert_eq!(count_keys().await, 2);
    // The key made in the console works against the API.
    let with_new = api_get(&service, "/v1/account", &secret).await;
    assert_eq!(with_new.status, StatusCode::OK);
    // Listed afterwards by prefix and last four only.
    let listed = page(&service, "/console/test/keys", &cookie).await;
    assert!(!listed.body.contains(&secret));
    assert!(listed.body.contains(&secret[secret.len() - 4..]));
}

#[actix_web::test]
async fn sessions_end_when_idle_and_when_their_key_is_revoked() {
    let clock = TestClock::default();
    let service = test::init_service(app(state_with(clock.clone()))).await;
    let key = signup(&service).await;

    let cookie = session_cookie(&sign_in(&service, &key).await);
    clock.advance(time::Duration::minutes(29));
    assert_eq!(
        page(&service, "/console/test/", &cookie).await.status,
        StatusCode::OK
    );
    clock.advance(time::Duration::minutes(29));
    assert_eq!(
        page(&service, "/console/test/", &cookie).await.status,
        StatusCode::OK,
        "used: not idle"
    );
    clock.advance(time::Duration::minutes(30));
    let idle = page(&service, "/console/test/", &cookie).await;
    assert_eq!(idle.status, StatusCode::SEE_OTHER);
    assert_eq!(
        idle.location,
        "/console/sign-in?environment=test&ended=idle"
    );
    assert!(
        idle.cookies
            .iter()
            .any(|c| c.starts_with("stickycalls_console_test=;")),
        "{:?}",
        idle.cookies
    );

    // A second key, a session on the first, then the first revoked through the API.
    let created = send(
        &service,
        TestRequest::post()
            .uri("/v1/keys")
            .insert_header(("Authorization", format!("Bearer {key}")))
            .set_json(json!({"name": "second"})),
    )
    .await;
    let second: Value = serde_json::from_str(&created.body).unwrap();
    let cookie = session_cookie(&sign_in(&service, &key).await);
    assert_eq!(
        page(&service, "/console/test/", &cookie).await.status,
        StatusCode::OK
    );
    let second = second["key"].as_str().unwrap();
    let listed = api_get(&service, "/v1/keys", second).await;
    let listed: Value = serde_json::from_str(&listed.body).unwrap();
    let first_id = listed["keys"][0]["id"].as_str().unwrap().to_owned();
    let revoked = send(
        &service,
        TestRequest::delete()
            .uri(&format!("/v1/keys/{first_id}"))
            .insert_header(("Authorization", format!("Bearer {second}"))),
    )
    .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    let ended = page(&service, "/console/test/", &cookie).await;
    assert_eq!(
        ended.location,
        "/console/sign-in?environment=test&ended=revoked"
    );
}

#[actix_web::test]
async fn customers_are_searched_and_erased_only_when_the_ref_is_typed() {
    let service = test::init_service(app(state_with(TestClock::default()))).await;
    let key = signup(&service).await;
    let started = send(
        &service,
        TestRequest::post()
            .uri("/v1/calls/start")
            .insert_header(("Authorization", format!("Bearer {key}")))
            .set_json(json!({"call_id": "c1", "identity_hints": {"ani": "+14155550123"}})),
    )
    .await;
    let started: Value = serde_json::from_str(&started.body).unwrap();
    let customer = started["customer_ref"].as_str().unwrap().to_owned();
    let cookie = session_cookie(&sign_in(&service, &key).await);
    let form = page(&service, "/console/test/customers", &cookie).await;
    let token = form_token(&form.body);
    let search = |by: &str, q: &str| {
        TestRequest::post()
            .uri("/console/test/customers")
            .insert_header(("Cookie", cookie.clone()))
            .set_form([("csrf", token.as_str()), ("by", by), ("q", q)])
    };
    let found = send(&service, search("number", "+1 415 555 0123")).await;
    assert_eq!(found.status, StatusCode::OK);
    assert!(found.body.contains(&customer));
    assert!(found.body.contains("+14•••••0123"), "masked");
    assert!(!found.body.contains("4155550123"));
    let by_ref = send(&service, search("ref", &customer)).await;
    assert!(
        by_ref
            .body
            .contains(&format!("/console/test/customers/{customer}"))
    );
    let unknown = send(&service, search("ref", "cust_nobody")).await;
    assert!(unknown.body.contains("No customer found."));
    let bad = send(&service, search("external_id", "no-namespace")).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("namespace:value"), "{}", bad.body);

    let page = page(
        &service,
        &format!("/console/test/customers/{customer}/erase"),
        &cookie,
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let token = form_token(&page.body);
    let erase = |typed: &str| {
        TestRequest::post()
            .uri(&format!("/console/test/customers/{customer}/erase"))
            .insert_header(("Cookie", cookie.clone()))
            .set_form([("csrf", token.as_str()), ("confirm", typed)])
    };
    let record = format!("/v1/customers/{customer}");
    let read = || api_get(&service, &record, &key);
    assert_eq!(
        send(&service, erase("cust_other")).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(read().await.status, StatusCode::OK, "still there");
    let erased = send(&service, erase(&customer)).await;
    assert_eq!(erased.status, StatusCode::SEE_OTHER);
    assert_eq!(read().await.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn the_key_cap_and_the_last_key_are_refused_on_the_page() {
    let service = test::init_service(app(state_with(TestClock::default()))).await;
    let key = signup(&service).await;
    let cookie = session_cookie(&sign_in(&service, &key).await);
    let page = page(&service, "/console/test/keys", &cookie).await;
    let token = form_token(&page.body);
    // The only key: revoking it is refused, and it still works.
    let listed = api_get(&service, "/v1/keys", &key).await;
    let listed: Value = serde_json::from_str(&listed.body).unwrap();
    let own = listed["keys"][0]["id"].as_str().unwrap().to_owned();
    let last = send(
        &service,
        TestRequest::post()
            .uri(&format!("/console/test/keys/{own}/revoke"))
            .insert_header(("Cookie", cookie.clone()))
            .set_form([("csrf", token.as_str())]),
    )
    .await;
    assert_eq!(last.status, StatusCode::CONFLICT);
    assert!(last.body.contains("role=\"alert\""), "{}", last.body);
    // Twenty live keys: the twenty-first is refused with the API's message.
    for n in 2..=20 {
        send(
            &service,
            TestRequest::post()
                .uri("/v1/keys")
                .insert_header(("Authorization", format!("Bearer {key}")))
                .set_json(json!({"name": format!("k{n}")})),
        )
        .await;
    }
    let refused = send(
        &service,
        TestRequest::post()
            .uri("/console/test/keys")
            .insert_header(("Cookie", cookie))
            .set_form([("csrf", token.as_str()), ("name", "one too many")]),
    )
    .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(
        refused.body.contains("At most 20 live keys"),
        "{}",
        refused.body
    );
}

#[actix_web::test]
async fn billing_shows_the_ledger_and_names_a_bad_date() {
    let service = test::init_service(app(state_with(TestClock::default()))).await;
    let key = signup(&service).await;
    let cookie = session_cookie(&sign_in(&service, &key).await);
    let billing = page(&service, "/console/test/billing", &cookie).await;
    assert_eq!(billing.status, StatusCode::OK);
    // The opening allowance, granted today.
    assert!(
        billing.body.contains(r#"<table id="ledger">"#),
        "{}",
        billing.body
    );
    assert!(billing.body.contains("2026-02-06"), "{}", billing.body);
    let bad = page(&service, "/console/test/billing?from=yesterday", &cookie).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.body.contains("from: must be a date, YYYY-MM-DD"),
        "{}",
        bad.body
    );
}

#[actix_web::test]
async fn settings_saved_on_the_identity_page_show_at_once() {
    let service = test::init_service(app(state_with(TestClock::default()))).await;
    let key = signup(&service).await;
    let cookie = session_cookie(&sign_in(&service, &key).await);
    let shown = page(&service, "/console/test/identity", &cookie).await;
    assert!(
        shown.body.contains("<dt>Learning</dt><dd>on</dd>"),
        "{}",
        shown.body
    );
    // The form as a browser sends it: every text and number field, the list, and the
    // one box ticked (learning, on by default, unticked).
    let fields =
        regex::Regex::new(r#"type="(?:number|text|hidden)"[^>]* name="([^"]+)" value="([^"]*)""#)
            .unwrap();
    let mut form: Vec<(String, String)> = fields
        .captures_iter(&shown.body)
        .map(|c| (c[1].to_owned(), c[2].to_owned()))
        .collect();
    let list = regex::Regex::new(r#"name="withheld_anis"[^>]*>([^<]*)</textarea>"#).unwrap();
    form.push((
        "withheld_anis".into(),
        list.captures(&shown.body).unwrap()[1].to_owned(),
    ));
    form.push((
        "attestation_policy.a_allows_reuse_alone".into(),
        "on".into(),
    ));
    assert!(
        form.iter().any(|(n, _)| n == "weights.ani_mobile"),
        "{form:?}"
    );
    let saved = send(
        &service,
        TestRequest::post()
            .uri("/console/test/identity")
            .insert_header(("Cookie", cookie))
            .set_form(&form),
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert!(saved.body.contains("Saved."));
    // The calibration kept for a minute was dropped: the page says learning is off.
    assert!(
        saved.body.contains("<dt>Learning</dt><dd>off</dd>"),
        "{}",
        saved.body
    );
    let api = api_get(&service, "/v1/settings/identity", &key).await;
    let api: Value = serde_json::from_str(&api.body).unwrap();
    assert_eq!(api["learning"], false);
    assert_eq!(api["attestation_policy"]["a_allows_reuse_alone"], true);
    assert_eq!(api["weights"]["ani_mobile"], 0.5, "the other fields kept");
}

#[actix_web::test]
async fn retention_saved_on_its_page_is_the_apis_and_refused_whole() {
    let service = test::init_service(app(state_with(TestClock::default()))).await;
    let key = signup(&service).await;
    let cookie = session_cookie(&sign_in(&service, &key).await);
    let shown = page(&service, "/console/test/retention", &cookie).await;
    assert!(
        shown.body.contains(r#"name="calls_days" value="400""#)
            && shown.body.contains(r#"name="customers_days" value="""#),
        "{}",
        shown.body
    );
    let token = form_token(&shown.body);
    let post = |calls: &str, customers: &str| {
        TestRequest::post()
            .uri("/console/test/retention")
            .insert_header(("Cookie", cookie.clone()))
            .set_form([
                ("csrf", token.as_str()),
                ("calls_days", calls),
                ("customers_days", customers),
            ])
    };
    let refused = send(&service, post("90", "120")).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert!(
        refused.body.contains("Nothing was saved"),
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains(r#"id="retention-customers_days-error""#)
            && !refused.body.contains(r#"id="retention-calls_days-error""#),
        "the field at fault is named: {}",
        refused.body
    );
    let refused = send(&service, post("ninety", "")).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    let api = api_get(&service, "/v1/settings/retention", &key).await;
    let api: Value = serde_json::from_str(&api.body).unwrap();
    assert_eq!(api["calls_days"], 400, "nothing saved: {api}");

    let saved = send(&service, post("90", "30")).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert!(saved.body.contains("Saved."));
    let api = api_get(&service, "/v1/settings/retention", &key).await;
    let api: Value = serde_json::from_str(&api.body).unwrap();
    assert_eq!(
        api,
        json!({"calls_days": 90, "customers_days": 30, "webhook_events_days": 30})
    );
}

#[actix_web::test]
async fn the_whole_environment_downloads_from_the_console() {
    let service = test::init_service(app(state_with(TestClock::default()))).await;
    let key = signup(&service).await;
    let cookie = session_cookie(&sign_in(&service, &key).await);
    let shown = page(&service, "/console/test/retention", &cookie).await;
    assert!(
        shown.body.contains(r#"href="/console/test/export""#),
        "{}",
        shown.body
    );
    let download = page(&service, "/console/test/export", &cookie).await;
    assert_eq!(download.status, StatusCode::OK);
    let lines: Vec<Value> = download
        .body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["type"], "tenant");
    assert_eq!(lines[0]["environment"], "test");
    assert_eq!(lines.last().unwrap()["type"], "end");
    let signed_out = send(&service, TestRequest::get().uri("/console/test/export")).await;
    assert_ne!(signed_out.status, StatusCode::OK, "a session is needed");
}
