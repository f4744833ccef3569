//! Intents: why a customer calls, open until resolved, with attempts counted.

use std::fmt;

use time::Duration;

use crate::error::ValidationError;
use crate::text::{TextKind, is_storable, refusal};
use crate::timestamp::Timestamp;

/// Open intents untouched this long expire.
pub const INTENT_EXPIRY: Duration = Duration::days(90);

/// An intent's name (`billing_inquiry`): 1 to 128 characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IntentName(String);

impl IntentName {
    /// Longest name.
    pub const MAX_LEN: usize = 128;

    /// Validates a name sent by a client.
    /// The limits hold for the text as sent (what the OpenAPI document can state);
    /// the name kept is trimmed.
    pub fn parse(text: &str, path: &str) -> Result<Self, ValidationError> {
        if text.trim().is_empty() || text.chars().count() > Self::MAX_LEN {
            return Err(ValidationError::invalid(
                path,
                "must be 1 to 128 characters",
            ));
        }
        if !is_storable(text, TextKind::Line) {
            return Err(ValidationError::invalid(path, refusal(TextKind::Line)));
        }
        Ok(Self(text.trim().to_owned()))
    }

    /// Rebuilds a name read back from storage.
    pub fn from_trusted(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IntentName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a call's end says about its intent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntentStatus {
    /// Still open: create it or count another attempt.
    Open,
    /// Done: close it.
    Resolved,
    /// Done without resolution: close it.
    Closed,
    /// The caller hung up: the intent stays open and the attempt counts.
    Abandoned,
}

impl IntentStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            IntentStatus::Open => "open",
            IntentStatus::Resolved => "resolved",
            IntentStatus::Closed => "closed",
            IntentStatus::Abandoned => "abandoned",
        }
    }

    /// Whether the intent is open after this status.
    pub fn keeps_open(self) -> bool {
        matches!(self, IntentStatus::Open | IntentStatus::Abandoned)
    }

    /// Reads `intent_status`, or its boolean alias `intent_is_open` (true = open,
    /// false = resolved). Both present must agree. Neither present: `closed`, the
    /// reading that leaves nothing open by accident.
    pub fn from_request(
        status: Option<&str>, is_open: Option<bool>,
    ) -> Result<IntentStatus, ValidationError> {
        let parsed = match status {
            None => None,
            Some("open") => Some(IntentStatus::Open),
            Some("resolved") => Some(IntentStatus::Resolved),
            Some("closed") => Some(IntentStatus::Closed),
            Some("abandoned") => Some(IntentStatus::Abandoned),
            Some(_) => {
                return Err(ValidationError::invalid(
                    "intent_status",
                    "must be one of open, resolved, closed, abandoned",
                ));
            }
        };
        match (parsed, is_open) {
            (Some(s), Some(open)) if s.keeps_open() != open => Err(ValidationError::invalid(
                "intent_is_open",
                "contradicts intent_status",
            )),
            (Some(s), _) => Ok(s),
            (None, Some(true)) => Ok(IntentStatus::Open),
            (None, Some(false)) => Ok(IntentStatus::Resolved),
            (None, None) => Ok(IntentStatus::Closed),
        }
    }
}

/// An open intent of a customer. One per (customer, name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenIntent {
    /// Its name.
    pub name: IntentName,
    /// Calls about it so far.
    pub attempt_count: u32,
    /// First call about it.
    pub first_seen: Timestamp,
    /// Latest call about it.
    pub last_seen: Timestamp,
}

impl OpenIntent {
    /// Whether it is still open at `now` (untouched for less than 90 days).
    pub fn is_live(&self, now: Timestamp) -> bool {
        now - self.last_seen < INTENT_EXPIRY
    }
}

/// An intent change a call's end asks the store to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntentWrite {
    /// `open` or `abandoned`: create the intent with one attempt, or add one to the
    /// live open intent of that name. An expired one starts over.
    Touch {
        /// Which intent.
        name: IntentName,
        /// The call's end.
        at: Timestamp,
    },
    /// `resolved` or `closed`: close the open intent of that name, if any.
    Close {
        /// Which intent.
        name: IntentName,
        /// How it ended.
        status: IntentStatus,
        /// The call's end.
        at: Timestamp,
    },
}

