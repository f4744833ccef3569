//! Applying what another node changed (the domain's `Invalidation`, heard by the
//! store's listener): a revoked key is refused from the next request on, a tenant's
//! new settings are read on its next request.

use stickycalls_domain::invalidation::Invalidation;

use crate::{AppState, Backend};

impl<B: Backend> AppState<B> {
    /// Drops what `what` makes stale from the caches every HTTP worker shares.
    pub async fn forget(&self, what: &Invalidation) {
        match what {
            Invalidation::KeyRevoked { lookup_id } => self.keys.forget(lookup_id).await,
            Invalidation::SettingsChanged(tenant) => self.policies.forget(tenant).await,
            Invalidation::Everything => {
                self.keys.forget_all();
                self.policies.forget_all();
            }
        }
    }
}
