//! The embedded store under the same load: the data set of `sql/dataset.sqlite.sql` in
//! a SQLite file, the same release server on it (`sqlite://`), returning callers
//! closed-loop and at the constant rate.

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use diesel::Connection;
use diesel::RunQueryDsl;
use diesel::connection::SimpleConnection;
use diesel::sql_types::{Integer, Text};
use diesel::sqlite::SqliteConnection;
use serde::Serialize;
use stickycalls_sqlite::{SqliteKeyring, keyring_path};

use crate::load::Measured;
use crate::tokens;

const DATASET_SQL: &str = include_str!("../sql/dataset.sqlite.sql");
const DAY_MS: i64 = 86_400_000;

/// What the SQLite run measured.
#[derive(Debug, Clone, Serialize)]
pub struct SqliteReport {
    pub customers: u64,
    pub generate_seconds: f64,
    /// `stickycalls seal` on the generated variables (in clear), after the generation.
    pub seal_seconds: f64,
    pub database_mb: f64,
    /// Returning callers, closed loop.
    pub returning_saturation: Measured,
    /// Returning callers at the constant rate.
    pub returning_at_rate: Measured,
    /// Server CPU per start over the saturated phase, in microseconds.
    pub cpu_us_per_start: f64,
    pub rss_mb: f64,
}

/// Generates `customers` customers for the test environment of `account` (`tenant`) in
/// the (migrated) file at `path`.
pub async fn generate(
    path: &Path, account: uuid::Uuid, tenant: uuid::Uuid, customers: u64,
) -> anyhow::Result<f64> {
    let began = Instant::now();
    let now_ms = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis(),
    )?;
    let sql = DATASET_SQL
        .replace("{tenant}", &tenant.to_string())
        .replace("{customers}", &customers.to_string())
        .replace("{now}", &now_ms.to_string())
        .replace("{day}", &DAY_MS.to_string());
    let file = path
        .to_str()
        .context("the SQLite path is not UTF-8")?
        .to_owned();
    let keyring = SqliteKeyring::open(&keyring_path(&file))?;
    let key = tokens::tenant_key(keyring, account).await?;
    let rows = tokens::tokens(&key, customers);
    tokio::task::spawn_blocking(move || -> anyhow::Result<f64> {
        let mut conn = SqliteConnection::establish(&file)?;
        conn.batch_execute(
            "CREATE TEMP TABLE bench_tokens (i INTEGER PRIMARY KEY, phone TEXT, shared TEXT, crm TEXT);
             BEGIN;",
        )?;
        for t in &rows {
            diesel::sql_query("INSERT INTO bench_tokens VALUES (?, ?, ?, ?)")
                .bind::<Integer, _>(t.i)
                .bind::<Text, _>(&t.phone)
                .bind::<Text, _>(&t.shared)
                .bind::<Text, _>(&t.crm)
                .execute(&mut conn)?;
        }
        conn.batch_execute("COMMIT;")?;
        conn.batch_execute(&sql)
            .context("generating the SQLite data set failed")?;
        Ok(began.elapsed().as_secs_f64())
    })
    .await?
}
