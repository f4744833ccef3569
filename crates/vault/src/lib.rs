//! The software vault: the [`Vault`] port over a [`KeyringStore`]. It draws data keys
//! from the operating system's random source, wraps them under the operator's
//! [`MasterKey`], keeps them in the keyring (which must live apart from the data it
//! protects), caches them unwrapped in memory, and destroys them when a customer is
//! erased or a tenant closed. It refuses a keyring made under another master key.
//!
//! During a master-key rotation it holds two master keys: it opens a wrapped key under
//! either, wraps new keys under the one the keyring names, and [`SoftwareVault::rotate`]
//! moves the keyring to the new key and re-wraps every key under it ([`rotation`]).
//!
//! With encryption off ([`EncryptionOff`]) it tells the use cases to store values in
//! clear, and only for a keyring that has never held a data key.
//!
//! It knows nothing of what is sealed (the domain's `protection` rules) nor where the
//! keyring is stored (memory, an SQLite file, a PostgreSQL database: the store crates).

mod memory;
mod off;
pub mod rotation;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::anyhow;
use moka::future::Cache;
use stickycalls_domain::StoreError;
use stickycalls_domain::ports::{KeyFuture, KeyringStore, Vault};
use stickycalls_domain::protection::{DataKey, Generation, MasterKey, Scope};
use stickycalls_domain::tenant::TenantId;

pub use memory::MemoryKeyring;
pub use off::EncryptionOff;

/// Most unwrapped keys kept in memory (about 100 bytes each).
const CACHED_KEYS: u64 = 100_000;
/// How long an unwrapped key stays cached: another node's destruction reaches this one
/// by then at the latest.
const CACHED_FOR: Duration = Duration::from_secs(600);
/// How long a vault with two master keys trusts its last reading of which one the
/// keyring names before it wraps a new key: a rotation waits longer than this after
/// moving the keyring, so no node wraps under the old key once the re-wrapping starts.
pub const WRAPPING_CHOICE_FOR: Duration = Duration::from_secs(5);

/// Why a vault did not open.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The keyring was made under another master key.
    #[error(
        "the master key (id {given}) is not the one this keyring was made with (id {stored}): \
         start with the master key that wrapped the data keys (during a rotation, give the \
         other one as STICKYCALLS_MASTER_KEY_PREVIOUS)"
    )]
    WrongMasterKey {
        /// The id of the key given.
        given: String,
        /// The id the keyring holds.
        stored: String,
    },
    /// A rotation needs the master key being replaced (`STICKYCALLS_MASTER_KEY_PREVIOUS`).
    #[error(
        "a rotation needs the new master key as STICKYCALLS_MASTER_KEY and the one it \
         replaces as STICKYCALLS_MASTER_KEY_PREVIOUS"
    )]
    NoPreviousKey,
    /// Encryption off was asked of a store whose keyring holds data keys.
    #[error(
        "STICKYCALLS_ENCRYPTION=off, but this store's keyring holds data keys: encryption \
         was on, and what it sealed or indexed would no longer be found by value. Encryption \
         once on stays on (remove STICKYCALLS_ENCRYPTION or set it to on)"
    )]
    EncryptionWasOn,
    /// The keyring could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Data keys wrapped under a master key, kept in `K`.
pub struct SoftwareVault<K> {
    master: MasterKey,
    previous: Option<MasterKey>,
    keyring: K,
    cache: Cache<String, DataKey>,
    /// With two master keys: whether the keyring named the previous one, and when that
    /// was read.
    wraps_under_previous: Mutex<Option<(Instant, bool)>>,
    /// Each tenant's key generation as last read, and when it was asked: trusted for
    /// [`WRAPPING_CHOICE_FOR`], so a data key rotation that waits longer after moving a
    /// tenant finds every node sealing under the new generation.
    generations: Mutex<HashMap<TenantId, (Instant, Generation)>>,
    /// Tenants' index keys (one per tenant, asked on every identification), and when
    /// each was read: kept apart from the customers' keys, whose cache they would
    /// otherwise share with a million entries, for [`CACHED_FOR`] as those are.
    index_keys: Mutex<HashMap<TenantId, (Instant, DataKey)>>,
}

