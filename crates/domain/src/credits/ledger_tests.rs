//! The ledger's laws, on a test policy whose periods are calendar months counted from
//! the first of the anchor's month (the real catalog is the billing crate's).

use proptest::prelude::*;
use time::Duration;

use super::*;
use crate::calls::CallId;
use crate::error::ValidationError;

pub(crate) struct Months {
    pub(super) billing: bool,
}

impl BillingPolicy for Months {
    fn start_charge(&self) -> Option<Charge> {
        self.billing.then_some(Charge { credits: 1 })
    }
    fn opening_plan(&self) -> PlanTerms {
        terms("free", 100)
    }
    fn plan_terms(&self, plan: &str, allowance: Option<u64>) -> Result<PlanTerms, ValidationError> {
        Ok(terms(plan, allowance.unwrap_or(100)))
    }
    fn period(&self, anchor: Timestamp, now: Timestamp) -> Period {
        let first =
            |t: time::OffsetDateTime| t.replace_day(1).unwrap().replace_time(time::Time::MIDNIGHT);
        let start = first(now.get().max(anchor.get()));
        let end = first(start.saturating_add(Duration::days(32)));
        Period {
            start: Timestamp::new(start.max(anchor.get())),
            end: Timestamp::new(end),
        }
    }

    fn request_quotas(&self) -> Vec<(String, crate::ratelimit::Quota)> {
        Vec::new()
    }
}

pub(crate) const POLICY: Months = Months { billing: true };

pub(super) fn terms(plan: &str, allowance: u64) -> PlanTerms {
    PlanTerms {
        plan: plan.to_owned(),
        allowance,
    }
}

pub(super) fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn call() -> CallId {
    CallId::from_trusted("c1")
}

fn one() -> Charge {
    Charge { credits: 1 }
}

#[test]
fn allowance_is_spent_first_then_top_ups_and_renews_without_rollover() {
    let t0 = ts("2026-01-01T00:00:00.000Z");
    let mut account = CreditAccount::open(&terms("free", 100), t0).account;
    account.top_up = 5;
    for _ in 0..100 {
        account = account
            .debit(one(), &call(), &POLICY, t0 + Duration::days(3))
            .unwrap()
            .account;
    }
    let change = account
        .debit(one(), &call(), &POLICY, t0 + Duration::days(4))
        .unwrap();
    assert_eq!(change.entries.len(), 1, "no renewal inside a period");
    assert_eq!(
        change.entries[0].spent,
        Spent {
            from_allowance: 0,
            from_top_up: 1
        }
    );
    assert_eq!(change.entries[0].call_id, Some(call()));
    assert_eq!(
        (change.account.allowance_left, change.account.top_up),
        (0, 4)
    );
    // 1 February: a new period, a fresh 100 (no rollover), top-ups kept, and the
    // renewal is written to the ledger before the debit.
    let feb = ts("2026-02-01T00:00:00.000Z");
    let change = change.account.debit(one(), &call(), &POLICY, feb).unwrap();
    let kinds: Vec<EntryKind> = change.entries.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [EntryKind::Allowance, EntryKind::Debit]);
    assert_eq!(change.entries[0].credits, 100);
    assert_eq!(
        (
            change.account.allowance_left,
            change.account.top_up,
            change.account.period_start
        ),
        (99, 4, feb)
    );
}

#[test]
fn an_empty_account_refuses() {
    let t0 = ts("2026-01-01T00:00:00.000Z");
    let account = CreditAccount::open(&terms("free", 0), t0).account;
    assert_eq!(
        account.debit(one(), &call(), &POLICY, t0),
        Err(InsufficientCredits {
            needed: 1,
            available: 0
        })
    );
}

#[test]
fn a_tenant_without_credits_stored_has_nothing_to_pay_with() {
    let t0 = ts("2026-01-01T00:00:00.000Z");
    assert_eq!(
        CreditAccount::debit_stored(None, one(), &call(), &POLICY, t0),
        Err(InsufficientCredits {
            needed: 1,
            available: 0
        })
    );
    let stored = CreditAccount::open(&terms("free", 3), t0).account;
    let paid = CreditAccount::debit_stored(Some(stored), one(), &call(), &POLICY, t0).unwrap();
    assert_eq!(paid.account.balance().total(), 2);
}

