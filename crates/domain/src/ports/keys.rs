//! API keys: stored, and minted.

use std::future::Future;

use crate::accounts::{KeyInfo, NewKey, Revocation, StoredKey};
use crate::error::StoreError;
use crate::keys::MintedKey;
use crate::tenant::{Environment, TenantId};
use crate::timestamp::Timestamp;

/// What adding a key did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAdded {
    /// The key is live.
    Added,
    /// The environment already had the most live keys allowed: nothing was written.
    LimitReached,
}

/// API keys: found by their public lookup id, added, listed, revoked.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait KeyStore: Send + Sync + 'static {
    /// The key with this public lookup id, if any.
    fn find_key(
        &self, lookup_id: &str,
    ) -> impl Future<Output = Result<Option<StoredKey>, StoreError>> + Send;

    /// Adds a key to the tenant (its environment is `tenant.environment`) unless the
    /// environment already has `max_live` live keys. The count and the insert are
    /// atomic: concurrent additions never leave more than `max_live`.
    fn add_key(
        &self, tenant: &TenantId, key: NewKey, at: Timestamp, max_live: usize,
    ) -> impl Future<Output = Result<KeyAdded, StoreError>> + Send;

    /// The tenant's live keys, oldest first.
    fn list_keys(
        &self, tenant: &TenantId,
    ) -> impl Future<Output = Result<Vec<KeyInfo>, StoreError>> + Send;

    /// Revokes one of the tenant's live keys, unless it is the last one. Concurrent
    /// revocations of a tenant's keys are serialised, so two of them cannot leave it
    /// with none.
    fn revoke_key(
        &self, tenant: &TenantId, lookup_id: &str, at: Timestamp,
    ) -> impl Future<Output = Result<Revocation, StoreError>> + Send;

    /// Records that a key authenticated a request at `at`.
    fn touch_key(
        &self, lookup_id: &str, at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Makes new API keys: a random token and the hash kept of it. Hashing is slow on
/// purpose (argon2id), so an adapter runs it off the async workers.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait KeyMinter: Send + Sync + 'static {
    /// A new key for `environment`, labelled `name`.
    fn mint(
        &self, environment: Environment, name: &str,
    ) -> impl Future<Output = Result<MintedKey, StoreError>> + Send;
}
