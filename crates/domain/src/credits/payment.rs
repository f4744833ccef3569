//! A billable start's payment on a store that spreads credits over stripes
//! ([`super::stripes`]), as one sequence decided here and executed by the store.
//!
//! The store takes the steps this module asks for (locks, `SKIP LOCKED`, savepoints and
//! statements are the store's) and reports what each found; [`Payment::next`] decides
//! the next step from it, and every rule of the sequence is here:
//!
//! 1. The store locks a free stripe without waiting and reads the account and every
//!    stripe as last committed ([`Found::Stripe`]). If the locked stripe's block can
//!    pay, the start pays from it: [`Writes::Stripe`].
//! 2. Otherwise the store locks the account and reads the stripes again
//!    ([`Found::Account`]): the account pays and sets a fresh block aside for the
//!    start's stripe ([`Writes::Account`]), or the start is refused, or credits that
//!    decide it may sit in stripes other starts hold: [`Step::GatherAll`].
//! 3. Then the store rolls its start back to before the credits, redoes its writes and
//!    locks every stripe and the account ([`Found::Everything`]): every block is folded
//!    back and the account pays or refuses ([`Writes::Gathered`], with the
//!    `credits.low` / `credits.exhausted` events the debit raised).
//!
//! The sequence ends: step 2 never asks for step 2 again, step 3 never asks for more.
//!
//! A store may first try the common case without taking a step: from the stripes as
//! its read found them (no lock held), [`Payment::from_read`] lists what each stripe
//! whose block can pay would write, as step 1 would decide it with that stripe locked,
//! and what it takes from the block ([`Taken`]). The store takes it from the first of
//! those stripes that is free and still [fits](Taken::fits) (checked under the
//! stripe's lock: the same ledger line holds for any block it fits); when none does,
//! it takes the steps above.

use crate::calls::CallId;
use crate::credits::stripes::{Block, Held, Refill, STRIPES, Taken, refill};
use crate::credits::{
    BillingPolicy, Charge, CreditAccount, CreditChange, InsufficientCredits, LedgerEntry,
};
use crate::tenant::TenantId;
use crate::timestamp::Timestamp;
use crate::webhooks::{Event, debit_events};

/// A stripe, as the store numbers it, and the block it holds.
pub type Stripe<S> = (S, Block);

/// What the store found at the step it was asked to take.
#[derive(Debug)]
pub enum Found<'a, S> {
    /// The first look: the free stripe it locked (none when every one was busy), the
    /// account (`None`: the tenant has none) and every stripe as last committed.
    Stripe {
        /// The locked stripe.
        own: Option<Stripe<S>>,
        /// The account as last committed.
        account: Option<&'a CreditAccount>,
        /// Every stripe as last committed.
        all: &'a [Stripe<S>],
    },
    /// After [`Step::LockAccount`]: the account, locked, and every stripe as last
    /// committed (read after the lock).
    Account {
        /// The account.
        account: Option<CreditAccount>,
        /// Every stripe.
        all: &'a [Stripe<S>],
    },
    /// After [`Step::GatherAll`]: every stripe and the account, locked.
    Everything {
        /// The account.
        account: Option<CreditAccount>,
        /// Every stripe.
        held: &'a [Stripe<S>],
    },
}

/// What the store does next.
#[derive(Debug)]
pub enum Step<S> {
    /// Lock the account, then read every stripe again; report [`Found::Account`].
    LockAccount,
    /// Roll the start back to before its credits (releasing every credit lock), redo
    /// its writes, lock every stripe then the account; report [`Found::Everything`].
    GatherAll,
    /// Write these and commit.
    Pay(Paid<S>),
    /// Refused: nothing is written.
    Refuse(InsufficientCredits),
}

/// The writes that pay, and the tenant's credits after them.
#[derive(Debug)]
pub struct Paid<S> {
    /// What to write.
    pub writes: Writes<S>,
    /// The tenant's credits left (account and every block).
    pub credits_left: u64,
}

