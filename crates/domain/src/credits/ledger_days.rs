//! The ledger by day: what the billing page shows. Each UTC day's grants (a period's
//! allowance), purchased credits and debits, summed from the ledger's lines; the SQL
//! stores sum per day and kind, the memory store walks its lines, and both end here.

use std::collections::BTreeMap;

use time::Date;

use super::EntryKind;

/// One UTC day of a tenant's ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerDay {
    /// The day.
    pub day: Date,
    /// Allowance granted (a new period, an opening, a plan change).
    pub granted: u64,
    /// Credits purchased.
    pub topped_up: u64,
    /// Credits spent by billable starts.
    pub debited: u64,
    /// How many debits (billable starts).
    pub debits: u64,
}

impl LedgerDay {
    /// A day with no line.
    pub fn quiet(day: Date) -> Self {
        Self {
            day,
            granted: 0,
            topped_up: 0,
            debited: 0,
            debits: 0,
        }
    }

    /// Days from `(day, kind, credits, lines)` sums (one per day and kind, or one per
    /// line), oldest first; days without a line are left out.
    pub fn tally(rows: impl IntoIterator<Item = (Date, EntryKind, u64, u64)>) -> Vec<LedgerDay> {
        let mut days: BTreeMap<Date, LedgerDay> = BTreeMap::new();
        for (day, kind, credits, lines) in rows {
            let d = days.entry(day).or_insert_with(|| LedgerDay::quiet(day));
            match kind {
                EntryKind::Allowance => d.granted += credits,
                EntryKind::TopUp => d.topped_up += credits,
                EntryKind::Debit => {
                    d.debited += credits;
                    d.debits += lines;
                }
            }
        }
        days.into_values().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn lines_are_summed_per_day_and_kind() {
        let (d1, d2) = (date!(2026 - 11 - 01), date!(2026 - 11 - 02));
        let days = LedgerDay::tally([
            (d2, EntryKind::Debit, 1, 1),
            (d1, EntryKind::Allowance, 1000, 1),
            (d1, EntryKind::Debit, 3, 3),
            (d2, EntryKind::TopUp, 500, 1),
            (d2, EntryKind::Debit, 2, 2),
        ]);
        assert_eq!(
            days,
            [
                LedgerDay {
                    day: d1,
                    granted: 1000,
                    topped_up: 0,
                    debited: 3,
                    debits: 3
                },
                LedgerDay {
                    day: d2,
                    granted: 0,
                    topped_up: 500,
                    debited: 3,
                    debits: 3
                },
            ]
        );
        assert!(LedgerDay::tally([]).is_empty());
    }
}
