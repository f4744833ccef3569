//! The keyring on PostgreSQL: wrapped data keys in a database of their own (by default
//! the data's database name with `_keyring`), so a `pg_dump` of the data holds no key
//! and destroying a key reaches every backup of the rows it sealed. It has one table,
//! created on open; the first writer of a scope's key wins (`ON CONFLICT DO NOTHING`).
//! Reads of keys missing from a server's cache that are asked at the same moment go
//! out as one statement ([`crate::keyring_batch`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::prelude::*;
use diesel::sql_query;
use diesel::sql_types::{BigInt, Bool, Text};
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use stickycalls_domain::StoreError;
use stickycalls_domain::ports::{KeyFuture, KeyringStore};

use crate::errors::{from_diesel, from_pool};
use crate::keyring_batch::{self, Queue};

/// Scope name of the row that holds the master key's id.
const MASTER: &str = "#master";

const TABLE: &str = "CREATE TABLE IF NOT EXISTS data_keys (
    scope      text PRIMARY KEY,
    wrapped    text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
)";

diesel::table! {
    /// [`TABLE`], for the reads diesel prepares once per connection.
    data_keys (scope) {
        scope -> Text,
        wrapped -> Text,
    }
}

/// Pools, each used by the threads whose slot falls on it ([`PgKeyring::pool`]).
const POOLS: usize = 4;
/// Connections per pool.
const PER_POOL: usize = 2;

static NEXT_SLOT: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's pool, among [`POOLS`].
    static SLOT: usize = NEXT_SLOT.fetch_add(1, Ordering::Relaxed);
}

/// Wrapped keys in their own PostgreSQL database.
#[derive(Clone)]
pub struct PgKeyring {
    /// A few small pools, one per thread that asks (up to [`POOLS`]): a connection's I/O
    /// task runs on the thread that made it, so a key read on an HTTP worker is answered
    /// on that worker and no wakeup crosses threads (the data's pools are per worker for
    /// the same reason).
    pools: Arc<[Pool<AsyncPgConnection>]>,
    /// Key reads waiting to go out together, one queue per pool.
    queues: Arc<[Queue]>,
}

impl std::fmt::Debug for PgKeyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PgKeyring")
    }
}

#[derive(QueryableByName)]
struct Wrapped {
    #[diesel(sql_type = Text)]
    wrapped: String,
}

#[derive(QueryableByName)]
struct Scoped {
    #[diesel(sql_type = Text)]
    scope: String,
    #[diesel(sql_type = Text)]
    wrapped: String,
}

/// The keyring database's URL by default: `data_url` with `_keyring` after its
/// database name (query parameters kept).
pub fn default_keyring_url(data_url: &str) -> anyhow::Result<String> {
    let (base, query) = data_url
        .split_once('?')
        .map_or((data_url, None), |(b, q)| (b, Some(q)));
    let (server, database) = base
        .rsplit_once('/')
        .filter(|(server, db)| server.contains("//") && !server.ends_with('/') && !db.is_empty())
        .ok_or_else(|| anyhow::anyhow!("the database URL names no database"))?;
    let mut url = format!("{server}/{database}_keyring");
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    Ok(url)
}

impl PgKeyring {
    /// Opens the keyring at `url`, creating its database (through `data_url`, whose
    /// user must then be allowed to) and its table if missing.
    pub async fn open(url: &str, data_url: &str) -> anyhow::Result<Self> {
        if AsyncPgConnection::establish(url).await.is_err() {
            let name = url
                .split('?')
                .next()
                .and_then(|u| u.rsplit('/').next())
                .unwrap_or_default()
                .to_owned();
            anyhow::ensure!(
                !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
                "the keyring database cannot be reached, and its name is not one to create"
            );
            let mut admin = AsyncPgConnection::establish(data_url).await?;
            // Nodes started together race to create it: one wins, the others find it.
            let create = format!("CREATE DATABASE \"{name}\"");
            if let Err(e) = admin.batch_execute(&create).await {
                tracing::info!("the keyring database was not created here: {e}");
            }
        }
        let mut conn = AsyncPgConnection::establish(url).await?;
        // Concurrent `CREATE TABLE IF NOT EXISTS` may still collide in the catalog: the
        // loser tries again once the winner committed.
        if conn.batch_execute(TABLE).await.is_err() {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            conn.batch_execute(TABLE).await?;
        }
        // Bounded like the data's pool: a keyring that stops answering makes a request
        // unavailable (503) within the wait, never hangs it.
        let wait = Some(std::time::Duration::from_secs(2));
        let pools = (0..POOLS)
            .map(|_| {
                // Not pinged when checked out: diesel-async's default recycling
                // (`RecyclingMethod::Verified`, `src/pooled_connection/mod.rs`) runs
                // `SELECT 1` on every checkout, a second round trip for each key read. A
                // dead connection fails its first query instead (503), and is dropped.
                let mut config = ManagerConfig::default();
                config.recycling_method = RecyclingMethod::Fast;
                let manager =
                    AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(url, config);
                Pool::builder(manager)
                    .max_size(PER_POOL)
                    .wait_timeout(wait)
                    .create_timeout(wait)
                    .recycle_timeout(wait)
                    .runtime(deadpool::Runtime::Tokio1)
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            queues: (0..POOLS).map(|_| Queue::default()).collect(),
            pools: pools.into(),
        })
    }

