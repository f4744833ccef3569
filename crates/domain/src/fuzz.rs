//! Fuzzing on stable: properties over arbitrary input for every parser a request
//! reaches (phone numbers, customer refs, variables, whole request bodies). Each runs
//! 256 cases in `make test`; `make fuzz` runs them in release with `PROPTEST_CASES`
//! raised. The property is the same everywhere: no panic, and an accepted value is
//! well-formed.

use proptest::prelude::*;
use serde_json::{Map, Value};

use crate::calls::{EndCall, RawEndCall, RawStartCall, StartCall};
use crate::identity::{AniPolicy, CustomerRef, PhoneNumber};
use crate::tenant::TenantPolicy;
use crate::text::{TextKind, is_storable};
use crate::timestamp::Timestamp;
use crate::variables::{VariableWrite, parse_variables};

/// Any text: printable Unicode, controls, digits and phone-like punctuation.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[+0-9 ()./-]{0,24}",
        "\\PC{0,64}",
        "[\\x00-\\x1f]{0,4}[a-z0-9]{0,8}",
    ]
}

/// Any JSON value, nested a few levels.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any_text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(any_text(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A request body shaped like a start or an end, with arbitrary values in its fields.
fn call_body() -> impl Strategy<Value = Value> {
    let field = prop::sample::select(vec![
        "call_id",
        "customer_ref",
        "intent",
        "intent_status",
        "intent_is_open",
        "variables",
        "identity_hints",
        "telco",
    ]);
    let hints = prop::collection::btree_map(
        prop::sample::select(vec!["ani", "dnis", "external_ids", "customer_ref"]),
        any_json(),
        0..4,
    )
    .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()));
    prop::collection::btree_map(field, prop_oneof![any_json(), hints], 0..8)
        .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()))
}

fn now() -> Timestamp {
    Timestamp::from_unix_millis(1_770_000_000_000).expect("a valid instant")
}

proptest! {
    #[test]
    fn phone_numbers_never_panic_and_read_back_the_same(text in any_text()) {
        if let Ok(number) = PhoneNumber::parse(&text, phonenumber::country::Id::US) {
            let e164 = number.as_e164();
            prop_assert!(e164.starts_with('+'));
            prop_assert!(e164[1..].bytes().all(|b| b.is_ascii_digit()), "{e164}");
            let again = PhoneNumber::parse(e164, phonenumber::country::Id::GB).unwrap();
            prop_assert_eq!(again.as_e164(), e164);
        }
        let _ = AniPolicy::default().read(&text, "ani");
    }

    #[test]
    fn customer_refs_never_panic_and_are_storable(text in any_text()) {
        if let Ok(reference) = CustomerRef::parse(&text, "customer_ref") {
            prop_assert!(is_storable(reference.as_str(), TextKind::Line));
        }
    }

    #[test]
    fn variables_never_panic_and_store_only_storable_text(
        raw in prop::collection::btree_map(any_text(), any_json(), 0..12)
    ) {
        let map: Map<String, Value> = raw.into_iter().collect();
        if let Ok(writes) = parse_variables(&map, now()) {
            prop_assert_eq!(writes.len(), map.len());
            for write in writes {
                if let VariableWrite::Set { key, variable } = write {
                    prop_assert!(is_storable(&key, TextKind::Line));
                    prop_assert!(is_storable(&variable.value, TextKind::Multiline));
                }
            }
        }
    }

    #[test]
    fn request_bodies_never_panic(body in call_body()) {
        let policy = TenantPolicy::default();
        if let Ok(raw) = serde_json::from_value::<RawStartCall>(body.clone()) {
            let _ = StartCall::parse(raw, &policy);
        }
        if let Ok(raw) = serde_json::from_value::<RawEndCall>(body)
            && let Ok(end) = EndCall::parse(raw, &policy, now()) {
                prop_assert!(is_storable(end.call_id.as_str(), TextKind::Line));
            }
    }
}
