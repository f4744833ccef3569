//! Connections: a small pool of `SyncConnectionWrapper<SqliteConnection>`, each set up
//! with WAL, a busy timeout and foreign keys.

use std::time::Duration;

use deadpool::Runtime;
use diesel::connection::SimpleConnection;
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, QueryResult};
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use stickycalls_domain::StoreError;
use stickycalls_domain::credits::SharedPolicy;

use crate::errors::{from_diesel, from_pool};

pub(crate) type Wrapped = SyncConnectionWrapper<SqliteConnection>;

/// Where the database file is and how many connections to hold.
#[derive(Debug, Clone)]
pub struct SqliteSettings {
    /// The database file.
    pub path: String,
    /// Most connections (readers run in parallel under WAL; writers queue).
    pub max_connections: usize,
    /// Longest wait for a connection, and for SQLite's write lock.
    pub wait_timeout: Duration,
}

impl SqliteSettings {
    /// Defaults: 4 connections, 5 s.
    pub fn new(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            max_connections: 4,
            wait_timeout: Duration::from_secs(5),
        }
    }
}

/// WAL, busy timeout, foreign keys: set on every connection. Raw SQL: pragmas have no
/// form in diesel's DSL.
pub(crate) fn configure(conn: &mut SqliteConnection) -> QueryResult<()> {
    conn.batch_execute(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;",
    )
}

/// The SQLite store: implements the domain's storage ports. Cheap to clone.
#[derive(Clone)]
pub struct SqliteStore {
    pool: Pool<Wrapped>,
    pub(crate) path: String,
    /// The billing policy a start's debit and the ledger apply.
    pub(crate) policy: SharedPolicy,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

impl SqliteStore {
    /// Builds the pool; the file must exist (run the migrations first). Credits are
    /// kept under `policy` (the operator's billing).
    pub fn new(settings: &SqliteSettings, policy: SharedPolicy) -> anyhow::Result<Self> {
        let mut config = ManagerConfig::<Wrapped>::default();
        config.recycling_method = RecyclingMethod::Fast;
        config.custom_setup = Box::new(|url| {
            let url = url.to_owned();
            Box::pin(async move {
                let conn = tokio::task::spawn_blocking(move || {
                    let mut conn = SqliteConnection::establish(&url)?;
                    configure(&mut conn)
                        .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                    Ok::<_, diesel::ConnectionError>(conn)
                })
                .await
                .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))??;
                Ok(SyncConnectionWrapper::new(conn))
            })
        });
        let manager =
            AsyncDieselConnectionManager::<Wrapped>::new_with_config(&settings.path, config);
        let pool = Pool::builder(manager)
            .max_size(settings.max_connections)
            .wait_timeout(Some(settings.wait_timeout))
            .create_timeout(Some(settings.wait_timeout))
            .runtime(Runtime::Tokio1)
            .build()?;
        Ok(Self {
            pool,
            path: settings.path.clone(),
            policy,
        })
    }

    /// The database file.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Runs `task` on a pooled connection, on a blocking thread.
    /// Connections open and lent out, for metrics.
    pub(crate) fn pool_status(&self) -> stickycalls_domain::ports::PoolUse {
        let status = self.pool.status();
        stickycalls_domain::ports::PoolUse {
            open: status.size,
            in_use: status.size.saturating_sub(status.available),
        }
    }

    pub(crate) async fn run<R, E>(
        &self, task: impl FnOnce(&mut SqliteConnection) -> Result<R, E> + Send + 'static,
    ) -> Result<R, E>
    where
        R: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let mut conn: Object<Wrapped> = self.pool.get().await.map_err(|e| E::from(from_pool(e)))?;
        conn.spawn_blocking(move |c| Ok(task(c)))
            .await
            .map_err(|e| E::from(from_diesel(e)))?
    }
}

/// The credit ledger on the SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteLedger {
    pub(crate) store: SqliteStore,
}

impl SqliteLedger {
    /// The ledger of `store`, under the store's billing policy.
    pub fn new(store: SqliteStore) -> Self {
        Self { store }
    }
}