impl<K> std::fmt::Debug for SoftwareVault<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoftwareVault")
            .field("master", &self.master)
            .field("cached_keys", &self.cache.entry_count())
            .finish_non_exhaustive()
    }
}

impl<K: KeyringStore> SoftwareVault<K> {
    /// Opens the vault: [`SoftwareVault::new`], then [`SoftwareVault::verify`].
    pub async fn open(master: MasterKey, keyring: K) -> Result<Self, VaultError> {
        let vault = Self::new(master, keyring);
        vault.verify().await?;
        Ok(vault)
    }

    /// The vault, not yet checked against its keyring (a server builds it before its
    /// database answers, and verifies it before serving).
    pub fn new(master: MasterKey, keyring: K) -> Self {
        Self::assemble(master, keyring)
    }

    /// The vault also opens keys wrapped under `previous` (a rotation's old master
    /// key), and wraps under it while the keyring still names it.
    #[must_use]
    pub fn with_previous(mut self, previous: Option<MasterKey>) -> Self {
        self.previous = previous.filter(|p| p.id() != self.master.id());
        self
    }

    /// Ties the keyring to the master key on first use; refuses any other master key
    /// afterwards (the previous one is accepted while a rotation is under way).
    pub async fn verify(&self) -> Result<(), VaultError> {
        let given = self.master.id();
        let stored = self.keyring.master_id(&given).await?;
        let previous = self.previous.as_ref().map(MasterKey::id);
        if stored != given && Some(&stored) != previous.as_ref() {
            return Err(VaultError::WrongMasterKey { given, stored });
        }
        Ok(())
    }

    /// The master key new data keys are wrapped under: the keyring's.
    async fn wrapping_key(&self) -> Result<&MasterKey, StoreError> {
        let Some(previous) = &self.previous else {
            return Ok(&self.master);
        };
        let known = *self
            .wraps_under_previous
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let under_previous = match known {
            Some((read, under)) if read.elapsed() < WRAPPING_CHOICE_FOR => under,
            _ => {
                // Trusted from when it was asked, not answered: a slow answer must not
                // stretch the window the rotation waits out.
                let asked = Instant::now();
                let stored = self.keyring.master_id(&self.master.id()).await?;
                let under = if stored == self.master.id() {
                    false
                } else if stored == previous.id() {
                    true
                } else {
                    return Err(StoreError::Unknown(anyhow!(
                        "the keyring names a master key (id {stored}) this node was not given"
                    )));
                };
                *self
                    .wraps_under_previous
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = Some((asked, under));
                under
            }
        };
        Ok(if under_previous {
            previous
        } else {
            &self.master
        })
    }

    /// The data key of `generation` in `wrapped` (the keyring entry `name` of `scope`),
    /// under the master key or the previous one.
    fn unwrap(
        &self, scope: &Scope, name: &str, generation: u32, wrapped: &str,
    ) -> Result<DataKey, StoreError> {
        let opened = self.master.unwrap(name, generation, wrapped).or_else(|e| {
            self.previous
                .as_ref()
                .map_or(Err(e), |p| p.unwrap(name, generation, wrapped))
        });
        opened.map_err(|_| {
            tracing::error!(scope = %scope.tenant().account, "a wrapped data key did not unwrap");
            StoreError::Unknown(anyhow!(
                "a wrapped data key did not unwrap under the master key"
            ))
        })
    }

    fn assemble(master: MasterKey, keyring: K) -> Self {
        Self {
            master,
            previous: None,
            keyring,
            wraps_under_previous: Mutex::new(None),
            generations: Mutex::new(HashMap::new()),
            index_keys: Mutex::new(HashMap::new()),
            cache: Cache::builder()
                .max_capacity(CACHED_KEYS)
                .time_to_live(CACHED_FOR)
                .support_invalidation_closures()
                .build(),
        }
    }

