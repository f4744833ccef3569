//! What the use cases call: a customer's variable writes and a call's hints sealed
//! before they are stored, numbers and external ids indexed for lookups, what was
//! stored opened after a read, a customer's key destroyed when they are erased. With a
//! vault that does not encrypt (encryption off), writes and lookups pass in clear.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use anyhow::anyhow;

use crate::calls::CallRecord;
use crate::customers::{CustomerLookup, CustomerRecord};
use crate::error::StoreError;
use crate::identity::{Ani, CustomerRef, IdentityHints};
use crate::ports::{
    ClearLink, EndCommit, LinkTouch, MovedLink, SealedVariable, SharedVault, StartCommit,
    UnsealedVariable,
};
use crate::protection::texts::{record_texts, variable_texts};
use crate::protection::{
    DataKey, RekeyPlan, Scope, SealedLinks, Tampered, any_sealed, generation_of, index_hints,
    index_lookup, moved_to_index, open_external_ids, open_hints, open_phones, open_variables,
    rekey_record, seal_hints, seal_links, seal_unsealed, seal_writes,
};
use crate::tenant::TenantId;
use crate::variables::{StoredVariable, VariableWrite};

/// The use cases' side of the [`crate::ports::Vault`].
#[derive(Clone)]
pub struct Sealer {
    vault: SharedVault,
    /// Moves links stored in clear before a lookup compares indexes (only on a store
    /// written by a version before encryption, until its migration is done).
    touch: Option<Arc<dyn LinkTouch>>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer")
    }
}

impl Sealer {
    /// Seals and opens through `vault`.
    pub fn new(vault: SharedVault) -> Self {
        Self { vault, touch: None }
    }

    /// Whether values are sealed and indexed (encryption on).
    pub fn encrypts(&self) -> bool {
        self.vault.encrypts()
    }

    /// The same, moving the links in clear a lookup would have found through `touch`
    /// before it compares indexes.
    pub fn touching(self, touch: Arc<dyn LinkTouch>) -> Self {
        Self {
            touch: Some(touch),
            ..self
        }
    }

    async fn touch(&self, tenant: &TenantId, hints: &IdentityHints) -> Result<(), StoreError> {
        match &self.touch {
            Some(touch) => touch.touch(tenant, hints).await,
            None => Ok(()),
        }
    }

    /// `writes` for `customer`, each value sealed under their key (made on their first
    /// value). Deletes only: no key is needed.
    pub async fn seal(
        &self, tenant: &TenantId, customer: &CustomerRef, writes: Vec<VariableWrite>,
    ) -> Result<Vec<VariableWrite>, StoreError> {
        if !self.vault.encrypts()
            || !writes
                .iter()
                .any(|w| matches!(w, VariableWrite::Set { .. }))
        {
            return Ok(writes);
        }
        let scope = Scope::Customer(*tenant, customer.clone());
        let key = self
            .vault
            .key(&scope, true)
            .await?
            .ok_or_else(|| StoreError::Unknown(anyhow!("the vault made no key")))?;
        Ok(seal_writes(&key, &scope, writes, || self.vault.nonce()))
    }

    /// `customer`'s stored variables opened. A value that does not open is an error that
    /// names the customer (by log digest) and the variable: that customer's read fails,
    /// no other.
    pub async fn open(
        &self, tenant: &TenantId, customer: &CustomerRef,
        variables: BTreeMap<String, StoredVariable>,
    ) -> Result<BTreeMap<String, StoredVariable>, StoreError> {
        self.open_with(tenant, customer, variables, None).await
    }

    /// [`Sealer::open`], with `known`: the customer's key this request already holds
    /// (a start's, made to seal its call), used for the generation it is of instead of
    /// asking the vault again.
    pub async fn open_with(
        &self, tenant: &TenantId, customer: &CustomerRef,
        variables: BTreeMap<String, StoredVariable>, known: Option<&DataKey>,
    ) -> Result<BTreeMap<String, StoredVariable>, StoreError> {
        if !any_sealed(&variables) {
            return Ok(variables);
        }
        let scope = Scope::Customer(*tenant, customer.clone());
        let key = self
            .opening_key(&scope, variable_texts(&variables), known)
            .await?;
        open_variables(key.as_ref(), &scope, variables)
            .map_err(|(name, e)| failure(tenant, customer, e, &format!("variable {name:?}")))
    }

