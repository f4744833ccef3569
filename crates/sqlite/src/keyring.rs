//! The keyring on SQLite: wrapped data keys in a file of their own beside the data
//! (`<database>.keyring`), so a copy of the data file holds no key and destroying a key
//! reaches every copy of the rows it sealed. One connection behind a mutex, on tokio's
//! blocking pool: the vault caches keys, so the keyring is read once per customer.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use diesel::connection::SimpleConnection;
use diesel::sql_types::{Bool, Integer, Text};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, QueryableByName, RunQueryDsl, sql_query};
use stickycalls_domain::StoreError;
use stickycalls_domain::ports::{KeyFuture, KeyringStore};

use crate::errors::from_diesel;

/// Scope name of the row that holds the master key's id.
const MASTER: &str = "#master";

/// Wrapped keys in their own SQLite file.
#[derive(Clone)]
pub struct SqliteKeyring {
    conn: Arc<Mutex<SqliteConnection>>,
}

impl std::fmt::Debug for SqliteKeyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteKeyring")
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

/// The keyring file beside the database file `path`.
pub fn keyring_path(path: &str) -> String {
    format!("{path}.keyring")
}

impl SqliteKeyring {
    /// Whether a keyring file exists at `path`.
    pub fn exists(path: &str) -> bool {
        Path::new(path).exists()
    }

    /// Opens (or creates) the keyring file at `path`.
    pub fn open(path: &str) -> anyhow::Result<Self> {
        let mut conn = SqliteConnection::establish(path)?;
        conn.batch_execute(
            "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000;
             CREATE TABLE IF NOT EXISTS data_keys (
                 scope      TEXT PRIMARY KEY,
                 wrapped    TEXT NOT NULL,
                 created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
             );",
        )?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    fn run<T: Send + 'static>(
        &self, work: impl FnOnce(&mut SqliteConnection) -> diesel::QueryResult<T> + Send + 'static,
    ) -> KeyFuture<'static, T> {
        let conn = self.conn.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                work(&mut conn.lock().unwrap_or_else(PoisonError::into_inner))
            })
            .await
            .map_err(|e| StoreError::Unknown(e.into()))?
            .map_err(from_diesel)
        })
    }
}

fn insert(conn: &mut SqliteConnection, scope: &str, wrapped: &str) -> diesel::QueryResult<String> {
    sql_query(
        "INSERT INTO data_keys (scope, wrapped) VALUES (?1, ?2) ON CONFLICT (scope) DO NOTHING",
    )
    .bind::<Text, _>(scope)
    .bind::<Text, _>(wrapped)
    .execute(conn)?;
    let row: Wrapped = sql_query("SELECT wrapped FROM data_keys WHERE scope = ?1")
        .bind::<Text, _>(scope)
        .get_result(conn)?;
    Ok(row.wrapped)
}

impl KeyringStore for SqliteKeyring {
    fn wrapped<'a>(&'a self, scope: &'a str) -> KeyFuture<'a, Option<String>> {
        let scope = scope.to_owned();
        self.run(move |conn| {
            let rows: Vec<Wrapped> = sql_query("SELECT wrapped FROM data_keys WHERE scope = ?1")
                .bind::<Text, _>(scope)
                .load(conn)?;
            Ok(rows.into_iter().next().map(|r| r.wrapped))
        })
    }

    fn insert<'a>(&'a self, scope: &'a str, wrapped: &'a str) -> KeyFuture<'a, String> {
        let (scope, wrapped) = (scope.to_owned(), wrapped.to_owned());
        self.run(move |conn| insert(conn, &scope, &wrapped))
    }

    fn delete<'a>(&'a self, scope: &'a str, with_customers: bool) -> KeyFuture<'a, ()> {
        let scope = scope.to_owned();
        self.run(move |conn| {
            sql_query(
                "DELETE FROM data_keys WHERE scope = ?1
                 OR (?2 AND substr(scope, 1, length(?1) + 1) = ?1 || '/')",
            )
            .bind::<Text, _>(scope)
            .bind::<Bool, _>(with_customers)
            .execute(conn)
            .map(|_| ())
        })
    }

    fn master_id<'a>(&'a self, proposed: &'a str) -> KeyFuture<'a, String> {
        let proposed = proposed.to_owned();
        self.run(move |conn| insert(conn, MASTER, &proposed))
    }

    fn move_master_id<'a>(&'a self, from: &'a str, to: &'a str) -> KeyFuture<'a, bool> {
        let (from, to) = (from.to_owned(), to.to_owned());
        self.run(move |conn| {
            replace(conn, MASTER, &from, &to)?;
            let stored: Wrapped = sql_query("SELECT wrapped FROM data_keys WHERE scope = ?1")
                .bind::<Text, _>(MASTER)
                .get_result(conn)?;
            Ok(stored.wrapped == to)
        })
    }

    fn page<'a>(&'a self, after: &'a str, limit: u32) -> KeyFuture<'a, Vec<(String, String)>> {
        let after = after.to_owned();
        self.run(move |conn| {
            let rows: Vec<Scoped> = sql_query(
                "SELECT scope, wrapped FROM data_keys WHERE scope > ?1 AND scope <> ?2
                 ORDER BY scope LIMIT ?3",
            )
            .bind::<Text, _>(after)
            .bind::<Text, _>(MASTER)
            .bind::<Integer, _>(i32::try_from(limit).unwrap_or(i32::MAX))
            .load(conn)?;
            Ok(rows.into_iter().map(|r| (r.scope, r.wrapped)).collect())
        })
    }

    fn replace<'a>(
        &'a self, scope: &'a str, expected: &'a str, new: &'a str,
    ) -> KeyFuture<'a, bool> {
        let (scope, expected, new) = (scope.to_owned(), expected.to_owned(), new.to_owned());
        self.run(move |conn| replace(conn, &scope, &expected, &new))
    }
}

fn replace(
    conn: &mut SqliteConnection, scope: &str, expected: &str, new: &str,
) -> diesel::QueryResult<bool> {
    let changed = sql_query("UPDATE data_keys SET wrapped = ?3 WHERE scope = ?1 AND wrapped = ?2")
        .bind::<Text, _>(scope)
        .bind::<Text, _>(expected)
        .bind::<Text, _>(new)
        .execute(conn)?;
    Ok(changed == 1)
}
