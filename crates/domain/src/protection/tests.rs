use std::collections::BTreeMap;

use time::macros::datetime;
use uuid::Uuid;

use super::*;
use crate::customers::CustomerContext;
use crate::identity::CustomerRef;
use crate::tenant::{AccountId, Environment, TenantId};
use crate::timestamp::Timestamp;
use crate::variables::{StoredVariable, Ttl, VariableWrite};

fn tenant(n: u128) -> TenantId {
    TenantId {
        account: AccountId(Uuid::from_u128(n)),
        environment: Environment::Prod,
    }
}

pub(super) fn customer(n: u128, name: &str) -> Scope {
    Scope::Customer(tenant(n), CustomerRef::parse(name, "customer_ref").unwrap())
}

pub(super) fn counter() -> impl FnMut() -> [u8; 24] {
    let mut n = 0u8;
    move || {
        n += 1;
        [n; 24]
    }
}

fn variable(value: &str) -> StoredVariable {
    let now = Timestamp::new(datetime!(2026-12-01 00:00 UTC));
    StoredVariable {
        value: value.into(),
        source: Some("ivr".into()),
        ttl: Ttl::DEFAULT,
        expires_at: Ttl::DEFAULT.expires_at(now),
    }
}

#[test]
fn a_sealed_value_opens_only_in_its_place() {
    let key = DataKey::from_bytes([1; 32]);
    let here = customer(1, "cus_1");
    let sealed = seal(&key, &here, Field::VariableValue, "4 Elm Street", [9; 24]);
    assert!(sealed.starts_with("sc1."));
    assert!(!sealed.contains("Elm"));
    assert_eq!(
        open(&key, &here, Field::VariableValue, &sealed).unwrap(),
        "4 Elm Street"
    );
    // Another customer, another field, another key: none opens it.
    assert_eq!(
        open(&key, &customer(1, "cus_2"), Field::VariableValue, &sealed),
        Err(Tampered)
    );
    assert_eq!(
        open(&key, &customer(2, "cus_1"), Field::VariableValue, &sealed),
        Err(Tampered)
    );
    assert_eq!(
        open(&key, &here, Field::VariableSource, &sealed),
        Err(Tampered)
    );
    assert_eq!(
        open(
            &DataKey::from_bytes([2; 32]),
            &here,
            Field::VariableValue,
            &sealed
        ),
        Err(Tampered)
    );
}

#[test]
fn any_flipped_byte_is_detected() {
    let key = DataKey::from_bytes([1; 32]);
    let here = customer(1, "cus_1");
    let sealed = seal(&key, &here, Field::VariableValue, "+14155550100", [3; 24]);
    for at in 4..sealed.len() {
        let mut bytes = sealed.clone().into_bytes();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(bytes).unwrap();
        if altered != sealed {
            assert_eq!(
                open(&key, &here, Field::VariableValue, &altered),
                Err(Tampered),
                "byte {at}"
            );
        }
    }
}

#[test]
fn a_data_key_unwraps_only_for_its_scope_under_its_master_key() {
    let master = MasterKey::from_bytes([5; 32]);
    let key = DataKey::from_bytes([7; 32]);
    let scope = customer(1, "cus_1");
    let wrapped = master.wrap(&scope.name(), &key, [1; 24]);
    assert!(wrapped.starts_with(WRAPPED_PREFIX));
    assert_eq!(master.unwrap(&scope.name(), 1, &wrapped).unwrap(), key);
    assert_eq!(
        master.unwrap(&customer(1, "cus_2").name(), 1, &wrapped),
        Err(Tampered)
    );
    assert_eq!(
        MasterKey::from_bytes([6; 32]).unwrap(&scope.name(), 1, &wrapped),
        Err(Tampered)
    );
}

