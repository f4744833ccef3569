//! Credits: what a call costs, balance arithmetic that cannot go negative, the
//! ledger's laws ([`CreditAccount`]) and the billing policy port ([`BillingPolicy`]).

mod account;
mod ledger_days;
#[cfg(test)]
pub(crate) mod ledger_tests;
pub mod payment;
pub mod policy;
pub mod stripes;

pub use account::{CreditAccount, CreditChange, EntryKind, LedgerEntry, Spent};
pub use ledger_days::LedgerDay;
pub use policy::{BillingPolicy, Period, PlanTerms, SharedPolicy};

use crate::identity::Recommendation;
use crate::timestamp::Timestamp;

/// A `calls/start` that is not a returning-caller match costs this much.
pub const START_PRICE: u64 = 1;

/// Whether `remaining` credits are low: under 20 % of the period's `allowance`
/// (`credits.low`; a plan without allowance is never low, only empty).
pub fn is_low(remaining: u64, allowance: u64) -> bool {
    remaining.saturating_mul(5) < allowance
}

/// Whether a start with this recommendation is billed: everything but `reuse` is.
/// Matches, ends and reads are free.
pub fn is_billable(recommendation: Recommendation) -> bool {
    recommendation != Recommendation::Reuse
}

/// A debit to make inside the same transaction as the call it pays for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Charge {
    /// How many credits.
    pub credits: u64,
}

/// The credits of one tenant: the plan's allowance for the current period, spent
/// first, then purchased top-ups, which never expire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Balance {
    /// What is left of this period's allowance.
    pub allowance_left: u64,
    /// Purchased credits left.
    pub top_up: u64,
}

/// Not enough credits for a billable request (HTTP 402, nothing stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("insufficient credits: {needed} needed, {available} available")]
pub struct InsufficientCredits {
    /// Credits the request costs.
    pub needed: u64,
    /// Credits left.
    pub available: u64,
}

impl Balance {
    /// Everything that can be spent.
    pub fn total(self) -> u64 {
        self.allowance_left.saturating_add(self.top_up)
    }

    /// Spends `credits`, allowance first. Refuses rather than going below zero.
    pub fn debit(self, credits: u64) -> Result<Balance, InsufficientCredits> {
        if credits > self.total() {
            return Err(InsufficientCredits {
                needed: credits,
                available: self.total(),
            });
        }
        let from_allowance = credits.min(self.allowance_left);
        Ok(Balance {
            allowance_left: self.allowance_left - from_allowance,
            top_up: self.top_up - (credits - from_allowance),
        })
    }

    /// Adds purchased credits.
    pub fn top_up_with(self, credits: u64) -> Balance {
        Balance {
            top_up: self.top_up.saturating_add(credits),
            ..self
        }
    }
}

/// A tenant's credits as a ledger reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreditState {
    /// Billing is off for this tenant (operator switch): nothing is ever debited.
    Unlimited,
    /// Billing is on.
    Metered(Balance),
}

impl CreditState {
    /// Credits left, `None` when unlimited.
    pub fn remaining(self) -> Option<u64> {
        match self {
            CreditState::Unlimited => None,
            CreditState::Metered(balance) => Some(balance.total()),
        }
    }
}

impl CreditState {
    /// The credits of a tenant at `now` from its stored state (`None`: it has none,
    /// so nothing to spend), under `policy` (billing off: unlimited).
    pub fn of(stored: Option<&CreditAccount>, policy: &dyn BillingPolicy, now: Timestamp) -> Self {
        if policy.start_charge().is_none() {
            return CreditState::Unlimited;
        }
        CreditState::Metered(
            stored
                .map(|a| a.clone().at(policy, now).0.balance())
                .unwrap_or_default(),
        )
    }
}

/// A tenant's credits as the account page shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditSummary {
    /// Plan name (`free`, `starter`...).
    pub plan: String,
    /// Credits per period.
    pub allowance: u64,
    /// What is left of this period's allowance.
    pub allowance_left: u64,
    /// Purchased credits left.
    pub top_up: u64,
    /// This period's first instant.
    pub period_start: crate::Timestamp,
    /// The next period's first instant.
    pub period_end: crate::Timestamp,
    /// False when the operator switched billing off (nothing is charged).
    pub billing_enabled: bool,
}

