//! `UnsealedStore` in memory: variables and calls' hints in clear, and their sealed
//! replacement by compare-and-set, as the SQL stores do it.

use stickycalls_domain::StoreError;
use stickycalls_domain::calls::CallRecord;
use stickycalls_domain::identity::CustomerRef;
use stickycalls_domain::ports::{SealedCall, SealedVariable, UnsealedStore, UnsealedVariable};
use stickycalls_domain::protection::{in_clear, is_sealed};
use stickycalls_domain::tenant::TenantId;

use crate::MemoryStore;

impl UnsealedStore for MemoryStore {
    async fn unsealed_variables(
        &self, tenant: &TenantId, limit: usize,
    ) -> Result<Vec<UnsealedVariable>, StoreError> {
        let mut state = self.lock();
        Ok(state
            .tenant(tenant)
            .variables
            .iter()
            .filter(|(_, v)| !is_sealed(&v.value))
            .take(limit)
            .map(|((customer, key), v)| UnsealedVariable {
                customer: CustomerRef::from_trusted(customer.clone()),
                key: key.clone(),
                value: v.value.clone(),
                source: v.source.clone(),
            })
            .collect())
    }

    async fn seal_variables(
        &self, tenant: &TenantId, sealed: Vec<SealedVariable>,
    ) -> Result<usize, StoreError> {
        let mut state = self.lock();
        let variables = &mut state.tenant(tenant).variables;
        let mut replaced = 0;
        for row in sealed {
            let at = (row.customer.as_str().to_owned(), row.key);
            if let Some(v) = variables.get_mut(&at).filter(|v| v.value == row.was) {
                v.value = row.value;
                v.source = row.source;
                replaced += 1;
            }
        }
        Ok(replaced)
    }

    async fn unsealed_calls(
        &self, tenant: &TenantId, limit: usize,
    ) -> Result<Vec<CallRecord>, StoreError> {
        let mut state = self.lock();
        Ok(state
            .tenant(tenant)
            .calls
            .values()
            .filter(|c| in_clear(&c.hints))
            .take(limit)
            .cloned()
            .collect())
    }

    async fn seal_calls(
        &self, tenant: &TenantId, sealed: Vec<SealedCall>,
    ) -> Result<usize, StoreError> {
        let mut state = self.lock();
        let calls = &mut state.tenant(tenant).calls;
        let mut replaced = 0;
        for SealedCall { was, now } in sealed {
            if let Some(call) = calls
                .get_mut(was.call_id.as_str())
                .filter(|c| c.hints == was.hints && c.sealed_hints == was.sealed_hints)
            {
                call.hints = now.hints;
                call.sealed_hints = now.sealed_hints;
                replaced += 1;
            }
        }
        Ok(replaced)
    }
}
