//! The postgres adapter against a real PostgreSQL (found or started by
//! `stickycalls-test-support`): the storage contract suite, and what only this adapter
//! has (migrations, pool failure, purge, the catalog's readiness for Citus, the
//! broadcast of revocations and settings changes).

use std::time::Duration;
use stickycalls_domain::idempotency::ClaimCutoffs;

use stickycalls_domain::StoreError;
use stickycalls_domain::tenant::TenantId;
use stickycalls_postgres::{MIGRATIONS_ID, PgLedger, PgSettings, PgStore, run_migrations};
use stickycalls_test_support::TestDatabase;
use stickycalls_test_support::contract::{Storage, StorageFactory};
use stickycalls_test_support::fakes::{billing_off, billing_on};
use stickycalls_vault::SoftwareVault;

async fn database() -> TestDatabase {
    TestDatabase::create(MIGRATIONS_ID, |url| async move {
        run_migrations(&url).await.map(|_| ())
    })
    .await
    .expect("test database")
}

/// A plain client of `url`, its connection driven on a task of its own.
async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

/// A call service on `store` (billing as the store has it), the tenant `t` granted
/// `credits` first.
async fn granted_service(
    store: &PgStore, t: &stickycalls_domain::tenant::Tenant, credits: u64,
) -> stickycalls_domain::calls::CallService<
    PgStore,
    PgLedger,
    stickycalls_test_support::fakes::TestClock,
    stickycalls_test_support::fakes::SequentialIds,
> {
    use stickycalls_test_support::fakes::{SequentialIds, TestClock, operator};
    let ledger = PgLedger::new(store.clone());
    operator(store.clone(), ledger.clone(), TestClock::default())
        .grant_credits(&t.id, credits)
        .await
        .unwrap();
    stickycalls_domain::calls::CallService::new(
        store.clone(),
        ledger,
        TestClock::default(),
        SequentialIds,
        SoftwareVault::ephemeral(),
    )
}

struct Postgres;

impl StorageFactory for Postgres {
    type Store = PgStore;
    type Ledger = PgLedger;

    async fn create(&self) -> anyhow::Result<Storage<PgStore, PgLedger>> {
        let db = database().await;
        let mut settings = PgSettings::new(&db.url);
        settings.max_connections = 8;
        settings.wait_timeout = Duration::from_secs(10);
        let store = PgStore::new(&settings, billing_on())?;
        let ledger = PgLedger::new(store.clone());
        Ok(Storage {
            store,
            ledger,
            guard: Box::new(db),
        })
    }
}

stickycalls_test_support::storage_contract!(Postgres);

