use crate::ports::test_vault::TestVault;
use std::sync::{Arc, Mutex};

use futures::executor::block_on;
use time::Duration;

use super::*;
use crate::accounts::AccountInfo;
use crate::identity::CustomerRef;
use crate::ports::mocks::Mocks;
use crate::ports::{MockAccountStore, MockClock, MockCustomerStore, MockRetentionStore};
use crate::tenant::{AccountId, Environment, TenantId};

fn now() -> Timestamp {
    Timestamp::parse("2026-03-01T10:00:00.000Z").unwrap()
}

fn tenant(n: u128, environment: Environment) -> TenantId {
    TenantId {
        account: AccountId(uuid::Uuid::from_u128(n)),
        environment,
    }
}

fn issues(e: ValidationError) -> Vec<String> {
    e.issues.iter().map(|i| i.path.join(".")).collect()
}

#[test]
fn omitted_settings_are_the_defaults() {
    let s = RetentionSettings::parse(None, None).unwrap();
    assert_eq!(s, RetentionSettings::default());
    assert_eq!((s.calls_days, s.customers_days), (400, None));
    assert_eq!(s.calls_before(now()), now() - Duration::days(400));
    assert_eq!(s.idle(now()), None, "customer retention is off by default");
}

#[test]
fn periods_run_from_30_days_to_ten_years() {
    for ok in [30, 31, 400, 3650] {
        let s = RetentionSettings::parse(Some(ok), Some(30)).unwrap();
        assert_eq!(s.calls_days, u32::try_from(ok).unwrap());
    }
    for bad in [-1, 0, 29, 3651, i64::MAX] {
        let e = RetentionSettings::parse(Some(bad), None).unwrap_err();
        assert_eq!(issues(e), ["calls_days"], "{bad}");
        let e = RetentionSettings::parse(None, Some(bad)).unwrap_err();
        assert_eq!(issues(e), ["customers_days"], "{bad}");
    }
    let e = RetentionSettings::parse(Some(5), Some(5)).unwrap_err();
    assert_eq!(
        issues(e),
        ["calls_days", "customers_days"],
        "every field is named"
    );
}

#[test]
fn customers_are_not_kept_idle_longer_than_their_calls() {
    let e = RetentionSettings::parse(Some(90), Some(91)).unwrap_err();
    assert_eq!(issues(e), ["customers_days"]);
    let s = RetentionSettings::parse(Some(90), Some(90)).unwrap();
    let idle = s.idle(now()).unwrap();
    assert_eq!(idle.since, now() - Duration::days(90));
    assert_eq!(idle.now, now());
}

#[test]
fn idle_means_nothing_after_the_period_started_and_nothing_live_now() {
    let idle = Idle {
        since: now() - Duration::days(30),
        now: now(),
    };
    let (old, recent) = (now() - Duration::days(40), now() - Duration::days(10));
    assert!(idle.holds(old, None, None, None), "nothing at all");
    assert!(
        idle.holds(old, Some(old), Some(idle.since), Some(now())),
        "all before"
    );
    assert!(
        !idle.holds(recent, None, None, None),
        "created within the period"
    );
    assert!(
        !idle.holds(old, Some(recent), None, None),
        "a call within it"
    );
    assert!(
        !idle.holds(old, None, Some(recent), None),
        "an intent seen within it"
    );
    assert!(
        !idle.holds(old, None, None, Some(now() + Duration::days(1))),
        "a live variable"
    );
}

#[test]
fn an_erasure_says_why_and_when() {
    let asked = Erasure::Requested { at: now() };
    assert_eq!(
        (asked.reason(), asked.at(), asked.only_if_idle()),
        ("request", now(), None)
    );
    let idle = Idle {
        since: now() - Duration::days(30),
        now: now(),
    };
    let kept = Erasure::Retention { idle };
    assert_eq!(
        (kept.reason(), kept.at(), kept.only_if_idle()),
        ("retention", now(), Some(idle))
    );
    assert_eq!(webhook_events_before(now()), now() - Duration::days(30));
}

