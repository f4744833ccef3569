//! The rules for rolling up closed days (a tenant's usage and calibration figures of a
//! settled day kept in a rollup, so a read counts live only the days that have none). A
//! call counts on the day it started, but its end (the intent it records, the verdict
//! on its start) can come after midnight: a day settles [`SETTLE`] after it closes and
//! is rolled up only then, so a rollup never needs making again, and a report is the
//! same whichever way each of its days was read. Pure: which days to roll, which days
//! a read counts live. The stores' rollups and the job that fills them build on these.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::RangeInclusive;

use time::{Date, Duration, OffsetDateTime, Time};

use crate::identity::{Confidence, JudgedCalls, Verdict};
use crate::timestamp::Timestamp;

/// How long after a day closes its calls may still be ended and change its figures.
pub const SETTLE: Duration = Duration::days(1);

/// Closed days the job looks back over: the longest window a console page reads.
pub const ROLLED_DAYS: i64 = 31;

/// When `day`'s figures are final: [`SETTLE`] after its last moment (UTC).
pub fn settles_at(day: Date) -> Timestamp {
    let closes = day
        .next_day()
        .map_or(OffsetDateTime::new_utc(day, Time::MAX), |next| {
            OffsetDateTime::new_utc(next, Time::MIDNIGHT)
        });
    Timestamp::new(closes + SETTLE)
}

/// The days of the last [`ROLLED_DAYS`] before `now`'s that have settled and have no
/// rollup yet, oldest first (after a downtime, every day it missed).
pub fn days_to_roll(rolled: &BTreeSet<Date>, now: Timestamp) -> Vec<Date> {
    let today = now.get().date();
    (1..=ROLLED_DAYS)
        .rev()
        .map(|back| today - Duration::days(back))
        .filter(|day| settles_at(*day) <= now && !rolled.contains(day))
        .collect()
}

/// The runs of consecutive days in `from..=to` without a rollup, which a read counts
/// live from the calls (usually yesterday and today), oldest first.
pub fn live_days(rolled: &BTreeSet<Date>, from: Date, to: Date) -> Vec<RangeInclusive<Date>> {
    let mut runs: Vec<RangeInclusive<Date>> = Vec::new();
    let mut day = from;
    while day <= to {
        if !rolled.contains(&day) {
            match runs.last_mut() {
                Some(run) if run.end().next_day() == Some(day) => {
                    *run = *run.start()..=day;
                }
                _ => runs.push(day..=day),
            }
        }
        match day.next_day() {
            Some(next) => day = next,
            None => break,
        }
    }
    runs
}

/// A day's first moment (UTC).
pub fn midnight(day: Date) -> Timestamp {
    Timestamp::new(OffsetDateTime::new_utc(day, Time::MIDNIGHT))
}

/// The spans of time from `since` on that a read of judged calls counts live, oldest
/// first, each `[from, to)`, the last one open when it reaches `today`: the rest of
/// `since`'s own day (a day read from part-way is never taken from a rollup), then each
/// run of later days without one; spans that touch are one.
pub fn live_spans(
    rolled: &BTreeSet<Date>, since: Timestamp, today: Date,
) -> Vec<(Timestamp, Option<Timestamp>)> {
    let Some(first) = since.get().date().next_day().filter(|d| *d <= today) else {
        return vec![(since, None)];
    };
    let mut spans = vec![(since, Some(midnight(first)))];
    for run in live_days(rolled, first, today) {
        let from = midnight(*run.start());
        let to = (*run.end() < today)
            .then(|| run.end().next_day().map(midnight))
            .flatten();
        match spans.last_mut() {
            Some(last) if last.1 == Some(from) => last.1 = to,
            _ => spans.push((from, to)),
        }
    }
    spans
}