#[path = "postgres/audit.rs"]
mod audit;
#[path = "postgres/billed.rs"]
mod billed;
#[path = "postgres/broadcast.rs"]
mod broadcast;
#[path = "postgres/catalog.rs"]
mod catalog;
#[path = "postgres/ends.rs"]
mod ends;
#[path = "postgres/transactions.rs"]
mod transactions;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_are_idempotent() {
    let db = database().await;
    assert_eq!(
        run_migrations(&db.url).await.unwrap(),
        0,
        "a migrated database has nothing pending"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_is_unavailable_not_a_hang() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut settings = PgSettings::new(format!("postgres://postgres@127.0.0.1:{port}/nothing"));
    settings.wait_timeout = Duration::from_millis(500);
    let store = PgStore::new(&settings, billing_on()).unwrap();
    let started = std::time::Instant::now();
    let err = store.ping().await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "answered, did not hang"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exhausted_pool_is_unavailable() {
    let db = database().await;
    let mut settings = PgSettings::new(&db.url);
    settings.max_connections = 1;
    settings.wait_timeout = Duration::from_millis(200);
    let store = PgStore::new(&settings, billing_on()).unwrap();
    let held = store.clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let holder = tokio::spawn(async move { held.hold_connection_until(rx).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let err = store.ping().await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    tx.send(()).unwrap();
    holder.await.unwrap().unwrap();
    store.ping().await.expect("free again");
}

/// `make check-schema` (part of `make lint`) runs this with the diesel CLI installed:
/// the committed `schema.rs` must be what diesel prints for the migrated database.
/// `UPDATE_SCHEMA=1` rewrites the file instead (`make schema`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the diesel CLI: run by `make check-schema`"]
async fn committed_schema_matches_migrations() {
    let db = database().await;
    stickycalls_test_support::schema::assert_schema_matches(
        &db.url,
        concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
        concat!(env!("CARGO_MANIFEST_DIR"), "/src/schema.rs"),
    );
}

/// A known caller's start costs two statements: the read (the call id taken or not,
/// and the evidence) and the write (the call insert, with the context and the credits
/// left read back). Statements are prepared once per connection and then reused.
/// On a single-threaded runtime, so the driver's connection task cannot answer one
/// query before the next is sent: what is counted is what the code waits for.
#[tokio::test(flavor = "current_thread")]
async fn a_known_callers_start_costs_two_round_trips() {
    use stickycalls_postgres::RoundTrips;
    use stickycalls_test_support::contract::tenant;

    let db = database().await;
    let mut settings = PgSettings::new(&db.url);
    settings.max_connections = 1;
    let counter = RoundTrips::default();
    let store = PgStore::with_round_trip_counter(&settings, billing_on(), counter.clone()).unwrap();
    let pool = store.clone();
    let t = tenant(9, stickycalls_domain::tenant::Environment::Test);
    let service = granted_service(&store, &t, 1).await;
    let start = |id: &str| {
        serde_json::from_value(
            serde_json::json!({"call_id": id, "identity_hints": {"ani": "+14155551234"}}),
        )
        .unwrap()
    };
    service.start(&t, start("first")).await.unwrap();
    service
        .end(
            &t,
            serde_json::from_value(
                serde_json::json!({"call_id": "first", "variables": {"a": "b"}}),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let warm = service.start(&t, start("warm-up")).await.unwrap();
    assert!(!warm.billable, "a known caller");
    counter.take();
    let sent = pool.statements_sent();
    let known = service.start(&t, start("measured")).await.unwrap();
    assert_eq!(known.variables["a"].value, "b");
    let (round_trips, queries) = counter.take();
    // The call id and the evidence in one statement, then the call insert with open
    // intents, live variables and the credits left read back in another
    assert_eq!((round_trips, queries), (2, 2));
    assert_eq!(
        pool.statements_sent() - sent,
        2,
        "the pool's count (the db_statements metric) sees each"
    );
    assert_eq!(
        known.credits_remaining,
        Some(0),
        "the balance travels with the commit"
    );
}

/// Expired variables and stale intents are purged in the background.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_deletes_only_what_expired() {
    use stickycalls_domain::calls::CallService;
    use stickycalls_test_support::contract::tenant;
    use stickycalls_test_support::fakes::{SequentialIds, TestClock};

    let db = database().await;
    let store = PgStore::new(&PgSettings::new(&db.url), billing_off()).unwrap();
    let ledger = PgLedger::new(store.clone());
    let clock = TestClock::default();
    let operator =
        stickycalls_test_support::fakes::operator(store.clone(), ledger.clone(), clock.clone());
    let purge = || async {
        let purged = operator.purge().await.unwrap();
        (purged.variables, purged.intents)
    };
    let service = CallService::new(
        store.clone(),
        ledger,
        clock.clone(),
        SequentialIds,
        SoftwareVault::ephemeral(),
    );
    let t = tenant(10, stickycalls_domain::tenant::Environment::Prod);
    let body = serde_json::json!({"call_id": "p1", "identity_hints": {"ani": "+14155550100"},
        "variables": {"short": {"value": "x", "ttl_seconds": 60}, "long": "y"}, "intent": "i", "intent_status": "open"});
    service
        .end(&t, serde_json::from_value(body).unwrap())
        .await
        .unwrap();
    assert_eq!(purge().await, (0, 0));
    clock.advance(time::Duration::seconds(61));
    assert_eq!(purge().await, (1, 0), "only the short variable");
    clock.advance(time::Duration::days(90));
    assert_eq!(
        purge().await,
        (1, 1),
        "the 30-day variable and the intent untouched for 90 days"
    );
}

/// Idempotency keys: claimed once, in flight until completed, replayed after, refused
/// for another body, forgotten after expiry, released on failure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_keys_claim_replay_and_expire() {
    use stickycalls_domain::Timestamp;
    use stickycalls_domain::idempotency::{IdempotencyClaim, StoredResponse};
    use stickycalls_domain::ports::IdempotencyStore;
    use stickycalls_test_support::contract::tenant;

    let db = database().await;
    let store = PgStore::new(&PgSettings::new(&db.url), billing_on()).unwrap();
    let t = tenant(11, stickycalls_domain::tenant::Environment::Test).id;
    let t0 = Timestamp::parse("2026-02-06T15:30:00.000Z").unwrap();
    let long_ago = ClaimCutoffs::at(t0);
    let claim = |key: &'static str, fp: &'static str, now: Timestamp, cut: ClaimCutoffs| {
        let store = store.clone();
        async move { store.claim(&t, key, fp, now, cut).await.unwrap().judge(fp) }
    };
    assert_eq!(
        claim("k", "a", t0, long_ago).await,
        IdempotencyClaim::Claimed
    );
    assert_eq!(
        claim("k", "a", t0, long_ago).await,
        IdempotencyClaim::InFlight
    );
    assert_eq!(
        claim("k", "b", t0, long_ago).await,
        IdempotencyClaim::Mismatch
    );
    let response = StoredResponse {
        status: 200,
        body: "{\"ok\":true}".into(),
        // A response about a customer is kept only while they exist (storage
        // contract suite); this one is about nobody.
        customer: None,
    };
    store.complete(&t, "k", response.clone()).await.unwrap();
    assert_eq!(
        claim("k", "a", t0, long_ago).await,
        IdempotencyClaim::Replay(response)
    );
    let other_tenant = tenant(12, stickycalls_domain::tenant::Environment::Test).id;
    assert_eq!(
        store
            .claim(&other_tenant, "k", "a", t0, long_ago)
            .await
            .unwrap()
            .judge("a"),
        IdempotencyClaim::Claimed
    );
    let later = t0 + time::Duration::hours(25);
    assert_eq!(
        claim("k", "b", later, ClaimCutoffs::at(later)).await,
        IdempotencyClaim::Claimed,
        "expired keys are forgotten"
    );
    store.release(&t, "k").await.unwrap();
    assert_eq!(
        claim("k", "c", later, ClaimCutoffs::at(later)).await,
        IdempotencyClaim::Claimed,
        "a released key runs again"
    );
}

/// The balance row derived again from the ledger alone: the last allowance entry of the
/// row's period less that period's debits from the allowance; top-ups less debits from
/// top-ups. Returns (stored, derived).
async fn reconcile(db: &TestDatabase, tenant: &TenantId) -> ((i64, i64), (i64, i64)) {
    let (client, connection) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let key = stickycalls_postgres::tenant_key(tenant).to_string();
    let stored = client
        .query_one(
            "SELECT allowance_left, top_up FROM credit_balances WHERE tenant_id = $1::text::uuid",
            &[&key],
        )
        .await
        .unwrap();
    let derived = client
        .query_one(
            "WITH k AS (SELECT $1::text::uuid AS id), b AS (SELECT period_start FROM credit_balances, k WHERE tenant_id = k.id)
             SELECT
               (SELECT credits FROM credit_ledger l, b, k WHERE l.tenant_id = k.id AND kind = 'allowance'
                  AND l.period_start = b.period_start ORDER BY entry_id DESC LIMIT 1)
               - (SELECT coalesce(sum(from_allowance), 0) FROM credit_ledger l, b, k WHERE l.tenant_id = k.id
                  AND kind = 'debit' AND l.period_start = b.period_start)::bigint,
               (SELECT coalesce(sum(credits), 0) FROM credit_ledger l, k WHERE l.tenant_id = k.id AND kind = 'top_up')::bigint
               - (SELECT coalesce(sum(from_top_up), 0) FROM credit_ledger l, k WHERE l.tenant_id = k.id AND kind = 'debit')::bigint",
            &[&key],
        )
        .await
        .unwrap();
    (
        (stored.get(0), stored.get(1)),
        (derived.get(0), derived.get(1)),
    )
}

/// Across a period boundary (injected clock): the allowance resets with no rollover,
/// top-ups stay and are spent after it; the ledger explains every balance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowance_resets_each_period_top_ups_stay_and_the_ledger_reconciles() {
    use stickycalls_domain::calls::{CallService, StartCallError};
    use stickycalls_domain::ports::{Clock, CreditLedger};
    use stickycalls_test_support::contract::tenant;
    use stickycalls_test_support::fakes::{SequentialIds, TestClock};

    let db = database().await;
    let store = PgStore::new(&PgSettings::new(&db.url), billing_on()).unwrap();
    let ledger = PgLedger::new(store.clone());
    let clock = TestClock::default();
    let t = tenant(13, stickycalls_domain::tenant::Environment::Prod);
    let operator =
        stickycalls_test_support::fakes::operator(store.clone(), ledger.clone(), clock.clone());
    operator
        .set_plan(t.id.account, "free", Some(3))
        .await
        .unwrap();
    operator.grant_credits(&t.id, 2).await.unwrap();
    let service = CallService::new(
        store.clone(),
        ledger.clone(),
        clock.clone(),
        SequentialIds,
        SoftwareVault::ephemeral(),
    );
    let mut n = 0;
    let mut start = || {
        n += 1;
        let body = serde_json::json!({"call_id": format!("b{n}"), "identity_hints": {"ani": format!("+1415557{n:04}")}});
        let service = &service;
        let t = t.clone();
        async move {
            service
                .start(&t, serde_json::from_value(body).unwrap())
                .await
        }
    };
    for expected_left in [4, 3, 2, 1] {
        assert_eq!(
            start().await.unwrap().credits_remaining,
            Some(expected_left)
        );
    }
    let (stored, derived) = reconcile(&db, &t.id).await;
    assert_eq!(
        (stored, derived),
        ((0, 1), (0, 1)),
        "allowance spent first, one top-up used"
    );

    clock.advance(time::Duration::days(31));
    let summary = ledger.summary(&t.id, clock.now()).await.unwrap().unwrap();
    assert_eq!(
        (summary.allowance_left, summary.top_up),
        (3, 1),
        "a fresh allowance, no rollover, top-up kept"
    );
    for expected_left in [3, 2, 1, 0] {
        assert_eq!(
            start().await.unwrap().credits_remaining,
            Some(expected_left)
        );
    }
    assert!(matches!(
        start().await,
        Err(StartCallError::InsufficientCredits(_))
    ));
    let (stored, derived) = reconcile(&db, &t.id).await;
    assert_eq!(stored, (0, 0));
    assert_eq!(derived, stored, "the balance is derivable from the ledger");

    operator
        .set_plan(t.id.account, "starter", None)
        .await
        .unwrap();
    let (stored, derived) = reconcile(&db, &t.id).await;
    assert_eq!(
        (stored, derived),
        ((9_997, 0), (9_997, 0)),
        "an upgrade keeps what the period used"
    );
}

/// A new caller's writes go out in one pipeline: on a connection that has already
/// prepared the call insert (known callers only) but never the customer insert, the
/// customer must still reach PostgreSQL first, or the call row's foreign key fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_caller_on_a_connection_that_only_served_known_callers() {
    use stickycalls_domain::calls::CallService;
    use stickycalls_test_support::contract::tenant;
    use stickycalls_test_support::fakes::{SequentialIds, TestClock};

    let db = database().await;
    let t = tenant(11, stickycalls_domain::tenant::Environment::Test);
    let start = |id: &str, ani: &str| {
        serde_json::from_value(serde_json::json!({
            "call_id": id,
            "identity_hints": {"ani": ani, "external_ids": {"crm": ani}}
        }))
        .unwrap()
    };
    let open = |connections: usize| {
        let mut settings = PgSettings::new(&db.url);
        settings.max_connections = connections;
        let store = PgStore::new(&settings, billing_on()).unwrap();
        let ledger = PgLedger::new(store.clone());
        (store, ledger)
    };
    // Another store makes the caller known and grants credits (the same keys: the
    // number is found by its index under the tenant's key).
    let vault = SoftwareVault::ephemeral();
    let (store, ledger) = open(2);
    stickycalls_test_support::fakes::operator(store.clone(), ledger.clone(), TestClock::default())
        .grant_credits(&t.id, 10)
        .await
        .unwrap();
    let setup = CallService::new(
        store,
        ledger,
        TestClock::default(),
        SequentialIds,
        vault.clone(),
    );
    setup
        .start(&t, start("known-1", "+14155550101"))
        .await
        .unwrap();

    // A one-connection store serves the known caller first, then new callers.
    let (store, ledger) = open(1);
    let service = CallService::new(
        store,
        ledger,
        TestClock::default(),
        SequentialIds,
        vault.clone(),
    );
    let known = service
        .start(&t, start("known-2", "+14155550101"))
        .await
        .unwrap();
    assert!(!known.billable, "recognised by number and CRM id");
    for n in 0..3 {
        let new = service
            .start(&t, start(&format!("new-{n}"), &format!("+1415555020{n}")))
            .await
            .expect("a new caller's start commits");
        assert!(new.billable);
        let again = service
            .start(
                &t,
                start(&format!("new-{n}-again"), &format!("+1415555020{n}")),
            )
            .await
            .unwrap();
        assert_eq!(
            again.customer_ref, new.customer_ref,
            "the new caller was stored"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_keyring_database_keeps_destroys_and_ties_keys() {
    let db = TestDatabase::create_empty().await.unwrap();
    let url = stickycalls_postgres::default_keyring_url(&db.url).unwrap();
    let keyring = stickycalls_postgres::PgKeyring::open(&url, &db.url)
        .await
        .unwrap();
    stickycalls_test_support::contract::keyring_contract(keyring)
        .await
        .unwrap();
    // Opened again (a restart): the same keyring, not a new database.
    stickycalls_postgres::PgKeyring::open(&url, &db.url)
        .await
        .unwrap();
}
