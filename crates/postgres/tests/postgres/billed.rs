//! A billed start paid by a credit stripe as its read found it: one writing statement,
//! and what happens when the stripe or the call id changed between the read and the
//! write (checked against the database itself: the tables, PostgreSQL's locks).

use std::time::Duration;

use stickycalls_domain::calls::{CallService, StartCallError};
use stickycalls_domain::ports::CreditLedger;
use stickycalls_domain::tenant::{Environment, Tenant};
use stickycalls_postgres::{PgLedger, PgSettings, PgStore, RoundTrips};
use stickycalls_test_support::TestDatabase;
use stickycalls_test_support::contract::tenant;
use stickycalls_test_support::fakes::{SequentialIds, TestClock, billing_on, operator};
use stickycalls_vault::SoftwareVault;
use tokio_postgres::Client;

use super::{connect, database};

type Service = CallService<PgStore, PgLedger, TestClock, SequentialIds>;

fn new_caller(call_id: &str, ani: &str) -> stickycalls_domain::calls::RawStartCall {
    serde_json::from_value(serde_json::json!({"call_id": call_id, "identity_hints": {"ani": ani}}))
        .unwrap()
}

/// A tenant granted `credits` on a store counting its round trips, and a service on it.
async fn billed_world(
    db: &TestDatabase, credits: u64,
) -> (Tenant, PgStore, PgLedger, RoundTrips, Service) {
    let mut settings = PgSettings::new(&db.url);
    settings.max_connections = 2;
    let counter = RoundTrips::default();
    let store = PgStore::with_round_trip_counter(&settings, billing_on(), counter.clone()).unwrap();
    let ledger = PgLedger::new(store.clone());
    let t = tenant(31, Environment::Prod);
    operator(store.clone(), ledger.clone(), TestClock::default())
        .grant_credits(&t.id, credits)
        .await
        .unwrap();
    let service = CallService::new(
        store.clone(),
        ledger.clone(),
        TestClock::default(),
        SequentialIds,
        SoftwareVault::ephemeral(),
    );
    (t, store, ledger, counter, service)
}

/// The tenant's credits: the account with every stripe's block folded in.
async fn credits_left(ledger: &PgLedger, t: &Tenant) -> u64 {
    let account = ledger.credit_account(&t.id).await.unwrap().unwrap();
    account.balance().total()
}

async fn count(client: &Client, sql: &str) -> i64 {
    client.query_one(sql, &[]).await.unwrap().get(0)
}

/// Billed starts of new callers until a stripe holds a block: the first ones find none
/// set aside, create the stripes, pay from the account and set a block aside for
/// theirs. How many were made.
async fn until_a_block_is_set_aside(client: &Client, service: &Service, t: &Tenant) -> u64 {
    let mut made = 0;
    while count(
        client,
        "SELECT coalesce(sum(allowance_left + top_up), 0)::int8 FROM credit_stripes",
    )
    .await
        == 0
    {
        assert!(made < 5, "no block set aside after {made} starts");
        let warm = service
            .start(
                t,
                new_caller(&format!("warm-up-{made}"), &format!("+1415555010{made}")),
            )
            .await
            .unwrap();
        assert!(warm.billable);
        made += 1;
    }
    made
}

/// Once a stripe holds a block, a new billable caller's start is two statements (the
/// read, then one that pays, writes the customer, its link, the call and the ledger
/// line), and everything it wrote is there.
#[tokio::test(flavor = "current_thread")]
async fn a_billed_start_a_stripe_pays_costs_two_statements() {
    let db = database().await;
    let client = connect(&db.url).await;
    let (t, store, ledger, counter, service) = billed_world(&db, 1_000).await;
    let spent = until_a_block_is_set_aside(&client, &service, &t).await;
    counter.take();
    let sent = store.statements_sent();
    let paid = service
        .start(&t, new_caller("measured", "+14155550002"))
        .await
        .unwrap();
    let (round_trips, queries) = counter.take();
    assert_eq!((round_trips, queries), (2, 2), "the read, then one write");
    assert_eq!(store.statements_sent() - sent, 2);
    assert!(paid.billable);
    assert_eq!(paid.credits_remaining, Some(1_000 - spent - 1));
    assert_eq!(credits_left(&ledger, &t).await, 1_000 - spent - 1);
    assert_eq!(
        count(
            &client,
            "SELECT count(*) FROM credit_ledger WHERE kind = 'debit' AND call_id = 'measured'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &client,
            "SELECT count(*) FROM calls c JOIN customers p USING (tenant_id, customer_ref)
              WHERE c.call_id = 'measured'"
        )
        .await,
        1,
        "the call and its new customer"
    );
    // Its number is linked: the caller is known next time, and a match pays nothing.
    let again = service
        .start(&t, new_caller("again", "+14155550002"))
        .await
        .unwrap();
    assert_eq!(again.customer_ref, paid.customer_ref);
    assert!(!again.billable);
    assert_eq!(credits_left(&ledger, &t).await, 1_000 - spent - 1);
}