/// Judged calls counted in parts (rolled days, live spans) as one count: groups with
/// the same confidence, sources and verdict added up, in one order whichever way each
/// day was read.
pub fn regroup(groups: impl IntoIterator<Item = JudgedCalls>) -> Vec<JudgedCalls> {
    let mut counted: BTreeMap<(Confidence, Vec<String>, Option<Verdict>), u64> = BTreeMap::new();
    for g in groups {
        *counted
            .entry((g.confidence, g.sources, g.verdict))
            .or_default() += g.calls;
    }
    counted
        .into_iter()
        .map(|((confidence, sources, verdict), calls)| JudgedCalls {
            confidence,
            sources,
            verdict,
            calls,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use time::macros::{date, datetime};

    use super::*;

    fn at(t: OffsetDateTime) -> Timestamp {
        Timestamp::new(t)
    }

    /// A day settles a whole day after it closes: ends of its late calls are in.
    #[test]
    fn a_day_settles_a_day_after_midnight() {
        assert_eq!(
            settles_at(date!(2026 - 12 - 05)),
            at(datetime!(2026-12-07 00:00 UTC))
        );
    }

    /// Yesterday is not rolled before it settles; the day before is, once.
    #[test]
    fn the_job_rolls_settled_days_it_has_not_rolled() {
        let now = at(datetime!(2026-12-07 09:30 UTC));
        let days = days_to_roll(&BTreeSet::new(), now);
        assert_eq!(days.len(), 30, "every settled day of the window");
        assert_eq!(days.first(), Some(&date!(2026 - 11 - 06)));
        assert_eq!(days.last(), Some(&date!(2026 - 12 - 05)));
        let rolled: BTreeSet<Date> = days.into_iter().collect();
        assert!(days_to_roll(&rolled, now).is_empty(), "nothing twice");
        let next_day = at(datetime!(2026-12-08 00:00 UTC));
        assert_eq!(days_to_roll(&rolled, next_day), vec![date!(2026 - 12 - 06)]);
    }

    /// After a downtime the job catches up every missed day of the window.
    #[test]
    fn after_a_downtime_every_missed_day_is_rolled() {
        let rolled: BTreeSet<Date> = [date!(2026 - 11 - 20), date!(2026 - 11 - 21)].into();
        let days = days_to_roll(&rolled, at(datetime!(2026-11-30 12:00 UTC)));
        // The window's days, 2026-10-30 to 2026-11-28 (the 29th settles tomorrow),
        // less the two rolled.
        assert_eq!(days.len(), 30 - 2);
        assert_eq!(days.first(), Some(&date!(2026 - 10 - 30)));
        assert_eq!(days.last(), Some(&date!(2026 - 11 - 28)));
        assert!(
            days.windows(2).all(|w| w[0] < w[1]),
            "oldest first, once each"
        );
        assert!(!days.iter().any(|d| rolled.contains(d)));
    }

    /// A read counts live only the days without a rollup, in runs.
    #[test]
    fn a_read_counts_live_the_days_not_rolled() {
        let rolled: BTreeSet<Date> = [
            date!(2026 - 12 - 01),
            date!(2026 - 12 - 02),
            date!(2026 - 12 - 04),
        ]
        .into();
        assert_eq!(
            live_days(&rolled, date!(2026 - 11 - 30), date!(2026 - 12 - 06)),
            vec![
                date!(2026 - 11 - 30)..=date!(2026 - 11 - 30),
                date!(2026 - 12 - 03)..=date!(2026 - 12 - 03),
                date!(2026 - 12 - 05)..=date!(2026 - 12 - 06),
            ]
        );
        assert!(live_days(&rolled, date!(2026 - 12 - 02), date!(2026 - 12 - 01)).is_empty());
    }

    /// The judged calls of the last days: since's partial day and the days without a
    /// rollup, as few spans as touch, the last one open.
    #[test]
    fn judged_calls_are_read_live_around_the_rolled_days() {
        let since = at(datetime!(2026-11-07 09:30 UTC));
        let today = date!(2026 - 12 - 07);
        let rolled: BTreeSet<Date> = (1..=28)
            .map(|d| date!(2026 - 11 - 07) + Duration::days(d))
            .filter(|d| *d != date!(2026 - 11 - 20))
            .collect();
        assert_eq!(
            live_spans(&rolled, since, today),
            vec![
                (since, Some(at(datetime!(2026-11-08 00:00 UTC)))),
                (
                    at(datetime!(2026-11-20 00:00 UTC)),
                    Some(at(datetime!(2026-11-21 00:00 UTC)))
                ),
                (at(datetime!(2026-12-06 00:00 UTC)), None),
            ]
        );
        // Nothing rolled: one span, the whole window.
        assert_eq!(
            live_spans(&BTreeSet::new(), since, today),
            vec![(since, None)]
        );
        // Read from today: the rest of today.
        let this_morning = at(datetime!(2026-12-07 06:00 UTC));
        assert_eq!(
            live_spans(&rolled, this_morning, today),
            vec![(this_morning, None)]
        );
    }

    /// Groups counted in parts add up to the groups counted at once.
    #[test]
    fn groups_counted_in_parts_add_up() {
        let group = |hundredths: u8, calls: u64| JudgedCalls {
            confidence: Confidence::from_hundredths(hundredths),
            sources: vec!["ani:mobile".into()],
            verdict: None,
            calls,
        };
        assert_eq!(
            regroup([group(90, 2), group(40, 1), group(90, 3)]),
            vec![group(40, 1), group(90, 5)]
        );
    }

    proptest! {
        /// Every moment from `since` on is read in exactly one place: the rollup of a
        /// whole day after `since`'s own, or one live span.
        #[test]
        fn every_moment_is_read_once(
            rolled_back in proptest::collection::btree_set(0i64..40, 0..40),
            since_back in 0i64..(40 * 1440), probe_back in 0i64..(40 * 1440),
        ) {
            let now = at(datetime!(2026-12-07 12:00 UTC));
            let today = now.get().date();
            let rolled: BTreeSet<Date> =
                rolled_back.iter().map(|back| today - Duration::days(*back)).collect();
            let since = now - Duration::minutes(since_back);
            let probe = now - Duration::minutes(probe_back);
            prop_assume!(probe >= since);
            let spans = live_spans(&rolled, since, today);
            let live = spans
                .iter()
                .filter(|(from, to)| *from <= probe && to.is_none_or(|to| probe < to))
                .count();
            let day = probe.get().date();
            let kept = usize::from(rolled.contains(&day) && day > since.get().date());
            prop_assert_eq!(live + kept, 1, "{:?}", spans);
        }

        /// Whatever has been rolled, every day of a window is read exactly once: from
        /// its rollup or live, never both, never neither; and the job never rolls a
        /// day that has not settled or that has a rollup.
        #[test]
        fn every_day_is_read_once(
            rolled_back in proptest::collection::btree_set(0i64..40, 0..40),
            hours in 0i64..24, span in 0i64..40,
        ) {
            let now = at(datetime!(2026-12-07 00:00 UTC) + Duration::hours(hours));
            let today = now.get().date();
            let rolled: BTreeSet<Date> =
                rolled_back.iter().map(|back| today - Duration::days(*back)).collect();
            let from = today - Duration::days(span);
            let live: Vec<Date> = live_days(&rolled, from, today)
                .into_iter()
                .flat_map(|run| {
                    let mut days = Vec::new();
                    let mut day = *run.start();
                    while day <= *run.end() {
                        days.push(day);
                        day = day.next_day().unwrap();
                    }
                    days
                })
                .collect();
            let mut day = from;
            while day <= today {
                prop_assert!(rolled.contains(&day) != live.contains(&day));
                day = day.next_day().unwrap();
            }
            for day in days_to_roll(&rolled, now) {
                prop_assert!(!rolled.contains(&day) && settles_at(day) <= now && day < today);
            }
        }
    }
}
