//! The production wiring: which adapter fills each port, for each kind of store.

use std::time::Duration;

use stickycalls_domain::Timestamp;
use stickycalls_domain::credits::SharedPolicy;
use stickycalls_domain::identity::CustomerRef;
use stickycalls_domain::invalidation::Invalidation;
use stickycalls_domain::ports::{Clock, IdGenerator, SharedVault};
use stickycalls_domain::tenant::AccountId;
use stickycalls_inbound::Backend;
use stickycalls_memory::{MemoryLedger, MemoryStore};
use stickycalls_postgres::{PgLedger, PgSettings, PgStore};
use stickycalls_sqlite::{SqliteLedger, SqliteSettings, SqliteStore};

use stickycalls_vault::rotation::{PAGE, Rotation, settle};

use crate::vault::{Note, VaultSettings};

/// The wall clock.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::new(time::OffsetDateTime::now_utc())
    }
}

/// `cust_` + 32 random hex digits.
#[derive(Debug, Clone, Copy)]
pub struct RandomIds;

impl IdGenerator for RandomIds {
    fn new_customer_ref(&self) -> CustomerRef {
        CustomerRef::from_trusted(format!("cust_{}", uuid::Uuid::new_v4().simple()))
    }

    fn new_account_id(&self) -> AccountId {
        AccountId(uuid::Uuid::new_v4())
    }

    fn random_bytes(&self) -> [u8; 32] {
        let mut bytes = [0; 32];
        // The operating system's generator; without it no secret can be made safely.
        getrandom::fill(&mut bytes).expect("the operating system's random number generator");
        bytes
    }
}

/// A store the binary can run on: how to open and migrate it. Everything else (the
/// operator's grants, plan changes, purge) is a domain use case over its ports.
pub trait Adapter: Backend<Clock = SystemClock, Ids = RandomIds> {
    /// Its settings.
    type Settings: Sync + Send + Clone + 'static;
    /// Applies pending migrations.
    fn migrate(settings: &Self::Settings) -> impl Future<Output = anyhow::Result<usize>> + Send;
    /// Opens the store and its ledger, keeping credits under `policy`.
    fn open(
        settings: &Self::Settings, policy: SharedPolicy,
    ) -> anyhow::Result<(Self::Store, Self::Ledger)>;
    /// Where the data lives, for people (no credentials).
    fn location(settings: &Self::Settings) -> String;
    /// Opens the vault over this store's keyring, checked against the master key.
    fn vault(
        settings: &Self::Settings, vault: &VaultSettings,
    ) -> impl Future<Output = anyhow::Result<(SharedVault, Note)>> + Send;
    /// Moves the keyring to the new master key and re-wraps every data key under it
    /// (`stickycalls keys rotate-master`).
    fn rotate_master(
        settings: &Self::Settings, vault: &VaultSettings,
    ) -> impl Future<Output = anyhow::Result<Rotation>> + Send;
    /// Settings for each of `workers` HTTP workers' own pool, if the store wants one.
    fn per_worker(_settings: &Self::Settings, _workers: usize) -> Option<Self::Settings> {
        None
    }
    /// Hears what other nodes on the same store change, for ever, handing each
    /// invalidation to `apply`; a store no other node shares hears nothing.
    fn listen<F, Fut>(_settings: Self::Settings, _apply: F) -> impl Future<Output = ()> + Send
    where
        F: Fn(Invalidation) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send,
    {
        std::future::ready(())
    }
}

/// Names a store's adapters as the API's backend, on the system clock and random ids.
macro_rules! backend {
    ($name:ident, $store:ty, $ledger:ty) => {
        impl Backend for $name {
            type Store = $store;
            type Ledger = $ledger;
            type Clock = SystemClock;
            type Ids = RandomIds;
            type Resolver = stickycalls_webhooks::SystemResolver;
        }
    };
}

/// PostgreSQL.
#[derive(Debug)]
pub struct Postgres;

backend!(Postgres, PgStore, PgLedger);

