//! The data set: a fresh database migrated like the tests', the bench account created
//! through the binary, the customers' blind indexes computed here and copied into
//! `bench_tokens` ([`crate::tokens`]), then `sql/dataset.sql` generating customers in
//! bulk inside PostgreSQL, then the binary's `stickycalls seal` sealing every variable
//! under its customer's key (as the server stores them), then `VACUUM ANALYZE`. Or, for
//! a server with encryption off, the same data in clear.

use std::time::Instant;

use anyhow::Context;
use stickycalls_domain::tenant::{AccountId, Environment, TenantId};
use stickycalls_postgres::{PgKeyring, default_keyring_url, tenant_key};

use crate::tokens;
use tokio_postgres::NoTls;

const DATASET_SQL: &str = include_str!("../sql/dataset.sql");

/// How big the generated data ended up.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DataSet {
    /// The server's version, as `PostgreSQL 15.20 (...)`.
    pub postgres: String,
    pub customers: u64,
    pub rows: u64,
    pub generate_seconds: f64,
    /// Of which `stickycalls seal` took (none for a data set in clear).
    pub seal_seconds: Option<f64>,
    pub database_mb: f64,
}

/// The tenant key of the account's test environment.
pub fn test_tenant(account: uuid::Uuid) -> uuid::Uuid {
    tenant_key(&TenantId {
        account: AccountId(account),
        environment: Environment::Test,
    })
}

/// Generates `customers` customers for the test environment of `account` (`tenant`) in
/// the database at `url`: sealed by `sealer` (the release binary), else in clear.
pub async fn generate(
    url: &str, account: uuid::Uuid, tenant: uuid::Uuid, customers: u64,
    sealer: Option<&std::path::Path>,
) -> anyhow::Result<DataSet> {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .context("cannot connect to the bench database")?;
    tokio::spawn(connection);
    let began = Instant::now();
    let rows = match sealer {
        Some(_) => {
            let keyring = PgKeyring::open(&default_keyring_url(url)?, url).await?;
            tokens::tokens(&tokens::tenant_key(keyring, account).await?, customers)
        }
        None => tokens::plain(customers),
    };
    client
        .batch_execute(
            "CREATE TABLE bench_tokens (i integer PRIMARY KEY, phone text NOT NULL,
                                        shared text NOT NULL, crm text NOT NULL)",
        )
        .await?;
    for chunk in rows.chunks(50_000) {
        let column =
            |f: fn(&tokens::Tokens) -> &str| -> Vec<&str> { chunk.iter().map(f).collect() };
        let ids: Vec<i32> = chunk.iter().map(|t| t.i).collect();
        client
            .execute(
                "INSERT INTO bench_tokens SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[])",
                &[&ids, &column(|t| &t.phone), &column(|t| &t.shared), &column(|t| &t.crm)],
            )
            .await?;
    }
    let sql = DATASET_SQL
        .replace("{tenant}", &tenant.to_string())
        .replace("{customers}", &customers.to_string());
    client
        .batch_execute(&sql)
        .await
        .context("generating the data set failed")?;
    let seal_seconds = match sealer {
        Some(binary) => Some(crate::server::seal(binary, url).await?),
        None => None,
    };
    client.batch_execute("VACUUM ANALYZE").await?;
    let generate_seconds = began.elapsed().as_secs_f64();
    let rows: i64 = client
        .query_one(
            "SELECT (SELECT count(*) FROM customers) + (SELECT count(*) FROM customer_phones)
                  + (SELECT count(*) FROM customer_external_ids) + (SELECT count(*) FROM variables)
                  + (SELECT count(*) FROM intents) + (SELECT count(*) FROM calls)",
            &[],
        )
        .await?
        .get(0);
    let bytes: i64 = client
        .query_one("SELECT pg_database_size(current_database())", &[])
        .await?
        .get(0);
    let version: String = client.query_one("SHOW server_version", &[]).await?.get(0);
    let postgres = format!("PostgreSQL {version}");
    Ok(DataSet {
        postgres,
        customers,
        rows: u64::try_from(rows)?,
        generate_seconds,
        seal_seconds,
        database_mb: bytes as f64 / 1_048_576.0,
    })
}

/// Calls whose id starts with `prefix`: how many distinct starts a phase stored.
pub async fn calls_with_prefix(url: &str, prefix: &str) -> anyhow::Result<u64> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(connection);
    let n: i64 = client
        .query_one(
            "SELECT count(*) FROM calls WHERE call_id LIKE $1",
            &[&format!("{prefix}%")],
        )
        .await?
        .get(0);
    Ok(u64::try_from(n)?)
}
