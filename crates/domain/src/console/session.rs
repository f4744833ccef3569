//! A console session: signed in with an API key, it acts for that key's tenant until it
//! is idle too long, grows too old, is signed out, or its key is revoked. The session id
//! (random, from the adapter) lives only in the browser's cookie; the store keeps its
//! digest, so a copy of the database opens no session.

use sha2::{Digest, Sha256};
use time::Duration;

use crate::Timestamp;
use crate::tenant::TenantId;

/// How long sessions live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// Ended after this long without a request.
    pub idle: Duration,
    /// Ended this long after sign-in, however busy.
    pub absolute: Duration,
    /// The last-seen time is stored again only when it is older than this, so reading
    /// pages does not write on every request.
    pub touch_every: Duration,
}

impl Default for SessionPolicy {
    /// 30 minutes idle, 12 hours in all (a shift), last seen kept to the minute.
    fn default() -> Self {
        Self {
            idle: Duration::minutes(30),
            absolute: Duration::hours(12),
            touch_every: Duration::minutes(1),
        }
    }
}

/// What is stored of a session's times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimes {
    /// Sign-in.
    pub created_at: Timestamp,
    /// The last request, to `touch_every`.
    pub last_seen_at: Timestamp,
}

/// Why a session no longer opens the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    /// The key it signed in with was revoked.
    KeyRevoked,
    /// Older than the absolute lifetime.
    Expired,
    /// No request for longer than the idle limit.
    Idle,
}

/// A live session, and whether its last-seen time should be stored anew.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionCheck {
    /// Live; nothing to store.
    Live,
    /// Live; store this as its last-seen time.
    Touch(Timestamp),
}

impl SessionPolicy {
    /// Sessions ended after `idle` without a request and `absolute` after sign-in. The
    /// last-seen time is written at most once a minute, and more often when the idle
    /// limit is short (a tenth of it), so a session in use never looks idle.
    pub fn new(idle: Duration, absolute: Duration) -> Self {
        Self {
            idle,
            absolute,
            touch_every: (idle / 10_i32).min(Duration::minutes(1)),
        }
    }

    /// Whether a session with `times`, signed in with a key that is `key_live`, still
    /// opens the console at `now`.
    pub fn check(
        &self, times: SessionTimes, now: Timestamp, key_live: bool,
    ) -> Result<SessionCheck, SessionEnd> {
        if !key_live {
            return Err(SessionEnd::KeyRevoked);
        }
        if now - times.created_at >= self.absolute {
            return Err(SessionEnd::Expired);
        }
        if now - times.last_seen_at >= self.idle {
            return Err(SessionEnd::Idle);
        }
        // A clock that stepped back leaves the stored time alone.
        if now - times.last_seen_at >= self.touch_every {
            return Ok(SessionCheck::Touch(now));
        }
        Ok(SessionCheck::Live)
    }
}

/// A session to store at sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// The [`digest`] of its id.
    pub digest: String,
    /// The key it signed in with (its public lookup id); the session acts for that
    /// key's tenant and ends with it.
    pub key_lookup_id: String,
    /// Sign-in.
    pub at: Timestamp,
}

/// A session as stored, with what its key says now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    /// The tenant of the key it signed in with.
    pub tenant: TenantId,
    /// That key's public lookup id.
    pub key_lookup_id: String,
    /// Whether that key is still live (not revoked).
    pub key_live: bool,
    /// Its times.
    pub times: SessionTimes,
}

/// What the store keeps of a session id: its SHA-256, hex.
pub fn digest(session_id: &str) -> String {
    hex::encode(Sha256::digest(session_id.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> Timestamp {
        Timestamp::from_unix_millis(1_800_000_000_000 + minutes * 60_000).unwrap()
    }

    fn signed_in_at(created: i64, seen: i64) -> SessionTimes {
        SessionTimes {
            created_at: at(created),
            last_seen_at: at(seen),
        }
    }

    #[test]
    fn a_session_lives_while_used_and_no_longer_than_a_shift() {
        let policy = SessionPolicy::default();
        let fresh = signed_in_at(0, 0);
        assert_eq!(policy.check(fresh, at(0), true), Ok(SessionCheck::Live));
        // Seen again within the minute: nothing written.
        assert_eq!(
            policy.check(signed_in_at(0, 10), at(10), true),
            Ok(SessionCheck::Live)
        );
        assert_eq!(
            policy.check(signed_in_at(0, 10), at(11), true),
            Ok(SessionCheck::Touch(at(11)))
        );
        // Idle 29 minutes: alive; 30: ended.
        assert_eq!(
            policy.check(signed_in_at(0, 100), at(129), true),
            Ok(SessionCheck::Touch(at(129)))
        );
        assert_eq!(
            policy.check(signed_in_at(0, 100), at(130), true),
            Err(SessionEnd::Idle)
        );
        // Busy all day: ended at 12 hours all the same.
        assert_eq!(
            policy.check(signed_in_at(0, 719), at(720), true),
            Err(SessionEnd::Expired)
        );
    }

    #[test]
    fn a_short_idle_limit_is_touched_often_enough() {
        assert_eq!(
            SessionPolicy::new(Duration::minutes(30), Duration::hours(12)),
            SessionPolicy::default()
        );
        let short = SessionPolicy::new(Duration::seconds(20), Duration::hours(1));
        assert_eq!(short.touch_every, Duration::seconds(2));
        // Used every 15 seconds for a minute: never idle.
        let mut seen = at(0);
        for step in 1..=4 {
            let now = at(0) + Duration::seconds(15 * step);
            let times = SessionTimes {
                created_at: at(0),
                last_seen_at: seen,
            };
            assert_eq!(short.check(times, now, true), Ok(SessionCheck::Touch(now)));
            seen = now;
        }
    }

    #[test]
    fn a_revoked_key_ends_its_sessions_at_once() {
        let policy = SessionPolicy::default();
        assert_eq!(
            policy.check(signed_in_at(0, 0), at(0), false),
            Err(SessionEnd::KeyRevoked)
        );
    }

    #[test]
    fn a_clock_that_stepped_back_keeps_the_session_and_its_times() {
        let policy = SessionPolicy::default();
        assert_eq!(
            policy.check(signed_in_at(0, 10), at(5), true),
            Ok(SessionCheck::Live)
        );
    }

    #[test]
    fn the_store_keeps_a_digest_not_the_id() {
        let id = "3b1f0e8c2d415f0c2a526d1e4c3b9a57";
        let kept = digest(id);
        assert_eq!(kept.len(), 64);
        assert!(!kept.contains(id));
        assert_eq!(kept, digest(id));
        assert_ne!(kept, digest("another"));
    }
}
