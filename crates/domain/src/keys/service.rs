//! The key use cases over their ports: create within the cap, list, revoke (never the
//! last live one), find and admit a presented key.

use super::{Admission, CreatedKey, KeyError, KeyName, MAX_LIVE_KEYS, check_environment, opens};
use crate::accounts::{KeyInfo, Revocation, StoredKey};
use crate::error::StoreError;
use crate::ports::{Clock, KeyAdded, KeyMinter, KeyStore};
use crate::tenant::{Environment, TenantId};

/// The key use cases, generic over their ports.
#[derive(Debug, Clone)]
pub struct KeyService<S, C, M> {
    store: S,
    clock: C,
    minter: M,
}

impl<S: KeyStore, C: Clock, M: KeyMinter> KeyService<S, C, M> {
    /// Wires the service.
    pub fn new(store: S, clock: C, minter: M) -> Self {
        Self {
            store,
            clock,
            minter,
        }
    }

    /// The stored key a presented token's public lookup id finds, for its hash to be
    /// checked (slow on purpose, so the caller runs it where it may block).
    pub async fn find(&self, lookup_id: &str) -> Result<Option<StoredKey>, StoreError> {
        self.store.find_key(lookup_id).await
    }

    /// Admits a found key whose hash check gave `matches` for a token of
    /// `environment` ([`opens`]), recording its use at the clock's time.
    pub async fn admit(
        &self, key: Option<StoredKey>, environment: Environment, matches: bool,
    ) -> Admission {
        match key {
            Some(key) if opens(&key, environment, matches) => {
                let unrecorded = self
                    .store
                    .touch_key(&key.lookup_id, self.clock.now())
                    .await
                    .err();
                Admission::Admitted { key, unrecorded }
            }
            _ => Admission::Refused,
        }
    }

    /// The tenant's live keys, oldest first.
    pub async fn list(&self, tenant: &TenantId) -> Result<Vec<KeyInfo>, KeyError> {
        Ok(self.store.list_keys(tenant).await?)
    }

    /// Creates a key in the tenant's environment, unless it already has
    /// [`MAX_LIVE_KEYS`] live ones. The store applies the cap atomically: concurrent
    /// creations never leave more than the cap.
    pub async fn create(
        &self, tenant: &TenantId, name: &str, environment: Option<&str>,
    ) -> Result<CreatedKey, KeyError> {
        let name = KeyName::parse(name);
        let environment = check_environment(tenant, environment);
        let (name, environment) = match (name, environment) {
            (Ok(n), Ok(e)) => (n, e),
            (Err(e), _) => return Err(e.into()),
            (_, Err(e)) => return Err(e),
        };
        let minted = self.minter.mint(environment, name.as_str()).await?;
        let now = self.clock.now();
        let info = KeyInfo {
            lookup_id: minted.key.lookup_id.clone(),
            environment,
            name: minted.key.name.clone(),
            last4: minted.key.last4.clone(),
            created_at: now,
            last_used_at: None,
        };
        match self
            .store
            .add_key(tenant, minted.key, now, MAX_LIVE_KEYS)
            .await?
        {
            KeyAdded::Added => Ok(CreatedKey {
                token: minted.token,
                info,
            }),
            KeyAdded::LimitReached => Err(KeyError::TooManyKeys { max: MAX_LIVE_KEYS }),
        }
    }

    /// Revokes one of the tenant's live keys, never its last one.
    pub async fn revoke(&self, tenant: &TenantId, lookup_id: &str) -> Result<(), KeyError> {
        let now = self.clock.now();
        match self.store.revoke_key(tenant, lookup_id, now).await? {
            Revocation::Revoked => Ok(()),
            Revocation::NotFound => Err(KeyError::NotFound),
            Revocation::LastKey => Err(KeyError::LastKey),
        }
    }
}
