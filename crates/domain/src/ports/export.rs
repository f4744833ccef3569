//! Paging through a whole tenant's data, for its export.

use std::future::Future;

use crate::credits::LedgerEntry;
use crate::error::StoreError;
use crate::identity::CustomerRef;
use crate::tenant::TenantId;

/// What only a whole-tenant export reads: every customer reference and every ledger
/// line, a page at a time, in a stable order (so a page never repeats or skips one
/// that existed when the export began).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait ExportStore: Send + Sync + 'static {
    /// Up to `limit` of the tenant's customer references after `after` (from the first
    /// when `None`), in reference order.
    fn customer_refs(
        &self, tenant: &TenantId, after: Option<CustomerRef>, limit: usize,
    ) -> impl Future<Output = Result<Vec<CustomerRef>, StoreError>> + Send;

    /// Up to `limit` of the tenant's ledger lines with an entry number above `after`
    /// (from the first when `None`), in entry order, each with its number.
    fn ledger_entries(
        &self, tenant: &TenantId, after: Option<u64>, limit: usize,
    ) -> impl Future<Output = Result<Vec<(u64, LedgerEntry)>, StoreError>> + Send;
}
