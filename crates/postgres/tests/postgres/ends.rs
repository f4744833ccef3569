//! An end of a started call decided on its read: two statements (the read, then one
//! writing statement guarded by the customer's version), and nothing written when the
//! customer changed between them (checked against the database itself).

use stickycalls_domain::calls::{CallId, EndRecord, Fingerprint};
use stickycalls_domain::identity::IdentityHints;
use stickycalls_domain::intents::IntentName;
use stickycalls_domain::ports::{CallStore, Clock, CommitEndError, CustomerStore, EndCommit};
use stickycalls_domain::tenant::Environment;
use stickycalls_domain::variables::VariableWrite;
use stickycalls_postgres::{PgSettings, PgStore, RoundTrips};
use stickycalls_test_support::contract::tenant;
use stickycalls_test_support::fakes::{TestClock, billing_on};

use super::{database, granted_service};

fn start_body(value: serde_json::Value) -> stickycalls_domain::calls::RawStartCall {
    serde_json::from_value(value).unwrap()
}

fn end_body(value: serde_json::Value) -> stickycalls_domain::calls::RawEndCall {
    serde_json::from_value(value).unwrap()
}

/// On a single-threaded runtime, so the driver's connection task cannot answer one
/// query before the next is sent: what is counted is what the code waits for.
#[tokio::test(flavor = "current_thread")]
async fn an_end_with_an_intent_variables_and_a_confirmation_costs_two_statements() {
    let db = database().await;
    let mut settings = PgSettings::new(&db.url);
    settings.max_connections = 1;
    let counter = RoundTrips::default();
    let store = PgStore::with_round_trip_counter(&settings, billing_on(), counter.clone()).unwrap();
    let t = tenant(41, Environment::Test);
    let service = granted_service(&store, &t, 1).await;
    let start = |id: &str| {
        start_body(serde_json::json!({"call_id": id, "identity_hints": {"ani": "+14155551234"}}))
    };
    let first = service.start(&t, start("first")).await.unwrap();
    service
        .end(
            &t,
            end_body(serde_json::json!({"call_id": "first", "intent": "refund",
                "intent_status": "open", "variables": {"a": "b"}})),
        )
        .await
        .unwrap();
    service.start(&t, start("second")).await.unwrap();
    counter.take();
    let sent = store.statements_sent();
    let out = service
        .end(
            &t,
            end_body(serde_json::json!({"call_id": "second",
                "customer_ref": first.customer_ref.as_str(), "intent": "refund",
                "intent_status": "open", "variables": {"a": null, "c": "d"}})),
        )
        .await
        .unwrap();
    assert_eq!(
        counter.take(),
        (2, 2),
        "the read, then one writing statement"
    );
    assert_eq!(store.statements_sent() - sent, 2);
    assert_eq!((out.intents_updated, out.variables_updated), (1, 2));
    // What the statement wrote is what the steps wrote: the intent counted again, the
    // variable deleted and the other set, the ANI's link confirmed.
    let again = service.start(&t, start("third")).await.unwrap();
    assert_eq!(again.customer_ref, first.customer_ref);
    assert_eq!(again.open_intents.len(), 1);
    assert_eq!(again.open_intents[0].attempt_count, 2);
    assert_eq!(
        again
            .variables
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        ["c"]
    );
    let client = super::connect(&db.url).await;
    let confirmed: i64 = client
        .query_one(
            "SELECT count(*) FROM customer_phones WHERE last_confirmed_at IS NOT NULL
                AND first_confirmed_at IS NOT NULL",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(confirmed, 1, "the confirmation is on the ANI's link");
}

/// The read sees the customer at one version; a write to their variables adds one; the
/// end decided on the read then writes nothing (the call is not ended), and the same
/// end without what it read (the steps under the customer's lock) ends it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_end_decided_on_a_customer_changed_since_writes_nothing() {
    let db = database().await;
    let store = PgStore::new(&PgSettings::new(&db.url), billing_on()).unwrap();
    let t = tenant(42, Environment::Test);
    let service = granted_service(&store, &t, 1).await;
    let started = service
        .start(
            &t,
            start_body(serde_json::json!({"call_id": "c1",
                "identity_hints": {"ani": "+14155550199"}})),
        )
        .await
        .unwrap();
    let call_id = CallId::from_trusted("c1");
    let intent = IntentName::from_trusted("refund".to_owned());
    let snapshot = store
        .load_end(
            &t.id,
            &call_id,
            None,
            Some(intent),
            TestClock::default().now(),
        )
        .await
        .unwrap();
    let seen = snapshot
        .customer
        .clone()
        .expect("the call's customer exists");
    assert_eq!(seen.customer, started.customer_ref);
    assert_eq!((seen.intent.as_ref(), seen.live_keys.len()), (None, 0));
    // Another writer of the customer's variables, between the read and the write.
    store
        .write_variables(
            &t.id,
            &started.customer_ref,
            vec![VariableWrite::Delete {
                key: "nothing".to_owned(),
            }],
            TestClock::default().now(),
        )
        .await
        .unwrap();
    let mut call = snapshot.call.expect("the call");
    call.ended = Some(EndRecord {
        ended_at: call.started_at,
        fingerprint: Fingerprint::standalone(),
        intents_updated: 0,
        variables_updated: 0,
        intent: None,
        verdict: None,
    });
    let commit = EndCommit {
        call,
        standalone: false,
        charge: None,
        create_customer: false,
        fold_provisional: None,
        link: IdentityHints::default(),
        sealed_links: Default::default(),
        line_type: None,
        confirmation: None,
        intent: None,
        variables: Vec::new(),
        seen: Some(seen),
    };
    let stale = store.commit_end(&t.id, commit.clone()).await;
    assert!(matches!(stale, Err(CommitEndError::Stale)), "{stale:?}");
    let stored = store.find_call(&t.id, &call_id).await.unwrap().unwrap();
    assert!(stored.ended.is_none(), "nothing written");
    store
        .commit_end(
            &t.id,
            EndCommit {
                seen: None,
                ..commit
            },
        )
        .await
        .expect("the steps under the lock end it");
    let stored = store.find_call(&t.id, &call_id).await.unwrap().unwrap();
    assert!(stored.ended.is_some());
}

