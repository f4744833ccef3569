//! Transactions per start, as PostgreSQL itself counts them (`pg_stat_database`), and
//! the connection a start holds from its read to its writes.

use stickycalls_domain::calls::CallService;
use stickycalls_domain::tenant::{Environment, Tenant};
use stickycalls_postgres::{PgLedger, PgSettings, PgStore};
use stickycalls_test_support::TestDatabase;
use stickycalls_test_support::contract::tenant;
use stickycalls_test_support::fakes::{SequentialIds, TestClock, billing_on, operator};
use stickycalls_vault::SoftwareVault;
use tokio_postgres::Client;

use super::{connect, database};

fn start_body(call_id: &str, ani: &str) -> stickycalls_domain::calls::RawStartCall {
    serde_json::from_value(serde_json::json!({"call_id": call_id, "identity_hints": {"ani": ani}}))
        .unwrap()
}

/// Commits and rollbacks PostgreSQL has counted for the database, once every session
/// on it has ended (a backend hands its counts over when it exits). Read from the
/// server's admin database, so these reads count nowhere near it.
async fn settled_counts(admin: &Client, db: &TestDatabase) -> (i64, i64) {
    let mut last = None;
    for _ in 0..100 {
        let sessions: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1",
                &[&db.name()],
            )
            .await
            .unwrap()
            .get(0);
        let row = admin
            .query_one(
                "SELECT xact_commit, xact_rollback FROM pg_stat_database WHERE datname = $1",
                &[&db.name()],
            )
            .await
            .unwrap();
        let counts: (i64, i64) = (row.get(0), row.get(1));
        if sessions == 0 && last == Some(counts) {
            return counts;
        }
        last = Some(counts);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the sessions on {} never ended", db.name());
}

/// Sessions on the database idle inside a transaction.
async fn in_a_transaction(admin: &Client, db: &TestDatabase) -> i64 {
    admin
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND state LIKE 'idle in transaction%'",
            &[&db.name()],
        )
        .await
        .unwrap()
        .get(0)
}

/// `starts` starts on a fresh one-connection store (dropped afterwards), each made by
/// `body(n)`; what PostgreSQL counted for them.
async fn counted(
    admin: &Client, db: &TestDatabase, t: &Tenant, run: &str, starts: usize,
    body: impl Fn(usize) -> stickycalls_domain::calls::RawStartCall,
) -> (i64, i64) {
    let before = settled_counts(admin, db).await;
    {
        let mut settings = PgSettings::new(&db.url);
        settings.max_connections = 1;
        let store = PgStore::new(&settings, billing_on()).unwrap();
        let service = CallService::new(
            store.clone(),
            PgLedger::new(store),
            TestClock::default(),
            SequentialIds,
            SoftwareVault::ephemeral(),
        );
        for n in 0..starts {
            let outcome = service.start(t, body(n)).await;
            assert!(outcome.is_ok(), "{run} start {n}: {outcome:?}");
        }
    }
    let after = settled_counts(admin, db).await;
    (after.0 - before.0, after.1 - before.1)
}

/// Every start writes in one transaction, a returning caller's and a billed new
/// caller's alike, after one read statement (its own read-only transaction in
/// PostgreSQL's count: `pg_stat_database.xact_commit` counts every committed
/// transaction, read-only ones included): two transactions per start, never more. Two runs of 5 and 15
/// starts each open a connection and prepare the same statements, so their difference
/// is exactly what 10 starts cost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_start_is_one_transaction() {
    let db = database().await;
    let admin = connect(db.admin_url()).await;
    let t = tenant(21, Environment::Test);
    {
        let client = connect(&db.url).await;
        // Nothing else may commit in the database while it is counted.
        for row in client
            .query(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
                &[],
            )
            .await
            .unwrap()
        {
            let table: String = row.get(0);
            client
                .batch_execute(&format!(
                    "ALTER TABLE \"{table}\" SET (autovacuum_enabled = false)"
                ))
                .await
                .unwrap();
        }
        let store = PgStore::new(&PgSettings::new(&db.url), billing_on()).unwrap();
        let ledger = PgLedger::new(store.clone());
        operator(store.clone(), ledger.clone(), TestClock::default())
            .grant_credits(&t.id, 1_000)
            .await
            .unwrap();
        let service = CallService::new(
            store,
            ledger,
            TestClock::default(),
            SequentialIds,
            SoftwareVault::ephemeral(),
        );
        service
            .start(&t, start_body("known-0", "+14155550100"))
            .await
            .unwrap();
        service
            .end(
                &t,
                serde_json::from_value(
                    serde_json::json!({"call_id": "known-0", "variables": {"a": "b"}}),
                )
                .unwrap(),
            )
            .await
            .unwrap();
    }
    let returning =
        |run: &'static str| move |n: usize| start_body(&format!("{run}-{n}"), "+14155550100");
    let (five, rolled_back) = counted(&admin, &db, &t, "r5", 5, returning("r5")).await;
    assert_eq!(rolled_back, 0);
    let (fifteen, rolled_back) = counted(&admin, &db, &t, "r15", 15, returning("r15")).await;
    assert_eq!(rolled_back, 0);
    assert_eq!(
        fifteen - five,
        20,
        "a read and one writing transaction per returning start"
    );

    let new_callers = |run: &'static str| {
        move |n: usize| {
            start_body(
                &format!("{run}-{n}"),
                &format!("+1415556{:04}", n + if run == "n5" { 0 } else { 100 }),
            )
        }
    };
    let (five, _) = counted(&admin, &db, &t, "n5", 5, new_callers("n5")).await;
    let (fifteen, rolled_back) = counted(&admin, &db, &t, "n15", 15, new_callers("n15")).await;
    assert_eq!(rolled_back, 0);
    assert_eq!(
        fifteen - five,
        20,
        "a read and one writing transaction per billed start"
    );
}

