//! The keys a tenant manages: add, list, revoke (never the last live one), last use.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use stickycalls_domain::accounts::{KeyInfo, NewKey, Revocation, StoredKey};
use stickycalls_domain::invalidation::Invalidation;
use stickycalls_domain::ports::{KeyAdded, KeyStore};
use stickycalls_domain::tenant::{AccountId, TenantId};
use stickycalls_domain::{StoreError, Timestamp};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::errors::from_diesel;
use crate::notify::notify;
use crate::pool::PgStore;
use crate::schema::{accounts, api_keys, credit_balances};
use crate::tenant_key::tenant_key;

/// Inserts a key of `account` (its environment is the key's).
pub(crate) async fn insert(
    conn: &mut AsyncPgConnection, account: uuid::Uuid, key: &NewKey, at: OffsetDateTime,
) -> QueryResult<()> {
    diesel::insert_into(api_keys::table)
        .values((
            api_keys::lookup_id.eq(&key.lookup_id),
            api_keys::account_id.eq(account),
            api_keys::environment.eq(key.environment.as_str()),
            api_keys::hash.eq(&key.hash),
            api_keys::last4.eq(&key.last4),
            api_keys::name.eq(&key.name),
            api_keys::created_at.eq(at),
        ))
        .execute(conn)
        .await
        .map(|_| ())
}

/// Locks the account row until the transaction ends: key additions and revocations
/// of one account queue behind it, so a count of live keys stays true until commit.
async fn lock_account(conn: &mut AsyncPgConnection, account: Uuid) -> QueryResult<()> {
    accounts::table
        .filter(accounts::account_id.eq(account))
        .select(accounts::account_id)
        .for_update()
        .first::<Uuid>(conn)
        .await
        .optional()
        .map(|_| ())
}

/// The environment's live key ids.
async fn live_ids(
    conn: &mut AsyncPgConnection, account: Uuid, environment: &str,
) -> QueryResult<Vec<String>> {
    api_keys::table
        .filter(api_keys::account_id.eq(account))
        .filter(api_keys::environment.eq(environment))
        .filter(api_keys::revoked_at.is_null())
        .select(api_keys::lookup_id)
        .load(conn)
        .await
}

impl KeyStore for PgStore {
    async fn find_key(&self, lookup_id: &str) -> Result<Option<StoredKey>, StoreError> {
        let mut conn = self.conn().await?;
        let row: Option<(Uuid, String, String, Option<OffsetDateTime>)> = api_keys::table
            .filter(api_keys::lookup_id.eq(lookup_id))
            .select((
                api_keys::account_id,
                api_keys::environment,
                api_keys::hash,
                api_keys::revoked_at,
            ))
            .first(&mut conn)
            .await
            .optional()
            .map_err(from_diesel)?;
        let Some((account, environment, hash, revoked_at)) = row else {
            return Ok(None);
        };
        // The column's CHECK allows only test and prod: anything else is corruption,
        // not an unknown key.
        let environment = environment.parse().map_err(|e: String| {
            StoreError::Unknown(anyhow::anyhow!(
                "api_keys.environment of `{lookup_id}`: {e}"
            ))
        })?;
        let tenant = TenantId {
            account: AccountId(account),
            environment,
        };
        let plan: Option<String> = credit_balances::table
            .filter(credit_balances::tenant_id.eq(tenant_key(&tenant)))
            .select(credit_balances::plan)
            .first(&mut conn)
            .await
            .optional()
            .map_err(from_diesel)?;
        Ok(Some(StoredKey {
            lookup_id: lookup_id.to_owned(),
            tenant,
            hash,
            revoked: revoked_at.is_some(),
            plan: plan.unwrap_or_else(|| "free".to_owned()),
        }))
    }

