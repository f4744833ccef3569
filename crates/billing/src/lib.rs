//! Sticky Calls billing: the plan catalog, billing periods derived from each plan's
//! anchor date (the allowance resets at every period start, with no job to run and no
//! rollover), and the order credits are spent in (this period's allowance, then
//! purchased top-ups, which never expire).
//!
//! Pure rules, no I/O: the storage adapters apply them inside the same transaction as
//! the call they bill, and record every debit and grant in their ledger. It must not
//! know how accounts are stored or served.

mod account;
mod period;
mod plans;

pub use account::{CreditAccount, LedgerView, Spent};
pub use period::Period;
pub use plans::{Plan, PlanId, UnknownPlan};