#[test]
fn a_plan_change_keeps_what_was_used() {
    let t0 = ts("2026-01-01T00:00:00.000Z");
    let account = CreditAccount::open(&terms("free", 100), t0)
        .account
        .debit(Charge { credits: 40 }, &call(), &POLICY, t0)
        .unwrap()
        .account;
    let change = CreditAccount::change_plan(
        Some(account),
        &terms("starter", 10_000),
        &POLICY,
        t0 + Duration::days(1),
    );
    assert_eq!(
        (change.account.plan.as_str(), change.account.allowance_left),
        ("starter", 9_960)
    );
    assert_eq!(change.entries[0].note.as_deref(), Some("plan change"));
}

#[test]
fn a_grant_to_a_tenant_without_credits_opens_an_allowance_free_state() {
    let t0 = ts("2026-01-01T00:00:00.000Z");
    let change = CreditAccount::grant(None, 50, &POLICY, t0);
    assert_eq!(
        (
            change.account.allowance,
            change.account.allowance_left,
            change.account.top_up
        ),
        (0, 0, 50)
    );
    let kinds: Vec<EntryKind> = change.entries.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [EntryKind::TopUp]);
}

#[test]
fn billing_off_is_unlimited() {
    let t0 = ts("2026-01-01T00:00:00.000Z");
    let account = CreditAccount::open(&terms("free", 3), t0).account;
    assert_eq!(
        CreditState::of(Some(&account), &Months { billing: false }, t0),
        CreditState::Unlimited
    );
    assert_eq!(
        CreditState::of(None, &POLICY, t0).remaining(),
        Some(0),
        "no credit state: nothing to spend"
    );
    let summary = CreditSummary::of(&account, &POLICY, ts("2026-03-05T00:00:00.000Z"));
    assert_eq!(
        (summary.allowance_left, summary.period_start),
        (3, ts("2026-03-01T00:00:00.000Z")),
        "the summary shows the current period, renewed"
    );
}

fn operation() -> impl Strategy<Value = (u8, u64, i64)> {
    (0u8..3, 0u64..40, 0i64..20)
}

proptest! {
    /// Whatever happens (debits, grants, plan changes, time passing), a balance never
    /// goes below zero, every debit is paid exactly or refused with nothing written,
    /// and a period's reset never touches top-ups.
    #[test]
    fn the_ledger_laws(allowance in 0u64..200, ops in proptest::collection::vec(operation(), 1..60)) {
        let mut now = ts("2026-01-10T00:00:00.000Z");
        let mut account = CreditAccount::open(&terms("free", allowance), now).account;
        for (op, n, days) in ops {
            now = now + Duration::days(days);
            let before = account.clone();
            let (renewed_view, renewed) = before.clone().at(&POLICY, now);
            match op {
                0 => match before.clone().debit(Charge { credits: n }, &call(), &POLICY, now) {
                    Ok(change) => {
                        prop_assert_eq!(change.account.balance().total() + n, renewed_view.balance().total());
                        let debit = change.entries.last().unwrap();
                        prop_assert_eq!(debit.spent.from_allowance + debit.spent.from_top_up, n);
                        prop_assert!(debit.spent.from_allowance <= renewed_view.allowance_left);
                        prop_assert!(debit.spent.from_top_up == 0 || change.account.allowance_left == 0,
                            "top-ups are spent only once the allowance is gone");
                        account = change.account;
                    }
                    Err(e) => {
                        prop_assert!(n > renewed_view.balance().total());
                        prop_assert_eq!(e.available, renewed_view.balance().total());
                    }
                },
                1 => {
                    let change = CreditAccount::grant(Some(before.clone()), n, &POLICY, now);
                    prop_assert_eq!(change.account.top_up, before.top_up + n);
                    account = change.account;
                }
                _ => {
                    let change = CreditAccount::change_plan(Some(before.clone()), &terms("starter", n * 10), &POLICY, now);
                    prop_assert_eq!(change.account.top_up, before.top_up);
                    account = change.account;
                }
            }
            if renewed {
                prop_assert_eq!(renewed_view.top_up, before.top_up, "a reset never touches top-ups");
                prop_assert_eq!(renewed_view.allowance_left, before.allowance, "a reset brings the whole allowance");
            }
        }
    }
}
