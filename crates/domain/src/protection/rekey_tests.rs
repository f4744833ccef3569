//! Data key generations and the rotation's re-sealing rule.

use std::collections::BTreeMap;

use time::macros::datetime;

use super::tests::{counter, customer};
use super::*;
use crate::customers::{CustomerRecord, ExternalIdLink, PhoneLink};
use crate::identity::{CustomerRef, PhoneNumber};
use crate::ports::test_vault::TestVault;
use crate::ports::{LinkOf, Vault};
use crate::timestamp::Timestamp;
use crate::variables::{StoredVariable, Ttl};

fn at() -> Timestamp {
    Timestamp::new(datetime!(2026-12-01 00:00 UTC))
}

/// A customer's record as a store holds it, every value sealed under `key`.
fn record(key: &DataKey, scope: &Scope) -> CustomerRecord {
    let mut nonce = counter();
    let Scope::Customer(_, who) = scope else {
        unreachable!()
    };
    CustomerRecord {
        customer_ref: who.clone(),
        created_at: at(),
        phones: vec![PhoneLink {
            e164: PhoneNumber::from_e164("bi1.number".to_owned()),
            line_type: None,
            linked_at: at(),
            confirmed: None,
            sealed: Some(seal(
                key,
                scope,
                Field::PhoneNumber,
                "+14155550100",
                nonce(),
            )),
        }],
        external_ids: vec![ExternalIdLink {
            namespace: "crm".into(),
            value: "bi1.crm".into(),
            linked_at: at(),
            sealed: Some(seal(key, scope, Field::ExternalId, "crm:C-9", nonce())),
        }],
        variables: BTreeMap::from([(
            "address".to_owned(),
            StoredVariable {
                value: seal(key, scope, Field::VariableValue, "1 Main St", nonce()),
                source: Some(seal(key, scope, Field::VariableSource, "ivr", nonce())),
                ttl: Ttl::DEFAULT,
                expires_at: Ttl::DEFAULT.expires_at(at()),
            },
        )]),
        intents: Vec::new(),
        calls: Vec::new(),
    }
}

/// `record` with `plan`'s writes applied, as a store applies them.
fn applied(mut record: CustomerRecord, plan: &RekeyPlan) -> CustomerRecord {
    for v in &plan.variables {
        let stored = record.variables.get_mut(&v.key).unwrap();
        assert_eq!(stored.value, v.was);
        stored.value.clone_from(&v.value);
        stored.source.clone_from(&v.source);
    }
    for link in &plan.links {
        match &link.of {
            LinkOf::Phone => record.phones[0].sealed = Some(link.sealed.clone()),
            LinkOf::External(_) => record.external_ids[0].sealed = Some(link.sealed.clone()),
        }
    }
    record
}

#[test]
fn a_value_is_marked_with_its_keys_generation_and_opens_under_that_key_only() {
    let scope = customer(1, "cus_1");
    let (first, second) = (
        DataKey::from_bytes([1; 32]),
        DataKey::of_generation([2; 32], 2),
    );
    let old = seal(&first, &scope, Field::VariableValue, "v", [1; 24]);
    let new = seal(&second, &scope, Field::VariableValue, "v", [1; 24]);
    assert!(!old.starts_with("sc1.1.") && old.starts_with("sc1."));
    assert!(new.starts_with("sc1.2."));
    assert_eq!(
        (generation_of(&old), generation_of(&new)),
        (Some(1), Some(2))
    );
    assert_eq!(generation_of("in clear"), None);
    assert!(is_sealed(&new));
    assert_eq!(
        open(&second, &scope, Field::VariableValue, &old),
        Err(Tampered)
    );
    assert_eq!(
        open(&first, &scope, Field::VariableValue, &new),
        Err(Tampered)
    );
    let both = second.clone().and(first.clone());
    assert_eq!(
        open(&both, &scope, Field::VariableValue, &old).unwrap(),
        "v"
    );
    assert_eq!(
        open(&both, &scope, Field::VariableValue, &new).unwrap(),
        "v"
    );
    // A mark changed to another generation does not open under that generation's key.
    let remarked = new.replacen("sc1.2.", "sc1.", 1);
    assert_eq!(
        open(&both, &scope, Field::VariableValue, &remarked),
        Err(Tampered)
    );
    assert_eq!(generation_of("sc1.x.abc"), Some(0));
}

#[test]
fn a_generation_is_kept_as_text_and_a_rotation_resumes_where_it_was() {
    let first = Generation::FIRST;
    let rotating = first.advanced();
    assert_eq!(
        rotating,
        Generation {
            current: 2,
            from: Some(1)
        }
    );
    assert_eq!(
        rotating.advanced(),
        rotating,
        "a rotation under way is resumed"
    );
    assert_eq!(rotating.settled().advanced().to_text(), "3<2");
    for state in [first, rotating, rotating.settled()] {
        assert_eq!(Generation::parse(&state.to_text()), Some(state));
    }
    for bad in ["", "0", "1<1", "1<2", "2<0", "x", "2<"] {
        assert_eq!(Generation::parse(bad), None, "{bad:?}");
    }
    let scope = customer(1, "cus_1");
    assert_eq!(scope.key_name(1), scope.name());
    assert_eq!(Generation::of_key_name(&scope.key_name(1)), 1);
    assert_eq!(Generation::of_key_name(&scope.key_name(7)), 7);
    assert!(Generation::entry(scope.tenant()).starts_with(&Scope::Tenant(*scope.tenant()).name()));
}

