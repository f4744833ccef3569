//! What the use cases call: a customer's variable writes sealed before they are stored,
//! their stored variables opened after a read, their key destroyed when they are erased.

use std::collections::BTreeMap;

use anyhow::anyhow;

use crate::customers::CustomerRecord;
use crate::error::StoreError;
use crate::identity::CustomerRef;
use crate::ports::SharedVault;
use crate::protection::{Scope, any_sealed, open_variables, seal_writes};
use crate::tenant::TenantId;
use crate::variables::{StoredVariable, VariableWrite};

/// The use cases' side of the [`crate::ports::Vault`].
#[derive(Clone)]
pub struct Sealer {
    vault: SharedVault,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer")
    }
}

impl Sealer {
    /// Seals and opens through `vault`.
    pub fn new(vault: SharedVault) -> Self {
        Self { vault }
    }

    /// `writes` for `customer`, each value sealed under their key (made on their first
    /// value). Deletes only: no key is needed.
    pub async fn seal(
        &self, tenant: &TenantId, customer: &CustomerRef, writes: Vec<VariableWrite>,
    ) -> Result<Vec<VariableWrite>, StoreError> {
        if !writes
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
        if !any_sealed(&variables) {
            return Ok(variables);
        }
        let scope = Scope::Customer(*tenant, customer.clone());
        let key = self.vault.key(&scope, false).await?;
        open_variables(key.as_ref(), &scope, variables).map_err(|(name, tampered)| {
            StoreError::Unknown(anyhow!(
                "{tampered}: variable {name:?} of customer {customer:?} in tenant {}/{}",
                tenant.account,
                tenant.environment.as_str()
            ))
        })
    }

    /// `records` with every variable opened (see [`Sealer::open`]).
    pub async fn open_records(
        &self, tenant: &TenantId, records: Vec<CustomerRecord>,
    ) -> Result<Vec<CustomerRecord>, StoreError> {
        let mut opened = Vec::with_capacity(records.len());
        for mut record in records {
            let variables = std::mem::take(&mut record.variables);
            record.variables = self.open(tenant, &record.customer_ref, variables).await?;
            opened.push(record);
        }
        Ok(opened)
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
