//! The credit ledger's laws: a tenant's allowance resets at each period start (no
//! rollover), top-ups stay until spent, the allowance is spent first, a balance never
//! goes below zero, and every grant, renewal and debit is written to the ledger. Stores
//! load a [`CreditAccount`], apply one of these pure functions under the tenant's
//! lock, and persist the [`CreditChange`] whole.

use crate::calls::CallId;
use crate::credits::policy::{BillingPolicy, Period, PlanTerms};
use crate::credits::{Balance, Charge, InsufficientCredits};
use crate::timestamp::Timestamp;

/// The credit state of one tenant, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditAccount {
    /// Its plan's wire name.
    pub plan: String,
    /// Credits per period.
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Spent {
    /// From the period's allowance.
    pub from_allowance: u64,
    /// From top-ups.
    pub from_top_up: u64,
}

/// What a ledger entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A period's allowance (a new period, an opening, a plan change).
    Allowance,
    /// Purchased credits added.
    TopUp,
    /// Credits spent by a billable start.
    Debit,
}

impl EntryKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Allowance => "allowance",
            EntryKind::TopUp => "top_up",
            EntryKind::Debit => "debit",
        }
    }

    /// The kind a stored name names.
    pub fn from_stored(name: &str) -> Option<Self> {
        [EntryKind::Allowance, EntryKind::TopUp, EntryKind::Debit]
            .into_iter()
            .find(|k| k.as_str() == name)
    }
}

/// One line of the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    /// What happened.
    pub kind: EntryKind,
    /// How many credits.
    pub credits: u64,
    /// How a debit was paid (zero for grants).
    pub spent: Spent,
    /// The period it belongs to.
    pub period_start: Timestamp,
    /// The start a debit paid for.
    pub call_id: Option<CallId>,
    /// Why (`period start`, `plan change`, `operator grant`).
    pub note: Option<String>,
    /// When.
    pub at: Timestamp,
}

/// A tenant's new credit state and the ledger lines that explain it: a store writes
/// both in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditChange {
    /// The state to store.
    pub account: CreditAccount,
    /// The lines to append, in order.
    pub entries: Vec<LedgerEntry>,
}

fn allowance_entry(account: &CreditAccount, note: &str, at: Timestamp) -> LedgerEntry {
    LedgerEntry {
        kind: EntryKind::Allowance,
        credits: account.allowance,
        spent: Spent::default(),
        period_start: account.period_start,
        call_id: None,
        note: Some(note.to_owned()),
        at,
    }
}

/// The ledger line of a debit of `charge` that took a balance from `before` to
/// `after` (what came from the allowance and what from purchases).
pub(super) fn debit_entry(
    charge: Charge, before: Balance, after: Balance, period_start: Timestamp, call_id: &CallId,
    at: Timestamp,
) -> LedgerEntry {
    LedgerEntry {
        kind: EntryKind::Debit,
        credits: charge.credits,
        spent: Spent {
            from_allowance: before.allowance_left - after.allowance_left,
            from_top_up: before.top_up - after.top_up,
        },
        period_start,
        call_id: Some(call_id.clone()),
        note: None,
        at,
    }
}

impl CreditAccount {
    /// A new account on `terms`, its first period starting at `now`.
    pub fn open(terms: &PlanTerms, now: Timestamp) -> CreditChange {
        let account = Self {
            plan: terms.plan.clone(),
            allowance: terms.allowance,
            anchor: now,
            period_start: now,
            allowance_left: terms.allowance,
            top_up: 0,
        };
        let entries = vec![allowance_entry(&account, "period start", now)];
        CreditChange { account, entries }
    }

    /// The period `now` is in.
    pub fn period(&self, policy: &dyn BillingPolicy, now: Timestamp) -> Period {
        policy.period(self.anchor, now)
    }

    /// The account as it is at `now`: a new period brings a fresh allowance (what was
    /// left is lost); top-ups are untouched. `true` when a new period began.
    pub fn at(self, policy: &dyn BillingPolicy, now: Timestamp) -> (Self, bool) {
        let period = self.period(policy, now);
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

    /// The account at `now`, with the renewal's ledger line if a period began.
    fn renewed(self, policy: &dyn BillingPolicy, now: Timestamp) -> CreditChange {
        let (account, renewed) = self.at(policy, now);
        let entries = if renewed {
            vec![allowance_entry(&account, "period start", now)]
        } else {
            Vec::new()
        };
        CreditChange { account, entries }
    }

    /// [`CreditAccount::debit`] of the stored state, if any: a tenant without one has
    /// nothing to pay with.
    pub fn debit_stored(
        stored: Option<Self>, charge: Charge, call_id: &CallId, policy: &dyn BillingPolicy,
        now: Timestamp,
    ) -> Result<CreditChange, InsufficientCredits> {
        match stored {
            Some(account) => account.debit(charge, call_id, policy, now),
            None => Err(InsufficientCredits {
                needed: charge.credits,
                available: 0,
            }),
        }
    }

    /// Spends a start's charge at `now` (after any period reset), allowance first.
    /// Refused, with nothing to write, when the balance cannot pay it.
    pub fn debit(
        self, charge: Charge, call_id: &CallId, policy: &dyn BillingPolicy, now: Timestamp,
    ) -> Result<CreditChange, InsufficientCredits> {
        let CreditChange {
            account: current,
            mut entries,
        } = self.renewed(policy, now);
        let before = current.balance();
        let after = before.debit(charge.credits)?;
        let account = Self {
            allowance_left: after.allowance_left,
            top_up: after.top_up,
            ..current
        };
        entries.push(debit_entry(
            charge,
            before,
            after,
            account.period_start,
            call_id,
            now,
        ));
        Ok(CreditChange { account, entries })
    }

    /// Adds purchased credits (an operator grant). A tenant without a credit state
    /// gets one on the opening plan with no allowance.
    pub fn grant(
        stored: Option<Self>, credits: u64, policy: &dyn BillingPolicy, now: Timestamp,
    ) -> CreditChange {
        let opening = || Self {
            allowance: 0,
            allowance_left: 0,
            ..Self::open(&policy.opening_plan(), now).account
        };
        let CreditChange {
            account,
            mut entries,
        } = stored.unwrap_or_else(opening).renewed(policy, now);
        let account = Self {
            top_up: account.top_up.saturating_add(credits),
            ..account
        };
        entries.push(LedgerEntry {
            kind: EntryKind::TopUp,
            credits,
            spent: Spent::default(),
            period_start: account.period_start,
            call_id: None,
            note: Some("operator grant".to_owned()),
            at: now,
        });
        CreditChange { account, entries }
    }

    /// Moves to another plan: the new allowance applies to the current period, less
    /// what was already used of it. A tenant without a credit state opens on it.
    pub fn change_plan(
        stored: Option<Self>, terms: &PlanTerms, policy: &dyn BillingPolicy, now: Timestamp,
    ) -> CreditChange {
        let account = match stored {
            None => Self::open(terms, now).account,
            Some(stored) => {
                let (current, _) = stored.at(policy, now);
                let used = current.allowance.saturating_sub(current.allowance_left);
                Self {
                    plan: terms.plan.clone(),
                    allowance: terms.allowance,
                    allowance_left: terms.allowance.saturating_sub(used),
                    ..current
                }
            }
        };
        let entries = vec![allowance_entry(&account, "plan change", now)];
        CreditChange { account, entries }
    }
}