impl CreditSummary {
    /// What can still be spent: the period's allowance left plus purchased credits.
    pub fn remaining(&self) -> u64 {
        Balance {
            allowance_left: self.allowance_left,
            top_up: self.top_up,
        }
        .total()
    }

    /// The period's allowance spent so far.
    pub fn allowance_used(&self) -> u64 {
        self.allowance.saturating_sub(self.allowance_left)
    }

    /// Plan, period and balance at `now` of a stored credit state.
    pub fn of(account: &CreditAccount, policy: &dyn BillingPolicy, now: Timestamp) -> Self {
        let (a, _) = account.clone().at(policy, now);
        let period = a.period(policy, now);
        CreditSummary {
            plan: a.plan.clone(),
            allowance: a.allowance,
            allowance_left: a.allowance_left,
            top_up: a.top_up,
            period_start: period.start,
            period_end: period.end,
            billing_enabled: policy.start_charge().is_some(),
        }
    }
}

/// The confidence, in hundredths, from which the seeds count a start as a match
/// ("percentage of calls with identity.confidence >= 0.7"); stores count starts at or
/// above it per day.
pub const CONFIDENT_HUNDREDTHS: u8 = 70;

/// One day of a tenant's activity (UTC days).
#[derive(Debug, Clone, PartialEq)]
pub struct DailyUsage {
    /// The day, `YYYY-MM-DD`.
    pub day: time::Date,
    /// Calls started (standalone ends included).
    pub calls_started: u64,
    /// Starts answered `reuse`.
    pub matches: u64,
    /// Starts that were billable.
    pub billable: u64,
    /// Starts with a confidence of at least [`CONFIDENT_HUNDREDTHS`] (the seeds' "match
    /// rate" counts these).
    pub confident: u64,
    /// Credits debited.
    pub credits_used: u64,
    /// Mean confidence of the day's starts.
    pub average_confidence: f64,
    /// Ends that opened an intent or counted an attempt.
    pub intents_opened: u64,
    /// Ends that resolved or closed an intent.
    pub intents_resolved: u64,
}

impl DailyUsage {
    /// A day with no calls.
    pub fn quiet(day: time::Date) -> Self {
        Self {
            day,
            calls_started: 0,
            matches: 0,
            billable: 0,
            confident: 0,
            credits_used: 0,
            average_confidence: 0.0,
            intents_opened: 0,
            intents_resolved: 0,
        }
    }

    /// The report: per-day call figures joined with per-day credits spent, oldest first,
    /// average confidence at two decimals.
    pub fn merge(
        calls: impl IntoIterator<Item = DailyUsage>,
        credits: impl IntoIterator<Item = (time::Date, u64)>,
    ) -> Vec<DailyUsage> {
        let mut days: std::collections::BTreeMap<time::Date, DailyUsage> = calls
            .into_iter()
            .map(|d| {
                let average_confidence = (d.average_confidence * 100.0).round() / 100.0;
                (
                    d.day,
                    DailyUsage {
                        average_confidence,
                        ..d
                    },
                )
            })
            .collect();
        for (day, spent) in credits {
            days.entry(day)
                .or_insert_with(|| DailyUsage::quiet(day))
                .credits_used = spent;
        }
        days.into_values().collect()
    }

