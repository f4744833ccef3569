use futures::executor::block_on;
use mockall::predicate::eq;

use super::*;
use crate::accounts::{NewKey, Revocation};
use crate::ports::{KeyAdded, MockClock, MockKeyMinter, MockKeyStore};
use crate::tenant::AccountId;
use crate::timestamp::Timestamp;

fn tenant(environment: Environment) -> TenantId {
    TenantId {
        account: AccountId(uuid::Uuid::from_u128(7)),
        environment,
    }
}

fn clock() -> MockClock {
    let mut clock = MockClock::new();
    clock
        .expect_now()
        .returning(|| Timestamp::parse("2026-03-01T10:00:00.000Z").unwrap());
    clock
}

fn minter() -> MockKeyMinter {
    let mut minter = MockKeyMinter::new();
    minter.expect_mint().returning(|environment, name| {
        let key = NewKey {
            lookup_id: "0123456789abcdef".into(),
            environment,
            hash: "$argon2id$...".into(),
            last4: "beef".into(),
            name: name.to_owned(),
        };
        let token = Secret::new("sk_test_0123456789abcdef_beef");
        Box::pin(async move { Ok(MintedKey { token, key }) })
    });
    minter
}

#[test]
fn a_bad_label_or_environment_touches_no_port() {
    // No expectations: any port call would panic.
    let service = KeyService::new(MockKeyStore::new(), MockClock::new(), MockKeyMinter::new());
    let t = tenant(Environment::Test);
    for (name, environment, field) in [
        ("", None, "name"),
        ("  ", None, "name"),
        (&"x".repeat(101) as &str, None, "name"),
        ("tab\there", None, "name"),
        ("ci", Some("live"), "environment"),
    ] {
        match block_on(service.create(&t, name, environment)) {
            Err(KeyError::Invalid(e)) => assert_eq!(e.issues[0].path, [field], "{name:?}"),
            other => panic!("{name:?} {environment:?}: {other:?}"),
        }
    }
    match block_on(service.create(&t, "ci", Some("prod"))) {
        Err(KeyError::OtherEnvironment { own, wanted }) => {
            assert_eq!((own, wanted), ("test", "prod"));
        }
        other => panic!("a test key made a prod key: {other:?}"),
    }
}

#[test]
fn a_key_is_created_with_the_cap_and_the_tenants_environment() {
    let mut store = MockKeyStore::new();
    store
        .expect_add_key()
        .withf(|t, key, _, max| {
            t.environment == Environment::Prod
                && key.environment == Environment::Prod
                && key.name == "ci"
                && *max == MAX_LIVE_KEYS
        })
        .times(1)
        .returning(|_, _, _, _| Box::pin(async { Ok(KeyAdded::Added) }));
    let service = KeyService::new(store, clock(), minter());
    let created = block_on(service.create(&tenant(Environment::Prod), " ci ", None)).unwrap();
    assert_eq!(created.info.name, "ci");
    assert_eq!(created.info.environment, Environment::Prod);
    assert_eq!(created.info.last_used_at, None);
    assert_eq!(created.token.expose(), "sk_test_0123456789abcdef_beef");
}

#[test]
fn past_the_cap_the_key_is_refused() {
    let mut store = MockKeyStore::new();
    store
        .expect_add_key()
        .returning(|_, _, _, _| Box::pin(async { Ok(KeyAdded::LimitReached) }));
    let service = KeyService::new(store, clock(), minter());
    let refused = block_on(service.create(&tenant(Environment::Test), "ci", Some("test")));
    assert!(
        matches!(refused, Err(KeyError::TooManyKeys { max: 20 })),
        "{refused:?}"
    );
}

#[test]
fn revocations_say_what_happened() {
    for (revocation, expected) in [
        (Revocation::Revoked, "ok"),
        (Revocation::NotFound, "not found"),
        (Revocation::LastKey, "last"),
    ] {
        let mut store = MockKeyStore::new();
        store
            .expect_revoke_key()
            .with(
                eq(tenant(Environment::Test)),
                eq("0123456789abcdef"),
                mockall::predicate::always(),
            )
            .returning(move |_, _, _| Box::pin(async move { Ok(revocation) }));
        let service = KeyService::new(store, clock(), MockKeyMinter::new());
        let got = match block_on(service.revoke(&tenant(Environment::Test), "0123456789abcdef")) {
            Ok(()) => "ok",
            Err(KeyError::NotFound) => "not found",
            Err(KeyError::LastKey) => "last",
            Err(e) => panic!("{e:?}"),
        };
        assert_eq!(got, expected);
    }
}

#[test]
fn key_ids_name_a_lookup_id_or_nothing() {
    assert_eq!(key_id("0123456789abcdef"), "key_0123456789abcdef");
    assert_eq!(
        lookup_id_of("key_0123456789abcdef"),
        Some("0123456789abcdef")
    );
    for not_one in [
        "0123456789abcdef",
        "key_0123",
        "key_0123456789abcdeg",
        "key_",
        "",
    ] {
        assert_eq!(lookup_id_of(not_one), None, "{not_one}");
    }
}

fn stored(environment: Environment, revoked: bool) -> StoredKey {
    StoredKey {
        lookup_id: "0123456789abcdef".into(),
        tenant: tenant(environment),
        hash: "$argon2id$...".into(),
        revoked,
        plan: "free".into(),
    }
}

/// A key opens its tenant only with a matching secret, unrevoked, in its environment.
#[test]
fn a_key_opens_only_matching_unrevoked_and_in_its_environment() {
    let live = stored(Environment::Test, false);
    assert!(opens(&live, Environment::Test, true));
    assert!(!opens(&live, Environment::Test, false));
    assert!(!opens(&live, Environment::Prod, true));
    assert!(!opens(
        &stored(Environment::Test, true),
        Environment::Test,
        true
    ));
}

/// An admitted key's use is recorded at the clock's time; a refused one touches
/// nothing; a failure to record does not refuse.
#[test]
fn admitting_a_key_records_its_use() {
    let at = Timestamp::parse("2026-03-01T10:00:00.000Z").unwrap();
    let mut store = MockKeyStore::new();
    store
        .expect_touch_key()
        .with(eq("0123456789abcdef"), eq(at))
        .times(1)
        .returning(|_, _| {
            Box::pin(async { Err(StoreError::Unavailable(anyhow::anyhow!("down"))) })
        });
    let service = KeyService::new(store, clock(), minter());
    let live = Some(stored(Environment::Test, false));
    match block_on(service.admit(live.clone(), Environment::Test, true)) {
        Admission::Admitted { key, unrecorded } => {
            assert_eq!(key.tenant, tenant(Environment::Test));
            assert!(unrecorded.is_some());
        }
        Admission::Refused => panic!("a live key is admitted"),
    }
    let untouched = KeyService::new(MockKeyStore::new(), MockClock::new(), minter());
    for (key, matches) in [(live, false), (None, true)] {
        assert!(matches!(
            block_on(untouched.admit(key, Environment::Test, matches)),
            Admission::Refused
        ));
    }
}
