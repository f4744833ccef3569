//! Credit stripes: how one tenant's billed starts are paid in parallel without ever
//! spending a credit twice or spending the wrong kind first.
//!
//! A store may keep, beside a tenant's [`CreditAccount`], up to [`STRIPES`] blocks of
//! credits set aside from it ([`Block`]). A billed start locks one free block and pays
//! from it alone ([`Block::pay`]); only when its block cannot pay does it lock the
//! account itself, fold the block back and take a fresh one ([`refill`]). The tenant's
//! credits are always the account plus its blocks ([`CreditAccount::gather`]); every
//! debit still writes its own ledger line; setting credits aside writes none (no credit
//! enters or leaves the tenant).
//!
//! The laws hold across blocks: the allowance is spent first (a block is given
//! purchased credits only when no allowance of the period is set aside anywhere, and a
//! start whose payment would reach purchased credits while allowance may sit in other
//! blocks gathers them all first: [`Refill::GatherAll`]); the allowance does not roll
//! over (a block's allowance belongs to the period it was set aside in and is dropped
//! when it is folded back later); a start is refused only once every block has been
//! gathered. Nor do they run low unseen: while blocks are out the account alone stays
//! above 20 % of the allowance and above zero (below that, every start gathers), so
//! credits go low or run out only in a start that holds them all.

use crate::calls::CallId;
use crate::credits::InsufficientCredits;
use crate::credits::account::{LedgerEntry, debit_entry};
use crate::credits::{Balance, BillingPolicy, Charge, CreditAccount, CreditChange, is_low};
use crate::timestamp::Timestamp;

/// Most blocks a tenant's credits are spread over: as many as starts a server runs at
/// once on its default pool.
pub const STRIPES: u16 = 16;

/// Most credits set aside in one block.
pub const BLOCK: u64 = 64;

/// Credits set aside from a tenant's account for one stripe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    /// The period its allowance belongs to.
    pub period_start: Timestamp,
    /// Allowance of that period set aside.
    pub allowance_left: u64,
    /// Purchased credits set aside.
    pub top_up: u64,
}

impl Block {
    /// A block holding nothing.
    pub fn empty(period_start: Timestamp) -> Self {
        Self {
            period_start,
            allowance_left: 0,
            top_up: 0,
        }
    }

    /// What it holds.
    pub fn balance(&self) -> Balance {
        Balance {
            allowance_left: self.allowance_left,
            top_up: self.top_up,
        }
    }

    /// Pays `charge` for `call_id` at `now` from this block alone, allowance first: the
    /// block after and the debit's ledger line. `None` when it cannot (its period is
    /// over, or it holds too little): the start then [`refill`]s. `anchor` is the
    /// account's (periods count from it).
    pub fn pay(
        &self, charge: Charge, call_id: &CallId, anchor: Timestamp, policy: &dyn BillingPolicy,
        now: Timestamp,
    ) -> Option<(Block, LedgerEntry)> {
        if policy.period(anchor, now).start != self.period_start {
            return None;
        }
        // A block holding purchased credits was given them when no allowance was set
        // aside anywhere; one holding allowance spends it first.
        let after = self.balance().debit(charge.credits).ok()?;
        let block = Block {
            allowance_left: after.allowance_left,
            top_up: after.top_up,
            ..*self
        };
        let entry = debit_entry(
            charge,
            self.balance(),
            after,
            self.period_start,
            call_id,
            now,
        );
        Some((block, entry))
    }
}

/// What paying took from a block: the allowance and the purchased credits, in the
/// period the block belongs to. Every block it [`fits`](Taken::fits) pays the same
/// charge by taking exactly this (allowance first) and writes the same ledger line, so a
/// store may apply it to a block that changed since it was read, as long as it still
/// fits: a debit by difference, checked under the block's lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Taken {
    /// The period of the blocks it fits.
    pub period_start: Timestamp,
    /// Allowance taken.
    pub from_allowance: u64,
    /// Purchased credits taken.
    pub from_top_up: u64,
}

impl Taken {
    /// What paying took from `before` to leave `after`.
    pub fn between(before: &Block, after: &Block) -> Self {
        Self {
            period_start: before.period_start,
            from_allowance: before.allowance_left - after.allowance_left,
            from_top_up: before.top_up - after.top_up,
        }
    }

    /// The allowance a block it fits holds: at least what it takes and, when it takes
    /// purchased credits too, no more (the allowance is spent first, so a block with
    /// more allowance would have paid more of it).
    pub fn allowance_within(&self) -> (u64, Option<u64>) {
        let most = (self.from_top_up > 0).then_some(self.from_allowance);
        (self.from_allowance, most)
    }

    /// Whether `block` pays the same charge by taking exactly this: the same period,
    /// its allowance within [`Taken::allowance_within`], and purchased credits enough.
    pub fn fits(&self, block: &Block) -> bool {
        let (least, most) = self.allowance_within();
        block.period_start == self.period_start
            && block.allowance_left >= least
            && most.is_none_or(|most| block.allowance_left <= most)
            && block.top_up >= self.from_top_up
    }

    /// `block` after it is taken (`None` unless it [`fits`](Taken::fits)).
    pub fn from(&self, block: &Block) -> Option<Block> {
        self.fits(block).then(|| Block {
            allowance_left: block.allowance_left - self.from_allowance,
            top_up: block.top_up - self.from_top_up,
            ..*block
        })
    }
}

