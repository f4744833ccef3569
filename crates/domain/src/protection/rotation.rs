//! A tenant's data key rotation, run over the tenant while the server serves: it moves
//! the tenant to the next key generation ([`crate::ports::Vault::advance`]), waits until
//! every node seals under it, re-seals every value still under an older key, page by
//! page ([`crate::protection::rekey_record`], compare-and-set, so a write made meanwhile
//! stays), and destroys the older keys ([`crate::ports::Vault::retire`]). State lives in
//! the keyring and in each value's generation mark, so a rotation killed at any point
//! goes on when run again; reads open each value under the key of its mark throughout.

use std::future::Future;
use std::sync::Arc;

use anyhow::anyhow;

use crate::error::StoreError;
use crate::identity::CustomerRef;
use crate::ports::{CustomerStore, ExportStore, SharedVault, UnsealedStore};
use crate::protection::{BATCH, Generation, RekeyPlan, Sealer, needs_rekey};
use crate::tenant::TenantId;

/// What a data key rotation did (counts only).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Rekeyed {
    /// The generation the tenant's values are now sealed under.
    pub generation: u32,
    /// Customers read.
    pub customers: u64,
    /// Variables re-sealed.
    pub variables: u64,
    /// Links whose sealed copy was re-sealed.
    pub links: u64,
    /// Calls whose sealed hints were re-sealed.
    pub calls: u64,
    /// Values changed between the read and the write (written anew since, under the
    /// new keys): left as they are.
    pub changed_meanwhile: u64,
    /// Values that opened under no key: left as they are.
    pub unreadable: u64,
    /// Keys of older generations destroyed at the end.
    pub keys_destroyed: u64,
}

impl Rekeyed {
    /// Values re-sealed so far.
    fn resealed(&self) -> u64 {
        self.variables + self.links + self.calls
    }
}

/// Passes over the tenant before a rotation gives up on values that keep changing
/// between its read and its write (run again, it goes on): at least two (the
/// confirming one after the second wait).
const PASSES: usize = 4;

/// The data key rotation of a tenant.
pub struct Rekeying<S> {
    store: Arc<S>,
    vault: SharedVault,
    sealer: Sealer,
}

impl<S> std::fmt::Debug for Rekeying<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Rekeying")
    }
}

impl<S: CustomerStore + ExportStore + UnsealedStore> Rekeying<S> {
    /// Reads and writes through `store`, keys from `vault`.
    pub fn new(store: Arc<S>, vault: SharedVault) -> Self {
        Self {
            store,
            sealer: Sealer::new(vault.clone()),
            vault,
        }
    }

    /// Rotates the tenant's data keys: moves it to the next generation (or finds the
    /// rotation under way), awaits `settle()` (which must outlast every node's reading of
    /// the generation), re-seals every value under an older key until a pass finds
    /// nothing changed meanwhile, awaits `settle()` again and passes once more (a request
    /// that took an older key just before the nodes moved on has committed by then), and
    /// when that pass re-sealed nothing, destroys the older keys. `progress` hears the
    /// running counts after each page.
    pub async fn rotate<F: Future<Output = ()>>(
        &self, tenant: &TenantId, settle: impl Fn() -> F, mut progress: impl FnMut(&Rekeyed),
    ) -> Result<Rekeyed, StoreError> {
        let generation = self.vault.advance(tenant).await?;
        settle().await;
        let mut done = Rekeyed {
            generation: generation.current,
            ..Rekeyed::default()
        };
        let mut confirming = false;
        for _ in 0..PASSES {
            let before = (done.changed_meanwhile, done.resealed());
            self.pass(tenant, generation, &mut done, &mut progress)
                .await?;
            let (changed, resealed) = (
                done.changed_meanwhile != before.0,
                done.resealed() != before.1,
            );
            if confirming && !changed && !resealed {
                done.keys_destroyed = self.vault.retire(tenant, generation).await?;
                return Ok(done);
            }
            if !changed {
                settle().await;
                confirming = true;
            }
        }
        Err(StoreError::Unknown(anyhow!(
            "values kept changing under the rotation: run it again to go on"
        )))
    }

    async fn pass(
        &self, tenant: &TenantId, generation: Generation, done: &mut Rekeyed,
        progress: &mut impl FnMut(&Rekeyed),
    ) -> Result<(), StoreError> {
        let mut after: Option<CustomerRef> = None;
        loop {
            let refs = self
                .store
                .customer_refs(tenant, after.clone(), BATCH)
                .await?;
            let Some(last) = refs.last() else {
                return Ok(());
            };
            after = Some(last.clone());
            let mut plan = RekeyPlan::default();
            for record in self.store.customer_records(tenant, &refs).await? {
                done.customers += 1;
                if !needs_rekey(&record, generation.current) {
                    continue;
                }
                let one = self
                    .sealer
                    .rekey(tenant, &record, generation.current)
                    .await?;
                plan.variables.extend(one.variables);
                plan.links.extend(one.links);
                plan.calls.extend(one.calls);
                plan.unreadable += one.unreadable;
            }
            let planned = (plan.variables.len() + plan.links.len() + plan.calls.len()) as u64;
            let variables = self.store.seal_variables(tenant, plan.variables).await? as u64;
            let links = self.store.reseal_links(tenant, plan.links).await? as u64;
            let calls = self.store.seal_calls(tenant, plan.calls).await? as u64;
            done.variables += variables;
            done.links += links;
            done.calls += calls;
            done.changed_meanwhile += planned - variables - links - calls;
            done.unreadable += plan.unreadable as u64;
            progress(done);
        }
    }
}
