use std::sync::{Arc, Mutex};

use futures::executor::block_on;

use super::*;
use crate::Secret;
use crate::credits::{
    BillingPolicy, Charge, CreditAccount, CreditChange, EntryKind, Period, PlanTerms, SharedPolicy,
};
use crate::error::ValidationError;
use crate::keys::MintedKey;
use crate::ports::{MockAccountStore, MockClock, MockCreditLedger, MockIdGenerator, MockKeyMinter};
use crate::tenant::{AccountId, Environment, TenantId};
use crate::timestamp::Timestamp;

struct Flat;

impl BillingPolicy for Flat {
    fn start_charge(&self) -> Option<Charge> {
        Some(Charge { credits: 1 })
    }
    fn opening_plan(&self) -> PlanTerms {
        PlanTerms {
            plan: "trial".into(),
            allowance: 42,
        }
    }
    fn plan_terms(&self, plan: &str, allowance: Option<u64>) -> Result<PlanTerms, ValidationError> {
        match (plan, allowance) {
            ("big", a) => Ok(PlanTerms {
                plan: "big".into(),
                allowance: a.unwrap_or(1_000),
            }),
            _ => Err(ValidationError::invalid("plan", "unknown plan")),
        }
    }
    fn period(&self, anchor: Timestamp, _now: Timestamp) -> Period {
        Period {
            start: anchor,
            end: anchor + time::Duration::days(30),
        }
    }

    fn request_quotas(&self) -> Vec<(String, crate::ratelimit::Quota)> {
        Vec::new()
    }
}

fn now() -> Timestamp {
    Timestamp::parse("2026-03-01T10:00:00.000Z").unwrap()
}

type Service =
    AccountService<MockAccountStore, MockCreditLedger, MockClock, MockIdGenerator, MockKeyMinter>;

fn service(store: MockAccountStore, ledger: MockCreditLedger) -> Service {
    let mut clock = MockClock::new();
    clock.expect_now().returning(now);
    let mut ids = MockIdGenerator::new();
    ids.expect_new_account_id()
        .returning(|| AccountId(uuid::Uuid::from_u128(9)));
    let mut minter = MockKeyMinter::new();
    minter.expect_mint().returning(|environment, name| {
        let key = crate::accounts::NewKey {
            lookup_id: format!("{}000000000000", environment.as_str()),
            environment,
            hash: "hash".into(),
            last4: "0000".into(),
            name: name.to_owned(),
        };
        let token = Secret::new(format!("sk_{}_x", environment.as_str()));
        Box::pin(async move { Ok(MintedKey { token, key }) })
    });
    AccountService::new(store, ledger, clock, ids, minter)
}

fn ledger_with_policy() -> MockCreditLedger {
    let mut ledger = MockCreditLedger::new();
    let policy: SharedPolicy = Arc::new(Flat);
    ledger.expect_policy().returning(move || policy.clone());
    ledger
}

#[test]
fn signup_opens_the_policys_plan_with_two_keys() {
    let mut store = MockAccountStore::new();
    store
        .expect_create_account()
        .withf(|a| {
            a.plan.allowance == 42
                && a.plan.plan == "trial"
                && a.keys.len() == 2
                && a.name == "Acme"
                && a.email.as_deref() == Some("ops@acme.example")
                && a.created_at == now()
        })
        .times(1)
        .returning(|_| Box::pin(async { Ok(()) }));
    let opened =
        block_on(service(store, ledger_with_policy()).open("  Acme ", Some("ops@acme.example")))
            .unwrap();
    assert_eq!(opened.plan.allowance, 42);
    assert_eq!(opened.test_key.expose(), "sk_test_x");
    assert_eq!(opened.prod_key.expose(), "sk_prod_x");
}

#[test]
fn bad_signups_write_nothing_and_name_every_field() {
    // No store or ledger expectations: any call would panic.
    let s = service(MockAccountStore::new(), MockCreditLedger::new());
    match block_on(s.open("", Some("not-an-email"))) {
        Err(AccountError::Invalid(e)) => {
            let paths: Vec<_> = e.issues.iter().map(|i| i.path.join(".")).collect();
            assert_eq!(paths, ["name", "email"]);
        }
        other => panic!("{other:?}"),
    }
    assert!(block_on(s.open(&"n".repeat(201), None)).is_err());
    assert!(
        block_on(s.open("ok", Some("a@b"))).is_err(),
        "no dot in the host"
    );
    assert!(
        block_on(s.open("ok", Some(" ops@acme.example"))).is_err(),
        "an address is taken as sent: white space is refused, not trimmed"
    );
    assert!(
        block_on(s.open(&format!(" {} ", "n".repeat(199)), None)).is_err(),
        "the length is the name's as sent"
    );
}

#[test]
fn a_grant_is_decided_by_the_ledger_laws_under_the_stores_lock() {
    let mut ledger = ledger_with_policy();
    let written: Arc<Mutex<Option<CreditChange>>> = Arc::default();
    let seen = written.clone();
    ledger.expect_update_credits().returning(move |_, decide| {
        let stored = CreditAccount::open(
            &PlanTerms {
                plan: "trial".into(),
                allowance: 42,
            },
            now(),
        )
        .account;
        let change = decide(Some(stored));
        *seen.lock().unwrap() = Some(change.clone());
        Box::pin(async move { Ok(change.account) })
    });
    let s = service(MockAccountStore::new(), ledger);
    let tenant = TenantId {
        account: AccountId(uuid::Uuid::from_u128(9)),
        environment: Environment::Prod,
    };
    let summary = block_on(s.grant_credits(&tenant, 500)).unwrap();
    assert_eq!((summary.top_up, summary.allowance_left), (500, 42));
    let change = written.lock().unwrap().clone().unwrap();
    assert_eq!(change.entries.len(), 1);
    assert_eq!(change.entries[0].kind, EntryKind::TopUp);
    assert!(matches!(
        block_on(s.grant_credits(&tenant, 0)),
        Err(AccountError::Invalid(_))
    ));
}

#[test]
fn an_unknown_plan_is_refused_before_any_write() {
    let s = service(MockAccountStore::new(), ledger_with_policy());
    match block_on(s.set_plan(AccountId(uuid::Uuid::from_u128(9)), "gold", None)) {
        Err(AccountError::Invalid(e)) => assert_eq!(e.issues[0].path, ["plan"]),
        other => panic!("{other:?}"),
    }
}
