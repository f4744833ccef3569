//! What a start and an end read and write in one go: the start's snapshot, each use
//! case's commit plan (every write, applied atomically by a store), its receipt, and why
//! a commit wrote nothing.

use crate::customers::CustomerContext;

use crate::calls::CallRecord;
use crate::credits::{Charge, InsufficientCredits};
use crate::error::{StoreError, ValidationError};
use crate::identity::{Confirmed, CustomerRef, Evidence, IdentityHints, LineType};
use crate::intents::{IntentWrite, OpenIntent};
use crate::protection::SealedLinks;
use crate::variables::VariableWrite;

/// What a start reads in one go: the call if its `call_id` is taken, and the evidence
/// for its hints.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StartSnapshot {
    /// The call already recorded under this `call_id`, if any.
    pub call: Option<CallRecord>,
    /// Stored facts bearing on the hints.
    pub evidence: Evidence,
}

/// Every write of a `calls/start`, applied in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct StartCommit {
    /// The call to insert. Its `call_id` must be free in the tenant, else
    /// [`CommitStartError::CallIdTaken`] and nothing is written.
    pub call: CallRecord,
    /// `call.customer` is new: create it if it does not exist yet.
    pub create_customer: bool,
    /// Link the call's hints (ANI with its line type, external ids) to `call.customer`
    /// now. Only for a caller that matched nobody; a matched caller's hints are linked
    /// when the call ends.
    pub link_hints: bool,
    /// The sealed copies written beside the links' indexes (with `link_hints`).
    pub sealed_links: SealedLinks,
    /// Debit this much inside the transaction with a conditional update that cannot go
    /// negative; when it cannot be paid, [`CommitStartError::InsufficientCredits`] and
    /// nothing is written.
    pub charge: Option<Charge>,
    /// Read the customer's context inside the transaction and return it (false for a
    /// new customer, whose context is empty).
    pub read_context: bool,
    /// Return the tenant's credits left (billing is on), even when nothing is charged.
    pub report_balance: bool,
}

/// What a committed start returns.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StartReceipt {
    /// The customer's context, when asked for.
    pub context: CustomerContext,
    /// Credits left after the commit, when `report_balance` or a charge asked for it.
    pub credits_remaining: Option<u64>,
}

/// Why a start's commit wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum CommitStartError {
    /// Another request recorded this `call_id` first.
    #[error("call_id already recorded")]
    CallIdTaken,
    /// The charge could not be paid.
    #[error(transparent)]
    InsufficientCredits(#[from] InsufficientCredits),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Every write of a `calls/end`, applied in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct EndCommit {
    /// The call as it is once ended (`ended` is set, `customer` is the end's customer).
    /// A started call is updated only if it is not ended yet, else
    /// [`CommitEndError::AlreadyEnded`]; a standalone call is inserted, or
    /// [`CommitEndError::CallIdTaken`] if a start recorded it meanwhile.
    pub call: CallRecord,
    /// The call was never started: insert it whole.
    pub standalone: bool,
    /// A standalone end that identifies a new caller pays what a start would: debited
    /// inside the transaction like [`StartCommit::charge`]; when it cannot be paid,
    /// [`CommitEndError::InsufficientCredits`] and nothing is written.
    pub charge: Option<Charge>,
    /// Create `call.customer` if it does not exist (a ref chosen by the client).
    pub create_customer: bool,
    /// The empty customer the start created for this call, to fold into
    /// `call.customer`: its links move there and it is deleted, if and only if it still
    /// has no calls but this one, no variables and no intents. Otherwise it is left.
    pub fold_provisional: Option<CustomerRef>,
    /// Hints to link to `call.customer` (idempotent; a known line type is remembered),
    /// indexed; their sealed copies replace any stored.
    pub link: IdentityHints,
    /// The sealed copies written beside `link`'s indexes.
    pub sealed_links: SealedLinks,
    /// The line type seen on this call, remembered for the ANI.
    pub line_type: Option<LineType>,
    /// The end names its customer: the ANI's link to `call.customer` records the
    /// confirmation (`last_at` and `attestation` replace what is stored; `first_at` is
    /// written only where none is stored).
    pub confirmation: Option<Confirmed>,
    /// The intent change, applied with [`IntentWrite::apply`]'s rule.
    pub intent: Option<IntentWrite>,
    /// Variable writes, in order. The store re-checks the live-variable limit with
    /// [`crate::variables::check_live_limit`] inside the transaction and refuses the
    /// whole commit when it would be broken.
    pub variables: Vec<VariableWrite>,
    /// What the end's read found of `call.customer` ([`CallStore::load_end`]), when it
    /// found it: a store may decide on it instead of reading again under a lock, and
    /// then writes only if the customer is still as seen, else
    /// [`CommitEndError::Stale`] and nothing is written. `None`: the store reads
    /// and locks as it writes.
    ///
    /// [`CallStore::load_end`]: crate::ports::CallStore::load_end
    pub seen: Option<CustomerSeen>,
}

/// What an end reads in one go: the call, and what its writes to the customer it will
/// end with depend on.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EndSnapshot {
    /// The call under the end's `call_id`, if any.
    pub call: Option<CallRecord>,
    /// The customer the end names (else the call's), when the store reads it with the
    /// call and it exists.
    pub customer: Option<CustomerSeen>,
}

/// A customer as an end's read found it: what deciding its intent change and
/// re-checking its live-variable limit need, and the store's version of the customer
/// at that moment (every write to their intents or variables changes it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerSeen {
    /// The customer.
    pub customer: CustomerRef,
    /// The store's version of the customer when read; opaque to the domain.
    pub version: i64,
    /// The stored intent of the name the end writes, if open.
    pub intent: Option<OpenIntent>,
    /// Keys of the customer's variables live at the end's time.
    pub live_keys: Vec<String>,
}

/// What a committed end returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EndReceipt {
    /// Intents created, counted or closed (a close of nothing open counts 0). The store
    /// keeps it with the call so a replay answers the same.
    pub intents_updated: u32,
}

/// Why an end's commit wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum CommitEndError {
    /// Another request ended the call first.
    #[error("call already ended")]
    AlreadyEnded,
    /// A start recorded this `call_id` while a standalone end was deciding.
    #[error("call_id already recorded")]
    CallIdTaken,
    /// The customer changed since [`EndCommit::seen`]: read again and decide again.
    #[error("customer changed since read")]
    Stale,
    /// The writes would break a limit only the store can see (100 live variables).
    #[error(transparent)]
    Refused(#[from] ValidationError),
    /// The charge could not be paid.
    #[error(transparent)]
    InsufficientCredits(#[from] InsufficientCredits),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}