fn account(n: u128) -> AccountInfo {
    AccountInfo {
        id: AccountId(uuid::Uuid::from_u128(n)),
        name: format!("a{n}"),
        email: None,
        created_at: now(),
        closed_at: None,
    }
}

fn clock() -> MockClock {
    let mut clock = MockClock::new();
    clock.expect_now().returning(now);
    clock
}

#[test]
fn enforcement_applies_each_tenants_own_periods_in_batches() {
    let strict = tenant(2, Environment::Prod);
    let strict_settings = RetentionSettings::parse(Some(30), Some(30)).unwrap();
    let mut retention = MockRetentionStore::new();
    retention
        .expect_all_retention_settings()
        .times(1)
        .returning(move || Box::pin(async move { Ok(vec![(strict, strict_settings)]) }));
    // Calls: every tenant at its own cutoff; account 1's test tenant has a batch and a half.
    let asked = Arc::new(Mutex::new(Vec::new()));
    let seen = asked.clone();
    retention
        .expect_delete_calls_started_before()
        .returning(move |t, before, limit| {
            assert_eq!(limit, BATCH);
            let mut seen = seen.lock().unwrap();
            let first = !seen.iter().any(|(s, _)| s == t);
            seen.push((*t, before));
            let n = if *t == tenant(1, Environment::Test) && first {
                BATCH
            } else {
                3
            };
            Box::pin(async move { Ok(n) })
        });
    let idle = strict_settings.idle(now()).unwrap();
    retention
        .expect_idle_customers()
        .withf(move |t, i, limit| *t == strict && *i == idle && *limit == BATCH)
        .times(1)
        .returning(|_, _, _| {
            Box::pin(async {
                Ok(vec![
                    CustomerRef::from_trusted("cust_a"),
                    CustomerRef::from_trusted("cust_b"),
                ])
            })
        });
    retention
        .expect_delete_settled_webhook_events()
        .withf(|before, limit| *before == now() - Duration::days(30) && *limit == BATCH)
        .times(1)
        .returning(|_, _| Box::pin(async { Ok(7) }));
    let mut accounts = MockAccountStore::new();
    accounts
        .expect_list_accounts()
        .returning(|| Box::pin(async { Ok(vec![account(1), account(2)]) }));
    let mut customers = MockCustomerStore::new();
    customers
        .expect_erase_customer()
        .withf(move |t, c, e| {
            *t == strict && *e == Erasure::Retention { idle } && c.as_str().starts_with("cust_")
        })
        .times(2)
        // cust_b called meanwhile: the store keeps it.
        .returning(|_, c, _| {
            let erased = c.as_str() == "cust_a";
            Box::pin(async move { Ok(erased) })
        });
    let store = Mocks {
        retention,
        accounts,
        customers,
        ..Mocks::default()
    };
    let vault = TestVault::shared();
    let done = block_on(RetentionService::new(store, clock(), vault.port()).enforce()).unwrap();
    let account = uuid::Uuid::from_u128(2);
    assert_eq!(
        *vault.destroyed.lock().unwrap(),
        [format!(
            "{}/{}/c/cust_a",
            account,
            strict.environment.as_str()
        )],
        "only the customer erased loses its key"
    );
    assert_eq!(
        done,
        Enforced {
            calls: BATCH + 3 + 3 + 3 + 3,
            customers: 1,
            webhook_events: 7,
            closed_rows: 0,
        }
    );
    let asked = asked.lock().unwrap();
    let default_cut = now() - Duration::days(400);
    assert_eq!(
        *asked,
        [
            (tenant(1, Environment::Test), default_cut),
            (tenant(1, Environment::Test), default_cut),
            (tenant(1, Environment::Prod), default_cut),
            (tenant(2, Environment::Test), default_cut),
            (strict, now() - Duration::days(30)),
        ]
    );
}