#[test]
fn a_rotation_rewraps_the_same_data_key_under_the_new_master_once() {
    let (old, new) = (
        MasterKey::from_bytes([5; 32]),
        MasterKey::from_bytes([6; 32]),
    );
    let key = DataKey::from_bytes([7; 32]);
    let scope = customer(1, "cus_1");
    let name = scope.name();
    let wrapped = old.wrap(&scope.name(), &key, [1; 24]);
    let Rewrap::Rewrapped(rewrapped) = new.rewrap_from(&old, &name, &wrapped, [2; 24]) else {
        panic!("a key under the previous master was not rewrapped");
    };
    assert_eq!(
        new.unwrap(&scope.name(), 1, &rewrapped).unwrap(),
        key,
        "same data key"
    );
    assert_eq!(
        old.unwrap(&scope.name(), 1, &rewrapped),
        Err(Tampered),
        "no longer under the old"
    );
    assert_eq!(
        new.rewrap_from(&old, &name, &rewrapped, [3; 24]),
        Rewrap::Done,
        "a second pass changes nothing"
    );
    let third = MasterKey::from_bytes([8; 32]).wrap(&scope.name(), &key, [1; 24]);
    assert_eq!(
        new.rewrap_from(&old, &name, &third, [3; 24]),
        Rewrap::Unreadable
    );
    // A key wrapped for another scope is not rewrapped into this one.
    let elsewhere = old.wrap(&customer(1, "cus_2").name(), &key, [1; 24]);
    assert_eq!(
        new.rewrap_from(&old, &name, &elsewhere, [3; 24]),
        Rewrap::Unreadable
    );
}

#[test]
fn a_value_stored_in_clear_is_sealed_in_place_as_a_new_write_would_be() {
    let key = DataKey::from_bytes([7; 32]);
    let scope = customer(1, "cus_1");
    let mut n = 0u8;
    let rows = vec![crate::ports::UnsealedVariable {
        customer: CustomerRef::parse("cus_1", "customer_ref").unwrap(),
        key: "address".into(),
        value: "4 Elm Street".into(),
        source: Some("agent".into()),
    }];
    let sealed = seal_unsealed(&key, &scope, rows, || {
        n += 1;
        [n; 24]
    });
    assert_eq!(sealed.len(), 1);
    let row = &sealed[0];
    assert_eq!(
        (row.key.as_str(), row.was.as_str()),
        ("address", "4 Elm Street")
    );
    assert_eq!(
        open(&key, &scope, Field::VariableValue, &row.value).unwrap(),
        "4 Elm Street"
    );
    let source = row.source.as_deref().unwrap();
    assert_eq!(
        open(&key, &scope, Field::VariableSource, source).unwrap(),
        "agent"
    );
    assert_eq!(
        open(
            &key,
            &customer(1, "cus_2"),
            Field::VariableValue,
            &row.value
        ),
        Err(Tampered),
        "bound to its customer"
    );
}

#[test]
fn a_master_key_is_read_as_hex_or_base64_and_named_without_showing_it() {
    let hex_text = "07".repeat(32);
    let key = MasterKey::parse(&format!("{hex_text}\n")).unwrap();
    assert_eq!(key.to_hex(), hex_text);
    let b64 = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";
    assert_eq!(MasterKey::parse(b64).unwrap().to_hex(), hex_text);
    assert_eq!(
        MasterKey::parse(b64.trim_end_matches('='))
            .unwrap()
            .to_hex(),
        hex_text
    );
    for bad in ["", "short", &"07".repeat(31), &"zz".repeat(32)] {
        assert_eq!(
            MasterKey::parse(bad).unwrap_err(),
            MasterKeyError::Malformed,
            "{bad}"
        );
    }
    assert_eq!(key.id().len(), 16);
    assert_ne!(key.id(), MasterKey::from_bytes([8; 32]).id());
    assert!(!format!("{key:?}").contains(&hex_text));
}