impl Adapter for Postgres {
    type Settings = PgSettings;
    async fn migrate(settings: &PgSettings) -> anyhow::Result<usize> {
        stickycalls_postgres::run_migrations(&settings.url).await
    }
    fn open(settings: &PgSettings, policy: SharedPolicy) -> anyhow::Result<(PgStore, PgLedger)> {
        let store = PgStore::new(settings, policy)?;
        Ok((store.clone(), PgLedger::new(store)))
    }
    /// Each HTTP worker gets its own pool, the configured size split between them: a
    /// connection's I/O task then runs on the worker thread that uses it, so a start's
    /// pipelined queries leave in one write and no wakeup crosses threads (`make bench`:
    /// about a third less server CPU per start).
    fn per_worker(settings: &PgSettings, workers: usize) -> Option<PgSettings> {
        let mut own = settings.clone();
        own.max_connections = settings.max_connections.div_ceil(workers.max(1)).max(1);
        Some(own)
    }
    fn listen<F, Fut>(settings: PgSettings, apply: F) -> impl Future<Output = ()> + Send
    where
        F: Fn(Invalidation) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send,
    {
        stickycalls_postgres::listen(settings.url, apply)
    }
    async fn vault(
        settings: &PgSettings, vault: &VaultSettings,
    ) -> anyhow::Result<(SharedVault, Note)> {
        crate::vault::postgres(settings, vault).await
    }
    async fn rotate_master(
        settings: &PgSettings, vault: &VaultSettings,
    ) -> anyhow::Result<Rotation> {
        let vault = crate::vault::postgres_vault(settings, vault).await?;
        Ok(vault.rotate(settle(), PAGE).await?)
    }
    fn location(settings: &PgSettings) -> String {
        let url = &settings.url;
        let after = url.split_once('@').map_or(url.as_str(), |(_, rest)| rest);
        format!("PostgreSQL at {after}")
    }
}

/// SQLite (the embedded default).
#[derive(Debug)]
pub struct Sqlite;

backend!(Sqlite, SqliteStore, SqliteLedger);

impl Adapter for Sqlite {
    type Settings = SqliteSettings;
    async fn migrate(settings: &SqliteSettings) -> anyhow::Result<usize> {
        stickycalls_sqlite::run_migrations(&settings.path).await
    }
    fn open(
        settings: &SqliteSettings, policy: SharedPolicy,
    ) -> anyhow::Result<(SqliteStore, SqliteLedger)> {
        let store = SqliteStore::new(settings, policy)?;
        Ok((store.clone(), SqliteLedger::new(store)))
    }
    async fn vault(
        settings: &SqliteSettings, vault: &VaultSettings,
    ) -> anyhow::Result<(SharedVault, Note)> {
        crate::vault::sqlite(settings, vault).await
    }
    async fn rotate_master(
        settings: &SqliteSettings, vault: &VaultSettings,
    ) -> anyhow::Result<Rotation> {
        let (vault, _) = crate::vault::sqlite_vault(settings, vault).await?;
        Ok(vault.rotate(settle(), PAGE).await?)
    }
    fn location(settings: &SqliteSettings) -> String {
        let path = std::path::Path::new(&settings.path);
        let shown = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        format!("SQLite file {}", shown.display())
    }
}

/// The in-memory store (`memory://`): for tests and integrators' CI.
#[derive(Debug)]
pub struct Memory;

/// The one in-memory store of this process: every `open` returns it, so the
/// server's pools and the operator's use cases share it.
#[derive(Debug, Clone, Default)]
pub struct MemorySettings {
    store: std::sync::Arc<std::sync::OnceLock<MemoryStore>>,
}

backend!(Memory, MemoryStore, MemoryLedger);

impl Adapter for Memory {
    type Settings = MemorySettings;
    async fn migrate(_settings: &MemorySettings) -> anyhow::Result<usize> {
        Ok(0)
    }
    fn open(
        settings: &MemorySettings, policy: SharedPolicy,
    ) -> anyhow::Result<(MemoryStore, MemoryLedger)> {
        let store = settings.store.get_or_init(|| {
            tracing::warn!(
                "STICKYCALLS_DATABASE_URL=memory://: the data lives in this process only; nothing survives a restart"
            );
            MemoryStore::new(policy)
        });
        Ok((store.clone(), MemoryLedger::new(store.clone())))
    }
    async fn vault(
        _settings: &MemorySettings, _vault: &VaultSettings,
    ) -> anyhow::Result<(SharedVault, Note)> {
        Ok((crate::vault::memory(), None))
    }
    async fn rotate_master(
        _settings: &MemorySettings, _vault: &VaultSettings,
    ) -> anyhow::Result<Rotation> {
        anyhow::bail!("the in-memory store's keys die with the process: there is nothing to rotate")
    }
    fn location(_settings: &MemorySettings) -> String {
        "in memory (nothing survives a restart)".to_owned()
    }
}

/// How often expired variables and stale intents are deleted.
pub const PURGE_EVERY: Duration = Duration::from_secs(600);
