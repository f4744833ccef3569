//! Credit stripes keep the ledger's laws: nothing spent twice or lost, the allowance
//! first across every block, no rollover, and a refusal only when everything is short.

use proptest::prelude::*;

use super::*;
use crate::credits::EntryKind;
use crate::credits::ledger_tests::{POLICY, terms, ts};

fn one() -> Charge {
    Charge { credits: 1 }
}

fn call(n: usize) -> CallId {
    CallId::from_trusted(format!("c{n}"))
}

/// An account opened on 2026-01-01 with `allowance` and `top_up` credits.
fn account(allowance: u64, top_up: u64) -> CreditAccount {
    let mut a =
        CreditAccount::open(&terms("starter", allowance), ts("2026-01-01T00:00:00.000Z")).account;
    a.top_up = top_up;
    a
}

fn block(allowance: u64, top_up: u64) -> Block {
    Block {
        period_start: ts("2026-01-01T00:00:00.000Z"),
        allowance_left: allowance,
        top_up,
    }
}

#[test]
fn a_block_pays_allowance_first_and_writes_the_debit() {
    let now = ts("2026-01-10T00:00:00.000Z");
    let anchor = ts("2026-01-01T00:00:00.000Z");
    let (after, entry) = block(1, 5)
        .pay(one(), &call(1), anchor, &POLICY, now)
        .unwrap();
    assert_eq!(after, block(0, 5));
    assert_eq!(entry.kind, EntryKind::Debit);
    assert_eq!(entry.spent.from_allowance, 1);
    let (after, entry) = after.pay(one(), &call(2), anchor, &POLICY, now).unwrap();
    assert_eq!(after, block(0, 4));
    assert_eq!(entry.spent.from_top_up, 1);
    assert_eq!(entry.call_id, Some(call(2)));
}

#[test]
fn a_block_cannot_pay_when_empty_or_its_period_is_over() {
    let anchor = ts("2026-01-01T00:00:00.000Z");
    let january = ts("2026-01-10T00:00:00.000Z");
    assert!(
        block(0, 0)
            .pay(one(), &call(1), anchor, &POLICY, january)
            .is_none()
    );
    let february = ts("2026-02-02T00:00:00.000Z");
    assert!(
        block(3, 3)
            .pay(one(), &call(1), anchor, &POLICY, february)
            .is_none()
    );
}

#[test]
fn gathering_keeps_purchased_credits_and_only_this_periods_allowance() {
    let a = account(100, 0);
    let old = Block {
        period_start: ts("2025-12-01T00:00:00.000Z"),
        allowance_left: 7,
        top_up: 2,
    };
    let gathered = a.gather([&block(5, 1), &old]);
    assert_eq!(gathered.allowance_left, 105);
    assert_eq!(gathered.top_up, 3);
    // In February the allowance renews: what blocks held of January's is gone.
    let feb = account(100, 0).with_blocks([&block(5, 1)], &POLICY, ts("2026-02-02T00:00:00.000Z"));
    assert_eq!((feb.allowance_left, feb.top_up), (100, 1));
}

/// A start on a stripe holding nothing, paid from `stored`: the change and the block.
fn refill_on_an_empty_stripe(stored: CreditAccount, now: Timestamp) -> (CreditChange, Block) {
    let held = Held::One {
        own: block(0, 0),
        others: &[],
    };
    match refill(Some(stored), held, one(), &call(1), &POLICY, now) {
        Refill::Paid { change, block } => (change, block),
        other => panic!("not paid: {other:?}"),
    }
}

#[test]
fn refill_pays_from_the_account_and_sets_a_block_aside() {
    let now = ts("2026-01-10T00:00:00.000Z");
    let stored = account(10_000, 500);
    let (change, block) = refill_on_an_empty_stripe(stored.clone(), now);
    assert_eq!(
        block.allowance_left, BLOCK,
        "allowance first, at most a block"
    );
    assert_eq!(
        block.top_up, 0,
        "no purchased credits while allowance is left"
    );
    let total = |a: &CreditAccount| a.balance().total();
    assert_eq!(
        total(&change.account) + block.balance().total() + 1,
        total(&stored)
    );
    let debits: Vec<_> = change
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Debit)
        .collect();
    assert_eq!(debits.len(), 1);
    assert_eq!(debits[0].spent.from_allowance, 1);
}

#[test]
fn a_small_balance_is_not_set_aside() {
    let now = ts("2026-01-10T00:00:00.000Z");
    let (change, block) = refill_on_an_empty_stripe(account(0, 20), now);
    assert_eq!(
        block.balance().total(),
        0,
        "19 left over 16 stripes: nothing aside"
    );
    assert_eq!(change.account.top_up, 19);
}

