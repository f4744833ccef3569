//! `ExportStore` in memory: customers in reference order, the ledger in the order it
//! was written (entry numbers from 1).

use stickycalls_domain::StoreError;
use stickycalls_domain::credits::LedgerEntry;
use stickycalls_domain::identity::CustomerRef;
use stickycalls_domain::ports::ExportStore;
use stickycalls_domain::tenant::TenantId;

use crate::MemoryStore;

impl ExportStore for MemoryStore {
    async fn customer_refs(
        &self, tenant: &TenantId, after: Option<CustomerRef>, limit: usize,
    ) -> Result<Vec<CustomerRef>, StoreError> {
        let mut state = self.lock();
        let after = after.map_or_else(String::new, |r| r.as_str().to_owned());
        Ok(state
            .tenant(tenant)
            .customers
            .keys()
            .filter(|c| **c > after)
            .take(limit)
            .map(|c| CustomerRef::from_trusted(c.clone()))
            .collect())
    }

    async fn ledger_entries(
        &self, tenant: &TenantId, after: Option<u64>, limit: usize,
    ) -> Result<Vec<(u64, LedgerEntry)>, StoreError> {
        let mut state = self.lock();
        let after = after.unwrap_or(0);
        Ok((1u64..)
            .zip(state.tenant(tenant).ledger.iter().cloned())
            .filter(|(n, _)| *n > after)
            .take(limit)
            .collect())
    }
}
