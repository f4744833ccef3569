//! A tenant's credits over time: the allowance resets at each period start (no
//! rollover), top-ups stay until spent, the allowance is spent first.

use stickycalls_domain::Timestamp;
use stickycalls_domain::credits::{
    Balance, Charge, CreditState, CreditSummary, InsufficientCredits, START_PRICE,
};

use crate::period::Period;
use crate::plans::PlanId;

/// The credit state of one tenant, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreditAccount {
    /// Its plan.
    pub plan: PlanId,
    /// Credits per period (the plan's, or custom for Enterprise).
    pub allowance: u64,
    /// Periods are counted from here.
    pub anchor: Timestamp,
    /// Start of the period `allowance_left` belongs to.
    pub period_start: Timestamp,
    /// What is left of that period's allowance.
    pub allowance_left: u64,
    /// Purchased credits left.
    pub top_up: u64,
}

/// How a debit was paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spent {
    /// From the period's allowance.
    pub from_allowance: u64,
    /// From top-ups.
    pub from_top_up: u64,
}

impl CreditAccount {
    /// A new account on `plan`, its first period starting at `now`.
    pub fn open(plan: PlanId, allowance: u64, now: Timestamp) -> Self {
        Self {
            plan,
            allowance,
            anchor: now,
            period_start: now,
            allowance_left: allowance,
            top_up: 0,
        }
    }

    /// The period `now` is in.
    pub fn period(&self, now: Timestamp) -> Period {
        Period::containing(self.anchor, now)
    }

    /// The account as it is at `now`: a new period brings a fresh allowance (what was
    /// left is lost); top-ups are untouched. `true` when a new period began.
    pub fn at(self, now: Timestamp) -> (Self, bool) {
        let period = self.period(now);
        if period.start == self.period_start {
            return (self, false);
        }
        (
            Self {
                period_start: period.start,
                allowance_left: self.allowance,
                ..self
            },
            true,
        )
    }

    /// Spendable credits.
    pub fn balance(&self) -> Balance {
        Balance {
            allowance_left: self.allowance_left,
            top_up: self.top_up,
        }
    }

    /// Spends `credits` at `now` (after any period reset), allowance first.
    pub fn debit(
        self,
        credits: u64,
        now: Timestamp,
    ) -> Result<(Self, Spent, bool), InsufficientCredits> {
        let (current, renewed) = self.at(now);
        let after = current.balance().debit(credits)?;
        let spent = Spent {
            from_allowance: current.allowance_left - after.allowance_left,
            from_top_up: current.top_up - after.top_up,
        };
        Ok((
            Self {
                allowance_left: after.allowance_left,
                top_up: after.top_up,
                ..current
            },
            spent,
            renewed,
        ))
    }

    /// Changes plan: the new allowance applies to the current period, less what was
    /// already used of it.
    pub fn change_plan(self, plan: PlanId, allowance: u64, now: Timestamp) -> Self {
        let (current, _) = self.at(now);
        let used = current.allowance.saturating_sub(current.allowance_left);
        Self {
            plan,
            allowance,
            allowance_left: allowance.saturating_sub(used),
            ..current
        }
    }
}

/// What a ledger answers for a tenant, whatever stores it: the price of a start, the
/// balance and the summary, from the stored state (`None`: the tenant has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerView {
    /// False when the operator switched billing off.
    pub billing_enabled: bool,
}

impl LedgerView {
    /// One credit per billable start, nothing when billing is off.
    pub fn start_charge(self) -> Option<Charge> {
        self.billing_enabled.then_some(Charge {
            credits: START_PRICE,
        })
    }

    /// The spendable credits at `now`.
    pub fn balance(self, stored: Option<CreditAccount>, now: Timestamp) -> CreditState {
        if !self.billing_enabled {
            return CreditState::Unlimited;
        }
        CreditState::Metered(stored.map(|a| a.at(now).0.balance()).unwrap_or_default())
    }

    /// Plan, period and balance at `now`.
    pub fn summary(self, stored: Option<CreditAccount>, now: Timestamp) -> Option<CreditSummary> {
        stored.map(|a| {
            let a = a.at(now).0;
            let period = a.period(now);
            CreditSummary {
                plan: a.plan.as_str().to_owned(),
                allowance: a.allowance,
                allowance_left: a.allowance_left,
                top_up: a.top_up,
                period_start: period.start,
                period_end: period.end,
                billing_enabled: self.billing_enabled,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    #[test]
    fn allowance_resets_each_period_and_top_ups_stay() {
        let t0 = ts("2026-01-01T00:00:00.000Z");
        let mut account = CreditAccount::open(PlanId::Free, 100, t0);
        account.top_up = 5;
        for _ in 0..100 {
            account = account.debit(1, t0 + Duration::days(3)).unwrap().0;
        }
        let (account, spent, renewed) = account.debit(1, t0 + Duration::days(4)).unwrap();
        assert_eq!(
            (spent.from_allowance, spent.from_top_up, renewed),
            (0, 1, false)
        );
        assert_eq!((account.allowance_left, account.top_up), (0, 4));
        // 1 February: a new period, a fresh 100, no rollover, top-ups kept.
        let (account, spent, renewed) = account.debit(1, ts("2026-02-01T00:00:00.000Z")).unwrap();
        assert_eq!((spent.from_allowance, renewed), (1, true));
        assert_eq!(
            (account.allowance_left, account.top_up, account.period_start),
            (99, 4, ts("2026-02-01T00:00:00.000Z"))
        );
    }

    #[test]
    fn unused_allowance_does_not_roll_over() {
        let t0 = ts("2026-01-01T00:00:00.000Z");
        let account = CreditAccount::open(PlanId::Starter, 10_000, t0);
        let (account, _, _) = account.debit(3_000, t0 + Duration::days(10)).unwrap();
        let (next, renewed) = account.at(ts("2026-02-01T00:00:00.000Z"));
        assert!(renewed);
        assert_eq!(
            next.allowance_left, 10_000,
            "7,000 unused credits do not carry over"
        );
    }

    #[test]
    fn empty_means_refused() {
        let t0 = ts("2026-01-01T00:00:00.000Z");
        let account = CreditAccount::open(PlanId::Free, 0, t0);
        assert_eq!(
            account.debit(1, t0),
            Err(InsufficientCredits {
                needed: 1,
                available: 0
            })
        );
    }

    #[test]
    fn a_plan_change_keeps_what_was_used() {
        let t0 = ts("2026-01-01T00:00:00.000Z");
        let account = CreditAccount::open(PlanId::Free, 100, t0)
            .debit(40, t0)
            .unwrap()
            .0;
        let upgraded = account.change_plan(PlanId::Starter, 10_000, t0 + Duration::days(1));
        assert_eq!(
            (upgraded.plan, upgraded.allowance_left),
            (PlanId::Starter, 9_960)
        );
    }
}
