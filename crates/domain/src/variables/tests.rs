use serde_json::json;
use time::Duration;
use time::macros::datetime;

use super::*;
use crate::error::RefusalKind;

fn now() -> Timestamp {
    Timestamp::new(datetime!(2026-02-06 15:30:00 UTC))
}

fn parse(value: serde_json::Value) -> Result<Vec<VariableWrite>, ValidationError> {
    parse_variables(value.as_object().unwrap(), now())
}

fn set(write: &VariableWrite) -> (&str, &StoredVariable) {
    match write {
        VariableWrite::Set { key, variable } => (key, variable),
        VariableWrite::Delete { key } => panic!("{key} deleted"),
    }
}

#[test]
fn every_request_form() {
    let writes = parse(json!({
        "a_plain": "Test context",
        "b_number": 50.25,
        "c_bool": true,
        "d_object": {"value": "x", "ttl_seconds": 3600.0, "source": "ivr"},
        "e_deleted": null,
        "f_object_null": {"value": null},
    }))
    .unwrap();
    let (k, v) = set(&writes[0]);
    assert_eq!(
        (k, v.value.as_str(), v.ttl, v.source.as_deref()),
        ("a_plain", "Test context", Ttl::DEFAULT, None)
    );
    assert_eq!(v.expires_at, now() + Duration::days(30));
    assert_eq!(set(&writes[1]).1.value, "50.25");
    assert_eq!(set(&writes[2]).1.value, "true");
    let (_, v) = set(&writes[3]);
    assert_eq!(
        (v.ttl.seconds(), v.source.as_deref(), v.expires_at),
        (3600, Some("ivr"), now() + Duration::hours(1))
    );
    assert_eq!(
        writes[4],
        VariableWrite::Delete {
            key: "e_deleted".into()
        }
    );
    assert_eq!(
        writes[5],
        VariableWrite::Delete {
            key: "f_object_null".into()
        }
    );
}

#[test]
fn limits_name_the_offending_key() {
    let long_key = "k".repeat(129);
    let cases = [
        (
            json!({ long_key.clone(): "v" }),
            vec!["variables".to_owned(), long_key.clone()],
        ),
        (
            json!({"big": "v".repeat(1025)}),
            vec!["variables".into(), "big".into()],
        ),
        (
            json!({"t": {"value": "v", "ttl_seconds": 59}}),
            vec!["variables".into(), "t".into(), "ttl_seconds".into()],
        ),
        (
            json!({"t": {"value": "v", "ttl_seconds": 7_776_001}}),
            vec!["variables".into(), "t".into(), "ttl_seconds".into()],
        ),
        (
            json!({"t": {"value": "v", "ttl_seconds": -5}}),
            vec!["variables".into(), "t".into(), "ttl_seconds".into()],
        ),
        (
            json!({"t": {"value": "v", "ttl_seconds": 3600.5}}),
            vec!["variables".into(), "t".into(), "ttl_seconds".into()],
        ),
        (
            json!({"arr": [1, 2]}),
            vec!["variables".into(), "arr".into()],
        ),
        (
            json!({"obj": {"ttl_seconds": 60}}),
            vec!["variables".into(), "obj".into()],
        ),
        (
            json!({"s": {"value": "v", "source": 5}}),
            vec!["variables".into(), "s".into(), "source".into()],
        ),
    ];
    for (input, path) in cases {
        let err = parse(input.clone()).unwrap_err();
        assert_eq!(err.kind, RefusalKind::InvalidRequest, "{input}");
        assert_eq!(err.issues[0].path, path, "{input}");
    }
}

#[test]
fn ttl_bounds_are_inclusive() {
    assert!(parse(json!({"t": {"value": "v", "ttl_seconds": 60}})).is_ok());
    assert!(parse(json!({"t": {"value": "v", "ttl_seconds": 7_776_000}})).is_ok());
    assert!(parse(json!({"k": "v".repeat(1024)})).is_ok());
}

#[test]
fn card_numbers_are_refused_whole() {
    let err = parse(json!({"note": "ok", "card": "4111 1111 1111 1111"})).unwrap_err();
    assert_eq!(err.kind, RefusalKind::SensitiveData);
    assert_eq!(err.issues.len(), 1);
    assert_eq!(err.issues[0].path, ["variables", "card"]);
}

#[test]
fn malformed_input_is_reported_before_sensitive_data() {
    let err = parse(json!({"card": "4111111111111111", "arr": []})).unwrap_err();
    assert_eq!(err.kind, RefusalKind::InvalidRequest);
}

#[test]
fn expired_variables_are_never_returned() {
    let var = |expires_at| StoredVariable {
        value: "v".into(),
        source: None,
        ttl: Ttl::DEFAULT,
        expires_at,
    };
    let all = [
        ("past".to_owned(), var(now() - Duration::seconds(1))),
        ("edge".to_owned(), var(now())),
        ("future".to_owned(), var(now() + Duration::seconds(1))),
    ]
    .into();
    let live = live_at(all, now());
    assert_eq!(live.keys().collect::<Vec<_>>(), ["future"]);
}

fn sets(keys: impl IntoIterator<Item = String>) -> Vec<VariableWrite> {
    keys.into_iter()
        .map(|key| VariableWrite::Set {
            key,
            variable: StoredVariable {
                value: "v".into(),
                source: None,
                ttl: Ttl::DEFAULT,
                expires_at: now(),
            },
        })
        .collect()
}

#[test]
fn at_most_100_live_variables_per_customer() {
    let live: Vec<String> = (0..99).map(|i| format!("k{i:03}")).collect();
    let live_refs = || live.iter().map(String::as_str);
    assert!(check_live_limit(live_refs(), &sets(["new1".to_owned()])).is_ok());
    let err =
        check_live_limit(live_refs(), &sets(["new1".to_owned(), "new2".to_owned()])).unwrap_err();
    assert_eq!(err.issues[0].path, ["variables", "new2"]);
    // Overwriting existing keys never counts twice.
    assert!(check_live_limit(live_refs(), &sets(live.clone())).is_ok());
    // A delete in the same request makes room.
    let mut writes = sets(["new1".to_owned(), "new2".to_owned()]);
    writes.push(VariableWrite::Delete { key: "k000".into() });
    assert!(check_live_limit(live_refs(), &writes).is_ok());
}
