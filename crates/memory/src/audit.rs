//! The audit trail, in the order lines were added.

use stickycalls_domain::StoreError;
use stickycalls_domain::audit::{AuditCursor, AuditEntry, AuditFilter};
use stickycalls_domain::ports::AuditStore;
use stickycalls_domain::tenant::AccountId;

use crate::MemoryStore;

impl AuditStore for MemoryStore {
    async fn append_audit(
        &self, account: &AccountId, entry: &AuditEntry,
    ) -> Result<AuditCursor, StoreError> {
        let mut state = self.lock();
        state.audit.push((*account, entry.clone()));
        Ok(AuditCursor(
            i64::try_from(state.audit.len()).unwrap_or(i64::MAX),
        ))
    }

    async fn list_audit(
        &self, account: &AccountId, filter: &AuditFilter, before: Option<AuditCursor>, limit: usize,
    ) -> Result<Vec<(AuditCursor, AuditEntry)>, StoreError> {
        let state = self.lock();
        Ok(state
            .audit
            .iter()
            .enumerate()
            .rev()
            .map(|(i, line)| (AuditCursor(i64::try_from(i + 1).unwrap_or(i64::MAX)), line))
            .filter(|(at, (owner, entry))| {
                owner == account && before.is_none_or(|b| *at < b) && filter.matches(entry)
            })
            .take(limit)
            .map(|(at, (_, entry))| (at, entry.clone()))
            .collect())
    }
}
