//! The connection pool and its settings.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use deadpool::Runtime;
use diesel_async::AsyncConnection;
use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use stickycalls_domain::StoreError;
use stickycalls_domain::credits::SharedPolicy;

use crate::errors::from_pool;
pub use crate::round_trips::RoundTrips;
use crate::statements::Counted;

/// How to reach PostgreSQL and how many connections to hold.
#[derive(Clone)]
pub struct PgSettings {
    /// `postgres://user:password@host:port/database`.
    pub url: String,
    /// Most connections held at once.
    pub max_connections: usize,
    /// Longest wait for a free connection (or a new one) before answering unavailable.
    pub wait_timeout: Duration,
}

impl std::fmt::Debug for PgSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgSettings")
            .field("url", &"<redacted>")
            .field("max_connections", &self.max_connections)
            .field("wait_timeout", &self.wait_timeout)
            .finish()
    }
}

impl PgSettings {
    /// Defaults sized for a 2-core host: 16 connections, 2 s wait.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 16,
            wait_timeout: Duration::from_secs(2),
        }
    }
}

/// The PostgreSQL store: implements the domain's `CallStore`. Cheap to clone.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool<AsyncPgConnection>,
    /// Statements sent by the pool's connections since it was made.
    statements: Arc<AtomicU64>,
    /// The billing policy a start's debit and the ledger apply.
    pub(crate) policy: SharedPolicy,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let status = self.pool.status();
        f.debug_struct("PgStore")
            .field("size", &status.size)
            .field("available", &status.available)
            .finish()
    }
}

pub(crate) type Conn = Object<AsyncPgConnection>;

impl PgStore {
    /// Builds the pool. No connection is made until the first query. Credits are
    /// kept under `policy` (the operator's billing).
    pub fn new(settings: &PgSettings, policy: SharedPolicy) -> anyhow::Result<Self> {
        Self::with_config(settings, policy, None)
    }

    /// A pool whose connections report every query to `counter` (tests that count
    /// round trips).
    #[doc(hidden)]
    pub fn with_round_trip_counter(
        settings: &PgSettings, policy: SharedPolicy, counter: RoundTrips,
    ) -> anyhow::Result<Self> {
        Self::with_config(settings, policy, Some(counter))
    }

    fn with_config(
        settings: &PgSettings, policy: SharedPolicy, round_trips: Option<RoundTrips>,
    ) -> anyhow::Result<Self> {
        let statements = Arc::new(AtomicU64::new(0));
        let mut config = ManagerConfig::<AsyncPgConnection>::default();
        let counted = statements.clone();
        config.custom_setup = Box::new(move |url| {
            let counter = Counted {
                statements: counted.clone(),
                round_trips: round_trips.clone(),
            };
            Box::pin(async move {
                let mut conn = AsyncPgConnection::establish(url).await?;
                conn.set_instrumentation(counter);
                Ok(conn)
            })
        });
        // A checked-out connection is not pinged (that would cost a round trip per
        // request); a dead one fails its first query, which answers Unavailable.
        config.recycling_method = RecyclingMethod::Fast;
        let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(
            &settings.url,
            config,
        );
        let pool = Pool::builder(manager)
            .max_size(settings.max_connections)
            .wait_timeout(Some(settings.wait_timeout))
            .create_timeout(Some(settings.wait_timeout))
            .recycle_timeout(Some(settings.wait_timeout))
            .runtime(Runtime::Tokio1)
            .build()?;
        Ok(Self {
            pool,
            statements,
            policy,
        })
    }

    /// Statements the pool's connections have sent since it was made.
    pub fn statements_sent(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// A pooled connection, or `Unavailable` within the wait timeout.
    pub(crate) async fn conn(&self) -> Result<Conn, StoreError> {
        self.pool.get().await.map_err(from_pool)
    }

    /// Connections held and in use, for metrics.
    pub fn pool_status(&self) -> (usize, usize) {
        let status = self.pool.status();
        (status.size, status.size.saturating_sub(status.available))
    }

    /// Whether the database answers (for the health check).
    pub async fn ping(&self) -> Result<(), StoreError> {
        use diesel_async::RunQueryDsl;
        let mut conn = self.conn().await?;
        diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>("1"))
            .execute(&mut conn)
            .await
            .map(|_| ())
            .map_err(crate::errors::from_diesel)
    }
}

impl PgStore {
    /// Holds one pooled connection until `release` fires (tests of pool exhaustion).
    #[doc(hidden)]
    pub async fn hold_connection_until(
        &self, release: tokio::sync::oneshot::Receiver<()>,
    ) -> Result<(), StoreError> {
        let _conn = self.conn().await?;
        let _ = release.await;
        Ok(())
    }
}
