//! The keys a tenant manages, on SQLite: add, list, revoke (never the last live one),
//! last use, and the plan a key's tenant is on (its rate limit).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::sqlite::SqliteConnection;
use stickycalls_domain::Timestamp;
use stickycalls_domain::accounts::{KeyInfo, NewKey, Revocation};
use stickycalls_domain::tenant::TenantId;

use crate::rows::{at, ms};
use crate::tenant_key;

pub(crate) fn insert(
    c: &mut SqliteConnection,
    account: &str,
    key: &NewKey,
    now: Timestamp,
) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO api_keys (lookup_id, account_id, environment, hash, last4, name, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind::<Text, _>(&key.lookup_id)
    .bind::<Text, _>(account)
    .bind::<Text, _>(key.environment.as_str())
    .bind::<Text, _>(&key.hash)
    .bind::<Text, _>(&key.last4)
    .bind::<Text, _>(&key.name)
    .bind::<BigInt, _>(ms(now))
    .execute(c)
}

#[derive(QueryableByName)]
struct KeyRow {
    #[diesel(sql_type = Text)]
    lookup_id: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    last4: String,
    #[diesel(sql_type = BigInt)]
    created_at: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    last_used_at: Option<i64>,
}

pub(crate) fn live(c: &mut SqliteConnection, tenant: &TenantId) -> QueryResult<Vec<KeyInfo>> {
    let rows: Vec<KeyRow> = diesel::sql_query(
        "SELECT lookup_id, name, last4, created_at, last_used_at FROM api_keys
          WHERE account_id = ? AND environment = ? AND revoked_at IS NULL
          ORDER BY created_at, lookup_id",
    )
    .bind::<Text, _>(tenant.account.to_string())
    .bind::<Text, _>(tenant.environment.as_str())
    .load(c)?;
    Ok(rows
        .into_iter()
        .map(|r| KeyInfo {
            lookup_id: r.lookup_id,
            environment: tenant.environment,
            name: r.name,
            last4: r.last4,
            created_at: at(r.created_at),
            last_used_at: r.last_used_at.map(at),
        })
        .collect())
}

/// Runs inside `BEGIN IMMEDIATE`: SQLite's single writer serialises revocations.
pub(crate) fn revoke(
    c: &mut SqliteConnection,
    tenant: &TenantId,
    lookup_id: &str,
    now: Timestamp,
) -> QueryResult<Revocation> {
    let live = live(c, tenant)?;
    if !live.iter().any(|k| k.lookup_id == lookup_id) {
        return Ok(Revocation::NotFound);
    }
    if live.len() == 1 {
        return Ok(Revocation::LastKey);
    }
    diesel::sql_query("UPDATE api_keys SET revoked_at = ? WHERE lookup_id = ?")
        .bind::<BigInt, _>(ms(now))
        .bind::<Text, _>(lookup_id)
        .execute(c)?;
    Ok(Revocation::Revoked)
}

pub(crate) fn touch(c: &mut SqliteConnection, lookup_id: &str, now: Timestamp) -> QueryResult<()> {
    diesel::sql_query("UPDATE api_keys SET last_used_at = ? WHERE lookup_id = ?")
        .bind::<BigInt, _>(ms(now))
        .bind::<Text, _>(lookup_id)
        .execute(c)
        .map(|_| ())
}

#[derive(QueryableByName)]
struct PlanRow {
    #[diesel(sql_type = Text)]
    plan: String,
}

/// The plan of a tenant (`free` when it has no credits row).
pub(crate) fn plan(c: &mut SqliteConnection, tenant: &TenantId) -> QueryResult<String> {
    Ok(
        diesel::sql_query("SELECT plan FROM credit_balances WHERE tenant_id = ?")
            .bind::<Text, _>(tenant_key(tenant))
            .get_result::<PlanRow>(c)
            .optional()?
            .map_or_else(|| "free".to_owned(), |r| r.plan),
    )
}