impl IntentWrite {
    /// The write for a call's intent and status.
    pub fn new(name: IntentName, status: IntentStatus, at: Timestamp) -> Self {
        if status.keeps_open() {
            IntentWrite::Touch { name, at }
        } else {
            IntentWrite::Close { name, status, at }
        }
    }

    /// The intent's name.
    pub fn name(&self) -> &IntentName {
        match self {
            IntentWrite::Touch { name, .. } | IntentWrite::Close { name, .. } => name,
        }
    }

    /// The rule every store implements: the open intent of this name after the write,
    /// given the one before.
    pub fn apply(&self, before: Option<OpenIntent>) -> Option<OpenIntent> {
        match self {
            IntentWrite::Touch { name, at } => Some(match before.filter(|i| i.is_live(*at)) {
                Some(open) => OpenIntent {
                    attempt_count: open.attempt_count.saturating_add(1),
                    last_seen: *at,
                    ..open
                },
                None => OpenIntent {
                    name: name.clone(),
                    attempt_count: 1,
                    first_seen: *at,
                    last_seen: *at,
                },
            }),
            IntentWrite::Close { .. } => None,
        }
    }
}

/// What an intent write does to the stored row of that name: the row to keep (`None`:
/// delete it) and how many intents it counts as updated (`intents_updated`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntentChange {
    /// The row after the write; `None` when the write closes it (or there is none).
    pub after: Option<OpenIntent>,
    /// 1 for an intent opened or counted, 1 for one closed, 0 for a close of nothing.
    pub updated: u32,
}

impl IntentWrite {
    /// Decides the write against the stored row of the intent (`before`, live or
    /// expired): a store reads that row under the customer's lock, then writes
    /// `after` (or deletes the row) exactly.
    pub fn decide(&self, before: Option<OpenIntent>) -> IntentChange {
        let updated = match self {
            IntentWrite::Touch { .. } => 1,
            IntentWrite::Close { .. } => u32::from(before.is_some()),
        };
        IntentChange {
            after: self.apply(before),
            updated,
        }
    }
}

