use std::collections::BTreeMap;

use time::macros::datetime;

use super::*;
use crate::customers::{CustomerLookup, ExternalIdLink, PhoneLink};
use crate::identity::{Ani, CustomerRef, IdentityHints, PhoneNumber};
use crate::protection::tests::{counter, customer};
use crate::timestamp::Timestamp;

fn hints() -> IdentityHints {
    IdentityHints {
        ani: Some(Ani::Number(PhoneNumber::from_e164("+14155550123"))),
        dnis: Some("+18005550100".into()),
        external_ids: BTreeMap::from([("crm".to_owned(), "C-77".to_owned())]),
        customer_ref: Some(CustomerRef::from_trusted("vip-1")),
    }
}

fn at() -> Timestamp {
    Timestamp::new(datetime!(2026-12-01 00:00 UTC))
}

#[test]
fn indexed_hints_hold_no_value_and_match_a_lookup_of_the_same_value() {
    let key = DataKey::from_bytes([1; 32]);
    let indexed = index_hints(&key, &hints());
    let number = indexed.phone().unwrap().as_e164();
    assert!(is_index(number) && !number.contains("4155550123"));
    assert!(is_index(&indexed.external_ids["crm"]));
    assert_eq!(indexed.dnis, None, "the dialled number is kept sealed only");
    assert_eq!(indexed.customer_ref, hints().customer_ref);
    let by_number = CustomerLookup::Ani(PhoneNumber::from_e164("+14155550123"));
    assert_eq!(
        index_lookup(&key, &by_number),
        CustomerLookup::Ani(indexed.phone().unwrap().clone())
    );
    let by_id = CustomerLookup::external_id("crm:C-77").unwrap();
    let CustomerLookup::ExternalId { value, .. } = index_lookup(&key, &by_id) else {
        panic!("an id lookup stays one");
    };
    assert_eq!(value, indexed.external_ids["crm"]);
    // The same value in another namespace, or under another tenant key, differs.
    assert_ne!(
        index_external_id(&key, "billing", "C-77"),
        indexed.external_ids["crm"]
    );
    let other = index_hints(&DataKey::from_bytes([2; 32]), &hints());
    assert_ne!(other.phone(), indexed.phone());
}

#[test]
fn a_calls_hints_open_only_under_their_customers_key() {
    let key = DataKey::from_bytes([1; 32]);
    let here = customer(1, "cus_1");
    let indexed = index_hints(&DataKey::from_bytes([9; 32]), &hints());
    let sealed = seal_hints(&key, &here, &hints(), [3; 24]).unwrap();
    assert!(!sealed.contains("4155550123") && !sealed.contains("C-77"));
    let opened = open_hints(Some(&key), &here, indexed.clone(), Some(&sealed)).unwrap();
    assert_eq!(opened, hints());
    assert_eq!(
        open_hints(
            Some(&key),
            &customer(1, "cus_2"),
            indexed.clone(),
            Some(&sealed)
        ),
        Err(Tampered)
    );
    // The key destroyed: the indexed values are left out, the customer ref stays.
    let erased = open_hints(None, &here, indexed, Some(&sealed)).unwrap();
    assert_eq!((erased.ani, erased.dnis), (None, None));
    assert!(erased.external_ids.is_empty());
    assert_eq!(erased.customer_ref, hints().customer_ref);
    // Nothing personal: nothing sealed; a withheld number survives the round trip.
    let withheld = IdentityHints {
        ani: Some(Ani::Withheld),
        ..IdentityHints::default()
    };
    assert_eq!(seal_hints(&key, &here, &withheld, [3; 24]), None);
    assert_eq!(
        open_hints(Some(&key), &here, withheld.clone(), None).unwrap(),
        withheld
    );
}

#[test]
fn links_open_their_copies_and_leave_out_what_cannot_be_read() {
    let key = DataKey::from_bytes([1; 32]);
    let tenant_key = DataKey::from_bytes([9; 32]);
    let here = customer(1, "cus_1");
    let copies = seal_links(&key, &here, &hints(), counter());
    let indexed = index_hints(&tenant_key, &hints());
    let phone = |e164: &str, sealed: Option<String>| PhoneLink {
        e164: PhoneNumber::from_e164(e164),
        line_type: None,
        linked_at: at(),
        confirmed: None,
        sealed,
    };
    let links = vec![
        phone(indexed.phone().unwrap().as_e164(), copies.phone.clone()),
        phone("+14155550999", None),
        phone(
            index_number(&tenant_key, &PhoneNumber::from_e164("+1")).as_e164(),
            None,
        ),
    ];
    let opened = open_phones(Some(&key), &here, links.clone()).unwrap();
    let numbers: Vec<&str> = opened.iter().map(|p| p.e164.as_e164()).collect();
    assert_eq!(
        numbers,
        ["+14155550123", "+14155550999"],
        "a copy opened, a row from before read as it is, an index with no copy left out"
    );
    let erased = open_phones(None, &here, links).unwrap();
    assert_eq!(erased.len(), 1, "only the row from before");

    let id = |namespace: &str| ExternalIdLink {
        namespace: namespace.into(),
        value: indexed.external_ids["crm"].clone(),
        linked_at: at(),
        sealed: copies.external_ids.get("crm").cloned(),
    };
    let opened = open_external_ids(Some(&key), &here, vec![id("crm")]).unwrap();
    assert_eq!(opened[0].value, "C-77");
    assert_eq!(
        open_external_ids(Some(&key), &here, vec![id("billing")]),
        Err(Tampered),
        "a copy moved to another namespace does not open"
    );
}
