//! Each tenant's policy (its identity settings, and the weights learning gives them),
//! loaded on a tenant's first request and kept for at most the settings cache
//! lifetime (`STICKYCALLS_SETTINGS_CACHE_SECONDS`): the bound on how long a process that
//! missed the store's broadcast scores with settings replaced elsewhere, and on how late
//! learning sees the newest confirmations. A `PUT` takes effect at once here and on
//! every process that hears the broadcast.

use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;
use stickycalls_domain::ports::{Clock, IdentityStore, RollupStore};
use stickycalls_domain::settings::SettingsService;
use stickycalls_domain::tenant::{TenantId, TenantPolicy};

use crate::error::ApiError;

/// How long a tenant's policy is kept by default.
pub const SETTINGS_TTL: Duration = Duration::from_secs(60);

/// The policies of recent tenants, shared by every HTTP worker.
pub struct Policies {
    cache: Cache<TenantId, Arc<TenantPolicy>>,
}

impl std::fmt::Debug for Policies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policies")
            .field("cached", &self.cache.entry_count())
            .finish()
    }
}

impl Policies {
    /// Keeps each policy for `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Self {
            cache: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(ttl)
                .build(),
        }
    }

    /// The tenant's policy: cached, else loaded once however many requests ask at once.
    pub async fn of<S: IdentityStore + RollupStore, C: Clock>(
        &self, tenant: TenantId, settings: &SettingsService<S, C>,
    ) -> Result<Arc<TenantPolicy>, ApiError> {
        self.cache
            .try_get_with(tenant, async move {
                settings
                    .policy(&tenant)
                    .await
                    .map(Arc::new)
                    .map_err(ApiError::from)
            })
            .await
            .map_err(ApiError::from_shared)
    }

    /// Forgets a tenant's policy: its next request loads the settings just saved.
    pub async fn forget(&self, tenant: &TenantId) {
        self.cache.invalidate(tenant).await;
    }

    /// Forgets every tenant's policy (a node that may have missed a change).
    pub fn forget_all(&self) {
        self.cache.invalidate_all();
    }
}
