//! Identity settings and judged calls, from the tenant's maps.

use stickycalls_domain::calls::judge_calls;
use stickycalls_domain::identity::{IdentitySettings, JudgedCalls};
use stickycalls_domain::ports::IdentityStore;
use stickycalls_domain::tenant::TenantId;
use stickycalls_domain::{StoreError, Timestamp};

use crate::MemoryStore;

impl IdentityStore for MemoryStore {
    async fn identity_settings(
        &self, tenant: &TenantId,
    ) -> Result<Option<IdentitySettings>, StoreError> {
        Ok(self.lock().tenant(tenant).identity_settings.clone())
    }

    async fn save_identity_settings(
        &self, tenant: &TenantId, settings: &IdentitySettings, _at: Timestamp,
    ) -> Result<(), StoreError> {
        self.lock().tenant(tenant).identity_settings = Some(settings.clone());
        Ok(())
    }

    async fn judged_calls(
        &self, tenant: &TenantId, since: Timestamp, until: Option<Timestamp>,
    ) -> Result<Vec<JudgedCalls>, StoreError> {
        Ok(judge_calls(
            self.lock().tenant(tenant).calls.values(),
            since,
            until,
        ))
    }
}