/// The live open intents, newest first (by `last_seen`, then name).
pub fn live_newest_first(mut intents: Vec<OpenIntent>, now: Timestamp) -> Vec<OpenIntent> {
    intents.retain(|i| i.is_live(now));
    intents.sort_by(|a, b| b.last_seen.cmp(&a.last_seen).then(a.name.cmp(&b.name)));
    intents
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn t0() -> Timestamp {
        Timestamp::new(datetime!(2026-02-01 10:00 UTC))
    }

    fn name(s: &str) -> IntentName {
        IntentName::parse(s, "intent").unwrap()
    }

    /// The rule the stores' SQL held before (an upsert with `CASE last_seen > now - 90
    /// days`): an expired row starts over at one attempt, a live one counts, a close
    /// deletes and counts only what existed.
    #[test]
    fn a_decision_against_the_stored_row() {
        let at = t0() + Duration::days(100);
        let stale = OpenIntent {
            name: name("refund"),
            attempt_count: 7,
            first_seen: t0() - Duration::days(30),
            last_seen: t0(),
        };
        let reopened =
            IntentWrite::new(name("refund"), IntentStatus::Open, at).decide(Some(stale.clone()));
        assert_eq!(reopened.updated, 1);
        let after = reopened.after.unwrap();
        assert_eq!(
            (after.attempt_count, after.first_seen, after.last_seen),
            (1, at, at)
        );
        let fresh = OpenIntent {
            last_seen: at - Duration::days(89),
            ..stale.clone()
        };
        let counted =
            IntentWrite::new(name("refund"), IntentStatus::Abandoned, at).decide(Some(fresh));
        let after = counted.after.unwrap();
        assert_eq!(
            (after.attempt_count, after.first_seen),
            (8, t0() - Duration::days(30))
        );
        let closed =
            IntentWrite::new(name("refund"), IntentStatus::Resolved, at).decide(Some(stale));
        assert_eq!((closed.after, closed.updated), (None, 1));
        let nothing = IntentWrite::new(name("refund"), IntentStatus::Closed, at).decide(None);
        assert_eq!((nothing.after, nothing.updated), (None, 0));
    }

    #[test]
    fn open_creates_then_counts_attempts() {
        let first = IntentWrite::new(name("refund"), IntentStatus::Open, t0())
            .apply(None)
            .unwrap();
        assert_eq!(
            (first.attempt_count, first.first_seen, first.last_seen),
            (1, t0(), t0())
        );
        let later = t0() + Duration::days(2);
        let second = IntentWrite::new(name("refund"), IntentStatus::Abandoned, later)
            .apply(Some(first))
            .unwrap();
        assert_eq!(
            (second.attempt_count, second.first_seen, second.last_seen),
            (2, t0(), later)
        );
    }

    #[test]
    fn resolved_and_closed_close_it() {
        let open = IntentWrite::new(name("refund"), IntentStatus::Open, t0()).apply(None);
        for status in [IntentStatus::Resolved, IntentStatus::Closed] {
            assert_eq!(
                IntentWrite::new(name("refund"), status, t0()).apply(open.clone()),
                None
            );
        }
    }

    #[test]
    fn expires_after_90_days_untouched() {
        let open = IntentWrite::new(name("refund"), IntentStatus::Open, t0())
            .apply(None)
            .unwrap();
        assert!(open.is_live(t0() + INTENT_EXPIRY - Duration::seconds(1)));
        assert!(!open.is_live(t0() + INTENT_EXPIRY));
        let reopened = IntentWrite::new(name("refund"), IntentStatus::Open, t0() + INTENT_EXPIRY)
            .apply(Some(open))
            .unwrap();
        assert_eq!(reopened.attempt_count, 1, "an expired intent starts over");
    }

    #[test]
    fn status_and_its_boolean_alias() {
        let read = IntentStatus::from_request;
        assert_eq!(read(Some("abandoned"), None), Ok(IntentStatus::Abandoned));
        assert_eq!(read(None, Some(true)), Ok(IntentStatus::Open));
        assert_eq!(read(None, Some(false)), Ok(IntentStatus::Resolved));
        assert_eq!(read(Some("open"), Some(true)), Ok(IntentStatus::Open));
        assert_eq!(read(None, None), Ok(IntentStatus::Closed));
        assert_eq!(
            read(Some("done"), None).unwrap_err().issues[0].path,
            ["intent_status"]
        );
        assert_eq!(
            read(Some("resolved"), Some(true)).unwrap_err().issues[0].path,
            ["intent_is_open"]
        );
    }

    #[test]
    fn newest_first_and_expired_hidden() {
        let at = |days| t0() + Duration::days(days);
        let mk = |n: &str, seen| OpenIntent {
            name: name(n),
            attempt_count: 1,
            first_seen: t0(),
            last_seen: seen,
        };
        let now = at(100);
        let listed = live_newest_first(
            vec![mk("old", at(5)), mk("b", at(50)), mk("a", at(60))],
            now,
        );
        let names: Vec<&str> = listed.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn names_are_bounded() {
        assert!(IntentName::parse("", "intent").is_err());
        assert!(IntentName::parse(&"x".repeat(129), "intent").is_err());
        assert!(IntentName::parse(&"x".repeat(128), "intent").is_ok());
        // Bounds hold for the text as sent (what the OpenAPI document states); the
        // name kept is trimmed.
        assert!(IntentName::parse(&format!(" {} ", "x".repeat(127)), "intent").is_err());
        assert!(IntentName::parse("billing\n", "intent").is_err());
        assert_eq!(
            IntentName::parse(" billing ", "intent").unwrap().as_str(),
            "billing"
        );
    }
}