    /// `records` with every variable, link and call's hints opened (see
    /// [`Sealer::open`]).
    pub async fn open_records(
        &self, tenant: &TenantId, records: Vec<CustomerRecord>,
    ) -> Result<Vec<CustomerRecord>, StoreError> {
        let mut opened = Vec::with_capacity(records.len());
        for record in records {
            opened.push(self.open_record(tenant, record).await?);
        }
        Ok(opened)
    }

    async fn open_record(
        &self, tenant: &TenantId, mut record: CustomerRecord,
    ) -> Result<CustomerRecord, StoreError> {
        let who = record.customer_ref.clone();
        let scope = Scope::Customer(*tenant, who.clone());
        // Without anything sealed no key is read; indexes are still left out.
        let key = self
            .opening_key(&scope, record_texts(&record), None)
            .await?;
        let key = key.as_ref();
        let who = &who;
        let tampered = |what: String| move |e: Tampered| failure(tenant, who, e, &what);
        record.variables = open_variables(key, &scope, std::mem::take(&mut record.variables))
            .map_err(|(name, e)| failure(tenant, who, e, &format!("variable {name:?}")))?;
        record.phones = open_phones(key, &scope, std::mem::take(&mut record.phones))
            .map_err(tampered("a phone link".into()))?;
        record.external_ids =
            open_external_ids(key, &scope, std::mem::take(&mut record.external_ids))
                .map_err(tampered("an external id link".into()))?;
        for call in &mut record.calls {
            let sealed = call.sealed_hints.take();
            let indexed = std::mem::take(&mut call.hints);
            let what = format!("the hints of call {:?}", call.call_id.as_str());
            call.hints =
                open_hints(key, &scope, indexed, sealed.as_deref()).map_err(tampered(what))?;
        }
        Ok(record)
    }

    /// A stored call with its hints opened under its customer's key.
    pub async fn open_call(
        &self, tenant: &TenantId, mut call: CallRecord,
    ) -> Result<CallRecord, StoreError> {
        let Some(sealed) = call.sealed_hints.take() else {
            call.hints = open_hints(None, &Scope::Tenant(*tenant), call.hints, None)
                .map_err(|e| failure(tenant, &call.customer, e, "call hints"))?;
            return Ok(call);
        };
        let scope = Scope::Customer(*tenant, call.customer.clone());
        let key = self.opening_key(&scope, [sealed.as_str()], None).await?;
        call.hints = open_hints(key.as_ref(), &scope, call.hints, Some(&sealed)).map_err(|e| {
            failure(
                tenant,
                &call.customer,
                e,
                &format!("the hints of call {:?}", call.call_id.as_str()),
            )
        })?;
        Ok(call)
    }

