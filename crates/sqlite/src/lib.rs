//! SQLite storage for Sticky Calls, the embedded default: every storage port of the
//! domain on one local file, with nothing to install (libsqlite3 is bundled).
//!
//! It owns the SQLite dialect of the schema (`migrations/sqlite/`) and the queries.
//! Diesel's synchronous `SqliteConnection`s wait in a deadpool pool; each port call
//! runs its whole use case as one task on tokio's blocking pool, the connection moved
//! into it, so a request that goes away never blocks or panics its async worker. Connections use WAL, a busy timeout
//! and foreign keys; every write transaction is `BEGIN IMMEDIATE`, so writers queue on
//! SQLite's single write lock at the start instead of deadlocking on a read-to-write
//! upgrade. It must not know HTTP or product rules: those stay in the domain and
//! `stickycalls-billing`.

mod accounts;
mod audit;
mod calls;
mod clear_links;
mod credits;
mod customers;
mod errors;
mod evidence;
mod export;
mod keyring;
mod keys;
mod migrate;
mod outbox;
mod pool;
mod reseal_links;
mod retention;
mod rollups;
mod rows;
pub mod schema;
mod sessions;
mod settings;
mod store;
mod unsealed;
mod webhooks;
mod writer;

pub use keyring::{SqliteKeyring, keyring_path};
pub use migrate::run_migrations;
pub use pool::{SqliteLedger, SqliteSettings, SqliteStore};

/// A tenant's key, as text (the same name-based UUID as the PostgreSQL adapter).
pub fn tenant_key(tenant: &stickycalls_domain::tenant::TenantId) -> String {
    uuid::Uuid::new_v5(&tenant.account.0, tenant.environment.as_str().as_bytes()).to_string()
}