/// An end answered as done is stored: its one statement commits at the Sync after it,
/// and a commit that fails there (here a deferred constraint trigger refusing this
/// call's end; in production a server stopped before it commits) must fail the end,
/// though the statement's row came back first. Nothing of the end is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_end_whose_commit_fails_is_not_answered_as_done() {
    let db = database().await;
    let store = PgStore::new(&PgSettings::new(&db.url), billing_on()).unwrap();
    let t = tenant(43, Environment::Test);
    let service = granted_service(&store, &t, 1).await;
    let client = super::connect(&db.url).await;
    client
        .batch_execute(
            "CREATE FUNCTION refuse_doomed() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
               IF NEW.call_id = 'doomed' AND NEW.ended_at IS NOT NULL THEN
                 RAISE EXCEPTION 'refused at commit';
               END IF;
               RETURN NEW;
             END $$;
             CREATE CONSTRAINT TRIGGER refuse_doomed AFTER UPDATE ON calls
               DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_doomed();",
        )
        .await
        .unwrap();
    service
        .start(
            &t,
            start_body(
                serde_json::json!({"call_id": "doomed", "identity_hints": {"ani": "+14155551299"}}),
            ),
        )
        .await
        .unwrap();
    let ended = service
        .end(
            &t,
            end_body(serde_json::json!({"call_id": "doomed", "variables": {"a": "b"}})),
        )
        .await;
    let row = client
        .query_one(
            "SELECT ended_at IS NOT NULL, (SELECT count(*) FROM variables) FROM calls WHERE call_id = 'doomed'",
            &[],
        )
        .await
        .unwrap();
    let (stored, variables): (bool, i64) = (row.get(0), row.get(1));
    assert!(!stored && variables == 0, "nothing of the end is stored");
    assert!(ended.is_err(), "an end not stored was answered {ended:?}");
}