#[test]
fn blind_indexes_match_equal_values_per_tenant_and_field_only() {
    let a = DataKey::from_bytes([1; 32]);
    let b = DataKey::from_bytes([2; 32]);
    let phone = blind_index(&a, Field::PhoneNumber, "+14155550100");
    assert_eq!(phone, blind_index(&a, Field::PhoneNumber, "+14155550100"));
    assert!(!phone.contains("4155550100"));
    assert_ne!(phone, blind_index(&a, Field::PhoneNumber, "+14155550101"));
    assert_ne!(phone, blind_index(&b, Field::PhoneNumber, "+14155550100"));
    assert_ne!(phone, blind_index(&a, Field::ExternalId, "+14155550100"));
    assert!(Field::PhoneNumber.is_indexed() && !Field::VariableValue.is_indexed());
}

#[test]
fn a_context_opens_what_was_sealed_and_drops_what_a_destroyed_key_sealed() {
    let key = DataKey::from_bytes([1; 32]);
    let scope = customer(1, "cus_1");
    let writes = seal_writes(
        &key,
        &scope,
        vec![
            VariableWrite::Set {
                key: "address".into(),
                variable: variable("4 Elm Street"),
            },
            VariableWrite::Delete { key: "old".into() },
        ],
        counter(),
    );
    let VariableWrite::Set {
        variable: sealed, ..
    } = &writes[0]
    else {
        panic!()
    };
    assert!(
        sealed.value.starts_with("sc1.") && sealed.source.as_deref().unwrap().starts_with("sc1.")
    );
    assert_eq!(writes[1], VariableWrite::Delete { key: "old".into() });

    let stored = CustomerContext {
        open_intents: Vec::new(),
        variables: BTreeMap::from([
            ("address".to_owned(), sealed.clone()),
            ("legacy".to_owned(), variable("written before encryption")),
        ]),
    };
    let opened = open_context(Some(&key), &scope, stored.clone()).unwrap();
    assert_eq!(opened.variables["address"], variable("4 Elm Street"));
    assert_eq!(
        opened.variables["legacy"].value,
        "written before encryption"
    );

    let shredded = open_context(None, &scope, stored.clone()).unwrap();
    assert_eq!(shredded.variables.keys().collect::<Vec<_>>(), ["legacy"]);

    let mut altered = stored;
    let v = altered.variables.get_mut("address").unwrap();
    v.value
        .replace_range(10..11, if &v.value[10..11] == "A" { "B" } else { "A" });
    assert_eq!(
        open_context(Some(&key), &scope, altered).unwrap_err(),
        ("address".to_owned(), Tampered)
    );
}

#[test]
fn a_link_in_clear_moves_to_the_index_a_new_link_has_with_its_value_sealed() {
    use crate::identity::{Ani, IdentityHints, PhoneNumber};
    use crate::ports::{ClearLink, LinkOf};
    let (tenant_key, key) = (DataKey::from_bytes([3; 32]), DataKey::from_bytes([4; 32]));
    let scope = customer(1, "cus_1");
    let who = CustomerRef::parse("cus_1", "customer_ref").unwrap();
    let hints = IdentityHints {
        ani: Some(Ani::Number(PhoneNumber::from_e164(
            "+14155550100".to_owned(),
        ))),
        external_ids: BTreeMap::from([("crm".to_owned(), "C-9".to_owned())]),
        ..IdentityHints::default()
    };
    let indexed = index_hints(&tenant_key, &hints);
    let mut nonce = counter();
    let phone = moved_to_index(
        &tenant_key,
        &key,
        &scope,
        ClearLink {
            customer: who.clone(),
            of: LinkOf::Phone,
            value: "+14155550100".into(),
        },
        nonce(),
    );
    assert_eq!(phone.from, "+14155550100");
    assert_eq!(
        Some(phone.to.as_str()),
        indexed.phone().map(|p| p.as_e164())
    );
    let sealed = phone.sealed.as_deref().unwrap();
    assert_eq!(
        open(&key, &scope, Field::PhoneNumber, sealed).unwrap(),
        "+14155550100"
    );
    let id = moved_to_index(
        &tenant_key,
        &key,
        &scope,
        ClearLink {
            customer: who,
            of: LinkOf::External("crm".into()),
            value: "C-9".into(),
        },
        nonce(),
    );
    assert_eq!(
        (id.from.as_str(), &id.to),
        ("C-9", &indexed.external_ids["crm"])
    );
    let sealed = id.sealed.as_deref().unwrap();
    assert_eq!(
        open(&key, &scope, Field::ExternalId, sealed).unwrap(),
        "crm:C-9",
        "sealed as a new link's copy: namespaced"
    );
    assert_eq!(
        open(&key, &customer(1, "cus_2"), Field::ExternalId, sealed),
        Err(Tampered)
    );
}

