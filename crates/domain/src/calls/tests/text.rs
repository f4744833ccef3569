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

#[test]
fn blank_optional_fields_mean_not_given() {
    let body = json!({"call_id": "c1", "customer_ref": "", "intent": "", "intent_status": "",
        "identity_hints": {"customer_ref": "", "dnis": "", "external_ids": {"crm": ""}}});
    let end = EndCall::parse(end_req(body), &tenant().policy, now()).unwrap();
    assert_eq!(end.customer_ref, None);
    assert_eq!(end.intent, None);
    assert!(end.hints.is_some_and(|h| h.is_empty()));
}

#[test]
fn external_ids_sent_as_numbers_or_booleans_are_their_text() {
    let body = json!({"call_id": "c1", "identity_hints": {"external_ids":
        {"crm": 1042, "vip": true, "none": null}}});
    let start = StartCall::parse(start_req(body), &tenant().policy).unwrap();
    let ids: Vec<(&str, &str)> = start
        .hints
        .external_ids
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(ids, [("crm", "1042"), ("vip", "true")]);
}

#[test]
fn an_external_id_that_is_not_text_is_refused_naming_it() {
    let body = json!({"call_id": "c1", "identity_hints": {"external_ids": {"crm": [1]}}});
    let refused = StartCall::parse(start_req(body), &tenant().policy).unwrap_err();
    assert_eq!(paths(refused), ["identity_hints.external_ids.crm"]);
}

#[test]
fn a_status_without_an_intent_is_still_refused() {
    let body = json!({"call_id": "c1", "intent": "", "intent_status": "resolved"});
    assert_eq!(end_refusal(body), ["intent"]);
}
