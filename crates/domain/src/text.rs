//! The one rule for every string we store: no NUL and no other C0 control character
//! (U+0000 to U+001F), except tab and line feed (and carriage return) where the text
//! is free-form (variable values, their source). Everything else Unicode allows is
//! stored and returned byte for byte.
//!
//! PostgreSQL cannot store NUL in `text` at all, and SQLite stores it and then truncates
//! it in some functions: refusing it here makes every store agree.

/// How much a string's field allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    /// A name, an id, a label: one line, no control character.
    Line,
    /// Free-form text (a variable's value or source): tab, line feed and carriage
    /// return are allowed, other C0 controls are not.
    Multiline,
}

/// What a refused field's issue says.
pub const CONTROL_CHARACTER: &str =
    "must not contain NUL or other control characters (U+0000 to U+001F)";

/// What a refused free-form field's issue says.
pub const CONTROL_CHARACTER_MULTILINE: &str = "must not contain NUL or other control characters (U+0000 to U+001F) except tab and line breaks";

/// A text field as contact-center platforms send it: a string, or a number or boolean
/// meaning its JSON text (`12345`, `true`); `null` means not given. Arrays and
/// objects are not text (`None`).
pub fn loose_text(value: &serde_json::Value) -> Option<Option<String>> {
    use serde_json::Value;
    match value {
        Value::Null => Some(None),
        Value::String(s) => Some(Some(s.clone())),
        Value::Number(n) => Some(Some(n.to_string())),
        Value::Bool(b) => Some(Some(b.to_string())),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// An optional field as sent: an empty (or blank) string means "not given", as IVR
/// templates send it for a value they do not have.
pub fn given(text: Option<&str>) -> Option<&str> {
    text.filter(|t| !t.trim().is_empty())
}

/// Whether `text` may be stored in a field of `kind`.
pub fn is_storable(text: &str, kind: TextKind) -> bool {
    text.chars().all(|c| match c {
        '\t' | '\n' | '\r' => kind == TextKind::Multiline,
        c => !('\u{0}'..='\u{1f}').contains(&c),
    })
}

/// The message for a field of `kind` that is not storable.
pub fn refusal(kind: TextKind) -> &'static str {
    match kind {
        TextKind::Line => CONTROL_CHARACTER,
        TextKind::Multiline => CONTROL_CHARACTER_MULTILINE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_and_c0_controls_are_refused_everywhere() {
        for bad in ["a\u{0}b", "\u{0}", "bell\u{7}", "esc\u{1b}[0m", "\u{1f}"] {
            assert!(!is_storable(bad, TextKind::Line), "{bad:?}");
            assert!(!is_storable(bad, TextKind::Multiline), "{bad:?}");
        }
    }

    #[test]
    fn line_breaks_and_tabs_only_in_free_form_text() {
        for text in ["two\nlines", "tab\tseparated", "crlf\r\n"] {
            assert!(!is_storable(text, TextKind::Line), "{text:?}");
            assert!(is_storable(text, TextKind::Multiline), "{text:?}");
        }
    }

    #[test]
    fn platforms_numbers_and_booleans_read_as_their_text() {
        use serde_json::json;
        assert_eq!(loose_text(&json!("C-1")), Some(Some("C-1".to_owned())));
        assert_eq!(loose_text(&json!(1042)), Some(Some("1042".to_owned())));
        assert_eq!(loose_text(&json!(10.5)), Some(Some("10.5".to_owned())));
        assert_eq!(loose_text(&json!(true)), Some(Some("true".to_owned())));
        assert_eq!(loose_text(&json!(null)), Some(None));
        assert_eq!(loose_text(&json!([1])), None);
        assert_eq!(loose_text(&json!({"a": 1})), None);
    }

    #[test]
    fn blank_optional_fields_are_not_given() {
        assert_eq!(given(Some("")), None);
        assert_eq!(given(Some("  ")), None);
        assert_eq!(given(None), None);
        assert_eq!(given(Some("cust_1")), Some("cust_1"));
    }

    #[test]
    fn any_other_unicode_is_storable() {
        for text in [
            "",
            "plain",
            "Zoë Ångström",
            "北京市",
            "שלום",
            "e\u{301}",
            "🙂👨‍👩‍👧",
            "\u{7f}del",
            "\u{85}next-line",
            "\u{200b}zero-width",
        ] {
            assert!(is_storable(text, TextKind::Line), "{text:?}");
        }
    }
}