    /// The calling thread's slot among the pools.
    fn slot(&self) -> usize {
        SLOT.with(|slot| *slot) % self.pools.len()
    }

    /// The pool of the calling thread.
    fn pool(&self) -> &Pool<AsyncPgConnection> {
        &self.pools[self.slot()]
    }

    /// The wrapped key of `scope` (the read a start makes when a customer's key is not
    /// cached), read together with the others this thread asks meanwhile
    /// ([`crate::keyring_batch`]).
    async fn read(&self, scope: &str) -> Result<Option<String>, StoreError> {
        let slot = self.slot();
        let (start, answer) = self.queues[slot].push(scope);
        if start {
            // Spawned, not run by this read: a request that ends early (its client
            // gone) must not take the others' reads with it.
            tokio::spawn(self.clone().send_reads(slot));
        }
        answer.await.map_err(|_| keyring_batch::dropped())?
    }

    /// Sends the reads queued on `slot`, all that are waiting in one statement, until
    /// none is left.
    async fn send_reads(self, slot: usize) {
        /// Releases the queue if this task ends before it is empty (a panic).
        struct Release<'q>(&'q Queue, bool);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                if !self.1 {
                    self.0.abandon();
                }
            }
        }
        let queue = &self.queues[slot];
        let mut release = Release(queue, false);
        while let Some(batch) = queue.next() {
            let scopes: Vec<&str> = batch.iter().map(|(scope, _)| scope.as_str()).collect();
            let found = self.read_many(slot, &scopes).await;
            keyring_batch::answer(batch, found);
        }
        release.1 = true;
    }

    /// The wrapped keys of those of `scopes` that have one, read by a statement
    /// prepared once per connection: `scope = ANY($1)` with one array parameter
    /// (diesel 2.3's `eq_any` on PostgreSQL, `src/pg/query_builder/query_fragment_impls.rs`),
    /// the same text for any number of scopes. A `sql_query` is never kept prepared:
    /// its `SqlQuery` marks itself unsafe to cache (`out.unsafe_to_cache_prepared()` in
    /// `src/query_builder/sql_query.rs`).
    async fn read_many(
        &self, slot: usize, scopes: &[&str],
    ) -> Result<Vec<(String, String)>, StoreError> {
        let mut conn = self.pools[slot].get().await.map_err(from_pool)?;
        data_keys::table
            .filter(data_keys::scope.eq_any(scopes))
            .select((data_keys::scope, data_keys::wrapped))
            .load::<(String, String)>(&mut conn)
            .await
            .map_err(from_diesel)
    }

    async fn first(&self, statement: &str, binds: [&str; 2]) -> Result<Option<String>, StoreError> {
        let mut conn = self.pool().get().await.map_err(from_pool)?;
        let rows: Vec<Wrapped> = sql_query(statement)
            .bind::<Text, _>(binds[0])
            .bind::<Text, _>(binds[1])
            .load(&mut conn)
            .await
            .map_err(from_diesel)?;
        Ok(rows.into_iter().next().map(|r| r.wrapped))
    }

    async fn replace_wrapped(
        &self, scope: &str, expected: &str, new: &str,
    ) -> Result<bool, StoreError> {
        let mut conn = self.pool().get().await.map_err(from_pool)?;
        let changed =
            sql_query("UPDATE data_keys SET wrapped = $3 WHERE scope = $1 AND wrapped = $2")
                .bind::<Text, _>(scope)
                .bind::<Text, _>(expected)
                .bind::<Text, _>(new)
                .execute(&mut conn)
                .await
                .map_err(from_diesel)?;
        Ok(changed == 1)
    }

    async fn insert_returning(&self, scope: &str, wrapped: &str) -> Result<String, StoreError> {
        // The insert and the read of the winner are one statement; a conflicting insert
        // returns nothing from the CTE, so the stored row is read beside it, when this
        // statement's snapshot can see it.
        let stored = self
            .first(
                "WITH added AS (
                     INSERT INTO data_keys (scope, wrapped) VALUES ($1, $2)
                     ON CONFLICT (scope) DO NOTHING RETURNING wrapped)
                 SELECT wrapped FROM added
                 UNION ALL SELECT wrapped FROM data_keys WHERE scope = $1",
                [scope, wrapped],
            )
            .await?;
        if let Some(stored) = stored {
            return Ok(stored);
        }
        // The conflicting row was committed by another insert after this statement's
        // snapshot was taken (its `ON CONFLICT` waited for that commit): a new statement
        // sees it.
        self.wrapped(scope)
            .await?
            .ok_or_else(|| StoreError::Unknown(anyhow::anyhow!("a key inserted was not read")))
    }
}

