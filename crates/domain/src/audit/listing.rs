//! Listing the trail: filters, pages, and how long lines are kept.

use time::Duration;

use crate::audit::{AuditAction, AuditEntry};
use crate::timestamp::Timestamp;

/// Days a line is kept by default: two years.
pub const AUDIT_KEPT_DAYS: i64 = 730;

/// Lines at or before this instant may be deleted: `kept_days` before `now` (never less
/// than the default two years, whatever is asked: a shorter trail would answer fewer of
/// the questions it is kept for).
pub fn audit_cutoff(now: Timestamp, kept_days: i64) -> Timestamp {
    let days = kept_days.max(AUDIT_KEPT_DAYS);
    Timestamp::from(now.get() - Duration::days(days))
}

/// Which lines a listing wants; every field set narrows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only this action.
    pub action: Option<AuditAction>,
    /// Only this actor, by the name a listing shows (email, key id, `operator`).
    pub actor: Option<String>,
    /// Only lines at or after this instant.
    pub since: Option<Timestamp>,
    /// Only lines before this instant.
    pub until: Option<Timestamp>,
}

impl AuditFilter {
    /// Whether `entry` is among the lines wanted.
    pub fn matches(&self, entry: &AuditEntry) -> bool {
        self.action.is_none_or(|a| a == entry.action)
            && self
                .actor
                .as_deref()
                .is_none_or(|name| name == entry.actor.name())
            && self.since.is_none_or(|since| entry.at >= since)
            && self.until.is_none_or(|until| entry.at < until)
    }
}

/// Where a page ends: the position of its last line in the account's trail (lines are
/// listed newest first, and a line's position is given by the store when it is added,
/// in order). Written on the wire as the position's decimal text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct AuditCursor(pub i64);

impl AuditCursor {
    /// The cursor a client sent back, if it is one.
    pub fn parse(text: &str) -> Option<Self> {
        let position: i64 = text.parse().ok()?;
        (position > 0 && text.bytes().all(|b| b.is_ascii_digit())).then_some(Self(position))
    }

    /// The text a page gives for the next one.
    pub fn to_text(self) -> String {
        self.0.to_string()
    }
}
