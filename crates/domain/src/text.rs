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
