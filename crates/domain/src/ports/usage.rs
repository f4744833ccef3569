//! Per-day activity.

use std::future::Future;

use crate::credits::{DailyUsage, LedgerDay};
use crate::error::StoreError;
use crate::tenant::TenantId;

/// Per-day activity, for the usage report.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait UsageStore: Send + Sync + 'static {
    /// Days from `from` to `to` (inclusive, UTC) that had any activity, oldest first.
    fn usage(
        &self, tenant: &TenantId, from: time::Date, to: time::Date,
    ) -> impl Future<Output = Result<Vec<DailyUsage>, StoreError>> + Send;

    /// The ledger's grants, purchases and debits per UTC day from `from` to `to`
    /// (inclusive), days with a line only, oldest first.
    fn ledger_days(
        &self, tenant: &TenantId, from: time::Date, to: time::Date,
    ) -> impl Future<Output = Result<Vec<LedgerDay>, StoreError>> + Send;
}
