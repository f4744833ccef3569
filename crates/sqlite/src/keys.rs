//! The keys a tenant manages, on SQLite: add, list, revoke (never the last live one),
//! last use, and the plan a key's tenant is on (its rate limit).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::sqlite::SqliteConnection;
use stickycalls_domain::accounts::{KeyInfo, NewKey, Revocation, StoredKey};
use stickycalls_domain::ports::{KeyAdded, KeyStore};
use stickycalls_domain::tenant::{AccountId, TenantId};
use stickycalls_domain::{StoreError, Timestamp};

use crate::errors::from_diesel;
use crate::pool::SqliteStore;
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

impl KeyStore for SqliteStore {
    async fn find_key(&self, lookup_id: &str) -> Result<Option<StoredKey>, StoreError> {
        #[derive(QueryableByName)]
        struct KeyRow {
            #[diesel(sql_type = Text)]
            account_id: String,
            #[diesel(sql_type = Text)]
            environment: String,
            #[diesel(sql_type = Text)]
            hash: String,
            #[diesel(sql_type = Nullable<BigInt>)]
            revoked_at: Option<i64>,
        }
        let lookup = lookup_id.to_owned();
        self.run(move |c| {
            let row: Option<KeyRow> =
                diesel::sql_query("SELECT account_id, environment, hash, revoked_at FROM api_keys WHERE lookup_id = ?")
                    .bind::<Text, _>(&lookup)
                    .get_result(c)
                    .optional()
                    .map_err(from_diesel)?;
            let Some((r, tenant)) = row.and_then(|r| {
                let tenant = TenantId {
                    account: AccountId(r.account_id.parse().ok()?),
                    environment: r.environment.parse().ok()?,
                };
                Some((r, tenant))
            }) else {
                return Ok(None);
            };
            Ok(Some(StoredKey {
                lookup_id: lookup.clone(),
                tenant,
                hash: r.hash,
                revoked: r.revoked_at.is_some(),
                plan: plan(c, &tenant).map_err(from_diesel)?,
            }))
        })
        .await
    }

    /// Inside `BEGIN IMMEDIATE`: SQLite's single writer makes the count and the insert
    /// one step.
    async fn add_key(
        &self,
        tenant: &TenantId,
        key: NewKey,
        at: Timestamp,
        max_live: usize,
    ) -> Result<KeyAdded, StoreError> {
        let tenant = *tenant;
        let key = NewKey {
            environment: tenant.environment,
            ..key
        };
        self.run(move |c| {
            c.immediate_transaction(|c| {
                if live(c, &tenant)?.len() >= max_live {
                    return Ok(KeyAdded::LimitReached);
                }
                insert(c, &tenant.account.to_string(), &key, at)?;
                Ok(KeyAdded::Added)
            })
            .map_err(from_diesel)
        })
        .await
    }

    async fn list_keys(&self, tenant: &TenantId) -> Result<Vec<KeyInfo>, StoreError> {
        let tenant = *tenant;
        self.run(move |c| live(c, &tenant).map_err(from_diesel))
            .await
    }

    async fn revoke_key(
        &self,
        tenant: &TenantId,
        lookup_id: &str,
        at: Timestamp,
    ) -> Result<Revocation, StoreError> {
        let (tenant, lookup) = (*tenant, lookup_id.to_owned());
        self.run(move |c| {
            c.immediate_transaction(|c| revoke(c, &tenant, &lookup, at))
                .map_err(from_diesel)
        })
        .await
    }

    async fn touch_key(&self, lookup_id: &str, at: Timestamp) -> Result<(), StoreError> {
        let lookup = lookup_id.to_owned();
        self.run(move |c| touch(c, &lookup, at).map_err(from_diesel))
            .await
    }
}
