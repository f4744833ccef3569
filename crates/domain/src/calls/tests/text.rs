//! The text rule on every stored string of the call routes: NUL and other C0 controls
//! are refused with the field named; free-form values keep tabs and line breaks.

use serde_json::{Value, json};

use super::support::{end_req, now, start_req, tenant};
use crate::ValidationError;
use crate::calls::{EndCall, StartCall};

fn paths(error: ValidationError) -> Vec<String> {
    error.issues.into_iter().map(|i| i.path.join(".")).collect()
}

fn end_refusal(body: Value) -> Vec<String> {
    paths(EndCall::parse(end_req(body), &tenant().policy, now()).unwrap_err())
}

#[test]
fn nul_in_a_start_is_refused_naming_the_field() {
    let cases = [
        (json!({"call_id": "c\u{0}1"}), "call_id"),
        (
            json!({"call_id": "c1", "identity_hints": {"external_ids": {"crm": "C-\u{0}1"}}}),
            "identity_hints.external_ids.crm",
        ),
        (
            json!({"call_id": "c1", "identity_hints": {"external_ids": {"c\u{1}rm": "C-1"}}}),
            "identity_hints.external_ids.c\u{1}rm",
        ),
        (
            json!({"call_id": "c1", "identity_hints": {"dnis": "+1800\u{0}"}}),
            "identity_hints.dnis",
        ),
        (
            json!({"call_id": "c1", "identity_hints": {"customer_ref": "a\u{0}"}}),
            "identity_hints.customer_ref",
        ),
    ];
    for (body, field) in cases {
        let refused = StartCall::parse(start_req(body.clone()), &tenant().policy).unwrap_err();
        assert_eq!(paths(refused), vec![field.to_owned()], "{body}");
    }
}

#[test]
fn nul_in_an_end_is_refused_naming_the_field() {
    let cases = [
        (
            json!({"call_id": "c1", "customer_ref": "x\u{0}"}),
            "customer_ref",
        ),
        (json!({"call_id": "c1", "intent": "bill\u{0}ing"}), "intent"),
        (
            json!({"call_id": "c1", "variables": {"k\u{0}": "v"}}),
            "variables.k\u{0}",
        ),
        (
            json!({"call_id": "c1", "variables": {"k": "v\u{0}"}}),
            "variables.k",
        ),
        (
            json!({"call_id": "c1", "variables": {"k": {"value": "v", "source": "ivr\u{0}"}}}),
            "variables.k.source",
        ),
    ];
    for (body, field) in cases {
        assert_eq!(end_refusal(body.clone()), vec![field.to_owned()], "{body}");
    }
}

#[test]
fn values_keep_tabs_line_breaks_and_any_unicode() {
    let body = json!({"call_id": "c1", "intent": "réclamation_🙂", "variables": {
        "note": "line one\nline two\ttabbed\r\n", "name": "Zoë 北京 שלום e\u{301}"}});
    let end = EndCall::parse(end_req(body), &tenant().policy, now()).unwrap();
    assert_eq!(end.variables.len(), 2);
}
