//! The webhook rules: which change reports which event, credit thresholds, and the use
//! cases over mocked ports (a refused endpoint writes nothing).

use std::net::IpAddr;

use serde_json::Value;
use time::macros::datetime;

use super::*;
use crate::calls::CallId;
use crate::intents::{IntentName, IntentStatus, IntentWrite, OpenIntent};
use crate::ports::{MockClock, MockHostResolver, MockIdGenerator, MockWebhookStore};
use crate::tenant::{AccountId, Environment};

fn tenant() -> TenantId {
    TenantId {
        account: AccountId(uuid::Uuid::from_u128(5)),
        environment: Environment::Test,
    }
}

fn at() -> Timestamp {
    Timestamp::new(datetime!(2026-11-29 10:00 UTC))
}

fn account(allowance: u64) -> CreditAccount {
    CreditAccount {
        plan: "starter".into(),
        allowance,
        anchor: at(),
        period_start: at(),
        allowance_left: 0,
        top_up: 0,
    }
}

fn kinds(events: &[Event]) -> Vec<EventType> {
    events.iter().map(|e| e.kind).collect()
}

#[test]
fn credits_go_low_under_a_fifth_of_the_allowance_and_exhausted_at_zero() {
    let call = CallId::parse("c1").unwrap();
    let events = |before, after| {
        kinds(&credit_events(
            tenant(),
            &account(1000),
            before,
            after,
            &call,
            at(),
        ))
    };
    assert_eq!(events(201, 200), []);
    assert_eq!(events(200, 199), [EventType::CreditsLow]);
    assert_eq!(events(199, 198), [], "already low: said once");
    assert_eq!(events(1, 0), [EventType::CreditsExhausted]);
    assert_eq!(
        events(200, 0),
        [EventType::CreditsLow, EventType::CreditsExhausted]
    );
    // A plan without allowance is never "low", only exhausted.
    let none = kinds(&credit_events(tenant(), &account(0), 1, 0, &call, at()));
    assert_eq!(none, [EventType::CreditsExhausted]);
    let low = credit_events(tenant(), &account(1000), 200, 199, &call, at());
    let body: Value = serde_json::from_str(&low[0].body).unwrap();
    assert_eq!(body["type"], "credits.low");
    assert_eq!(body["data"]["credits_remaining"], 199);
    assert_eq!(body["timestamp"], "2026-11-29T10:00:00.000Z");
}

#[test]
fn an_intent_opens_when_none_is_live_and_resolves_only_if_one_was() {
    let name = IntentName::parse("billing_refund", "intent").unwrap();
    let open = OpenIntent {
        name: name.clone(),
        attempt_count: 1,
        first_seen: at(),
        last_seen: at(),
    };
    let later = Timestamp::new(datetime!(2026-12-01 10:00 UTC));
    let touch = IntentWrite::new(name.clone(), IntentStatus::Open, later);
    let close = IntentWrite::new(name.clone(), IntentStatus::Resolved, later);
    use events::intent_event;
    assert_eq!(intent_event(&touch, None), Some(EventType::IntentOpened));
    assert_eq!(
        intent_event(&touch, Some(&open)),
        None,
        "counted, not opened"
    );
    assert_eq!(
        intent_event(&close, Some(&open)),
        Some(EventType::IntentResolved)
    );
    assert_eq!(intent_event(&close, None), None, "nothing was open");
    let expired = Timestamp::new(datetime!(2027-06-01 10:00 UTC));
    let reopened = IntentWrite::new(name, IntentStatus::Abandoned, expired);
    assert_eq!(
        intent_event(&reopened, Some(&open)),
        Some(EventType::IntentOpened)
    );
}

#[test]
fn event_ids_follow_what_they_report() {
    let who = crate::identity::CustomerRef::from_trusted("cust_1");
    let asked = |at| crate::retention::Erasure::Requested { at };
    let a = Event::customer_erased(tenant(), &who, &asked(at()));
    assert_eq!(a, Event::customer_erased(tenant(), &who, &asked(at())));
    assert!(a.id.starts_with("msg_") && a.id.len() == 36, "{}", a.id);
    let later = Event::customer_erased(
        tenant(),
        &who,
        &asked(Timestamp::new(datetime!(2026-11-29 10:00:01 UTC))),
    );
    assert_ne!(a.id, later.id);
    assert_eq!(a.customer, None, "the proof of an erasure outlives it");
    let body: Value = serde_json::from_str(&a.body).unwrap();
    assert_eq!(
        body["data"],
        serde_json::json!({"customer_ref": "cust_1", "reason": "request"})
    );
    let idle = crate::retention::Idle {
        since: at(),
        now: at(),
    };
    let kept = Event::customer_erased(
        tenant(),
        &who,
        &crate::retention::Erasure::Retention { idle },
    );
    let body: Value = serde_json::from_str(&kept.body).unwrap();
    assert_eq!(body["data"]["reason"], "retention");
}

