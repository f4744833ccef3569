//! Accounts, API keys and stored idempotent responses.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use stickycalls_domain::accounts::{AccountInfo, NewAccount};
use stickycalls_domain::credits::CreditAccount;
use stickycalls_domain::idempotency::{ClaimCutoffs, HeldKey, KeyClaim, StoredResponse};
use stickycalls_domain::identity::CustomerRef;
use stickycalls_domain::invalidation::Invalidation;
use stickycalls_domain::ports::{AccountStore, Health, IdempotencyStore, PoolUse};
use stickycalls_domain::tenant::{AccountId, Environment, TenantId};
use stickycalls_domain::{StoreError, Timestamp};
use uuid::Uuid;

use crate::errors::from_diesel;
use crate::notify::notify;
use crate::pool::PgStore;
use crate::schema::{accounts, api_keys, console_sessions, customers, idempotency_keys};
use crate::tenant_key::tenant_key;
use crate::{credits, keys};

impl AccountStore for PgStore {
    async fn create_account(&self, account: NewAccount) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        let at = account.created_at;
        conn.transaction(async move |conn| -> Result<(), diesel::result::Error> {
            diesel::insert_into(accounts::table)
                .values((
                    accounts::account_id.eq(account.id.0),
                    accounts::name.eq(&account.name),
                    accounts::email.eq(&account.email),
                    accounts::created_at.eq(at.get()),
                ))
                .execute(conn)
                .await?;
            for key in &account.keys {
                keys::insert(conn, account.id.0, key, at.get()).await?;
            }
            let opened = CreditAccount::open(&account.plan, at);
            for environment in [Environment::Test, Environment::Prod] {
                let tenant = TenantId {
                    account: account.id,
                    environment,
                };
                credits::save(conn, tenant_key(&tenant), &opened).await?;
            }
            Ok(())
        })
        .await
        .map_err(from_diesel)
    }

    async fn has_accounts(&self) -> Result<bool, StoreError> {
        self.any_account().await
    }

    async fn list_accounts(&self) -> Result<Vec<AccountInfo>, StoreError> {
        let mut conn = self.conn().await?;
        type Row = (
            Uuid,
            String,
            Option<String>,
            time::OffsetDateTime,
            Option<time::OffsetDateTime>,
        );
        let rows: Vec<Row> = accounts::table
            .select((
                accounts::account_id,
                accounts::name,
                accounts::email,
                accounts::created_at,
                accounts::closed_at,
            ))
            .order((accounts::created_at, accounts::account_id))
            .load(&mut conn)
            .await
            .map_err(from_diesel)?;
        Ok(rows
            .into_iter()
            .map(|(id, name, email, created_at, closed_at)| AccountInfo {
                id: AccountId(id),
                name,
                email,
                created_at: Timestamp::new(created_at),
                closed_at: closed_at.map(Timestamp::new),
            })
            .collect())
    }

    async fn close_account(
        &self, account: AccountId, at: Timestamp,
    ) -> Result<Option<Vec<String>>, StoreError> {
        let mut conn = self.conn().await?;
        let id = account.0;
        conn.transaction(async move |conn| -> QueryResult<Option<Vec<String>>> {
            // The account's row lock also orders this after any key being added.
            let closed = diesel::update(
                accounts::table
                    .filter(accounts::account_id.eq(id))
                    .filter(accounts::closed_at.is_null()),
            )
            .set((
                accounts::closed_at.eq(at.get()),
                accounts::email.eq(None::<String>),
            ))
            .execute(conn)
            .await?;
            if closed == 0 {
                return Ok(None);
            }
            let revoked: Vec<String> = diesel::update(
                api_keys::table
                    .filter(api_keys::account_id.eq(id))
                    .filter(api_keys::revoked_at.is_null()),
            )
            .set(api_keys::revoked_at.eq(at.get()))
            .returning(api_keys::lookup_id)
            .get_results(conn)
            .await?;
            let keys = api_keys::table
                .filter(api_keys::account_id.eq(id))
                .select(api_keys::lookup_id);
            diesel::delete(
                console_sessions::table.filter(console_sessions::key_lookup_id.eq_any(keys)),
            )
            .execute(conn)
            .await?;
            for lookup_id in &revoked {
                let lookup_id = lookup_id.clone();
                notify(conn, &Invalidation::KeyRevoked { lookup_id }).await?;
            }
            Ok(Some(revoked))
        })
        .await
        .map_err(from_diesel)
    }
}

impl PgStore {
    async fn any_account(&self) -> Result<bool, StoreError> {
        let mut conn = self.conn().await?;
        diesel::select(diesel::dsl::exists(
            accounts::table.select(accounts::account_id),
        ))
        .get_result(&mut conn)
        .await
        .map_err(from_diesel)
    }
}

