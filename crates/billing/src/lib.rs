//! Sticky Calls billing: the plan catalog, and billing periods derived from each
//! account's anchor date (the allowance resets at every period start, with no job to
//! run and no rollover).
//!
//! It implements the domain's [`stickycalls_domain::credits::BillingPolicy`] port
//! ([`Catalog`]): what varies by operator. The ledger's laws (allowance first, never
//! negative, every change recorded) are the domain's; the stores apply them. Pure, no
//! I/O; it must not know how accounts are stored or served, and no storage crate
//! depends on it: the binary wires it in.

mod catalog;
mod period;
mod plans;

pub use catalog::Catalog;
pub use period::monthly;
pub use plans::{Plan, PlanId, UnknownPlan};