    /// The report counted from the calls themselves and the debits' (instant,
    /// credits), for the UTC days `from..=to`: what the SQL stores compute with
    /// `GROUP BY` day (a match is a start recommended `reuse`, the one start that is not
    /// billable; an intent opened
    /// is an end `open` or `abandoned`, one resolved is `resolved` or `closed`).
    pub fn tally<'a>(
        calls: impl IntoIterator<Item = &'a crate::calls::CallRecord>,
        debits: impl IntoIterator<Item = (Timestamp, u64)>, from: time::Date, to: time::Date,
    ) -> Vec<DailyUsage> {
        let within = |at: Timestamp| {
            let day = at.get().date();
            (from <= day && day <= to).then_some(day)
        };
        let mut days: std::collections::BTreeMap<time::Date, (DailyUsage, u64)> =
            std::collections::BTreeMap::new();
        for call in calls {
            let Some(day) = within(call.started_at) else {
                continue;
            };
            let (d, confidence_sum) = days
                .entry(day)
                .or_insert_with(|| (DailyUsage::quiet(day), 0));
            d.calls_started += 1;
            d.matches += u64::from(!call.billable);
            d.billable += u64::from(call.billable);
            d.confident += u64::from(call.confidence.hundredths() >= CONFIDENT_HUNDREDTHS);
            *confidence_sum += u64::from(call.confidence.hundredths());
            let status = call
                .ended
                .as_ref()
                .and_then(|e| e.intent.as_ref())
                .map(|(_, status)| status.as_str());
            d.intents_opened += u64::from(matches!(status, Some("open" | "abandoned")));
            d.intents_resolved += u64::from(matches!(status, Some("resolved" | "closed")));
        }
        let calls = days.into_values().map(|(mut d, sum)| {
            d.average_confidence = sum as f64 / d.calls_started.max(1) as f64 / 100.0;
            d
        });
        let mut spent: std::collections::BTreeMap<time::Date, u64> = Default::default();
        for (at, credits) in debits {
            if let Some(day) = within(at) {
                *spent.entry(day).or_default() += credits;
            }
        }
        DailyUsage::merge(calls, spent)
    }

    /// Starts at or above the seeds' match confidence (0.7) over calls started (0 when
    /// no calls).
    pub fn confident_rate(&self) -> f64 {
        if self.calls_started == 0 {
            0.0
        } else {
            self.confident as f64 / self.calls_started as f64
        }
    }

    /// Matches over calls started (0 when no calls).
    pub fn match_rate(&self) -> f64 {
        if self.calls_started == 0 {
            0.0
        } else {
            self.matches as f64 / self.calls_started as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_summary_adds_purchases_to_what_is_left_of_the_allowance() {
        let at = Timestamp::from_unix_millis(0).unwrap();
        let summary = CreditSummary {
            plan: "free".into(),
            allowance: 100,
            allowance_left: 30,
            top_up: 5,
            period_start: at,
            period_end: at,
            billing_enabled: true,
        };
        assert_eq!((summary.remaining(), summary.allowance_used()), (35, 70));
    }

    #[test]
    fn only_matches_are_free() {
        assert!(!is_billable(Recommendation::Reuse));
        assert!(is_billable(Recommendation::Confirm));
        assert!(is_billable(Recommendation::Ignore));
    }

    #[test]
    fn allowance_is_spent_before_top_ups() {
        let b = Balance {
            allowance_left: 1,
            top_up: 5,
        };
        let b = b.debit(1).unwrap();
        assert_eq!(
            b,
            Balance {
                allowance_left: 0,
                top_up: 5
            }
        );
        assert_eq!(
            b.debit(2).unwrap(),
            Balance {
                allowance_left: 0,
                top_up: 3
            }
        );
        assert_eq!(
            Balance {
                allowance_left: 2,
                top_up: 2
            }
            .debit(3)
            .unwrap(),
            Balance {
                allowance_left: 0,
                top_up: 1
            }
        );
    }

    #[test]
    fn never_goes_negative() {
        let empty = Balance::default();
        assert_eq!(
            empty.debit(1),
            Err(InsufficientCredits {
                needed: 1,
                available: 0
            })
        );
        assert_eq!(empty.top_up_with(1).debit(1).unwrap().total(), 0);
    }

    proptest! {
        #[test]
        fn debits_are_exact_or_refused(allowance in 0u64..1000, top_up in 0u64..1000, credits in 0u64..2500) {
            let before = Balance { allowance_left: allowance, top_up };
            match before.debit(credits) {
                Ok(after) => prop_assert_eq!(after.total() + credits, before.total()),
                Err(e) => {
                    prop_assert!(credits > before.total());
                    prop_assert_eq!(e.available, before.total());
                }
            }
        }
    }
}
