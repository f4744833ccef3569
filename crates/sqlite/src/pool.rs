//! Connections, each set up with WAL, a busy timeout and foreign keys: one writer and a
//! small pool of readers. SQLite lets one writer in at a time, so every task that
//! writes (and a start's own read, which its commit follows) runs on the one writer
//! connection, queued in arrival order to the thread that owns it ([`Writer`]) instead
//! of in SQLite's busy handler (which sleeps and retries); and since only that
//! connection changes the file, its page cache stays valid (a connection that sees
//! another's commit drops its whole cache). Reads that are not a start's run on the
//! readers and never wait for the writer (WAL readers see the last commit): a request
//! waits for a reader without a thread, then its read runs on tokio's blocking pool
//! with the connection moved into it. A request that goes away (a bad body, a closed
//! socket) only detaches from that work: nothing waits for it on the request's own
//! thread, which is a single-threaded actix worker where blocking in place panics.

use std::time::Duration;

use deadpool::Runtime;
use deadpool::managed::{Manager, Metrics, Object, Pool, RecycleResult};
use diesel::connection::SimpleConnection;
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, ConnectionError, QueryResult};
use stickycalls_domain::StoreError;
use stickycalls_domain::credits::SharedPolicy;

use crate::errors::from_pool;
use crate::writer::Writer;

/// Opens and configures connections to one database file.
#[derive(Debug)]
pub(crate) struct Connections {
    path: String,
}

impl Manager for Connections {
    type Type = SqliteConnection;
    type Error = ConnectionError;

    async fn create(&self) -> Result<SqliteConnection, ConnectionError> {
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = SqliteConnection::establish(&path)?;
            configure(&mut conn).map_err(ConnectionError::CouldntSetupConfiguration)?;
            Ok(conn)
        })
        .await
        .map_err(|e| ConnectionError::BadConnection(e.to_string()))?
    }

    async fn recycle(
        &self, _conn: &mut SqliteConnection, _: &Metrics,
    ) -> RecycleResult<ConnectionError> {
        Ok(())
    }
}

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
    pool: Pool<Connections>,
    /// The writer connection's thread (see the module's paragraph).
    writer: Writer,
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
    /// Builds the pool; connections open on first use, so run the migrations before. Credits are
    /// kept under `policy` (the operator's billing).
    pub fn new(settings: &SqliteSettings, policy: SharedPolicy) -> anyhow::Result<Self> {
        let manager = Connections {
            path: settings.path.clone(),
        };
        let pool = Pool::builder(manager)
            .max_size(settings.max_connections)
            .wait_timeout(Some(settings.wait_timeout))
            .create_timeout(Some(settings.wait_timeout))
            .runtime(Runtime::Tokio1)
            .build()?;
        Ok(Self {
            pool,
            writer: Writer::start(&settings.path, settings.wait_timeout)?,
            path: settings.path.clone(),
            policy,
        })
    }

    /// The database file.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Connections open and lent out, for metrics.
    pub(crate) fn pool_status(&self) -> stickycalls_domain::ports::PoolUse {
        let status = self.pool.status();
        stickycalls_domain::ports::PoolUse {
            open: status.size,
            in_use: status.size.saturating_sub(status.available),
            statements: 0,
        }
    }

    /// Runs `task`, which writes, on the writer connection's thread, after the tasks
    /// queued before it ([`Writer::run`]).
    pub(crate) async fn write<R, E>(
        &self, task: impl FnOnce(&mut SqliteConnection) -> Result<R, E> + Send + 'static,
    ) -> Result<R, E>
    where
        R: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        self.writer.run(task).await
    }

    /// Runs `task` (a read) on a pooled connection, on a blocking thread.
    pub(crate) async fn run<R, E>(
        &self, task: impl FnOnce(&mut SqliteConnection) -> Result<R, E> + Send + 'static,
    ) -> Result<R, E>
    where
        R: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let conn: Object<Connections> = self.pool.get().await.map_err(|e| E::from(from_pool(e)))?;
        on_blocking_thread(conn, |conn| task(conn), |conn| drop(Object::take(conn))).await
    }
}

/// Opens and sets up the writer connection.
pub(crate) fn open_writer(path: &str) -> Result<SqliteConnection, StoreError> {
    SqliteConnection::establish(path)
        .and_then(|mut c| {
            configure(&mut c).map_err(ConnectionError::CouldntSetupConfiguration)?;
            Ok(c)
        })
        .map_err(|e| {
            StoreError::Unavailable(
                anyhow::Error::new(e).context("cannot open the writer connection"),
            )
        })
}

/// Runs `task` with `conn` on tokio's blocking pool. If it panics, the connection's
/// transaction state is unknown: `discard` gets it (so it is never reused) before the
/// panic goes on.
async fn on_blocking_thread<C, R, E>(
    mut conn: C, task: impl FnOnce(&mut C) -> Result<R, E> + Send + 'static,
    discard: impl FnOnce(C) + Send + 'static,
) -> Result<R, E>
where
    C: Send + 'static,
    R: Send + 'static,
    E: From<StoreError> + Send + 'static,
{
    tokio::task::spawn_blocking(move || {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| task(&mut conn))) {
            Ok(done) => done,
            Err(panic) => {
                discard(conn);
                std::panic::resume_unwind(panic)
            }
        }
    })
    .await
    .map_err(|e| {
        E::from(StoreError::Unknown(anyhow::anyhow!(
            "a SQLite task failed: {e}"
        )))
    })?
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