    /// The scope's key of `generation`; made if there is none and `create`.
    async fn load(
        &self, scope: &Scope, generation: u32, create: bool,
    ) -> Result<Option<DataKey>, StoreError> {
        let index_of = match scope {
            Scope::Tenant(tenant) if generation <= 1 => Some(tenant),
            _ => None,
        };
        if let Some(key) = index_of.and_then(|tenant| self.cached_index_key(tenant)) {
            return Ok(Some(key));
        }
        let name = scope.key_name(generation);
        if index_of.is_none()
            && let Some(key) = self.cache.get(&name).await
        {
            return Ok(Some(key));
        }
        let wrapped = match self.keyring.wrapped(&name).await? {
            Some(wrapped) => wrapped,
            None if create => {
                let fresh = DataKey::of_generation(random(), generation);
                let wrapped = self.wrapping_key().await?.wrap(&name, &fresh, random());
                self.keyring.insert(&name, &wrapped).await?
            }
            None => return Ok(None),
        };
        let key = self.unwrap(scope, &name, generation, &wrapped)?;
        match index_of {
            Some(tenant) => {
                self.index_keys_map()
                    .insert(*tenant, (Instant::now(), key.clone()));
            }
            None => self.cache.insert(name, key.clone()).await,
        }
        Ok(Some(key))
    }

    fn index_keys_map(&self) -> std::sync::MutexGuard<'_, HashMap<TenantId, (Instant, DataKey)>> {
        self.index_keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The tenant's index key if read less than [`CACHED_FOR`] ago.
    fn cached_index_key(&self, tenant: &TenantId) -> Option<DataKey> {
        match self.index_keys_map().get(tenant) {
            Some((read, key)) if read.elapsed() < CACHED_FOR => Some(key.clone()),
            _ => None,
        }
    }

    /// The generation new values of `scope` are sealed under: its tenant's current one
    /// for a customer (read at most [`WRAPPING_CHOICE_FOR`] ago), the first for a
    /// tenant's index key.
    async fn current(&self, scope: &Scope) -> Result<u32, StoreError> {
        let Scope::Customer(tenant, _) = scope else {
            return Ok(1);
        };
        let known = self
            .generations
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(tenant)
            .copied();
        if let Some((asked, generation)) = known
            && asked.elapsed() < WRAPPING_CHOICE_FOR
        {
            return Ok(generation.current);
        }
        let asked = Instant::now();
        let generation = self.read_generation(tenant).await?;
        self.generations
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(*tenant, (asked, generation));
        Ok(generation.current)
    }

    /// The tenant's generation as the keyring holds it now.
    async fn read_generation(&self, tenant: &TenantId) -> Result<Generation, StoreError> {
        Ok(self.stored_generation(tenant).await?.0)
    }

    /// The same, with the text the keyring holds (`None`: never rotated), for a
    /// compare-and-set.
    async fn stored_generation(
        &self, tenant: &TenantId,
    ) -> Result<(Generation, Option<String>), StoreError> {
        let text = self.keyring.wrapped(&Generation::entry(tenant)).await?;
        let generation = match &text {
            None => Generation::FIRST,
            Some(text) => Generation::parse(text).ok_or_else(|| {
                StoreError::Unknown(anyhow!(
                    "the keyring's generation of a tenant is unreadable"
                ))
            })?,
        };
        Ok((generation, text))
    }

    fn forget_generation(&self, tenant: &TenantId) {
        self.generations
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(tenant);
    }

    /// Moves the tenant to `to` if the keyring still holds `from` (`None`: no state
    /// yet); the state it holds afterwards.
    async fn move_generation(
        &self, tenant: &TenantId, from: Option<&str>, to: Generation,
    ) -> Result<Generation, StoreError> {
        let entry = Generation::entry(tenant);
        match from {
            None => {
                self.keyring.insert(&entry, &to.to_text()).await?;
            }
            Some(from) => {
                self.keyring.replace(&entry, from, &to.to_text()).await?;
            }
        }
        self.forget_generation(tenant);
        self.read_generation(tenant).await
    }

    async fn advance_generation(&self, tenant: &TenantId) -> Result<Generation, StoreError> {
        let (generation, text) = self.stored_generation(tenant).await?;
        let next = generation.advanced();
        if next == generation {
            return Ok(generation);
        }
        self.move_generation(tenant, text.as_deref(), next).await
    }