#[test]
fn reaching_purchased_credits_while_allowance_sits_in_a_block_gathers_all() {
    let now = ts("2026-01-10T00:00:00.000Z");
    let mut stored = account(100, 500);
    stored.allowance_left = 0;
    let others = [block(3, 0)];
    let held = Held::One {
        own: block(0, 0),
        others: &others,
    };
    assert_eq!(
        refill(Some(stored.clone()), held, one(), &call(1), &POLICY, now),
        Refill::GatherAll
    );
    // Once gathered, the block's allowance pays.
    let Refill::Paid { change, .. } = refill(
        Some(stored),
        Held::All(&others),
        one(),
        &call(1),
        &POLICY,
        now,
    ) else {
        panic!("not paid");
    };
    assert_eq!(change.entries[0].spent.from_allowance, 1);
    assert_eq!(change.account.allowance_left, 2);
}

#[test]
fn refused_only_when_every_block_is_gathered_and_short() {
    let now = ts("2026-01-10T00:00:00.000Z");
    let mut stored = account(0, 0);
    stored.allowance_left = 0;
    let others = [block(0, 1)];
    let held = Held::Nothing {
        others: &others,
        room: false,
    };
    assert_eq!(
        refill(Some(stored.clone()), held, one(), &call(1), &POLICY, now),
        Refill::GatherAll
    );
    assert!(matches!(
        refill(
            Some(stored.clone()),
            Held::All(&others),
            one(),
            &call(1),
            &POLICY,
            now
        ),
        Refill::Paid { .. }
    ));
    assert_eq!(
        refill(Some(stored), Held::All(&[]), one(), &call(1), &POLICY, now),
        Refill::Insufficient(InsufficientCredits {
            needed: 1,
            available: 0
        })
    );
    assert!(matches!(
        refill(None, Held::All(&[]), one(), &call(1), &POLICY, now),
        Refill::Insufficient(_)
    ));
}

/// One tenant, its account and stripes, driven one start at a time in any order.
struct Tenant {
    account: CreditAccount,
    blocks: Vec<Block>,
    debited: u64,
}

impl Tenant {
    /// A start on stripe `stripe` (`None`: it got none) at `now`. Returns whether it
    /// was paid and checks allowance-first on every debit.
    fn start(&mut self, n: usize, stripe: Option<usize>, now: Timestamp) -> bool {
        let call = call(n);
        let allowance_everywhere = self
            .account
            .clone()
            .with_blocks(&self.blocks, &POLICY, now)
            .allowance_left;
        if let Some(s) = stripe
            && let Some((after, entry)) =
                self.blocks[s].pay(one(), &call, self.account.anchor, &POLICY, now)
        {
            self.blocks[s] = after;
            return self.paid(&entry, allowance_everywhere);
        }
        let others: Vec<Block> = self
            .blocks
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != stripe)
            .map(|(_, b)| *b)
            .collect();
        let held = match stripe {
            Some(s) => Held::One {
                own: self.blocks[s],
                others: &others,
            },
            None => Held::Nothing {
                others: &others,
                room: false,
            },
        };
        let decided = match refill(Some(self.account.clone()), held, one(), &call, &POLICY, now) {
            Refill::GatherAll => {
                let all = self.blocks.clone();
                let period = self.account.period_start;
                self.blocks
                    .iter_mut()
                    .for_each(|b| *b = Block::empty(period));
                refill(
                    Some(self.account.clone()),
                    Held::All(&all),
                    one(),
                    &call,
                    &POLICY,
                    now,
                )
            }
            other => other,
        };
        match decided {
            Refill::Paid { change, block } => {
                self.account = change.account;
                if let Some(s) = stripe {
                    self.blocks[s] = block;
                } else {
                    assert_eq!(block.balance().total(), 0);
                }
                let debit = change
                    .entries
                    .iter()
                    .find(|e| e.kind == EntryKind::Debit)
                    .unwrap();
                self.paid(debit, allowance_everywhere)
            }
            Refill::Insufficient(_) => {
                assert_eq!(self.total(now), 0, "refused with credits left");
                false
            }
            Refill::GatherAll => panic!("asked to gather twice"),
        }
    }

    fn paid(&mut self, debit: &LedgerEntry, allowance_everywhere: u64) -> bool {
        if debit.spent.from_top_up > 0 {
            assert_eq!(
                allowance_everywhere, 0,
                "purchased credits spent before the allowance"
            );
        }
        self.debited += debit.credits;
        true
    }

    fn total(&self, now: Timestamp) -> u64 {
        self.account
            .clone()
            .with_blocks(&self.blocks, &POLICY, now)
            .balance()
            .total()
    }
}

