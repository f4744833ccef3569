//! The ports: what the domain needs from the outside, as traits that adapters
//! implement, one file per capability (calls, customers, the credit ledger, accounts,
//! keys and the key minter, the audit trail, idempotent responses, usage, identity settings, console
//! sessions, purge, retention, health, webhooks, data keys, rows written before
//! encryption, rolled up days; time and ids), so an adapter can implement one
//! without reading the others. The billing policy is `credits::BillingPolicy`; the
//! shared rate limiter is `ratelimit::SharedLimiter`. Every method returns a `Send`
//! future so services run on any executor.
//!
//! Reads (`find_call`, `gather_evidence`, `customer_context`) may run outside a
//! transaction; a start's read (`load_start`) may open the transaction its
//! `commit_start` ends. Each `commit_*` method is one use case's every write and must
//! be applied atomically (one database transaction): see the crate docs. The commit
//! plans and receipts live with their use case (`calls::commit`) and are named here too
//! for the adapters.

mod accounts;
mod audit;
mod calls;
mod clock;
mod console;
mod credits;
mod customers;
mod export;
mod health;
mod idempotency;
mod identity;
mod keys;
#[cfg(test)]
pub(crate) mod mocks;
mod purge;
mod retention;
mod rollups;
#[cfg(test)]
pub(crate) mod test_vault;
mod unsealed;
mod usage;
mod vault;
mod webhooks;

pub use accounts::*;
pub use audit::*;
pub use calls::*;
pub use clock::*;
pub use console::*;
pub use credits::*;
pub use customers::*;
pub use export::*;
pub use health::*;
pub use idempotency::*;
pub use identity::*;
pub use keys::*;
pub use purge::*;
pub use retention::*;
pub use rollups::*;
pub use unsealed::*;
pub use usage::*;
pub use vault::*;
pub use webhooks::*;

pub use crate::calls::commit::{
    CommitEndError, CommitStartError, CustomerSeen, EndCommit, EndReceipt, EndSnapshot,
    StartCommit, StartReceipt, StartSnapshot,
};
pub use crate::customers::CustomerContext;