    /// Destroys every customer key of the tenant older than `generation.current`, then
    /// records the generation settled.
    async fn retire_generation(
        &self, tenant: &TenantId, generation: Generation,
    ) -> Result<u64, StoreError> {
        let (stored, text) = self.stored_generation(tenant).await?;
        if stored != generation || generation.from.is_none() {
            return Err(StoreError::Unknown(anyhow!(
                "the tenant is at key generation {}, not {}: run the rotation again",
                stored.to_text(),
                generation.to_text()
            )));
        }
        let prefix = format!("{}/c/", Scope::Tenant(*tenant).name());
        let mut after = prefix.clone();
        let mut destroyed = 0;
        loop {
            let page = self.keyring.page(&after, rotation::PAGE).await?;
            let Some((last, _)) = page.last() else { break };
            after.clone_from(last);
            let mut past = false;
            for (name, _) in &page {
                if !name.starts_with(&prefix) {
                    past = true;
                    break;
                }
                if Generation::of_key_name(name) < generation.current {
                    self.keyring.delete(name, false).await?;
                    self.cache.invalidate(name).await;
                    destroyed += 1;
                }
            }
            if past {
                break;
            }
        }
        self.move_generation(tenant, text.as_deref(), generation.settled())
            .await?;
        Ok(destroyed)
    }
}

impl SoftwareVault<MemoryKeyring> {
    /// A vault whose keys live and die with the process, under a master key drawn at
    /// random: for the in-memory store (whose data dies with it too) and tests.
    pub fn ephemeral() -> Arc<Self> {
        let master = MasterKey::from_bytes(random());
        let keyring = MemoryKeyring::made_with(&master.id());
        Arc::new(Self::assemble(master, keyring))
    }
}

impl<K: KeyringStore> Vault for SoftwareVault<K> {
    fn key<'a>(&'a self, scope: &'a Scope, create: bool) -> KeyFuture<'a, Option<DataKey>> {
        Box::pin(async move {
            let generation = self.current(scope).await?;
            self.load(scope, generation, create).await
        })
    }

    fn key_of<'a>(&'a self, scope: &'a Scope, generation: u32) -> KeyFuture<'a, Option<DataKey>> {
        Box::pin(self.load(scope, generation, false))
    }

    fn generation<'a>(&'a self, tenant: &'a TenantId) -> KeyFuture<'a, Generation> {
        Box::pin(self.read_generation(tenant))
    }

    fn advance<'a>(&'a self, tenant: &'a TenantId) -> KeyFuture<'a, Generation> {
        Box::pin(self.advance_generation(tenant))
    }

    fn retire<'a>(&'a self, tenant: &'a TenantId, generation: Generation) -> KeyFuture<'a, u64> {
        Box::pin(self.retire_generation(tenant, generation))
    }

    fn destroy<'a>(&'a self, scope: &'a Scope) -> KeyFuture<'a, ()> {
        Box::pin(async move {
            let name = scope.name();
            let tenant_wide = matches!(scope, Scope::Tenant(_));
            self.keyring.delete(&name, tenant_wide).await?;
            if let Scope::Customer(tenant, _) = scope {
                // Every later generation the customer may hold a key of: up to one past
                // the tenant's (a rotation started since it was read).
                let current = self.read_generation(tenant).await?.current;
                for generation in 2..=current + 1 {
                    let later = scope.key_name(generation);
                    self.keyring.delete(&later, false).await?;
                    self.cache.invalidate(&later).await;
                }
            }
            if tenant_wide {
                self.forget_generation(scope.tenant());
                self.index_keys_map().remove(scope.tenant());
                let prefix = format!("{name}/");
                let whole = name.clone();
                self.cache
                    .invalidate_entries_if(move |k, _| *k == whole || k.starts_with(&prefix))
                    .map_err(|e| StoreError::Unknown(anyhow!("key cache: {e}")))?;
            } else {
                self.cache.invalidate(&name).await;
            }
            Ok(())
        })
    }

    fn nonce(&self) -> [u8; 24] {
        random()
    }
}

fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system's random number generator");
    bytes
}

#[cfg(test)]
mod tests;