    /// The key that opens `texts` (stored values of `scope`): the scope's key of each
    /// generation they were sealed under, joined (one, unless a data key rotation is
    /// re-sealing them). `None` when nothing is sealed or no such key is left (the
    /// customer was erased): what was sealed can no longer be read. `known`, the
    /// scope's key the caller holds, serves its own generation without the vault.
    async fn opening_key<'t>(
        &self, scope: &Scope, texts: impl IntoIterator<Item = &'t str>, known: Option<&DataKey>,
    ) -> Result<Option<DataKey>, StoreError> {
        let generations: BTreeSet<u32> = texts.into_iter().filter_map(generation_of).collect();
        let mut joined: Option<DataKey> = None;
        for generation in generations {
            let held = known.and_then(|k| k.for_generation(generation)).cloned();
            let key = match held {
                Some(key) => Some(key),
                None => self.vault.key_of(scope, generation).await?,
            };
            if let Some(key) = key {
                joined = Some(match joined {
                    Some(first) => first.and(key),
                    None => key,
                });
            }
        }
        Ok(joined)
    }

    /// The tenant's key for blind indexes, made on first use.
    async fn tenant_key(&self, tenant: &TenantId) -> Result<DataKey, StoreError> {
        self.made(&Scope::Tenant(*tenant)).await
    }

    async fn made(&self, scope: &Scope) -> Result<DataKey, StoreError> {
        self.vault
            .key(scope, true)
            .await?
            .ok_or_else(|| StoreError::Unknown(anyhow!("the vault made no key")))
    }

    /// `hints` as stores compare them: number and external ids by their blind index.
    pub async fn index(
        &self, tenant: &TenantId, hints: &IdentityHints,
    ) -> Result<IdentityHints, StoreError> {
        if !self.vault.encrypts() || (hints.phone().is_none() && hints.external_ids.is_empty()) {
            return Ok(IdentityHints {
                dnis: None,
                ..hints.clone()
            });
        }
        self.touch(tenant, hints).await?;
        Ok(index_hints(&self.tenant_key(tenant).await?, hints))
    }

    /// A search as the store runs it: by blind index.
    pub async fn index_lookup(
        &self, tenant: &TenantId, lookup: &CustomerLookup,
    ) -> Result<CustomerLookup, StoreError> {
        if !self.vault.encrypts() {
            return Ok(lookup.clone());
        }
        let hints = match lookup {
            CustomerLookup::Ani(n) => IdentityHints {
                ani: Some(Ani::Number(n.clone())),
                ..IdentityHints::default()
            },
            CustomerLookup::ExternalId { namespace, value } => IdentityHints {
                external_ids: BTreeMap::from([(namespace.clone(), value.clone())]),
                ..IdentityHints::default()
            },
        };
        self.touch(tenant, &hints).await?;
        Ok(index_lookup(&self.tenant_key(tenant).await?, lookup))
    }

    /// `customer`'s links stored in clear, as they move to their indexes (see
    /// [`moved_to_index`]).
    pub async fn index_links(
        &self, tenant: &TenantId, customer: &CustomerRef, links: Vec<ClearLink>,
    ) -> Result<Vec<MovedLink>, StoreError> {
        let tenant_key = self.tenant_key(tenant).await?;
        let scope = Scope::Customer(*tenant, customer.clone());
        let key = self.made(&scope).await?;
        Ok(links
            .into_iter()
            .map(|link| moved_to_index(&tenant_key, &key, &scope, link, self.vault.nonce()))
            .collect())
    }

    /// A call's hints sealed under its customer's key and replaced by `indexed`
    /// ([`Sealer::index`] of them); with the sealed copies of `link`'s values, for the
    /// links a commit writes, and the customer's key when one sealed anything.
    async fn seal_call(
        &self, tenant: &TenantId, call: &mut CallRecord, indexed: IdentityHints,
        link: Option<&IdentityHints>,
    ) -> Result<(SealedLinks, Option<DataKey>), StoreError> {
        // Encryption off: the call keeps its hints as given, the links their values.
        if !self.vault.encrypts() {
            return Ok((SealedLinks::default(), None));
        }
        let personal = |h: &IdentityHints| {
            h.phone().is_some() || h.dnis.is_some() || !h.external_ids.is_empty()
        };
        if !personal(&call.hints) && !link.is_some_and(personal) {
            call.hints = indexed;
            return Ok((SealedLinks::default(), None));
        }
        let scope = Scope::Customer(*tenant, call.customer.clone());
        let key = self.made(&scope).await?;
        call.sealed_hints = seal_hints(&key, &scope, &call.hints, self.vault.nonce());
        call.hints = indexed;
        let links = link
            .map(|hints| seal_links(&key, &scope, hints, || self.vault.nonce()))
            .unwrap_or_default();
        Ok((links, Some(key)))
    }

    /// `customer`'s variables stored in clear, sealed under their key as a new write's
    /// would be (see [`seal_unsealed`]).
    pub async fn seal_unsealed(
        &self, tenant: &TenantId, customer: &CustomerRef, rows: Vec<UnsealedVariable>,
    ) -> Result<Vec<SealedVariable>, StoreError> {
        let scope = Scope::Customer(*tenant, customer.clone());
        let key = self.made(&scope).await?;
        Ok(seal_unsealed(&key, &scope, rows, || self.vault.nonce()))
    }

    /// A call stored before encryption as it is stored now: its hints opened (from
    /// clear, or from a copy an end sealed), indexed, and sealed under its customer.
    pub async fn reseal_call(
        &self, tenant: &TenantId, call: CallRecord,
    ) -> Result<CallRecord, StoreError> {
        let mut call = self.open_call(tenant, call).await?;
        let indexed = self.index(tenant, &call.hints).await?;
        self.seal_call(tenant, &mut call, indexed, None).await?;
        Ok(call)
    }

    /// A start's commit as stored: its call's hints `indexed` and sealed, and the
    /// sealed copies of the links it makes. Returns the customer's key it sealed under
    /// (none when nothing was sealed), which opens the context the commit reads back.
    pub async fn seal_start(
        &self, tenant: &TenantId, commit: &mut StartCommit, indexed: IdentityHints,
    ) -> Result<Option<DataKey>, StoreError> {
        let link = commit.link_hints.then(|| commit.call.hints.clone());
        let (links, key) = self
            .seal_call(tenant, &mut commit.call, indexed, link.as_ref())
            .await?;
        commit.sealed_links = links;
        Ok(key)
    }

    /// An end's commit as stored: the call's hints and the links indexed and sealed
    /// under the end's customer.
    pub async fn seal_end(
        &self, tenant: &TenantId, commit: &mut EndCommit,
    ) -> Result<(), StoreError> {
        let indexed = self.index(tenant, &commit.call.hints).await?;
        let link = std::mem::take(&mut commit.link);
        commit.sealed_links = self
            .seal_call(tenant, &mut commit.call, indexed, Some(&link))
            .await?
            .0;
        commit.link = self.index(tenant, &link).await?;
        Ok(())
    }

    /// What re-sealing `record` under its customer's key of `target` writes (see
    /// [`rekey_record`]); refused if the tenant's current generation is not `target` (a
    /// rotation must seal under the generation it moved to).
    pub async fn rekey(
        &self, tenant: &TenantId, record: &CustomerRecord, target: u32,
    ) -> Result<RekeyPlan, StoreError> {
        let scope = Scope::Customer(*tenant, record.customer_ref.clone());
        let new = self.made(&scope).await?;
        if new.generation() != target {
            return Err(StoreError::Unknown(anyhow!(
                "the tenant seals under key generation {}, not {target}: run the rotation again",
                new.generation()
            )));
        }
        let old = self.opening_key(&scope, record_texts(record), None).await?;
        Ok(rekey_record(record, old.as_ref(), &new, &scope, || {
            self.vault.nonce()
        }))
    }

    /// Destroys `customer`'s key: what was sealed under it, in the store and in every
    /// backup, can no longer be read. Idempotent.
    pub async fn shred(&self, tenant: &TenantId, customer: &CustomerRef) -> Result<(), StoreError> {
        self.vault
            .destroy(&Scope::Customer(*tenant, customer.clone()))
            .await
    }

    /// Destroys every key of `tenant`.
    pub async fn shred_tenant(&self, tenant: &TenantId) -> Result<(), StoreError> {
        self.vault.destroy(&Scope::Tenant(*tenant)).await
    }
}

/// A stored value that did not open: an error for that customer's request only, naming
/// the customer by log digest and what failed.
fn failure(
    tenant: &TenantId, customer: &CustomerRef, tampered: Tampered, what: &str,
) -> StoreError {
    StoreError::Unknown(anyhow!(
        "{tampered}: {what} of customer {customer:?} in tenant {}/{}",
        tenant.account,
        tenant.environment.as_str()
    ))
}
