//! What an attempt's answer means: 2xx delivered, 410 the endpoint is gone (disabled),
//! anything else (another status, a time-out, a refused address, a connection error)
//! tried again on the schedule, then given up.

use std::str::FromStr;

use time::Duration;

use crate::timestamp::Timestamp;

/// How long one attempt may take.
pub const ATTEMPT_TIMEOUT: Duration = Duration::seconds(10);

/// How long after its claim a delivery may be claimed again: a process that died
/// mid-attempt leaves it to another (at least once; `webhook-id` lets the receiver see
/// a repeat). A claim may wait for `rounds` attempts to the same endpoint before its
/// own (bounded concurrency per endpoint), each up to `timeout`.
pub fn lease(timeout: Duration, rounds: u32) -> Duration {
    timeout * i32::try_from(rounds.max(1)).unwrap_or(i32::MAX) + Duration::seconds(5)
}

/// The waits before each retry (the first attempt is at once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule(Vec<Duration>);

impl Default for RetrySchedule {
    /// The Standard Webhooks schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h.
    fn default() -> Self {
        Self(
            [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]
                .into_iter()
                .map(Duration::seconds)
                .collect(),
        )
    }
}

impl FromStr for RetrySchedule {
    type Err = String;

    /// Seconds, comma separated (`5,300,1800`); empty: no retry.
    fn from_str(text: &str) -> Result<Self, String> {
        text.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<u32>()
                    .map(|n| Duration::seconds(i64::from(n)))
                    .map_err(|_| format!("{s:?} is not a number of seconds"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }
}

impl RetrySchedule {
    /// Attempts in all, the first included.
    pub fn attempts(&self) -> u32 {
        u32::try_from(self.0.len())
            .unwrap_or(u32::MAX)
            .saturating_add(1)
    }
}

/// What an attempt got back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// An HTTP status.
    Status(u16),
    /// No status: why (a time-out, a refused address, a connection error).
    NoAnswer(String),
}

/// What the store records of an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx: done.
    Delivered,
    /// Tried again at `at`.
    Retry {
        /// When.
        at: Timestamp,
    },
    /// The schedule is spent: given up.
    Failed,
    /// 410 Gone: the endpoint is disabled, with its other deliveries.
    Gone,
}

/// The outcome of attempt number `attempt` (1 for the first) that got `response` at
/// `now`.
pub fn outcome(
    schedule: &RetrySchedule, attempt: u32, response: &Response, now: Timestamp,
) -> Outcome {
    match response {
        Response::Status(200..=299) => Outcome::Delivered,
        Response::Status(410) => Outcome::Gone,
        _ => match usize::try_from(attempt.saturating_sub(1))
            .ok()
            .and_then(|i| schedule.0.get(i))
        {
            Some(wait) => Outcome::Retry { at: now + *wait },
            None => Outcome::Failed,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn now() -> Timestamp {
        Timestamp::new(datetime!(2026-11-29 10:00 UTC))
    }

    #[test]
    fn failures_are_retried_on_the_schedule_then_given_up() {
        let schedule = RetrySchedule::default();
        assert_eq!(schedule.attempts(), 10);
        let waits: Vec<i64> = (1..=9)
            .map(
                |n| match outcome(&schedule, n, &Response::Status(500), now()) {
                    Outcome::Retry { at } => (at - now()).whole_seconds(),
                    other => panic!("{other:?}"),
                },
            )
            .collect();
        assert_eq!(
            waits,
            [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]
        );
        let timeout = Response::NoAnswer("timed out".into());
        assert_eq!(outcome(&schedule, 10, &timeout, now()), Outcome::Failed);
    }

    #[test]
    fn success_and_gone_end_the_delivery_at_any_attempt() {
        let schedule: RetrySchedule = "1, 2".parse().unwrap();
        assert_eq!(schedule.attempts(), 3);
        for attempt in 1..=3 {
            assert_eq!(
                outcome(&schedule, attempt, &Response::Status(204), now()),
                Outcome::Delivered
            );
            assert_eq!(
                outcome(&schedule, attempt, &Response::Status(410), now()),
                Outcome::Gone
            );
        }
        assert!(
            matches!(
                outcome(&schedule, 1, &Response::Status(301), now()),
                Outcome::Retry { .. }
            ),
            "a redirect is not followed: it is a failure"
        );
        assert!("5,x".parse::<RetrySchedule>().is_err());
    }
}
