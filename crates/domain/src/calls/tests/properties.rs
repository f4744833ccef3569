//! Invariant: a refused request produces no port call at all, so nothing is written.

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::support::*;
use crate::calls::{EndCall, EndCallError, StartCall, StartCallError};

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-z0-9_]{1,12}",
        "\\PC{0,40}",
        "[0-9]{13,19}",
        Just("4111 1111 1111 1111".to_owned()),
        Just("x".repeat(1025)),
        Just("y".repeat(129)),
    ]
}

fn variable_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        text().prop_map(Value::String),
        Just(Value::Null),
        Just(json!([1])),
        (text(), any::<u64>())
            .prop_map(|(v, ttl)| json!({"value": v, "ttl_seconds": ttl % 10_000_000})),
    ]
}

fn end_body() -> impl Strategy<Value = Value> {
    (
        prop::option::of(text()),
        prop::option::of(text()),
        prop::option::of(text()),
        prop::option::of(prop::sample::select(vec![
            "open",
            "resolved",
            "closed",
            "abandoned",
            "done",
        ])),
        prop::collection::btree_map(text(), variable_value(), 0..4),
        prop::option::of(text()),
    )
        .prop_map(|(call_id, customer_ref, intent, status, variables, ani)| {
            json!({
                "call_id": call_id,
                "customer_ref": customer_ref,
                "intent": intent,
                "intent_status": status,
                "variables": variables.into_iter().collect::<Map<String, Value>>(),
                "identity_hints": {"ani": ani},
            })
        })
}

fn start_body() -> impl Strategy<Value = Value> {
    (
        prop::option::of(text()),
        prop::option::of(text()),
        prop::option::of(text()),
        text(),
    )
        .prop_map(|(call_id, ani, customer_ref, line_type)| {
            json!({
                "call_id": call_id,
                "identity_hints": {"ani": ani, "customer_ref": customer_ref},
                "telco": {"line_type": line_type},
            })
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn a_refused_end_calls_no_port(body in end_body()) {
        let refused = EndCall::parse(end_req(body.clone()), &tenant().policy, now()).is_err();
        prop_assume!(refused);
        // Mocks without expectations: any port call panics and fails the case.
        let result = run(Ports::new().service().end(&tenant(), end_req(body)));
        prop_assert!(matches!(result, Err(EndCallError::Invalid(_))));
    }

    #[test]
    fn a_refused_start_calls_no_port(body in start_body()) {
        let refused = StartCall::parse(start_req(body.clone()), &tenant().policy).is_err();
        prop_assume!(refused);
        let result = run(Ports::new().service().start(&tenant(), start_req(body)));
        prop_assert!(matches!(result, Err(StartCallError::Invalid(_))));
    }
}
