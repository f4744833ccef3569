//! A tenant's data key rotation: its customers' values re-sealed under their keys of
//! the next generation, page by page, while the server serves. The rule for one
//! customer is pure ([`rekey_record`]); [`Rekeying`] runs it over the tenant: it moves
//! the tenant to the next generation ([`crate::ports::Vault::advance`]), waits until
//! every node seals under it, re-seals every value still under an older key
//! (compare-and-set, so a write made meanwhile stays), and destroys the older keys
//! ([`crate::ports::Vault::retire`]). State lives in the keyring and in each value's
//! generation mark, so a rotation killed at any point goes on when run again; reads
//! open each value under the key of its mark throughout.

use std::future::Future;
use std::sync::Arc;

use anyhow::anyhow;

use crate::calls::CallRecord;
use crate::customers::CustomerRecord;
use crate::error::StoreError;
use crate::identity::CustomerRef;
use crate::ports::{
    CustomerStore, ExportStore, LinkOf, ResealedLink, SealedCall, SealedVariable, SharedVault,
    UnsealedStore,
};
use crate::protection::{
    BATCH, DataKey, Field, Generation, Scope, Sealer, Tampered, generation_of, open, seal,
};
use crate::tenant::TenantId;

/// What re-sealing one customer writes.
#[derive(Debug, Clone, Default)]
pub struct RekeyPlan {
    /// Variables whose value and source are re-sealed (compare-and-set on the value).
    pub variables: Vec<SealedVariable>,
    /// Links whose sealed copy is re-sealed.
    pub links: Vec<ResealedLink>,
    /// Calls whose sealed hints are re-sealed (their indexes stay).
    pub calls: Vec<SealedCall>,
    /// Values that opened under no key (altered, or moved from another customer): left
    /// as they are.
    pub unreadable: usize,
}

/// Whether `stored` is sealed under a key of another generation than `target`.
fn stale(stored: &str, target: u32) -> bool {
    generation_of(stored).is_some_and(|g| g != target)
}

/// Whether any value of `record` is sealed under a key of another generation than
/// `target` (else the customer needs no key of it).
pub fn needs_rekey(record: &CustomerRecord, target: u32) -> bool {
    crate::protection::sealer::record_texts(record).any(|t| stale(t, target))
}

/// `record`'s values sealed under another generation than `new`'s, opened under `old`
/// (their keys, joined) and sealed under `new` for the same customer and field, as a
/// new write is; `nonce` draws a fresh nonce per value.
pub fn rekey_record(
    record: &CustomerRecord, old: Option<&DataKey>, new: &DataKey, scope: &Scope,
    mut nonce: impl FnMut() -> [u8; 24],
) -> RekeyPlan {
    let target = new.generation();
    let mut plan = RekeyPlan::default();
    let reseal = |field: Field, stored: &str, nonce: [u8; 24]| -> Result<String, Tampered> {
        let plain = open(old.ok_or(Tampered)?, scope, field, stored)?;
        Ok(seal(new, scope, field, &plain, nonce))
    };
    for (key, variable) in &record.variables {
        if !stale(&variable.value, target) {
            continue;
        }
        let value = reseal(Field::VariableValue, &variable.value, nonce());
        let source = match &variable.source {
            Some(s) if stale(s, target) => reseal(Field::VariableSource, s, nonce()).map(Some),
            other => Ok(other.clone()),
        };
        match (value, source) {
            (Ok(value), Ok(source)) => plan.variables.push(SealedVariable {
                customer: record.customer_ref.clone(),
                key: key.clone(),
                was: variable.value.clone(),
                value,
                source,
            }),
            _ => plan.unreadable += 1,
        }
    }
    let links = record
        .phones
        .iter()
        .map(|p| {
            (
                LinkOf::Phone,
                p.e164.as_e164(),
                p.sealed.as_deref(),
                Field::PhoneNumber,
            )
        })
        .chain(record.external_ids.iter().map(|x| {
            (
                LinkOf::External(x.namespace.clone()),
                x.value.as_str(),
                x.sealed.as_deref(),
                Field::ExternalId,
            )
        }));
    for (of, index, sealed, field) in links {
        let Some(was) = sealed.filter(|s| stale(s, target)) else {
            continue;
        };
        match reseal(field, was, nonce()) {
            Ok(sealed) => plan.links.push(ResealedLink {
                customer: record.customer_ref.clone(),
                of,
                index: index.to_owned(),
                was: was.to_owned(),
                sealed,
            }),
            Err(Tampered) => plan.unreadable += 1,
        }
    }
    for call in &record.calls {
        let Some(was) = call.sealed_hints.as_deref().filter(|s| stale(s, target)) else {
            continue;
        };
        match reseal(Field::CallHints, was, nonce()) {
            Ok(sealed) => plan.calls.push(SealedCall {
                was: call.clone(),
                now: CallRecord {
                    sealed_hints: Some(sealed),
                    ..call.clone()
                },
            }),
            Err(Tampered) => plan.unreadable += 1,
        }
    }
    plan
}

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

/// Passes over the tenant before a rotation gives up on values that keep changing
/// between its read and its write (run again, it goes on).
const PASSES: usize = 3;

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
    /// rotation under way), awaits `settled` (which must outlast every node's reading of
    /// the generation), re-seals every value under an older key, and, when a pass found
    /// nothing changed meanwhile, destroys the older keys. `progress` hears the running
    /// counts after each page.
    pub async fn rotate(
        &self, tenant: &TenantId, settled: impl Future<Output = ()>,
        mut progress: impl FnMut(&Rekeyed),
    ) -> Result<Rekeyed, StoreError> {
        let generation = self.vault.advance(tenant).await?;
        settled.await;
        let mut done = Rekeyed {
            generation: generation.current,
            ..Rekeyed::default()
        };
        for _ in 0..PASSES {
            let before = done.changed_meanwhile;
            self.pass(tenant, generation, &mut done, &mut progress)
                .await?;
            if done.changed_meanwhile == before {
                done.keys_destroyed = self.vault.retire(tenant, generation).await?;
                return Ok(done);
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
