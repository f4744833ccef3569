//! The billing policy port: what varies by operator (the plan catalog with each
//! plan's request quota, billing periods, the price of a start, billing switched off). The `stickycalls-billing`
//! crate implements it; the ledger's laws ([`super::CreditAccount`]) use it.

use std::sync::Arc;

use crate::credits::Charge;
use crate::error::ValidationError;
use crate::ratelimit::Quota;
use crate::timestamp::Timestamp;

/// One billing period: `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// First instant of the period.
    pub start: Timestamp,
    /// First instant of the next one.
    pub end: Timestamp,
}

impl Period {
    /// Whether `at` is in this period.
    pub fn contains(&self, at: Timestamp) -> bool {
        self.start <= at && at < self.end
    }
}

/// A plan and the allowance it gives each period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanTerms {
    /// The plan's wire name (`free`, `starter`...).
    pub plan: String,
    /// Credits each period.
    pub allowance: u64,
}

/// What the operator's billing decides. Pure and synchronous: no I/O.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait BillingPolicy: Send + Sync + 'static {
    /// The price of one billable start; `None` when billing is switched off.
    fn start_charge(&self) -> Option<Charge>;

    /// The plan a new account opens on.
    fn opening_plan(&self) -> PlanTerms;

    /// The terms of the plan named `plan`; `allowance` overrides the catalog's (and is
    /// required for a plan without one). An unknown name or a missing allowance is a
    /// validation error naming `plan` or `allowance`.
    fn plan_terms(&self, plan: &str, allowance: Option<u64>) -> Result<PlanTerms, ValidationError>;

    /// The period containing `now` for an account whose periods count from `anchor`.
    fn period(&self, anchor: Timestamp, now: Timestamp) -> Period;

    /// Each plan of the catalog by its wire name, with how many requests its keys may
    /// send (a key on a plan the catalog does not name gets the opening plan's).
    fn request_quotas(&self) -> Vec<(String, Quota)>;
}

/// A policy shared by the services and stores of one server.
pub type SharedPolicy = Arc<dyn BillingPolicy>;
