//! The retention use cases: read and replace a tenant's settings, and enforce every
//! tenant's settings in bounded batches (the operator's periodic purge calls it).

use std::collections::BTreeMap;

use super::closure::wipe;
use super::drain;
use crate::error::{StoreError, ValidationError};
use crate::ports::{AccountStore, Clock, CustomerStore, RetentionStore, SharedVault};
use crate::protection::Sealer;
use crate::retention::{BATCH, Enforced, Erasure, RetentionSettings, webhook_events_before};
use crate::tenant::TenantId;

/// Why a retention use case did nothing (or stopped partway: what was deleted stays
/// deleted, and the next run goes on from there).
#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    /// Refused settings.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The retention use cases, generic over their store and clock.
#[derive(Debug, Clone)]
pub struct RetentionService<S, C> {
    store: S,
    clock: C,
    sealer: Sealer,
}

impl<S: RetentionStore, C: Clock> RetentionService<S, C> {
    /// Wires the service; keys are destroyed through `vault`.
    pub fn new(store: S, clock: C, vault: SharedVault) -> Self {
        Self {
            store,
            clock,
            sealer: Sealer::new(vault),
        }
    }

    /// The tenant's settings (the defaults until it saves some).
    pub async fn settings(&self, tenant: &TenantId) -> Result<RetentionSettings, StoreError> {
        Ok(self
            .store
            .retention_settings(tenant)
            .await?
            .unwrap_or_default())
    }

    /// Replaces the tenant's settings; they apply from the next enforcement.
    pub async fn replace(
        &self, tenant: &TenantId, settings: RetentionSettings,
    ) -> Result<RetentionSettings, RetentionError> {
        self.store
            .save_retention_settings(tenant, settings, self.clock.now())
            .await?;
        Ok(settings)
    }
}

impl<S: RetentionStore + AccountStore + CustomerStore, C: Clock> RetentionService<S, C> {
    /// Enforces every tenant's settings at the clock's now: old calls, idle customers
    /// (each erased under its own lock, only if still idle, with its `customer.erased`
    /// event), settled webhook events; and deletes what is left of closed accounts.
    /// Idempotent: a second run deletes nothing more.
    pub async fn enforce(&self) -> Result<Enforced, RetentionError> {
        let now = self.clock.now();
        let saved: BTreeMap<TenantId, RetentionSettings> = self
            .store
            .all_retention_settings()
            .await?
            .into_iter()
            .collect();
        let mut done = Enforced::default();
        for account in self.store.list_accounts().await? {
            for tenant in TenantId::both(account.id) {
                if account.closed_at.is_some() {
                    // A closure cut short is finished here; a finished one costs three
                    // statements that find nothing.
                    self.sealer.shred_tenant(&tenant).await?;
                    let (customers, rest) = wipe(&self.store, &tenant).await?;
                    done.customers += customers;
                    done.closed_rows += rest;
                    continue;
                }
                let settings = saved.get(&tenant).copied().unwrap_or_default();
                let before = settings.calls_before(now);
                done.calls += drain(|| {
                    self.store
                        .delete_calls_started_before(&tenant, before, BATCH)
                })
                .await?;
                if let Some(idle) = settings.idle(now) {
                    done.customers += self.erase_idle(&tenant, idle).await?;
                }
            }
        }
        let before = webhook_events_before(now);
        done.webhook_events +=
            drain(|| self.store.delete_settled_webhook_events(before, BATCH)).await?;
        Ok(done)
    }

    async fn erase_idle(
        &self, tenant: &TenantId, idle: crate::retention::Idle,
    ) -> Result<usize, StoreError> {
        let mut erased = 0;
        loop {
            let batch = self.store.idle_customers(tenant, idle, BATCH).await?;
            let mut progressed = false;
            for customer in &batch {
                if self
                    .store
                    .erase_customer(tenant, customer, Erasure::Retention { idle })
                    .await?
                {
                    self.sealer.shred(tenant, customer).await?;
                    erased += 1;
                    progressed = true;
                }
            }
            // A full batch none of which could be erased (each became active between
            // the listing and its erasure) would come back the same: stop there.
            if batch.len() < BATCH || !progressed {
                return Ok(erased);
            }
        }
    }
}
