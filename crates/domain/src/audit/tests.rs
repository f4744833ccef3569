use std::collections::HashSet;

use time::macros::datetime;

use super::*;
use crate::timestamp::Timestamp;

#[test]
fn every_action_has_its_own_name_and_reads_back() {
    let names: HashSet<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
    assert_eq!(names.len(), AuditAction::ALL.len());
    for action in AuditAction::ALL {
        assert_eq!(AuditAction::parse(action.as_str()), Some(action));
    }
    assert_eq!(AuditAction::parse("key.deleted"), None);
}

#[test]
fn a_customer_is_named_by_its_digest_never_its_reference() {
    let object = AuditObject::customer("CRM-0042 Jane Doe");
    assert!(
        object.as_str().starts_with("customer:"),
        "{}",
        object.as_str()
    );
    assert!(!object.as_str().contains("0042") && !object.as_str().contains("Jane"));
    // The same reference is the same object, so a customer's lines can be followed.
    assert_eq!(AuditObject::customer("CRM-0042 Jane Doe"), object);
    assert_ne!(AuditObject::customer("CRM-0043"), object);
}

#[test]
fn actors_are_named_by_email_key_id_or_operator() {
    let person = Actor::Person {
        id: uuid::Uuid::nil(),
        email: "ana@example.com".into(),
    };
    assert_eq!(person.name(), "ana@example.com");
    assert_eq!(
        Actor::Key("key_0123456789abcdef".into()).name(),
        "key_0123456789abcdef"
    );
    assert_eq!(Actor::Operator.name(), "operator");
}

#[test]
fn lines_are_kept_two_years_at_least() {
    let now = Timestamp::from(datetime!(2026-12-07 12:00 UTC));
    assert_eq!(
        audit_cutoff(now, AUDIT_KEPT_DAYS).get(),
        datetime!(2024-12-07 12:00 UTC)
    );
    // Asking for less keeps two years; asking for more keeps more.
    assert_eq!(audit_cutoff(now, 30), audit_cutoff(now, AUDIT_KEPT_DAYS));
    assert_eq!(
        audit_cutoff(now, 1095).get(),
        datetime!(2023-12-08 12:00 UTC)
    );
}

#[test]
fn a_cursor_is_a_positive_position() {
    assert_eq!(AuditCursor::parse("42"), Some(AuditCursor(42)));
    assert_eq!(AuditCursor(42).to_text(), "42");
    for bad in ["", "0", "-1", "+4", "4.0", "abc", "99999999999999999999"] {
        assert_eq!(AuditCursor::parse(bad), None, "{bad}");
    }
}
