//! Sealing what was stored before encryption: the background migration that applies
//! the rule (`seal_unsealed`: each value in clear sealed as a new write is) to every
//! tenant in batches, while the server serves. State lives only in the rows (a value in
//! clear has no `sc1.` prefix), so a migration killed at any point goes on from where
//! it was when run again.

use std::sync::Arc;

use crate::error::StoreError;
use crate::ports::{AccountStore, SealedCall, SharedVault, UnsealedStore};
use crate::protection::{BATCH, ClearLinks, Sealer, by_customer};
use crate::tenant::TenantId;

/// What a migration run sealed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Migrated {
    /// Variables whose value (and source) were sealed.
    pub variables: usize,
    /// Calls whose number, dialled number and external ids were indexed and sealed.
    pub calls: usize,
    /// Links to a number or an external id moved from the value in clear to its index.
    pub links: usize,
    /// Calls whose hints did not open (altered): left as they are, named in the error
    /// log by the caller.
    pub calls_unreadable: usize,
}

/// The migration of rows stored before encryption.
#[derive(Clone)]
pub struct SealingMigration<S> {
    store: S,
    sealer: Sealer,
    links: Arc<ClearLinks<S>>,
}

impl<S> std::fmt::Debug for SealingMigration<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingMigration")
    }
}

impl<S: UnsealedStore + AccountStore + Clone> SealingMigration<S> {
    /// Reads and writes through `store`, keys from `vault`.
    pub fn new(store: S, vault: SharedVault) -> Self {
        Self {
            links: Arc::new(ClearLinks::new(store.clone(), vault.clone())),
            store,
            sealer: Sealer::new(vault),
        }
    }

    /// The same, moving links through `links`: the lookups' mover, which stops asking
    /// once a run has moved every link.
    pub fn moving(self, links: Arc<ClearLinks<S>>) -> Self {
        Self { links, ..self }
    }

    /// Seals every value still in clear, tenant by tenant, [`BATCH`] rows at a time;
    /// `progress` hears each tenant's running count of rows sealed after every batch
    /// (the caller logs it); nothing with encryption off. Closed accounts are skipped
    /// (their rows are being deleted). A second run finds nothing. Once a run has moved
    /// every link, lookups stop looking for links in clear.
    pub async fn run(
        &self, mut progress: impl FnMut(&TenantId, usize) + Send,
    ) -> Result<Migrated, StoreError> {
        let mut done = Migrated::default();
        // Encryption off: values stay in clear, links are compared by value.
        if !self.sealer.encrypts() {
            return Ok(done);
        }
        let mut every_link_moved = true;
        for account in self.store.list_accounts().await? {
            if account.closed_at.is_some() {
                continue;
            }
            for tenant in TenantId::both(account.id) {
                let (links, complete) = self.links.move_tenant(&tenant, &mut progress).await?;
                done.links += links;
                every_link_moved &= complete;
                done.variables += self.variables(&tenant, &mut progress).await?;
                let (calls, unreadable) = self.calls(&tenant, &mut progress).await?;
                done.calls += calls;
                done.calls_unreadable += unreadable;
            }
        }
        if every_link_moved {
            self.links.none_remain();
        }
        Ok(done)
    }

    async fn variables(
        &self, tenant: &TenantId, progress: &mut (impl FnMut(&TenantId, usize) + Send),
    ) -> Result<usize, StoreError> {
        let mut sealed = 0;
        loop {
            let batch = self.store.unsealed_variables(tenant, BATCH).await?;
            let full = batch.len() == BATCH;
            let mut writes = Vec::new();
            for (customer, rows) in by_customer(batch, |row| &row.customer) {
                writes.extend(self.sealer.seal_unsealed(tenant, &customer, rows).await?);
            }
            let replaced = self.store.seal_variables(tenant, writes).await?;
            sealed += replaced;
            if replaced > 0 {
                progress(tenant, sealed);
            }
            // Fewer than a batch: that was the last. A full batch none of which was
            // replaced (each rewritten since, sealed) would not come back; one that
            // would come back unchanged must not loop.
            if !full || replaced == 0 {
                return Ok(sealed);
            }
        }
    }

    /// The tenant's calls with hints in clear, indexed and sealed batch by batch; how
    /// many were, and how many did not open.
    async fn calls(
        &self, tenant: &TenantId, progress: &mut (impl FnMut(&TenantId, usize) + Send),
    ) -> Result<(usize, usize), StoreError> {
        let (mut sealed, mut unreadable) = (0, 0);
        loop {
            let batch = self.store.unsealed_calls(tenant, BATCH).await?;
            let full = batch.len() == BATCH;
            let mut writes = Vec::with_capacity(batch.len());
            for was in batch {
                match self.sealer.reseal_call(tenant, was.clone()).await {
                    Ok(now) => writes.push(SealedCall { was, now }),
                    // Altered hints stay as they are (every read of them fails, named).
                    Err(StoreError::Unknown(_)) => unreadable += 1,
                    Err(e) => return Err(e),
                }
            }
            let replaced = self.store.seal_calls(tenant, writes).await?;
            sealed += replaced;
            if replaced > 0 {
                progress(tenant, sealed);
            }
            if !full || replaced == 0 {
                return Ok((sealed, unreadable));
            }
        }
    }
}