/// What paying writes.
#[derive(Debug)]
pub enum Writes<S> {
    /// The stripe's block after paying, and the debit's ledger line.
    Stripe {
        /// The stripe and its new block.
        stripe: Stripe<S>,
        /// The ledger line.
        entry: LedgerEntry,
    },
    /// The account's change (debit and any renewal, with their ledger lines), and the
    /// fresh block set aside for the start's stripe when it held one.
    Account {
        /// The account after, and the ledger lines.
        change: CreditChange,
        /// The start's stripe and its new block.
        set_aside: Option<Stripe<S>>,
    },
    /// The account's change with every block folded back: the held stripes are
    /// emptied (and those the tenant lacks, up to [`STRIPES`], created empty).
    Gathered {
        /// The account after, and the ledger lines.
        change: CreditChange,
        /// The stripes held, to empty.
        held: Vec<Stripe<S>>,
        /// The events the debit raised (`credits.low`, `credits.exhausted`).
        events: Vec<Event>,
    },
}

/// A payment from one stripe's block decided on the stripes as read: valid while that
/// stripe's block still fits `taken` (the store checks it under the stripe's lock).
#[derive(Debug)]
pub struct FromRead<S> {
    /// The stripe and its block as read.
    pub read: Stripe<S>,
    /// What paying takes from its block.
    pub taken: Taken,
    /// What paying from it as read writes ([`Writes::Stripe`]: its ledger line is the
    /// same for any block `taken` fits) and the credits left after, as read.
    pub paid: Paid<S>,
}

/// One billable start's payment.
pub struct Payment<'p, S> {
    tenant: TenantId,
    charge: Charge,
    call_id: &'p CallId,
    policy: &'p dyn BillingPolicy,
    now: Timestamp,
    own: Option<Stripe<S>>,
}

impl<S: std::fmt::Debug> std::fmt::Debug for Payment<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Payment")
            .field("call_id", self.call_id)
            .field("own", &self.own)
            .finish_non_exhaustive()
    }
}

impl<'p, S: Copy + PartialEq> Payment<'p, S> {
    /// The payment of `charge` for the start `call_id` of `tenant` at `now`.
    pub fn new(
        tenant: TenantId, charge: Charge, call_id: &'p CallId, policy: &'p dyn BillingPolicy,
        now: Timestamp,
    ) -> Self {
        Self {
            tenant,
            charge,
            call_id,
            policy,
            now,
            own: None,
        }
    }

    /// The next step, from what the last one found.
    pub fn next(&mut self, found: Found<'_, S>) -> Step<S> {
        match found {
            Found::Stripe { own, account, all } => self.after_stripe(own, account, all),
            Found::Account { account, all } => self.after_account(account, all),
            Found::Everything { account, held } => self.after_everything(account, held),
        }
    }

    /// Every stripe of `all` (as read, no lock held) whose block can pay, with what
    /// paying from it writes: step 1's decision had that stripe been the one locked.
    /// They start at the stripe the call id picks and go round, so starts running at
    /// once try different stripes first. Empty without an account.
    pub fn from_read(
        &self, account: Option<&CreditAccount>, all: &[Stripe<S>],
    ) -> Vec<FromRead<S>> {
        let Some(account) = account else {
            return Vec::new();
        };
        let first = match all.len() {
            0 => 0,
            n => spread(self.call_id) % n,
        };
        all[first..]
            .iter()
            .chain(&all[..first])
            .filter_map(|&read| {
                let paid = self.pay_from(read, account, all)?;
                let Writes::Stripe {
                    stripe: (_, after), ..
                } = &paid.writes
                else {
                    return None;
                };
                let taken = Taken::between(&read.1, after);
                Some(FromRead { read, taken, paid })
            })
            .collect()
    }