#[test]
fn with_encryption_off_values_and_lookups_pass_in_clear_and_no_key_is_made() {
    use crate::customers::CustomerLookup;
    use crate::identity::{Ani, IdentityHints, PhoneNumber};
    use crate::ports::test_vault::TestVault;
    let vault = TestVault::off();
    let sealer = Sealer::new(vault.port());
    let who = CustomerRef::parse("cus_1", "customer_ref").unwrap();
    let writes = vec![VariableWrite::Set {
        key: "address".into(),
        variable: variable("4 Elm Street"),
    }];
    let hints = IdentityHints {
        ani: Some(Ani::Number(PhoneNumber::from_e164(
            "+14155550100".to_owned(),
        ))),
        dnis: Some("+18005550100".into()),
        external_ids: BTreeMap::from([("crm".to_owned(), "C-9".to_owned())]),
        ..IdentityHints::default()
    };
    let lookup = CustomerLookup::Ani(PhoneNumber::from_e164("+14155550100".to_owned()));
    futures::executor::block_on(async {
        assert_eq!(
            sealer.seal(&tenant(1), &who, writes.clone()).await.unwrap(),
            writes
        );
        let indexed = sealer.index(&tenant(1), &hints).await.unwrap();
        assert_eq!(
            (indexed.phone(), &indexed.external_ids),
            (hints.phone(), &hints.external_ids),
            "compared by value"
        );
        assert_eq!(
            sealer.index_lookup(&tenant(1), &lookup).await.unwrap(),
            lookup
        );
    });
    assert!(
        !vault.holds(&Scope::Tenant(tenant(1))) && !vault.holds(&customer(1, "cus_1")),
        "no key made"
    );
    // The same calls with encryption on seal and index.
    let on = TestVault::shared();
    let sealer = Sealer::new(on.port());
    futures::executor::block_on(async {
        let sealed = sealer.seal(&tenant(1), &who, writes.clone()).await.unwrap();
        assert_ne!(sealed, writes);
        let indexed = sealer.index(&tenant(1), &hints).await.unwrap();
        assert_ne!(indexed.phone(), hints.phone());
    });
}

#[test]
fn a_migration_that_cannot_move_a_page_stops_and_keeps_lookups_moving_links() {
    use crate::ports::test_vault::TestVault;
    use crate::ports::{ClearLink, LinkOf, MockUnsealedStore};
    let page: Vec<ClearLink> = (0..BATCH)
        .map(|n| ClearLink {
            customer: CustomerRef::parse(&format!("cus_{}", n % 4), "customer_ref").unwrap(),
            of: LinkOf::Phone,
            value: format!("+1415555{n:04}"),
        })
        .collect();
    let mut store = MockUnsealedStore::new();
    store
        .expect_links_in_clear()
        .times(2)
        .returning(move |_, _| {
            let page = page.clone();
            Box::pin(async move { Ok(page) })
        });
    // Every row gone by the time it is moved, and still listed: the same page twice.
    store.expect_move_links().times(2).returning(|_, moves| {
        assert_eq!(moves.len(), BATCH);
        Box::pin(async { Ok(0) })
    });
    let links = ClearLinks::new(store, TestVault::shared().port());
    let done = futures::executor::block_on(links.move_tenant(&tenant(1), &mut |_, _| {}));
    assert_eq!(done.unwrap(), (0, false), "stopped, links may remain");
    assert!(links.may_remain());
}