impl CreditAccount {
    /// The account with `blocks` folded back: purchased credits always, allowance only
    /// of the account's own period (a block set aside in an earlier period lost its
    /// allowance when that period ended). The tenant's credits are this, at any time.
    pub fn gather<'a>(self, blocks: impl IntoIterator<Item = &'a Block>) -> Self {
        blocks.into_iter().fold(self, |a, b| Self {
            allowance_left: if b.period_start == a.period_start {
                a.allowance_left.saturating_add(b.allowance_left)
            } else {
                a.allowance_left
            },
            top_up: a.top_up.saturating_add(b.top_up),
            ..a
        })
    }

    /// The tenant's credits at `now` when `blocks` are set aside: renew first (a block
    /// of the period just ended keeps only its purchased credits), then gather.
    pub fn with_blocks<'a>(
        self, blocks: impl IntoIterator<Item = &'a Block>, policy: &dyn BillingPolicy,
        now: Timestamp,
    ) -> Self {
        // Gathered before renewing: a block of the account's stored period adds to the
        // allowance the renewal then replaces.
        self.gather(blocks).at(policy, now).0
    }
}

/// What a start whose block could not pay does, decided under the account's lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refill {
    /// Paid from the account: the account's change (the debit's ledger line and any
    /// renewal's) and the block the start's stripe holds from now on (empty unless it
    /// holds exactly one stripe: [`Held::One`]).
    Paid {
        /// The account after, and the ledger lines.
        change: CreditChange,
        /// The stripe's new block (empty when too little is left to set aside).
        block: Block,
    },
    /// Credits that decide this start may sit in blocks other starts hold: lock every
    /// stripe, then decide again with [`Held::All`].
    GatherAll,
    /// Refused (nothing is written).
    Insufficient(InsufficientCredits),
}

/// The blocks a start holds when its own could not pay, with the account locked.
#[derive(Debug, Clone, Copy)]
pub enum Held<'a> {
    /// One stripe (its block; empty if the stripe is new); `others` are the tenant's
    /// other blocks read without their locks (as of their last commit).
    One {
        /// The start's stripe's block.
        own: Block,
        /// The other blocks.
        others: &'a [Block],
    },
    /// No stripe: every one was busy; `others` as above. With `room`, the tenant has
    /// fewer stripes than [`STRIPES`]: they are created (empty) by gathering all.
    Nothing {
        /// The blocks.
        others: &'a [Block],
        /// Whether stripes may be added.
        room: bool,
    },
    /// Every stripe, locked: all are folded back and emptied.
    All(&'a [Block]),
}

/// Decides a start whose block could not pay (or that had none), under the account's
/// lock: pay from the account (allowance first, renewing it if a period began) and set
/// a fresh block aside for the start's stripe; or, when credits that decide the start
/// may sit in blocks other starts hold, [`Refill::GatherAll`].
pub fn refill(
    stored: Option<CreditAccount>, held: Held<'_>, charge: Charge, call_id: &CallId,
    policy: &dyn BillingPolicy, now: Timestamp,
) -> Refill {
    let Some(stored) = stored else {
        return Refill::Insufficient(InsufficientCredits {
            needed: charge.credits,
            available: 0,
        });
    };
    let (account, others, own) = match held {
        Held::One { own, others } => (stored.gather([&own]), others, Some(own)),
        Held::Nothing { room: true, .. } => return Refill::GatherAll,
        Held::Nothing {
            others,
            room: false,
        } => (stored, others, None),
        Held::All(blocks) => (stored.gather(blocks), &[][..], None),
    };
    let period = account.period(policy, now).start;
    let parked = others.iter().fold(Balance::default(), |sum, b| Balance {
        allowance_left: sum.allowance_left
            + if b.period_start == period {
                b.allowance_left
            } else {
                0
            },
        top_up: sum.top_up + b.top_up,
    });
    let (current, _) = account.clone().at(policy, now);
    let reaches_top_up = current.allowance_left < charge.credits;
    let short = current.balance().total() < charge.credits;
    if (reaches_top_up && parked.allowance_left > 0) || (short && parked.total() > 0) {
        return Refill::GatherAll;
    }
    let change = match account.debit(charge, call_id, policy, now) {
        Ok(change) => change,
        Err(refused) => return Refill::Insufficient(refused),
    };
    let (account, block) = match own {
        Some(_) => set_aside(change.account, parked.allowance_left > 0),
        None => {
            let empty = Block::empty(change.account.period_start);
            (change.account, empty)
        }
    };
    // The account alone stays above the low mark and above zero while blocks are out,
    // so no payment from a block can take the tenant's credits low or to zero: that
    // happens only with every block gathered, where the store counts every credit
    // exactly (`credits.low`, `credits.exhausted`).
    let gathered = matches!(held, Held::All(_));
    let left = account.balance().total();
    if !gathered && (left == 0 || is_low(left, account.allowance)) {
        return Refill::GatherAll;
    }
    Refill::Paid {
        change: CreditChange {
            account,
            entries: change.entries,
        },
        block,
    }
}

/// Sets a block aside from `account` (renewed, after the debit): a share of what is
/// left (at most [`BLOCK`], at most half the balance spread over every stripe, so that
/// most credits stay in the account), allowance first; purchased credits only when no
/// allowance is left in the account nor `allowance_elsewhere`.
fn set_aside(account: CreditAccount, allowance_elsewhere: bool) -> (CreditAccount, Block) {
    let share = (account.balance().total() / (2 * u64::from(STRIPES))).min(BLOCK);
    let from_allowance = share.min(account.allowance_left);
    let from_top_up = if account.allowance_left > from_allowance || allowance_elsewhere {
        0
    } else {
        (share - from_allowance).min(account.top_up)
    };
    let block = Block {
        period_start: account.period_start,
        allowance_left: from_allowance,
        top_up: from_top_up,
    };
    let account = CreditAccount {
        allowance_left: account.allowance_left - from_allowance,
        top_up: account.top_up - from_top_up,
        ..account
    };
    (account, block)
}

#[cfg(test)]
#[path = "stripes_tests.rs"]
mod tests;