fn service(
    store: MockWebhookStore, resolves_to: &'static [&'static str], allow_private: bool,
) -> WebhookService<MockWebhookStore, MockHostResolver, MockClock, MockIdGenerator> {
    let mut resolver = MockHostResolver::new();
    resolver.expect_resolve().returning(move |_, _| {
        let addresses: Vec<IpAddr> = resolves_to.iter().map(|a| a.parse().unwrap()).collect();
        Box::pin(async move { addresses })
    });
    let mut clock = MockClock::new();
    clock.expect_now().returning(at);
    let mut ids = MockIdGenerator::new();
    ids.expect_random_bytes().returning(|| [7; 32]);
    WebhookService::new(store, resolver, clock, ids, allow_private)
}

fn request(url: &str, events: &[&str]) -> NewEndpointRequest {
    NewEndpointRequest {
        url: url.into(),
        events: events.iter().map(|e| (*e).to_owned()).collect(),
        description: Some("CRM".into()),
    }
}

#[test]
fn an_endpoint_is_registered_with_a_secret_shown_once() {
    let mut store = MockWebhookStore::new();
    store
        .expect_add_endpoint()
        .times(1)
        .returning(|_, _| Box::pin(async { Ok(()) }));
    let svc = service(store, &["93.184.216.34"], false);
    let (endpoint, secret) = futures::executor::block_on(svc.create(
        &tenant(),
        request(
            "https://crm.example.com/hooks",
            &["intent.opened", "call.ended", "call.ended"],
        ),
    ))
    .unwrap();
    assert_eq!(
        endpoint.events,
        [EventType::CallEnded, EventType::IntentOpened]
    );
    assert!(endpoint.id.starts_with("wh_"));
    assert!(secret.expose().starts_with("whsec_"));
}

#[test]
fn a_refused_endpoint_writes_nothing_and_names_every_field() {
    let store = MockWebhookStore::new(); // any call would panic
    let svc = service(store, &["10.0.0.8"], false);
    let refused = |url: &str, events: &[&str]| match futures::executor::block_on(
        svc.create(&tenant(), request(url, events)),
    ) {
        Err(WebhookError::Invalid(v)) => v
            .issues
            .iter()
            .map(|i| i.path.join("."))
            .collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert_eq!(refused("ftp://x.example/", &[]), ["url", "events"]);
    assert_eq!(refused("https://x.example/", &["call.started"]), ["events"]);
    // A public-looking name that resolves to a private address.
    assert_eq!(
        refused("https://internal.example/", &["call.ended"]),
        ["url"]
    );
    assert_eq!(refused("http://127.0.0.1:9/", &["call.ended"]), ["url"]);
}

#[test]
fn the_operator_may_allow_private_targets() {
    let mut store = MockWebhookStore::new();
    store
        .expect_add_endpoint()
        .returning(|_, _| Box::pin(async { Ok(()) }));
    let svc = service(store, &[], true);
    let created = futures::executor::block_on(svc.create(
        &tenant(),
        request("http://127.0.0.1:9000/hook", &["call.ended"]),
    ));
    assert!(created.is_ok());
}

#[test]
fn a_debit_reports_what_it_crossed_counting_from_the_renewed_account() {
    use crate::credits::{Charge, ledger_tests::POLICY};
    let call = CallId::parse("d1").unwrap();
    let mut low_soon = account(1000);
    low_soon.allowance_left = 200;
    let change = low_soon
        .clone()
        .debit(Charge { credits: 1 }, &call, &POLICY, at())
        .unwrap();
    let events = debit_events(tenant(), Some(&low_soon), &change, &call, &POLICY, at());
    assert_eq!(kinds(&events), [EventType::CreditsLow]);
    // A month later the allowance has renewed: the same debit crosses nothing.
    let later = Timestamp::new(datetime!(2026-12-30 10:00 UTC));
    let renewed = low_soon
        .clone()
        .debit(Charge { credits: 1 }, &call, &POLICY, later)
        .unwrap();
    assert!(debit_events(tenant(), Some(&low_soon), &renewed, &call, &POLICY, later).is_empty());
}
