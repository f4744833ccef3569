//! Data keys: the [`Vault`] the use cases ask for a customer's or a tenant's key (and
//! that destroys them), and the [`KeyringStore`] a software vault keeps its wrapped keys
//! in. The keyring must live apart from the data it protects (another database or
//! file): a backup of the data then holds no key, so destroying a key reaches every
//! copy of the rows it sealed.
//!
//! Both are object-safe (boxed futures) so a service holds `Arc<dyn Vault>` and a KMS
//! adapter can replace the software one without a type parameter in every service.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::error::StoreError;
use crate::protection::{DataKey, Generation, Scope};
use crate::tenant::TenantId;

/// What a vault or keyring call returns.
pub type KeyFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// Data keys by scope, and fresh nonces.
pub trait Vault: Send + Sync + 'static {
    /// The scope's data key new values are sealed under: a customer's of their tenant's
    /// current [`Generation`], a tenant's (its indexes) of the first. When there is none:
    /// a new one is made and kept if `create`, else `None` (never needed yet, or
    /// destroyed).
    fn key<'a>(&'a self, scope: &'a Scope, create: bool) -> KeyFuture<'a, Option<DataKey>>;

    /// The scope's key of `generation`, if there is one (never made here): what opens a
    /// value marked with that generation.
    fn key_of<'a>(&'a self, scope: &'a Scope, generation: u32) -> KeyFuture<'a, Option<DataKey>>;

    /// Destroys the scope's key (every generation of it); for a tenant, every key of the
    /// tenant (its customers' included). Idempotent.
    fn destroy<'a>(&'a self, scope: &'a Scope) -> KeyFuture<'a, ()>;

    /// The tenant's key generations as the keyring holds them now.
    fn generation<'a>(&'a self, tenant: &'a TenantId) -> KeyFuture<'a, Generation>;

    /// Starts a data key rotation of the tenant, or finds the one under way
    /// ([`Generation::advanced`]): new values are sealed under the next generation's
    /// keys, on every node once it has read the keyring again. Returns the state.
    fn advance<'a>(&'a self, tenant: &'a TenantId) -> KeyFuture<'a, Generation>;

    /// Ends the rotation `generation` (the state [`Vault::advance`] returned, once every
    /// value is re-sealed): destroys every customer key of the tenant older than its
    /// current generation, then records it settled. How many keys were destroyed.
    fn retire<'a>(&'a self, tenant: &'a TenantId, generation: Generation) -> KeyFuture<'a, u64>;

    /// 24 bytes drawn at random, for one nonce.
    fn nonce(&self) -> [u8; 24];

    /// Whether new values are sealed and indexed (encryption on, the default). A vault
    /// that says no still opens what was sealed; the use cases store values in clear.
    fn encrypts(&self) -> bool {
        true
    }
}

/// The vault the services share.
pub type SharedVault = Arc<dyn Vault>;

/// Where a software vault keeps wrapped data keys, by scope name
/// ([`Scope::name`]), and the id of the master key that wrapped them.
pub trait KeyringStore: Send + Sync + 'static {
    /// The wrapped key stored for `scope`, if any.
    fn wrapped<'a>(&'a self, scope: &'a str) -> KeyFuture<'a, Option<String>>;

    /// Stores `wrapped` for `scope` unless a key is there already; returns the key
    /// stored (the first writer wins, so two nodes never seal under different keys).
    fn insert<'a>(&'a self, scope: &'a str, wrapped: &'a str) -> KeyFuture<'a, String>;

    /// Deletes the key of `scope` and, when `with_customers`, of every scope under it
    /// (`<scope>/c/...`).
    fn delete<'a>(&'a self, scope: &'a str, with_customers: bool) -> KeyFuture<'a, ()>;

    /// The master key id the keyring was made with: `proposed` is stored if the keyring
    /// is new.
    fn master_id<'a>(&'a self, proposed: &'a str) -> KeyFuture<'a, String>;

    /// Moves the keyring to the master key `to` if it still names `from` (a rotation's
    /// first step); true if it names `to` afterwards.
    fn move_master_id<'a>(&'a self, from: &'a str, to: &'a str) -> KeyFuture<'a, bool>;

    /// Up to `limit` wrapped keys whose scope name sorts after `after`, in scope-name
    /// order (never the master id): a rotation pages through the keyring with them.
    fn page<'a>(&'a self, after: &'a str, limit: u32) -> KeyFuture<'a, Vec<(String, String)>>;

    /// Replaces the key of `scope` by `new` if it is still `expected` (compare-and-set:
    /// a key destroyed meanwhile stays destroyed); whether it did.
    fn replace<'a>(
        &'a self, scope: &'a str, expected: &'a str, new: &'a str,
    ) -> KeyFuture<'a, bool>;
}