proptest! {
    /// Any interleaving of starts over the stripes (and none), within one period:
    /// every credit is either still held or debited once, allowance first, and a start
    /// is refused only when nothing is left.
    #[test]
    fn striped_starts_conserve_credits(
        allowance in 0u64..400,
        top_up in 0u64..3_000,
        picks in prop::collection::vec(prop::option::weighted(0.9, 0usize..STRIPES as usize), 1..600),
    ) {
        let now = ts("2026-01-10T00:00:00.000Z");
        let start = account(allowance, top_up);
        let mut tenant = Tenant {
            blocks: vec![Block::empty(start.period_start); STRIPES as usize],
            account: start,
            debited: 0,
        };
        let before = tenant.total(now);
        let mut paid = 0;
        for (n, stripe) in picks.iter().enumerate() {
            if tenant.start(n, *stripe, now) {
                paid += 1;
            }
        }
        prop_assert_eq!(tenant.debited, paid);
        prop_assert_eq!(tenant.total(now) + tenant.debited, before);
        prop_assert_eq!(paid, (picks.len() as u64).min(before));
    }
}

/// While blocks are out the account alone stays above the low mark and above zero, so
/// credits go low or run out only in a start holding every block (where the store
/// counts them exactly and reports `credits.low` / `credits.exhausted`).
#[test]
fn near_the_low_mark_or_zero_a_start_gathers_every_block() {
    let now = ts("2026-01-10T00:00:00.000Z");
    // 1,000 a period: low under 200. Plenty: the refill pays and sets a block aside.
    let mut plenty = account(1000, 0);
    plenty.allowance_left = 900;
    let held = Held::One {
        own: block(0, 0),
        others: &[],
    };
    assert!(matches!(
        refill(Some(plenty), held, one(), &call(1), &POLICY, now),
        Refill::Paid { .. }
    ));
    // Near the mark: paying from the account (and setting a block aside) would leave
    // it low, so the start gathers instead.
    let mut near = account(1000, 0);
    near.allowance_left = 205;
    assert_eq!(
        refill(Some(near.clone()), held, one(), &call(2), &POLICY, now),
        Refill::GatherAll
    );
    // Holding every block, it pays.
    assert!(matches!(
        refill(
            Some(near),
            Held::All(&[block(3, 0)]),
            one(),
            &call(3),
            &POLICY,
            now
        ),
        Refill::Paid { .. }
    ));
    // Without allowance, the last credits are paid only with every block held.
    let last = account(0, 1);
    assert_eq!(
        refill(Some(last.clone()), held, one(), &call(4), &POLICY, now),
        Refill::GatherAll
    );
    assert!(matches!(
        refill(Some(last), Held::All(&[]), one(), &call(5), &POLICY, now),
        Refill::Paid { .. }
    ));
}

proptest! {
    /// What paying took from one block, applied to any block it fits, is exactly what
    /// paying from that block takes: the same block after and the same ledger line. A
    /// block it does not fit would be paid another way (or not at all).
    #[test]
    fn what_a_payment_takes_is_what_paying_any_block_it_fits_takes(
        read in (0u64..6, 0u64..6),
        other in (0u64..6, 0u64..6),
        charge in 1u64..4,
        other_period in any::<bool>(),
    ) {
        let now = ts("2026-01-10T00:00:00.000Z");
        let anchor = ts("2026-01-01T00:00:00.000Z");
        let charge = Charge { credits: charge };
        let read = block(read.0, read.1);
        let mut other = block(other.0, other.1);
        if other_period {
            other.period_start = ts("2025-12-01T00:00:00.000Z");
        }
        let Some((after, entry)) = read.pay(charge, &call(1), anchor, &POLICY, now) else {
            return Ok(());
        };
        let taken = Taken::between(&read, &after);
        prop_assert!(taken.fits(&read));
        prop_assert_eq!(taken.from(&read), Some(after));
        match (taken.from(&other), other.pay(charge, &call(1), anchor, &POLICY, now)) {
            (Some(by_difference), Some((paid, paid_entry))) => {
                prop_assert_eq!(by_difference, paid);
                prop_assert_eq!(paid_entry, entry.clone());
            }
            (Some(by_difference), None) => {
                prop_assert!(false, "taken from {other:?} ({by_difference:?}) which cannot pay");
            }
            (None, Some((paid, _))) => {
                // Paid another way: a different split of allowance and purchases.
                prop_assert_ne!(Taken::between(&other, &paid), taken);
            }
            (None, None) => {}
        }
    }
}
