//! How long a tenant's data is kept: its retention settings (`GET`/`PUT
//! /v1/settings/retention`), what counts as an idle customer, and the periodic
//! enforcement in bounded batches ([`RetentionService`]).
//!
//! - **Calls** started more than `calls_days` ago are deleted (default
//!   [`DEFAULT_CALL_DAYS`], from [`MIN_DAYS`] to [`MAX_DAYS`]).
//! - **Customers** idle for `customers_days` (off by default) are erased as by the erase
//!   endpoint, each with a `customer.erased` event whose reason is `retention`. Idle means:
//!   created at or before the cutoff, no call started after it, no intent seen after it,
//!   and no live variable. `customers_days` may not exceed `calls_days`, so a customer's
//!   last call within the period is always still stored when idleness is judged.
//! - **Webhook events** delivered, failed or cancelled (none pending) are deleted
//!   [`WEBHOOK_EVENT_DAYS`] after they were written.
//!
//! - **Closed accounts** (`DELETE /v1/account`, [`ClosureService`]) lose every key at once
//!   and all their data in batches; enforcement finishes a closure cut short.
//!
//! The credit ledger is kept: it is the tenant's financial record and holds amounts,
//! times, call ids and the operator's notes, never a number, a customer or a value.

mod closure;
mod service;
#[cfg(test)]
mod tests;

use std::future::Future;

use time::Duration;

use crate::error::{Issue, RefusalKind, ValidationError};
use crate::timestamp::Timestamp;

pub use closure::{Closed, ClosureError, ClosureService};
pub use service::{RetentionError, RetentionService};

/// Calls are kept this many days unless the tenant says otherwise.
pub const DEFAULT_CALL_DAYS: u32 = 400;
/// The shortest period a tenant may choose.
pub const MIN_DAYS: u32 = 30;
/// The longest period a tenant may choose (ten years).
pub const MAX_DAYS: u32 = 3_650;
/// Settled webhook events are kept this many days.
pub const WEBHOOK_EVENT_DAYS: u32 = 30;
/// Rows deleted per statement: each batch is its own short transaction, so enforcement
/// never holds a lock that a start waits on for long.
pub const BATCH: usize = 500;

/// A tenant's retention settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionSettings {
    /// Calls started more than this many days ago are deleted.
    pub calls_days: u32,
    /// Customers idle this many days are erased; `None`: never.
    pub customers_days: Option<u32>,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        Self {
            calls_days: DEFAULT_CALL_DAYS,
            customers_days: None,
        }
    }
}

impl RetentionSettings {
    /// Settings from a request: an omitted `calls_days` takes the default, an omitted
    /// or null `customers_days` is off. Every offending field is named.
    pub fn parse(
        calls_days: Option<i64>, customers_days: Option<i64>,
    ) -> Result<Self, ValidationError> {
        let mut issues = Vec::new();
        let mut days = |field: &str, value: i64| match u32::try_from(value) {
            Ok(d) if (MIN_DAYS..=MAX_DAYS).contains(&d) => Some(d),
            _ => {
                issues.push(Issue::at(
                    field,
                    format!("must be a whole number of days from {MIN_DAYS} to {MAX_DAYS}"),
                ));
                None
            }
        };
        let calls = calls_days.map_or(Some(DEFAULT_CALL_DAYS), |d| days("calls_days", d));
        let customers = customers_days.map(|d| days("customers_days", d));
        if let (Some(calls), Some(Some(customers))) = (calls, customers)
            && customers > calls
        {
            issues.push(Issue::at(
                "customers_days",
                format!(
                    "must not exceed calls_days ({calls}): a customer's idleness is read from the calls kept"
                ),
            ));
        }
        match (calls, customers) {
            (Some(calls_days), customers) if issues.is_empty() => Ok(Self {
                calls_days,
                customers_days: customers.flatten(),
            }),
            _ => Err(ValidationError {
                kind: RefusalKind::InvalidRequest,
                issues,
            }),
        }
    }

    /// Calls started before this are past their period.
    pub fn calls_before(&self, now: Timestamp) -> Timestamp {
        now - days(self.calls_days)
    }

    /// What makes a customer idle now, when customer retention is on.
    pub fn idle(&self, now: Timestamp) -> Option<Idle> {
        self.customers_days.map(|d| Idle {
            since: now - days(d),
            now,
        })
    }
}

/// Settled webhook events written before this are deleted.
pub fn webhook_events_before(now: Timestamp) -> Timestamp {
    now - days(WEBHOOK_EVENT_DAYS)
}

fn days(n: u32) -> Duration {
    Duration::days(i64::from(n))
}

/// What makes a customer idle: created at or before `since`, no call started after
/// `since`, no intent seen after `since`, no variable expiring after `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Idle {
    /// The start of the idle period.
    pub since: Timestamp,
    /// When idleness is judged (variables live after it keep the customer).
    pub now: Timestamp,
}

impl Idle {
    /// Whether a customer is idle, from their latest facts: when they were created, the
    /// latest start of their calls, the latest sighting of their intents, the latest
    /// expiry of their variables (`None`: they have none). The SQL stores write the same
    /// rule as one statement.
    pub fn holds(
        &self, created_at: Timestamp, last_call: Option<Timestamp>, last_intent: Option<Timestamp>,
        last_expiry: Option<Timestamp>,
    ) -> bool {
        created_at <= self.since
            && last_call.is_none_or(|t| t <= self.since)
            && last_intent.is_none_or(|t| t <= self.since)
            && last_expiry.is_none_or(|t| t <= self.now)
    }
}

/// Why a customer is erased, as its `customer.erased` event says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Erasure {
    /// Someone asked (`DELETE /v1/customers/{ref}`, the console): erased whatever it holds.
    Requested {
        /// When.
        at: Timestamp,
    },
    /// The tenant's customer retention: erased only if still idle when the store
    /// erases it (a call that arrived meanwhile keeps the customer).
    Retention {
        /// When, and what idle means.
        idle: Idle,
    },
}

impl Erasure {
    /// When the erasure happens.
    pub fn at(&self) -> Timestamp {
        match self {
            Self::Requested { at } => *at,
            Self::Retention { idle } => idle.now,
        }
    }

    /// The event's `reason`.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Requested { .. } => "request",
            Self::Retention { .. } => "retention",
        }
    }

    /// The condition the store checks under the customer's lock, if any.
    pub fn only_if_idle(&self) -> Option<Idle> {
        match self {
            Self::Requested { .. } => None,
            Self::Retention { idle } => Some(*idle),
        }
    }
}

/// What one enforcement deleted, across tenants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Enforced {
    /// Calls past their tenant's period.
    pub calls: usize,
    /// Customers erased: idle ones, and every customer of a closed account.
    pub customers: usize,
    /// Settled webhook events past [`WEBHOOK_EVENT_DAYS`].
    pub webhook_events: usize,
    /// Rows of closed accounts (besides their customers, counted above).
    pub closed_rows: usize,
}

/// Repeats a bounded deletion until it deletes fewer than a batch; the total.
async fn drain<F, Fut>(mut step: F) -> Result<usize, crate::error::StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<usize, crate::error::StoreError>>,
{
    let mut total = 0;
    loop {
        let n = step().await?;
        total += n;
        if n < BATCH {
            return Ok(total);
        }
    }
}
