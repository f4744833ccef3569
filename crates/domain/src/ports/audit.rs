//! The audit trail: lines added, listed newest first; never changed.

use std::future::Future;

use crate::audit::{AuditCursor, AuditEntry, AuditFilter};
use crate::error::StoreError;
use crate::tenant::AccountId;

/// An account's audit trail. Lines are only added: no method changes or deletes one,
/// and the SQL stores refuse `UPDATE` and `DELETE` on the table itself.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait AuditStore: Send + Sync + 'static {
    /// Adds a line to the account's trail; its position, later than every line added
    /// before it.
    fn append_audit(
        &self, account: &AccountId, entry: &AuditEntry,
    ) -> impl Future<Output = Result<AuditCursor, StoreError>> + Send;

    /// The account's lines matching `filter`, newest first, positioned before `before`
    /// when given, at most `limit`.
    fn list_audit(
        &self, account: &AccountId, filter: &AuditFilter, before: Option<AuditCursor>, limit: usize,
    ) -> impl Future<Output = Result<Vec<(AuditCursor, AuditEntry)>, StoreError>> + Send;
}
