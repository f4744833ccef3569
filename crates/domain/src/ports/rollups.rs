//! A tenant's settled days kept as rolled up figures.

use std::collections::BTreeSet;
use std::future::Future;

use time::Date;

use crate::error::StoreError;
use crate::tenant::TenantId;
use crate::timestamp::Timestamp;
use crate::usage::RolledDay;

/// The rolled up days: written once per tenant and day, read by the console's reports.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait RollupStore: Send + Sync + 'static {
    /// The tenant's rolled days from `from` to `to` (inclusive), oldest first, as one
    /// read: a day is in it whole or not at all.
    fn rolled(
        &self, tenant: &TenantId, from: Date, to: Date,
    ) -> impl Future<Output = Result<Vec<RolledDay>, StoreError>> + Send;

    /// Which days from `from` to `to` are rolled (the job's read: no figures).
    fn rolled_days(
        &self, tenant: &TenantId, from: Date, to: Date,
    ) -> impl Future<Output = Result<BTreeSet<Date>, StoreError>> + Send;

    /// Keeps a day's figures unless the day is rolled already (by another node): true
    /// when this call kept them. A day once kept is never replaced.
    fn keep_rolled(
        &self, tenant: &TenantId, day: &RolledDay, at: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}