#[test]
fn replacing_saves_at_the_clocks_time() {
    let t = tenant(1, Environment::Test);
    let settings = RetentionSettings::parse(Some(60), None).unwrap();
    let mut store = MockRetentionStore::new();
    store
        .expect_save_retention_settings()
        .withf(move |at_t, s, at| *at_t == t && *s == settings && *at == now())
        .times(1)
        .returning(|_, _, _| Box::pin(async { Ok(()) }));
    store
        .expect_retention_settings()
        .returning(|_| Box::pin(async { Ok(None) }));
    let service = RetentionService::new(store, clock(), TestVault::shared());
    assert_eq!(block_on(service.replace(&t, settings)).unwrap(), settings);
    assert_eq!(
        block_on(service.settings(&t)).unwrap(),
        RetentionSettings::default()
    );
}

fn closing_store(found: bool) -> Mocks {
    let mut accounts = MockAccountStore::new();
    accounts
        .expect_close_account()
        .times(1)
        .returning(move |a, at| {
            assert_eq!((a, at), (AccountId(uuid::Uuid::from_u128(1)), now()));
            let revoked = found.then(|| vec!["k1".to_owned(), "k2".to_owned()]);
            Box::pin(async move { Ok(revoked) })
        });
    let mut retention = MockRetentionStore::new();
    let drained = Arc::new(Mutex::new(Vec::new()));
    retention
        .expect_delete_customers()
        .returning(move |t, limit| {
            let mut seen = drained.lock().unwrap();
            let n = if seen.contains(t) { 2 } else { limit };
            seen.push(*t);
            Box::pin(async move { Ok(n) })
        });
    retention
        .expect_delete_tenant_remains()
        .times(if found { 2 } else { 0 })
        .returning(|_| Box::pin(async { Ok(3) }));
    Mocks {
        retention,
        accounts,
        ..Mocks::default()
    }
}

#[test]
fn closing_needs_a_prod_key_and_the_account_id_typed_out() {
    let untouched = Mocks::default;
    let id = "00000000-0000-0000-0000-000000000001";
    let service = ClosureService::new(untouched(), clock(), TestVault::shared());
    assert!(matches!(
        block_on(service.close(&tenant(1, Environment::Test), id)),
        Err(ClosureError::ProdKeyNeeded)
    ));
    for typed in ["", "yes", "00000000-0000-0000-0000-000000000002"] {
        match block_on(service.close(&tenant(1, Environment::Prod), typed)) {
            Err(ClosureError::Invalid(e)) => assert_eq!(issues(e), ["confirm"]),
            other => panic!("{typed}: {other:?}"),
        }
    }
    let gone = ClosureService::new(closing_store(false), clock(), TestVault::shared());
    assert!(matches!(
        block_on(gone.close(&tenant(1, Environment::Prod), id)),
        Err(ClosureError::NotFound)
    ));
}

#[test]
fn closing_revokes_every_key_then_deletes_both_environments_in_batches() {
    let id = "00000000-0000-0000-0000-000000000001";
    let vault = TestVault::shared();
    let service = ClosureService::new(closing_store(true), clock(), vault.port());
    let closed =
        block_on(service.close(&tenant(1, Environment::Prod), &format!(" {id} "))).unwrap();
    assert_eq!(
        closed,
        Closed {
            account: AccountId(uuid::Uuid::from_u128(1)),
            closed_at: now(),
            revoked_keys: vec!["k1".into(), "k2".into()],
            customers: 2 * (BATCH + 2),
            other_rows: 6,
        }
    );
    let id = uuid::Uuid::from_u128(1);
    assert_eq!(
        *vault.destroyed.lock().unwrap(),
        [format!("{id}/test"), format!("{id}/prod")],
        "both environments' keys are destroyed"
    );
}