/// A new caller's start, on a task of its own.
fn spawn_start(
    service: &Service, t: &Tenant, call_id: &'static str, ani: &'static str,
) -> tokio::task::JoinHandle<Result<stickycalls_domain::calls::StartOutcome, StartCallError>> {
    let (service, t) = (service.clone(), t.clone());
    tokio::spawn(async move { service.start(&t, new_caller(call_id, ani)).await })
}

/// Waits until a session of `db` waits for a lock (the start under test).
async fn until_a_session_waits(admin: &Client, db: &TestDatabase) {
    for _ in 0..200 {
        let waiting: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity
                  WHERE datname = $1 AND wait_event_type = 'Lock'",
                &[&db.name()],
            )
            .await
            .unwrap()
            .get(0);
        if waiting > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no session of {} ever waited for a lock", db.name());
}

/// The call id taken by another start between this start's read and its write: the
/// stripe it took is not debited, its customer is not created, no ledger line is
/// written, and the start is answered as a reused call id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_id_taken_after_the_read_leaves_nothing_paid() {
    let db = database().await;
    let admin = connect(db.admin_url()).await;
    let (t, _store, ledger, _counter, service) = billed_world(&db, 1_000).await;
    until_a_block_is_set_aside(&connect(&db.url).await, &service, &t).await;
    let before = credits_left(&ledger, &t).await;
    let customers = count(&connect(&db.url).await, "SELECT count(*) FROM customers").await;

    // Another writer inserts the call id and holds it uncommitted: the start's read
    // does not see it, its insert waits for it.
    let other = connect(&db.url).await;
    other
        .batch_execute(
            "BEGIN;
             INSERT INTO customers (tenant_id, customer_ref, created_at)
               SELECT tenant_id, 'someone-else', now() FROM credit_balances;
             INSERT INTO calls (tenant_id, call_id, customer_ref, started_at, start_fingerprint,
                                confidence, sources, billable, provisional, ani_withheld,
                                external_ids)
               SELECT tenant_id, 'contested', 'someone-else', now(), 'other', 0, '{}', true,
                      true, false, '{}'
                 FROM credit_balances;",
        )
        .await
        .unwrap();
    let start = spawn_start(&service, &t, "contested", "+14155550009");
    until_a_session_waits(&admin, &db).await;
    other.batch_execute("COMMIT").await.unwrap();
    let outcome = start.await.unwrap();
    assert!(
        matches!(outcome, Err(StartCallError::CallIdReused)),
        "{outcome:?}"
    );
    let client = connect(&db.url).await;
    assert_eq!(credits_left(&ledger, &t).await, before, "nothing debited");
    assert_eq!(
        count(
            &client,
            "SELECT count(*) FROM credit_ledger WHERE call_id = 'contested'"
        )
        .await,
        0
    );
    assert_eq!(
        count(&client, "SELECT count(*) FROM customers").await,
        customers + 1,
        "only the other writer's customer"
    );
}

/// Every stripe held by another transaction (as a grant holds them): the one
/// statement takes none and writes nothing, and the start pays by the steps, waiting
/// for the stripes if it must; once they are released it is paid exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_every_stripe_held_a_start_pays_by_the_steps() {
    let db = database().await;
    let (t, _store, ledger, _counter, service) = billed_world(&db, 1_000).await;
    until_a_block_is_set_aside(&connect(&db.url).await, &service, &t).await;
    let before = credits_left(&ledger, &t).await;
    let holder = connect(&db.url).await;
    holder
        .batch_execute("BEGIN; SELECT * FROM credit_stripes FOR UPDATE;")
        .await
        .unwrap();
    let start = spawn_start(&service, &t, "while-held", "+14155550010");
    tokio::time::sleep(Duration::from_millis(300)).await;
    holder.batch_execute("ROLLBACK").await.unwrap();
    let paid = start.await.unwrap().unwrap();
    assert!(paid.billable);
    assert_eq!(credits_left(&ledger, &t).await, before - 1);
    assert_eq!(paid.credits_remaining, Some(before - 1));
    let client = connect(&db.url).await;
    assert_eq!(
        count(
            &client,
            "SELECT count(*) FROM credit_ledger WHERE call_id = 'while-held'"
        )
        .await,
        1
    );
}