impl IdempotencyStore for PgStore {
    async fn claim(
        &self, tenant: &TenantId, key: &str, fingerprint: &str, now: Timestamp,
        cutoffs: ClaimCutoffs,
    ) -> Result<KeyClaim, StoreError> {
        let tenant = tenant_key(tenant);
        let mut conn = self.conn().await?;
        conn.transaction(
            async move |conn| -> Result<KeyClaim, diesel::result::Error> {
                let this = || {
                    idempotency_keys::table
                        .filter(idempotency_keys::tenant_id.eq(tenant))
                        .filter(idempotency_keys::key.eq(key))
                };
                let abandoned = idempotency_keys::response_status
                    .is_null()
                    .and(idempotency_keys::created_at.lt(cutoffs.abandoned_before.get()));
                let expired = idempotency_keys::created_at.lt(cutoffs.expired_before.get());
                diesel::delete(this().filter(expired.or(abandoned)))
                    .execute(conn)
                    .await?;
                let claimed = diesel::insert_into(idempotency_keys::table)
                    .values((
                        idempotency_keys::tenant_id.eq(tenant),
                        idempotency_keys::key.eq(key),
                        idempotency_keys::fingerprint.eq(fingerprint),
                        idempotency_keys::created_at.eq(now.get()),
                    ))
                    .on_conflict_do_nothing()
                    .execute(conn)
                    .await?;
                if claimed == 1 {
                    return Ok(KeyClaim::Claimed);
                }
                let (stored, status, body, customer): (
                    String,
                    Option<i16>,
                    Option<String>,
                    Option<String>,
                ) = this()
                    .select((
                        idempotency_keys::fingerprint,
                        idempotency_keys::response_status,
                        idempotency_keys::response_body,
                        idempotency_keys::customer_ref,
                    ))
                    .first(conn)
                    .await?;
                let response = match (status, body) {
                    (Some(status), Some(body)) => Some(StoredResponse {
                        status: status as u16,
                        body,
                        customer: customer.map(CustomerRef::from_trusted),
                    }),
                    _ => None,
                };
                Ok(KeyClaim::Held(HeldKey {
                    fingerprint: stored,
                    response,
                }))
            },
        )
        .await
        .map_err(from_diesel)
    }

    /// Stores the response, unless it is about a customer erased since the request
    /// began: then the claim is dropped instead, so their data is not kept and a retry
    /// runs anew. The customer row is read `FOR KEY SHARE`, so an erasure running at
    /// the same time either waits for this (and then deletes the stored response) or
    /// is waited for (and the customer is gone).
    async fn complete(
        &self, tenant: &TenantId, key: &str, response: StoredResponse,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        let (tenant, key) = (tenant_key(tenant), key.to_owned());
        conn.transaction(async move |conn| {
            if let Some(who) = &response.customer {
                let alive = customers::table
                    .filter(customers::tenant_id.eq(tenant))
                    .filter(customers::customer_ref.eq(who.as_str()))
                    .select(customers::tenant_id)
                    .for_key_share()
                    .first::<Uuid>(conn)
                    .await
                    .optional()?;
                if alive.is_none() {
                    return release_claim(conn, tenant, &key).await;
                }
            }
            diesel::update(
                idempotency_keys::table
                    .filter(idempotency_keys::tenant_id.eq(tenant))
                    .filter(idempotency_keys::key.eq(&key)),
            )
            .set((
                idempotency_keys::response_status.eq(response.status as i16),
                idempotency_keys::response_body.eq(&response.body),
                idempotency_keys::customer_ref
                    .eq(response.customer.as_ref().map(|c| c.as_str().to_owned())),
            ))
            .execute(conn)
            .await
            .map(|_| ())
        })
        .await
        .map_err(from_diesel)
    }

    async fn release(&self, tenant: &TenantId, key: &str) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        release_claim(&mut conn, tenant_key(tenant), key)
            .await
            .map_err(from_diesel)
    }
}

/// Drops a claim that holds no response yet.
async fn release_claim(
    conn: &mut diesel_async::AsyncPgConnection, tenant: Uuid, key: &str,
) -> QueryResult<()> {
    diesel::delete(
        idempotency_keys::table
            .filter(idempotency_keys::tenant_id.eq(tenant))
            .filter(idempotency_keys::key.eq(key))
            .filter(idempotency_keys::response_status.is_null()),
    )
    .execute(conn)
    .await
    .map(|_| ())
}

impl Health for PgStore {
    async fn ping(&self) -> Result<(), StoreError> {
        PgStore::ping(self).await
    }

    fn pool_use(&self) -> PoolUse {
        let (open, in_use) = self.pool_status();
        PoolUse {
            open,
            in_use,
            statements: self.statements_sent(),
        }
    }
}
