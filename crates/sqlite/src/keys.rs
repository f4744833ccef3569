//! The keys a tenant manages, on SQLite: add, list, revoke (never the last live one),
//! last use, and the plan a key's tenant is on (its rate limit).

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use stickycalls_domain::accounts::{KeyInfo, NewKey, Revocation, StoredKey};
use stickycalls_domain::ports::{KeyAdded, KeyStore};
use stickycalls_domain::tenant::{AccountId, TenantId};
use stickycalls_domain::{StoreError, Timestamp};

use crate::errors::from_diesel;
use crate::pool::SqliteStore;
use crate::rows::{at, corrupt, ms};
use crate::schema::{api_keys, credit_balances};
use crate::tenant_key;

pub(crate) fn insert(
    c: &mut SqliteConnection, account: &str, key: &NewKey, now: Timestamp,
) -> QueryResult<usize> {
    diesel::insert_into(api_keys::table)
        .values((
            api_keys::lookup_id.eq(&key.lookup_id),
            api_keys::account_id.eq(account),
            api_keys::environment.eq(key.environment.as_str()),
            api_keys::hash.eq(&key.hash),
            api_keys::last4.eq(&key.last4),
            api_keys::name.eq(&key.name),
            api_keys::created_at.eq(ms(now)),
        ))
        .execute(c)
}

/// A listed key's columns. `lookup_id` reads as nullable: SQLite lets a TEXT primary
/// key hold NULL.
#[derive(Queryable, Selectable)]
#[diesel(table_name = api_keys, check_for_backend(diesel::sqlite::Sqlite))]
struct KeyRow {
    lookup_id: Option<String>,
    name: String,
    last4: String,
    created_at: i64,
    last_used_at: Option<i64>,
}

/// The tenant's live keys, oldest first.
pub(crate) fn live(c: &mut SqliteConnection, tenant: &TenantId) -> QueryResult<Vec<KeyInfo>> {
    let rows: Vec<KeyRow> = api_keys::table
        .filter(api_keys::account_id.eq(tenant.account.to_string()))
        .filter(api_keys::environment.eq(tenant.environment.as_str()))
        .filter(api_keys::revoked_at.is_null())
        .order((api_keys::created_at.asc(), api_keys::lookup_id.asc()))
        .select(KeyRow::as_select())
        .load(c)?;
    rows.into_iter()
        .map(|row| {
            Ok(KeyInfo {
                lookup_id: row
                    .lookup_id
                    .ok_or_else(|| corrupt("api_keys.lookup_id", &row.name, "NULL"))?,
                environment: tenant.environment,
                name: row.name,
                last4: row.last4,
                created_at: at(row.created_at),
                last_used_at: row.last_used_at.map(at),
            })
        })
        .collect()
}

/// Runs inside `BEGIN IMMEDIATE`: SQLite's single writer serialises revocations.
pub(crate) fn revoke(
    c: &mut SqliteConnection, tenant: &TenantId, lookup_id: &str, now: Timestamp,
) -> QueryResult<Revocation> {
    let live = live(c, tenant)?;
    if !live.iter().any(|k| k.lookup_id == lookup_id) {
        return Ok(Revocation::NotFound);
    }
    if live.len() == 1 {
        return Ok(Revocation::LastKey);
    }
    diesel::update(api_keys::table.filter(api_keys::lookup_id.eq(lookup_id)))
        .set(api_keys::revoked_at.eq(ms(now)))
        .execute(c)?;
    Ok(Revocation::Revoked)
}

pub(crate) fn touch(c: &mut SqliteConnection, lookup_id: &str, now: Timestamp) -> QueryResult<()> {
    diesel::update(api_keys::table.filter(api_keys::lookup_id.eq(lookup_id)))
        .set(api_keys::last_used_at.eq(ms(now)))
        .execute(c)
        .map(|_| ())
}

/// The plan of a tenant (`free` when it has no credits row).
pub(crate) fn plan(c: &mut SqliteConnection, tenant: &TenantId) -> QueryResult<String> {
    Ok(credit_balances::table
        .filter(credit_balances::tenant_id.eq(tenant_key(tenant)))
        .select(credit_balances::plan)
        .first::<String>(c)
        .optional()?
        .unwrap_or_else(|| "free".to_owned()))
}

/// A stored key as the domain knows it; an account id or environment that does not
/// read back is corruption, not an unknown key.
fn stored_key(c: &mut SqliteConnection, lookup_id: &str) -> QueryResult<Option<StoredKey>> {
    let row: Option<(String, String, String, Option<i64>)> = api_keys::table
        .filter(api_keys::lookup_id.eq(lookup_id))
        .select((
            api_keys::account_id,
            api_keys::environment,
            api_keys::hash,
            api_keys::revoked_at,
        ))
        .first(c)
        .optional()?;
    let Some((account, environment, hash, revoked_at)) = row else {
        return Ok(None);
    };
    let tenant = TenantId {
        account: AccountId(
            account
                .parse()
                .map_err(|e| corrupt("api_keys.account_id", lookup_id, e))?,
        ),
        environment: environment
            .parse()
            .map_err(|e: String| corrupt("api_keys.environment", lookup_id, e))?,
    };
    Ok(Some(StoredKey {
        lookup_id: lookup_id.to_owned(),
        tenant,
        hash,
        revoked: revoked_at.is_some(),
        plan: plan(c, &tenant)?,
    }))
}

impl KeyStore for SqliteStore {
    async fn find_key(&self, lookup_id: &str) -> Result<Option<StoredKey>, StoreError> {
        let lookup = lookup_id.to_owned();
        self.run(move |c| stored_key(c, &lookup).map_err(from_diesel))
            .await
    }

    /// Inside `BEGIN IMMEDIATE`: SQLite's single writer makes the count and the insert
    /// one step.
    async fn add_key(
        &self, tenant: &TenantId, key: NewKey, at: Timestamp, max_live: usize,
    ) -> Result<KeyAdded, StoreError> {
        let tenant = *tenant;
        let key = NewKey {
            environment: tenant.environment,
            ..key
        };
        self.write(move |c| {
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
        &self, tenant: &TenantId, lookup_id: &str, at: Timestamp,
    ) -> Result<Revocation, StoreError> {
        let (tenant, lookup) = (*tenant, lookup_id.to_owned());
        self.write(move |c| {
            c.immediate_transaction(|c| revoke(c, &tenant, &lookup, at))
                .map_err(from_diesel)
        })
        .await
    }

    async fn touch_key(&self, lookup_id: &str, at: Timestamp) -> Result<(), StoreError> {
        let lookup = lookup_id.to_owned();
        self.write(move |c| touch(c, &lookup, at).map_err(from_diesel))
            .await
    }
}
