//! Embedded migrations, run without libpq through diesel-async's connection wrapper.

use diesel::Connection;
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// Names the migration set (its newest version), so test templates built from an older
/// set are never reused.
pub const MIGRATIONS_ID: &str = "2026-11-22-000003";

/// Applies every pending migration to the database at `url`. Runs the blocking
/// migration harness on a blocking thread, off the async workers.
pub async fn run_migrations(url: &str) -> anyhow::Result<usize> {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url)?;
        let applied = conn
            .run_pending_migrations(MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
        Ok(applied.len())
    })
    .await?
}
