//! The keys a tenant manages: add, list, revoke (never the last live one), last use.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use stickycalls_domain::accounts::{KeyInfo, NewKey, Revocation};
use stickycalls_domain::tenant::TenantId;
use stickycalls_domain::{StoreError, Timestamp};
use time::OffsetDateTime;

use crate::errors::from_diesel;
use crate::pool::PgStore;
use crate::schema::{accounts, api_keys};

/// Inserts a key of `account` (its environment is the key's).
pub(crate) async fn insert(
    conn: &mut AsyncPgConnection,
    account: uuid::Uuid,
    key: &NewKey,
    at: OffsetDateTime,
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

impl PgStore {
    pub(crate) async fn insert_key(
        &self,
        tenant: &TenantId,
        key: NewKey,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let key = NewKey {
            environment: tenant.environment,
            ..key
        };
        let mut conn = self.conn().await?;
        insert(&mut conn, tenant.account.0, &key, at.get())
            .await
            .map_err(from_diesel)
    }

    pub(crate) async fn live_keys(&self, tenant: &TenantId) -> Result<Vec<KeyInfo>, StoreError> {
        let mut conn = self.conn().await?;
        let rows: Vec<(
            String,
            String,
            String,
            OffsetDateTime,
            Option<OffsetDateTime>,
        )> = api_keys::table
            .filter(api_keys::account_id.eq(tenant.account.0))
            .filter(api_keys::environment.eq(tenant.environment.as_str()))
            .filter(api_keys::revoked_at.is_null())
            .order((api_keys::created_at.asc(), api_keys::lookup_id.asc()))
            .select((
                api_keys::lookup_id,
                api_keys::name,
                api_keys::last4,
                api_keys::created_at,
                api_keys::last_used_at,
            ))
            .load(&mut conn)
            .await
            .map_err(from_diesel)?;
        Ok(rows
            .into_iter()
            .map(|(lookup_id, name, last4, created, used)| KeyInfo {
                lookup_id,
                environment: tenant.environment,
                name,
                last4,
                created_at: Timestamp::new(created),
                last_used_at: used.map(Timestamp::new),
            })
            .collect())
    }

    /// Locks the account row first, so concurrent revocations of its keys queue and
    /// the last live key always survives.
    pub(crate) async fn revoke(
        &self,
        tenant: &TenantId,
        lookup_id: &str,
        at: Timestamp,
    ) -> Result<Revocation, StoreError> {
        let mut conn = self.conn().await?;
        let (account, environment) = (tenant.account.0, tenant.environment.as_str());
        conn.transaction(async move |conn| -> QueryResult<Revocation> {
            accounts::table
                .filter(accounts::account_id.eq(account))
                .select(accounts::account_id)
                .for_update()
                .first::<uuid::Uuid>(conn)
                .await
                .optional()?;
            let live: Vec<String> = api_keys::table
                .filter(api_keys::account_id.eq(account))
                .filter(api_keys::environment.eq(environment))
                .filter(api_keys::revoked_at.is_null())
                .select(api_keys::lookup_id)
                .load(conn)
                .await?;
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
