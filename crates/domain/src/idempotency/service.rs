//! The `Idempotency-Key` use case: claim a key at the clock's time with the domain's
//! cut-offs, judge what holds it, and keep or release the outcome.

use super::claim::{ClaimCutoffs, IdempotencyClaim, StoredResponse};
use super::is_replayable;
use crate::error::StoreError;
use crate::ports::{Clock, IdempotencyStore};
use crate::tenant::TenantId;

/// Claims, replays and keeps `Idempotency-Key` records.
#[derive(Debug, Clone)]
pub struct IdempotencyService<S, C> {
    store: S,
    clock: C,
}

impl<S: IdempotencyStore, C: Clock> IdempotencyService<S, C> {
    /// Over `store`, at `clock`'s time.
    pub fn new(store: S, clock: C) -> Self {
        Self { store, clock }
    }

    /// What a request whose fingerprint is `fingerprint` is to do with `key`.
    pub async fn claim(
        &self, tenant: &TenantId, key: &str, fingerprint: &str,
    ) -> Result<IdempotencyClaim, StoreError> {
        let now = self.clock.now();
        let found = self
            .store
            .claim(tenant, key, fingerprint, now, ClaimCutoffs::at(now))
            .await?;
        Ok(found.judge(fingerprint))
    }

    /// Ends a claimed request: its response is kept when it is worth replaying
    /// ([`is_replayable`]), else the key is released so a retry runs anew.
    pub async fn finish(
        &self, tenant: &TenantId, key: &str, response: StoredResponse,
    ) -> Result<(), StoreError> {
        if is_replayable(response.status) {
            self.store.complete(tenant, key, response).await
        } else {
            self.store.release(tenant, key).await
        }
    }

    /// Releases a claimed key whose request gave no response.
    pub async fn release(&self, tenant: &TenantId, key: &str) -> Result<(), StoreError> {
        self.store.release(tenant, key).await
    }
}
