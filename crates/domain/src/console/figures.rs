//! The overview's figures from a usage report: every day of the window (quiet days
//! included, for a chart with no gaps), and totals over days: starts, billable starts,
//! the seeds' match rate (confidence 0.7 or more over starts) and the mean confidence
//! weighted by each day's starts.

use time::Date;

use crate::credits::DailyUsage;

/// Totals over some days.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UsageTotals {
    /// Calls started.
    pub starts: u64,
    /// Of which billable.
    pub billable: u64,
    /// Of which at 0.7 or more.
    pub confident: u64,
    /// Credits spent.
    pub credits_used: u64,
    /// Confident starts over starts (none without starts).
    pub match_rate: Option<f64>,
    /// Mean confidence of the starts (none without starts).
    pub average_confidence: Option<f64>,
}

impl UsageTotals {
    /// The totals of `days`.
    pub fn of<'a>(days: impl IntoIterator<Item = &'a DailyUsage>) -> Self {
        let (mut starts, mut billable, mut confident, mut credits, mut weighted) =
            (0u64, 0u64, 0u64, 0u64, 0f64);
        for d in days {
            starts += d.calls_started;
            billable += d.billable;
            confident += d.confident;
            credits += d.credits_used;
            weighted += d.average_confidence * d.calls_started as f64;
        }
        let share = |x: f64| (starts > 0).then(|| x / starts as f64);
        Self {
            starts,
            billable,
            confident,
            credits_used: credits,
            match_rate: share(confident as f64),
            average_confidence: share(weighted).map(|m| (m * 100.0).round() / 100.0),
        }
    }
}

/// Every day from `from` to `to`, each with its figures or quiet, oldest first.
pub fn every_day(from: Date, to: Date, days: &[DailyUsage]) -> Vec<DailyUsage> {
    let mut out = Vec::new();
    let mut found = days.iter().peekable();
    let mut day = from;
    while day <= to {
        while found.next_if(|d| d.day < day).is_some() {}
        match found.next_if(|d| d.day == day) {
            Some(d) => out.push(d.clone()),
            None => out.push(DailyUsage::quiet(day)),
        }
        match day.next_day() {
            Some(next) => day = next,
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn day(d: Date, starts: u64, billable: u64, confident: u64, mean: f64) -> DailyUsage {
        DailyUsage {
            calls_started: starts,
            billable,
            confident,
            credits_used: billable,
            average_confidence: mean,
            ..DailyUsage::quiet(d)
        }
    }

    #[test]
    fn totals_weigh_each_day_by_its_starts() {
        let days = [
            day(date!(2026 - 11 - 01), 3, 2, 1, 0.3),
            day(date!(2026 - 11 - 02), 1, 0, 1, 0.9),
        ];
        let t = UsageTotals::of(&days);
        assert_eq!(
            (t.starts, t.billable, t.confident, t.credits_used),
            (4, 2, 2, 2)
        );
        assert_eq!(t.match_rate, Some(0.5));
        // (3 * 0.3 + 1 * 0.9) / 4 = 0.45
        assert_eq!(t.average_confidence, Some(0.45));
        let none = UsageTotals::of(&[]);
        assert_eq!(
            (none.starts, none.match_rate, none.average_confidence),
            (0, None, None)
        );
    }

    #[test]
    fn every_day_of_the_window_is_there_once() {
        let from = date!(2026 - 10 - 30);
        let to = date!(2026 - 11 - 02);
        let days = [
            day(date!(2026 - 10 - 29), 9, 9, 9, 0.1), // before the window
            day(date!(2026 - 10 - 31), 2, 1, 0, 0.2),
            day(date!(2026 - 11 - 02), 1, 1, 0, 0.0),
        ];
        let all = every_day(from, to, &days);
        let shown: Vec<(Date, u64)> = all.iter().map(|d| (d.day, d.calls_started)).collect();
        assert_eq!(
            shown,
            [
                (date!(2026 - 10 - 30), 0),
                (date!(2026 - 10 - 31), 2),
                (date!(2026 - 11 - 01), 0),
                (date!(2026 - 11 - 02), 1),
            ]
        );
        assert!(every_day(to, from, &days).is_empty());
    }
}
