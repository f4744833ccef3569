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

#[cfg(test)]
mod tests {
    use futures::executor::block_on;

    use super::*;
    use crate::idempotency::claim::{HeldKey, KeyClaim};
    use crate::ports::{MockClock, MockIdempotencyStore};
    use crate::tenant::{AccountId, Environment};
    use crate::timestamp::Timestamp;

    fn tenant() -> TenantId {
        TenantId {
            account: AccountId(uuid::Uuid::from_u128(5)),
            environment: Environment::Test,
        }
    }

    fn now() -> Timestamp {
        Timestamp::parse("2026-03-01T10:00:00.000Z").unwrap()
    }

    fn response(status: u16) -> StoredResponse {
        StoredResponse {
            status,
            body: "{}".into(),
            customer: None,
        }
    }

    /// The claim is made at the clock's time with the domain's cut-offs, and what
    /// holds the key is judged here.
    #[test]
    fn a_claim_is_judged_at_the_clocks_time() {
        let mut store = MockIdempotencyStore::new();
        store
            .expect_claim()
            .withf(|_, key, fp, at, cut| {
                key == "k" && fp == "b" && *at == now() && *cut == ClaimCutoffs::at(now())
            })
            .returning(|_, _, _, _, _| {
                Box::pin(async {
                    Ok(KeyClaim::Held(HeldKey {
                        fingerprint: "a".into(),
                        response: None,
                    }))
                })
            });
        let mut clock = MockClock::new();
        clock.expect_now().returning(now);
        let service = IdempotencyService::new(store, clock);
        assert_eq!(
            block_on(service.claim(&tenant(), "k", "b")).unwrap(),
            IdempotencyClaim::Mismatch
        );
    }

    /// A replayable outcome is kept; any other releases the key.
    #[test]
    fn an_outcome_is_kept_only_when_replayable() {
        for (status, kept) in [
            (200, true),
            (400, true),
            (402, false),
            (429, false),
            (500, false),
        ] {
            let mut store = MockIdempotencyStore::new();
            store
                .expect_complete()
                .times(usize::from(kept))
                .returning(|_, _, _| Box::pin(async { Ok(()) }));
            store
                .expect_release()
                .times(usize::from(!kept))
                .returning(|_, _| Box::pin(async { Ok(()) }));
            let service = IdempotencyService::new(store, MockClock::new());
            block_on(service.finish(&tenant(), "k", response(status))).unwrap();
        }
    }
}