    fn after_stripe(
        &mut self, own: Option<Stripe<S>>, account: Option<&CreditAccount>, all: &[Stripe<S>],
    ) -> Step<S> {
        self.own = own;
        let (Some(own), Some(account)) = (own, account) else {
            return Step::LockAccount;
        };
        match self.pay_from(own, account, all) {
            Some(paid) => Step::Pay(paid),
            None => Step::LockAccount,
        }
    }

    /// Paying from `(stripe, block)` alone, the others of `all` left as they are;
    /// `None` when its block cannot pay.
    fn pay_from(
        &self, (stripe, block): Stripe<S>, account: &CreditAccount, all: &[Stripe<S>],
    ) -> Option<Paid<S>> {
        let (after, entry) = block.pay(
            self.charge,
            self.call_id,
            account.anchor,
            self.policy,
            self.now,
        )?;
        let others = all.iter().filter(|(s, _)| *s != stripe).map(|(_, b)| b);
        Some(Paid {
            credits_left: self.left(account, others.chain([&after])),
            writes: Writes::Stripe {
                stripe: (stripe, after),
                entry,
            },
        })
    }

    fn after_account(&self, stored: Option<CreditAccount>, all: &[Stripe<S>]) -> Step<S> {
        let others: Vec<Block> = all
            .iter()
            .filter(|(s, _)| self.own.is_none_or(|(o, _)| *s != o))
            .map(|(_, b)| *b)
            .collect();
        let held = match self.own {
            Some((_, block)) => Held::One {
                own: block,
                others: &others,
            },
            None => Held::Nothing {
                others: &others,
                room: all.len() < usize::from(STRIPES),
            },
        };
        match refill(
            stored,
            held,
            self.charge,
            self.call_id,
            self.policy,
            self.now,
        ) {
            Refill::Paid { change, block } => Step::Pay(Paid {
                credits_left: self.left(&change.account, others.iter().chain([&block])),
                writes: Writes::Account {
                    change,
                    set_aside: self.own.map(|(stripe, _)| (stripe, block)),
                },
            }),
            Refill::Insufficient(refused) => Step::Refuse(refused),
            Refill::GatherAll => Step::GatherAll,
        }
    }

    /// Every credit held: the one place a start can take them low or to zero. With
    /// every block folded back nothing is parked elsewhere, so the account pays or
    /// refuses (`refill` with every block held, without its detour).
    fn after_everything(&self, stored: Option<CreditAccount>, held: &[Stripe<S>]) -> Step<S> {
        let Some(stored) = stored else {
            return Step::Refuse(InsufficientCredits {
                needed: self.charge.credits,
                available: 0,
            });
        };
        let gathered = stored.gather(held.iter().map(|(_, b)| b));
        let change = match gathered
            .clone()
            .debit(self.charge, self.call_id, self.policy, self.now)
        {
            Ok(change) => change,
            Err(refused) => return Step::Refuse(refused),
        };
        let events = debit_events(
            self.tenant,
            Some(&gathered),
            &change,
            self.call_id,
            self.policy,
            self.now,
        );
        Step::Pay(Paid {
            credits_left: change
                .account
                .clone()
                .at(self.policy, self.now)
                .0
                .balance()
                .total(),
            writes: Writes::Gathered {
                change,
                held: held.to_vec(),
                events,
            },
        })
    }

    /// Credits left at `now`: `account` with `blocks` set aside.
    fn left<'b>(
        &self, account: &CreditAccount, blocks: impl IntoIterator<Item = &'b Block>,
    ) -> u64 {
        account
            .clone()
            .with_blocks(blocks, self.policy, self.now)
            .balance()
            .total()
    }
}

/// A number from the call id (FNV-1a), the same on every node and run: where a start's
/// list of stripes begins.
fn spread(call_id: &CallId) -> usize {
    let hash = call_id
        .as_str()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
    // Truncation keeps the low bits, which spread as well as the rest.
    hash as usize
}

#[cfg(test)]
#[path = "payment_tests.rs"]
mod tests;