    /// Under the account's row lock: count, then insert only below the cap.
    async fn add_key(
        &self, tenant: &TenantId, key: NewKey, at: Timestamp, max_live: usize,
    ) -> Result<KeyAdded, StoreError> {
        let key = NewKey {
            environment: tenant.environment,
            ..key
        };
        let account = tenant.account.0;
        let mut conn = self.conn().await?;
        conn.transaction(async move |conn| -> QueryResult<KeyAdded> {
            lock_account(conn, account).await?;
            let live = live_ids(conn, account, key.environment.as_str()).await?;
            if live.len() >= max_live {
                return Ok(KeyAdded::LimitReached);
            }
            insert(conn, account, &key, at.get()).await?;
            Ok(KeyAdded::Added)
        })
        .await
        .map_err(from_diesel)
    }

    async fn list_keys(&self, tenant: &TenantId) -> Result<Vec<KeyInfo>, StoreError> {
        self.live_keys(tenant).await
    }

    async fn revoke_key(
        &self, tenant: &TenantId, lookup_id: &str, at: Timestamp,
    ) -> Result<Revocation, StoreError> {
        self.revoke(tenant, lookup_id, at).await
    }

    async fn touch_key(&self, lookup_id: &str, at: Timestamp) -> Result<(), StoreError> {
        self.mark_used(lookup_id, at).await
    }
}

/// A listed key's columns.
#[derive(Queryable, Selectable)]
#[diesel(table_name = api_keys, check_for_backend(diesel::pg::Pg))]
struct ListedKey {
    lookup_id: String,
    name: String,
    last4: String,
    created_at: OffsetDateTime,
    last_used_at: Option<OffsetDateTime>,
}

impl PgStore {
    pub(crate) async fn live_keys(&self, tenant: &TenantId) -> Result<Vec<KeyInfo>, StoreError> {
        let mut conn = self.conn().await?;
        let rows: Vec<ListedKey> = api_keys::table
            .filter(api_keys::account_id.eq(tenant.account.0))
            .filter(api_keys::environment.eq(tenant.environment.as_str()))
            .filter(api_keys::revoked_at.is_null())
            .order((api_keys::created_at.asc(), api_keys::lookup_id.asc()))
            .select(ListedKey::as_select())
            .load(&mut conn)
            .await
            .map_err(from_diesel)?;
        Ok(rows
            .into_iter()
            .map(|row| KeyInfo {
                lookup_id: row.lookup_id,
                environment: tenant.environment,
                name: row.name,
                last4: row.last4,
                created_at: Timestamp::new(row.created_at),
                last_used_at: row.last_used_at.map(Timestamp::new),
            })
            .collect())
    }

    /// Locks the account row first, so concurrent revocations of its keys queue and
    /// the last live key always survives.
    pub(crate) async fn revoke(
        &self, tenant: &TenantId, lookup_id: &str, at: Timestamp,
    ) -> Result<Revocation, StoreError> {
        let mut conn = self.conn().await?;
        let (account, environment) = (tenant.account.0, tenant.environment.as_str());
        conn.transaction(async move |conn| -> QueryResult<Revocation> {
            lock_account(conn, account).await?;
            let live = live_ids(conn, account, environment).await?;
            if !live.iter().any(|l| l == lookup_id) {
                return Ok(Revocation::NotFound);
            }
            if live.len() == 1 {
                return Ok(Revocation::LastKey);
            }
            diesel::update(api_keys::table.filter(api_keys::lookup_id.eq(lookup_id)))
                .set(api_keys::revoked_at.eq(at.get()))
                .execute(conn)
                .await?;
            let lookup_id = lookup_id.to_owned();
            notify(conn, &Invalidation::KeyRevoked { lookup_id }).await?;
            Ok(Revocation::Revoked)
        })
        .await
        .map_err(from_diesel)
    }

    pub(crate) async fn mark_used(&self, lookup_id: &str, at: Timestamp) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        diesel::update(api_keys::table.filter(api_keys::lookup_id.eq(lookup_id)))
            .set(api_keys::last_used_at.eq(at.get()))
            .execute(&mut conn)
            .await
            .map(|_| ())
            .map_err(from_diesel)
    }
}
