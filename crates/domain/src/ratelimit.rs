//! Rate limits shared by every node: the quota a request is counted against, what a
//! shared limiter answers, the port such a limiter implements, and when a node stops
//! asking a shared limiter that fails (it then limits on its own: a store that is down
//! never drops a call). The in-process limiter and the HTTP fields stay in the HTTP
//! adapter; the GCRA itself is the limiter's (a library in process, an atomic script in
//! Redis).

use std::future::Future;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::time::Duration;

use crate::error::StoreError;

/// `requests` per `window`, with a burst of `requests`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Requests allowed in one window (also the burst).
    pub requests: NonZeroU32,
    /// The window.
    pub window: Duration,
}

impl Quota {
    /// The time one request takes off the allowance (GCRA's emission interval), at
    /// least 1 µs.
    pub fn interval(self) -> Duration {
        (self.window / self.requests.get()).max(Duration::from_micros(1))
    }
}

/// A shared limiter's answer for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Counted: `remaining` more requests fit now; the allowance is whole again after
    /// `reset`.
    Allowed {
        /// Requests left in the burst.
        remaining: u32,
        /// Until the allowance is whole again.
        reset: Duration,
    },
    /// Over the quota: the next request fits after `retry_after`. Nothing was counted.
    Refused {
        /// Until one more request fits.
        retry_after: Duration,
    },
}

/// A boxed `Send` future: a shared limiter is chosen at start-up (Redis or none), so
/// the HTTP adapter holds it as a trait object.
pub type LimitFuture<'a> = Pin<Box<dyn Future<Output = Result<Admission, StoreError>> + Send + 'a>>;

/// A limiter whose counts every node shares (Redis). One round trip per request; the
/// decision is atomic in the shared store, so N nodes let one quota through.
pub trait SharedLimiter: Send + Sync + std::fmt::Debug + 'static {
    /// Counts one request of `key` (a scope and an id, e.g. `plan:free:<lookup id>`)
    /// against `quota`.
    fn admit<'a>(&'a self, key: &'a str, quota: Quota) -> LimitFuture<'a>;
}

/// How long a node limits on its own after its shared limiter failed, before asking
/// it again: one failed round trip per this interval at most, so a store that is down
/// costs almost nothing.
pub const FALLBACK_FOR: Duration = Duration::from_secs(1);

/// When to ask the shared limiter, when to limit locally. Times are a monotonic
/// clock's, given by the caller (the domain has none).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fallback {
    /// Until when the shared limiter is not asked.
    local_until: Option<Duration>,
}

impl Fallback {
    /// Whether a request at `now` goes to the shared limiter.
    pub fn use_shared(&self, now: Duration) -> bool {
        self.local_until.is_none_or(|until| now >= until)
    }

    /// The shared limiter failed at `now`: limit locally for [`FALLBACK_FOR`]. True when
    /// this starts a fallback (the moment to warn), false while one is under way.
    pub fn failed(&mut self, now: Duration) -> bool {
        let starts = self.local_until.is_none();
        self.local_until = Some(now + FALLBACK_FOR);
        starts
    }

    /// The shared limiter answered: back to it. True when this ends a fallback.
    pub fn recovered(&mut self) -> bool {
        self.local_until.take().is_some()
    }

    /// Whether requests are limited locally now (the `degraded` gauge).
    pub fn degraded(&self) -> bool {
        self.local_until.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interval_is_the_window_shared_by_the_requests() {
        let quota = Quota {
            requests: NonZeroU32::new(3).unwrap(),
            window: Duration::from_secs(60),
        };
        assert_eq!(quota.interval(), Duration::from_secs(20));
        let dense = Quota {
            requests: NonZeroU32::MAX,
            window: Duration::from_secs(1),
        };
        assert_eq!(dense.interval(), Duration::from_micros(1));
    }

    #[test]
    fn a_failure_sends_requests_to_the_local_limiter_for_a_second() {
        let s = Duration::from_secs;
        let mut fallback = Fallback::default();
        assert!(fallback.use_shared(s(0)) && !fallback.degraded());
        assert!(
            fallback.failed(s(10)),
            "the first failure starts a fallback"
        );
        assert!(!fallback.use_shared(s(10)));
        assert!(!fallback.use_shared(s(10) + Duration::from_millis(999)));
        assert!(fallback.use_shared(s(11)), "asked again after a second");
        assert!(!fallback.failed(s(11)), "still failing: no new warning");
        assert!(!fallback.use_shared(s(11) + Duration::from_millis(500)));
        assert!(fallback.degraded());
        assert!(fallback.recovered(), "an answer ends the fallback");
        assert!(fallback.use_shared(s(11) + Duration::from_millis(500)));
        assert!(!fallback.recovered() && !fallback.degraded());
    }
}
