use futures::executor::block_on;
use serde_json::json;
use time::macros::datetime;

use super::*;
use crate::identity::{Confidence, JudgedCalls, Verdict};
use crate::ports::mocks::Mocks;
use crate::ports::{MockClock, MockIdentityStore};
use crate::tenant::{AccountId, Environment};
use crate::timestamp::Timestamp;

fn now() -> Timestamp {
    Timestamp::new(datetime!(2026-11-28 12:00 UTC))
}

fn tenant() -> TenantId {
    TenantId {
        account: AccountId(uuid::Uuid::from_u128(1)),
        environment: Environment::Test,
    }
}

fn clock() -> MockClock {
    let mut clock = MockClock::new();
    clock.expect_now().return_const(now());
    clock
}

fn crm_confirmed(calls: u64) -> Vec<JudgedCalls> {
    vec![JudgedCalls {
        confidence: Confidence::from_hundredths(41),
        sources: vec!["external_id".into(), "recency:1day".into()],
        verdict: Some(Verdict {
            reused: false,
            correct: true,
            returning: true,
        }),
        calls,
    }]
}

/// Nothing rolled up: every read is one live span from 30 days back.
fn nothing_rolled(identity: MockIdentityStore) -> Mocks {
    let mut store = Mocks {
        identity,
        ..Mocks::default()
    };
    store
        .rollups
        .expect_rolled()
        .returning(|_, _, _| Box::pin(async { Ok(Vec::new()) }));
    store
}

fn store_with(settings: Option<IdentitySettings>, groups: Vec<JudgedCalls>) -> Mocks {
    let mut store = MockIdentityStore::new();
    store.expect_identity_settings().returning(move |_| {
        let settings = settings.clone();
        Box::pin(async move { Ok(settings) })
    });
    store
        .expect_judged_calls()
        .returning(move |_, since, until| {
            assert_eq!((now() - since, until), (Duration::days(30), None));
            let groups = groups.clone();
            Box::pin(async move { Ok(groups) })
        });
    nothing_rolled(store)
}

fn learning_on() -> IdentitySettings {
    IdentitySettings {
        learning: true,
        ..IdentitySettings::default()
    }
}

#[test]
fn a_tenant_without_settings_learns_by_default() {
    let service = SettingsService::new(store_with(None, crm_confirmed(100)), clock());
    let policy = block_on(service.policy(&tenant())).unwrap();
    let defaults = TenantPolicy::default();
    assert_eq!(
        (policy.ani, policy.identity.thresholds),
        (defaults.ani, defaults.identity.thresholds)
    );
    assert_eq!(
        policy.identity.weights.external_id, 0.5,
        "learning is on by default: CRM ids always right are trusted up to reuse"
    );
    // They do state the probabilities: the CRM ids were always right.
    assert_eq!(
        policy.identity.probability,
        ProbabilityModel::fit(&crm_confirmed(100))
    );
    assert_ne!(policy.identity.probability, ProbabilityModel::default());
}

#[test]
fn with_learning_on_confirmed_crm_ids_earn_their_weight_in_the_policy() {
    let service =
        SettingsService::new(store_with(Some(learning_on()), crm_confirmed(100)), clock());
    let policy = block_on(service.policy(&tenant())).unwrap();
    assert_eq!(policy.identity.weights.external_id, 0.5);
    let report = block_on(service.calibration(&tenant(), None)).unwrap();
    assert!(report.learning);
    assert_eq!(report.days, 30);
    assert_eq!(report.calibration.confirmed, 100);
    assert_eq!(report.learned.adjustments.len(), 1);
}

#[test]
fn a_bad_document_saves_nothing() {
    let mut store = MockIdentityStore::new();
    store.expect_save_identity_settings().never();
    let service = SettingsService::new(nothing_rolled(store), clock());
    let raw = serde_json::from_value(json!({"thresholds": {"reuse": 2}})).unwrap();
    assert!(matches!(
        block_on(service.replace(&tenant(), raw)),
        Err(SettingsError::Invalid(_))
    ));
}

#[test]
fn a_good_document_is_saved_whole() {
    let mut store = MockIdentityStore::new();
    store
        .expect_save_identity_settings()
        .withf(|_, settings, at| {
            settings.learning && settings.weights.ani_voip == 0.1 && *at == now()
        })
        .times(1)
        .returning(|_, _, _| Box::pin(async { Ok(()) }));
    let service = SettingsService::new(nothing_rolled(store), clock());
    let raw =
        serde_json::from_value(json!({"learning": true, "weights": {"ani_voip": 0.1}})).unwrap();
    let saved = block_on(service.replace(&tenant(), raw)).unwrap();
    assert_eq!(saved.weights.ani_mobile, 0.5);
}

#[test]
fn days_is_a_whole_number_from_one_to_a_year() {
    assert_eq!(calibration_days(None), Ok(30));
    assert_eq!(calibration_days(Some("7")), Ok(7));
    assert_eq!(calibration_days(Some("366")), Ok(366));
    for bad in ["0", "367", "-1", "1.5", "week", ""] {
        let e = calibration_days(Some(bad)).unwrap_err();
        assert_eq!(e.issues[0].path, vec!["days"], "{bad}");
    }
}
