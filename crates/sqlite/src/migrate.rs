//! Embedded SQLite migrations, run on a plain connection off the async workers.

use diesel::Connection;
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

/// Applies pending migrations to the file at `path` (created if missing).
pub async fn run_migrations(path: &str) -> anyhow::Result<usize> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        if let Some(dir) = std::path::Path::new(&path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir)?;
        }
        let mut conn = SqliteConnection::establish(&path)?;
        crate::pool::configure(&mut conn)?;
        let applied = conn
            .run_pending_migrations(MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
        Ok(applied.len())
    })
    .await?
}