#[test]
fn re_sealing_a_customer_moves_every_older_value_to_the_new_key_and_nothing_else() {
    let scope = customer(1, "cus_1");
    let (first, second) = (
        DataKey::from_bytes([1; 32]),
        DataKey::of_generation([2; 32], 2),
    );
    let stored = record(&first, &scope);
    assert!(needs_rekey(&stored, 2));
    assert!(!needs_rekey(&stored, 1));
    let plan = rekey_record(&stored, Some(&first), &second, &scope, counter());
    assert_eq!(
        (plan.variables.len(), plan.links.len(), plan.unreadable),
        (1, 2, 0)
    );
    let rekeyed = applied(stored.clone(), &plan);
    assert!(
        !needs_rekey(&rekeyed, 2),
        "everything is under generation 2"
    );
    // Under the new key alone, every value reads as it did.
    let v = &rekeyed.variables["address"];
    assert_eq!(
        open(&second, &scope, Field::VariableValue, &v.value).unwrap(),
        "1 Main St"
    );
    let source = v.source.as_deref().unwrap();
    assert_eq!(
        open(&second, &scope, Field::VariableSource, source).unwrap(),
        "ivr"
    );
    let phone = rekeyed.phones[0].sealed.as_deref().unwrap();
    assert_eq!(
        open(&second, &scope, Field::PhoneNumber, phone).unwrap(),
        "+14155550100"
    );
    let id = rekeyed.external_ids[0].sealed.as_deref().unwrap();
    assert_eq!(
        open(&second, &scope, Field::ExternalId, id).unwrap(),
        "crm:C-9"
    );
    // The indexes stay: lookups find the customer as before.
    assert_eq!(plan.links[0].index, "bi1.number");
    // A second run has nothing to do.
    let again = rekey_record(&rekeyed, Some(&second), &second, &scope, counter());
    assert!(again.variables.is_empty() && again.links.is_empty());
}

#[test]
fn a_value_that_opens_under_no_key_is_counted_and_left() {
    let scope = customer(1, "cus_1");
    let other = customer(1, "cus_2");
    let first = DataKey::from_bytes([1; 32]);
    // Sealed for another customer: it does not open as this customer's.
    let mut stored = record(&first, &other);
    stored.customer_ref = CustomerRef::parse("cus_1", "customer_ref").unwrap();
    let plan = rekey_record(
        &stored,
        Some(&first),
        &DataKey::of_generation([2; 32], 2),
        &scope,
        counter(),
    );
    assert_eq!(plan.unreadable, 3);
    assert!(plan.variables.is_empty() && plan.links.is_empty());
    // Without the old key (destroyed), nothing is re-sealed either.
    let stored = record(&first, &scope);
    let plan = rekey_record(
        &stored,
        None,
        &DataKey::of_generation([2; 32], 2),
        &scope,
        counter(),
    );
    assert_eq!(plan.unreadable, 3);
}

#[test]
fn reads_open_every_value_while_a_rotation_is_half_done_and_after_it() {
    futures::executor::block_on(half_done_and_after());
}

async fn half_done_and_after() {
    let vault = TestVault::shared();
    let sealer = Sealer::new(vault.port());
    let scope = customer(1, "cus_1");
    let tenant = *scope.tenant();
    let first = vault.key(&scope, true).await.unwrap().unwrap();
    let stored = record(&first, &scope);
    let opened = |records: Vec<CustomerRecord>| {
        let r = &records[0];
        (
            r.variables["address"].value.clone(),
            r.phones.first().map(|p| p.e164.as_e164().to_owned()),
            r.external_ids.first().map(|x| x.value.clone()),
        )
    };
    let expected = (
        "1 Main St".to_owned(),
        Some("+14155550100".to_owned()),
        Some("C-9".to_owned()),
    );
    let generation = vault.advance(&tenant).await.unwrap();
    assert_eq!(generation.current, 2);
    let plan = sealer.rekey(&tenant, &stored, 2).await.unwrap();
    // Half done: the variable re-sealed, the links not yet.
    let half = applied(
        stored.clone(),
        &RekeyPlan {
            variables: plan.variables.clone(),
            ..RekeyPlan::default()
        },
    );
    assert!(half.variables["address"].value.starts_with("sc1.2."));
    let read = sealer.open_records(&tenant, vec![half]).await.unwrap();
    assert_eq!(opened(read), expected);
    // Done, and the older keys destroyed: everything still reads.
    let done = applied(stored.clone(), &plan);
    assert_eq!(vault.retire(&tenant, generation).await.unwrap(), 1);
    assert_eq!(
        vault.generation(&tenant).await.unwrap(),
        generation.settled()
    );
    assert!(vault.key_of(&scope, 1).await.unwrap().is_none());
    let read = sealer.open_records(&tenant, vec![done]).await.unwrap();
    assert_eq!(opened(read), expected);
    // What was left under the old key no longer reads: the rotation shreds it.
    let read = sealer.open_records(&tenant, vec![stored]).await.unwrap();
    assert!(read[0].variables.is_empty() && read[0].phones.is_empty());
    // A rotation run for a generation the tenant is no longer at is refused.
    let record = record(&vault.key(&scope, false).await.unwrap().unwrap(), &scope);
    assert!(sealer.rekey(&tenant, &record, 3).await.is_err());
    // Erasing the customer destroys every generation of their key.
    sealer.shred(&tenant, scope_ref(&scope)).await.unwrap();
    assert!(!vault.holds(&scope));
}

fn scope_ref(scope: &Scope) -> &CustomerRef {
    match scope {
        Scope::Customer(_, c) => c,
        Scope::Tenant(_) => unreachable!(),
    }
}
