//! `Idempotency-Key` rules: how long a key and its response are kept, when an
//! unfinished claim is given up, and which outcomes are worth replaying.

use time::Duration;

use crate::timestamp::Timestamp;

/// How long a key and its stored response are kept (and replayed).
pub const KEPT_FOR: Duration = Duration::hours(24);

/// How long a claim without a response holds its key. A request that crashed or was
/// cut off mid-way frees its key after this, so a retry runs instead of answering 409
/// `idempotency_key_in_use` for a day. Longer than any request may take (the database
/// waits are seconds).
pub const LEASE: Duration = Duration::seconds(60);

/// When a claim stops holding its key, as of `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimCutoffs {
    /// Keys created before this are forgotten, with their response.
    pub expired_before: Timestamp,
    /// Claims still without a response created before this are abandoned.
    pub abandoned_before: Timestamp,
}

impl ClaimCutoffs {
    /// The cut-offs at `now`.
    pub fn at(now: Timestamp) -> Self {
        Self {
            expired_before: now - KEPT_FOR,
            abandoned_before: now - LEASE,
        }
    }
}

/// Whether a response with `status` is stored and replayed. Only outcomes the same
/// request would get again: successes and the refusals that depend on the request
/// alone (400 bad input, 404, 409 conflicts, 413 too large). A 402 (credits may
/// arrive), 429 (the window moves), 401/403 (keys and switches change) and every 5xx
/// are not stored, so the same key runs again once the cause is gone.
pub fn is_replayable(status: u16) -> bool {
    matches!(status, 200..=299 | 400 | 404 | 409 | 413)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn only_outcomes_that_would_repeat_are_kept() {
        for kept in [200, 201, 204, 400, 404, 409, 413] {
            assert!(is_replayable(kept), "{kept}");
        }
        for not in [401, 402, 403, 408, 429, 500, 502, 503] {
            assert!(!is_replayable(not), "{not}");
        }
    }

    #[test]
    fn a_claim_is_abandoned_after_its_lease_and_forgotten_after_a_day() {
        let now = Timestamp::new(datetime!(2026-02-06 15:30:00 UTC));
        let cut = ClaimCutoffs::at(now);
        assert_eq!(cut.abandoned_before, now - Duration::seconds(60));
        assert_eq!(cut.expired_before, now - Duration::hours(24));
        assert!(cut.abandoned_before > cut.expired_before);
    }
}