impl KeyringStore for PgKeyring {
    fn wrapped<'a>(&'a self, scope: &'a str) -> KeyFuture<'a, Option<String>> {
        Box::pin(self.read(scope))
    }

    fn insert<'a>(&'a self, scope: &'a str, wrapped: &'a str) -> KeyFuture<'a, String> {
        Box::pin(self.insert_returning(scope, wrapped))
    }

    fn delete<'a>(&'a self, scope: &'a str, with_customers: bool) -> KeyFuture<'a, ()> {
        Box::pin(async move {
            let mut conn = self.pool().get().await.map_err(from_pool)?;
            sql_query(
                "DELETE FROM data_keys WHERE scope = $1
                 OR ($2 AND left(scope, length($1) + 1) = $1 || '/')",
            )
            .bind::<Text, _>(scope)
            .bind::<Bool, _>(with_customers)
            .execute(&mut conn)
            .await
            .map_err(from_diesel)?;
            Ok(())
        })
    }

    fn master_id<'a>(&'a self, proposed: &'a str) -> KeyFuture<'a, String> {
        Box::pin(self.insert_returning(MASTER, proposed))
    }

    fn move_master_id<'a>(&'a self, from: &'a str, to: &'a str) -> KeyFuture<'a, bool> {
        Box::pin(async move {
            self.replace_wrapped(MASTER, from, to).await?;
            Ok(self.wrapped(MASTER).await?.as_deref() == Some(to))
        })
    }

    fn page<'a>(&'a self, after: &'a str, limit: u32) -> KeyFuture<'a, Vec<(String, String)>> {
        Box::pin(async move {
            let mut conn = self.pool().get().await.map_err(from_pool)?;
            let rows: Vec<Scoped> = sql_query(
                "SELECT scope, wrapped FROM data_keys WHERE scope COLLATE \"C\" > $1 AND scope <> $2
                 ORDER BY scope COLLATE \"C\" LIMIT $3",
            )
            .bind::<Text, _>(after)
            .bind::<Text, _>(MASTER)
            .bind::<BigInt, _>(i64::from(limit))
            .load(&mut conn)
            .await
            .map_err(from_diesel)?;
            Ok(rows.into_iter().map(|r| (r.scope, r.wrapped)).collect())
        })
    }

    fn replace<'a>(
        &'a self, scope: &'a str, expected: &'a str, new: &'a str,
    ) -> KeyFuture<'a, bool> {
        Box::pin(self.replace_wrapped(scope, expected, new))
    }
}

#[cfg(test)]
mod tests {
    use super::default_keyring_url;

    #[test]
    fn the_keyring_database_is_named_after_the_data_one() {
        assert_eq!(
            default_keyring_url("postgres://u@h:5432/calls?sslmode=require").unwrap(),
            "postgres://u@h:5432/calls_keyring?sslmode=require"
        );
        assert_eq!(
            default_keyring_url("postgres://u@h/calls").unwrap(),
            "postgres://u@h/calls_keyring"
        );
        assert!(default_keyring_url("postgres://u@h/").is_err());
        assert!(default_keyring_url("postgres://u@h").is_err());
    }
}
