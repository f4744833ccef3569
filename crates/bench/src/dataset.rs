//! The data set: a fresh database migrated like the tests', the bench account created
//! through the binary, the customers' blind indexes computed here and copied into
//! `bench_tokens` ([`crate::tokens`]), then `sql/dataset.sql` generating customers in
//! bulk inside PostgreSQL, then `VACUUM ANALYZE`. Variables are sealed here under a key
//! per customer, as the server seals them, and the keys wrapped into the keyring
//! database. Or, for a server with encryption off, the same data in clear.

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
    /// Of which sealing the variables and filling the keyring took (none for a data set
    /// in clear).
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
/// the database at `url`: as the server stores it when `sealed`, else in clear.
pub async fn generate(
    url: &str, account: uuid::Uuid, tenant: uuid::Uuid, customers: u64, sealed: bool,
) -> anyhow::Result<DataSet> {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .context("cannot connect to the bench database")?;
    tokio::spawn(connection);
    let began = Instant::now();
    let (rows, seal_seconds) = if sealed {
        let keyring_url = default_keyring_url(url)?;
        let keyring = PgKeyring::open(&keyring_url, url).await?;
        let mut rows = tokens::tokens(&tokens::tenant_key(keyring, account).await?, customers);
        let sealing = Instant::now();
        let keys = tokens::seal_values(&tokens::master_key()?, account, &mut rows);
        fill_keyring(&keyring_url, &keys).await?;
        (rows, Some(sealing.elapsed().as_secs_f64()))
    } else {
        (tokens::plain(customers), None)
    };
    client
        .batch_execute(
            "CREATE TABLE bench_tokens (i integer PRIMARY KEY, phone text NOT NULL,
                                        shared text NOT NULL, crm text NOT NULL,
                                        plan text NOT NULL, plan_source text NOT NULL,
                                        last_order text NOT NULL, order_source text NOT NULL)",
        )
        .await?;
    for chunk in rows.chunks(50_000) {
        let column =
            |f: fn(&tokens::Tokens) -> &str| -> Vec<&str> { chunk.iter().map(f).collect() };
        let ids: Vec<i32> = chunk.iter().map(|t| t.i).collect();
        client
            .execute(
                "INSERT INTO bench_tokens SELECT * FROM unnest($1::int[], $2::text[], $3::text[],
                     $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])",
                &[
                    &ids,
                    &column(|t| &t.phone),
                    &column(|t| &t.shared),
                    &column(|t| &t.crm),
                    &column(|t| &t.plan),
                    &column(|t| &t.plan_source),
                    &column(|t| &t.order),
                    &column(|t| &t.order_source),
                ],
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

/// The customers' wrapped keys into the keyring database, 50,000 a statement.
async fn fill_keyring(url: &str, keys: &[tokens::WrappedKey]) -> anyhow::Result<()> {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .context("cannot connect to the bench keyring")?;
    tokio::spawn(connection);
    for chunk in keys.chunks(50_000) {
        let scopes: Vec<&str> = chunk.iter().map(|k| k.scope.as_str()).collect();
        let wrapped: Vec<&str> = chunk.iter().map(|k| k.wrapped.as_str()).collect();
        client
            .execute(
                "INSERT INTO data_keys (scope, wrapped) SELECT * FROM unnest($1::text[], $2::text[])",
                &[&scopes, &wrapped],
            )
            .await?;
    }
    Ok(())
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

/// Calls started in the last `days` days: the console's window.
pub async fn calls_in_last_days(url: &str, days: i32) -> anyhow::Result<u64> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(connection);
    let n: i64 = client
        .query_one(
            "SELECT count(*) FROM calls WHERE started_at >= now() - make_interval(days => $1)",
            &[&days],
        )
        .await?
        .get(0);
    Ok(u64::try_from(n)?)
}