/// A retried start answered from its stored call writes nothing and leaves no
/// transaction open: the next start on that one connection commits on its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_start_leaves_no_transaction_open() {
    let db = database().await;
    let admin = connect(db.admin_url()).await;
    let t = tenant(22, Environment::Test);
    let mut settings = PgSettings::new(&db.url);
    settings.max_connections = 1;
    let store = PgStore::new(&settings, billing_on()).unwrap();
    let ledger = PgLedger::new(store.clone());
    operator(store.clone(), ledger.clone(), TestClock::default())
        .grant_credits(&t.id, 10)
        .await
        .unwrap();
    let service = CallService::new(
        store.clone(),
        ledger,
        TestClock::default(),
        SequentialIds,
        SoftwareVault::ephemeral(),
    );
    let first = service
        .start(&t, start_body("same", "+14155550199"))
        .await
        .unwrap();
    let replay = service
        .start(&t, start_body("same", "+14155550199"))
        .await
        .unwrap();
    assert!(replay.replayed && replay.customer_ref == first.customer_ref);
    let next = service
        .start(&t, start_body("next", "+14155550198"))
        .await
        .unwrap();
    assert!(!next.replayed);
    assert_eq!(
        in_a_transaction(&admin, &db).await,
        0,
        "no session is left inside a transaction"
    );
    // Seen from another session: the next start committed.
    let other = connect(&db.url).await;
    let calls: i64 = other
        .query_one(
            "SELECT count(*) FROM calls WHERE call_id IN ('same', 'next')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(calls, 2);
}

/// A new caller's start refused for want of credits rolls its transaction back even
/// when the request is dropped part-way (a client that hung up), wherever that falls:
/// the store's one connection is never handed on inside the transaction, so the next
/// start on it commits on its own. Each try drops the start after one more poll, on a
/// fresh connection (nothing prepared on it yet), until a try runs to its answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_dropped_at_any_point_leaves_no_transaction_open() {
    use std::task::{Context, Poll, Waker};
    use stickycalls_domain::calls::StartCallError;

    let db = database().await;
    let admin = connect(db.admin_url()).await;
    let other = connect(&db.url).await;
    let t = tenant(23, Environment::Test);
    let service_on = |store: &PgStore| {
        CallService::new(
            store.clone(),
            PgLedger::new(store.clone()),
            TestClock::default(),
            SequentialIds,
            SoftwareVault::ephemeral(),
        )
    };
    {
        // One credit, spent on a caller the agent then names: the tries are refused,
        // and a start naming that customer is free.
        let store = PgStore::new(&PgSettings::new(&db.url), billing_on()).unwrap();
        operator(
            store.clone(),
            PgLedger::new(store.clone()),
            TestClock::default(),
        )
        .set_plan(t.id.account, "free", Some(1))
        .await
        .unwrap();
        let service = service_on(&store);
        service
            .start(&t, start_body("known-0", "+14155550100"))
            .await
            .unwrap();
        let end = serde_json::json!({"call_id": "known-0", "customer_ref": "cust-1"});
        service
            .end(&t, serde_json::from_value(end).unwrap())
            .await
            .unwrap();
    }
    let returning = |n: usize| {
        serde_json::from_value(serde_json::json!({
            "call_id": format!("returning-{n}"), "identity_hints": {"customer_ref": "cust-1"}
        }))
        .unwrap()
    };
    let mut cx = Context::from_waker(Waker::noop());
    let mut answered_after = None;
    for polls in 1..=400 {
        let mut settings = PgSettings::new(&db.url);
        settings.max_connections = 1;
        let store = PgStore::new(&settings, billing_on()).unwrap();
        let service = service_on(&store);
        let body = start_body(&format!("new-{polls}"), &format!("+1415556{polls:04}"));
        let mut start = Box::pin(service.start(&t, body));
        let mut answer = None;
        for _ in 0..polls {
            if let Poll::Ready(outcome) = start.as_mut().poll(&mut cx) {
                answer = Some(outcome);
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        drop(start);
        let next = service.start(&t, returning(polls)).await.unwrap();
        assert!(!next.replayed);
        assert_eq!(
            in_a_transaction(&admin, &db).await,
            0,
            "dropped after {polls} polls: a session is left in a transaction"
        );
        let committed: i64 = other
            .query_one(
                "SELECT count(*) FROM calls WHERE call_id = $1",
                &[&format!("returning-{polls}")],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(
            committed, 1,
            "dropped after {polls} polls: the next start did not commit"
        );
        if let Some(outcome) = answer {
            assert!(
                matches!(outcome, Err(StartCallError::InsufficientCredits(_))),
                "{outcome:?}"
            );
            answered_after = Some(polls);
            break;
        }
    }
    let polls = answered_after.expect("the start answered within 400 polls");
    assert!(
        polls > 2,
        "the start was never dropped part-way: answered after {polls}"
    );
}
