//! Encryption off (`STICKYCALLS_ENCRYPTION=off`): a vault that tells the use cases not to
//! seal or index, for a store whose keyring has never held a data key. Once one has been
//! made, data is sealed or indexed somewhere, and lookups by value would no longer find
//! it: the vault refuses to turn off.

use std::sync::Arc;

use stickycalls_domain::ports::{KeyFuture, KeyringStore, SharedVault, Vault};
use stickycalls_domain::protection::{DataKey, Generation, Scope};
use stickycalls_domain::tenant::TenantId;

use crate::{SoftwareVault, VaultError};

/// A vault that does not encrypt new values (it still opens what it holds).
pub struct EncryptionOff(SharedVault);

impl std::fmt::Debug for EncryptionOff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EncryptionOff")
    }
}

impl EncryptionOff {
    /// `vault` with encryption off, if its keyring holds no data key.
    pub async fn over<K: KeyringStore>(vault: SoftwareVault<K>) -> Result<Self, VaultError> {
        if !vault.keyring.page("", 1).await?.is_empty() {
            return Err(VaultError::EncryptionWasOn);
        }
        Ok(Self(Arc::new(vault)))
    }
}

impl Vault for EncryptionOff {
    fn key<'a>(&'a self, scope: &'a Scope, create: bool) -> KeyFuture<'a, Option<DataKey>> {
        self.0.key(scope, create)
    }

    fn key_of<'a>(&'a self, scope: &'a Scope, generation: u32) -> KeyFuture<'a, Option<DataKey>> {
        self.0.key_of(scope, generation)
    }

    fn destroy<'a>(&'a self, scope: &'a Scope) -> KeyFuture<'a, ()> {
        self.0.destroy(scope)
    }

    fn generation<'a>(&'a self, tenant: &'a TenantId) -> KeyFuture<'a, Generation> {
        self.0.generation(tenant)
    }

    fn advance<'a>(&'a self, tenant: &'a TenantId) -> KeyFuture<'a, Generation> {
        self.0.advance(tenant)
    }

    fn retire<'a>(&'a self, tenant: &'a TenantId, generation: Generation) -> KeyFuture<'a, u64> {
        self.0.retire(tenant, generation)
    }

    fn nonce(&self) -> [u8; 24] {
        self.0.nonce()
    }

    fn encrypts(&self) -> bool {
        false
    }
}
