//! The web console's sessions on PostgreSQL: one row per session, tied to its key (the
//! key's tenant is the session's; a revoked key's session reads back as such).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use stickycalls_domain::console::{NewSession, SessionTimes, StoredSession};
use stickycalls_domain::ports::ConsoleSessionStore;
use stickycalls_domain::tenant::{AccountId, TenantId};
use stickycalls_domain::{StoreError, Timestamp};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::errors::from_diesel;
use crate::pool::PgStore;
use crate::schema::{api_keys, console_sessions};

type SessionRow = (
    String,
    OffsetDateTime,
    OffsetDateTime,
    Uuid,
    String,
    Option<OffsetDateTime>,
);

impl ConsoleSessionStore for PgStore {
    async fn create_session(&self, session: NewSession) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        diesel::insert_into(console_sessions::table)
            .values((
                console_sessions::digest.eq(&session.digest),
                console_sessions::key_lookup_id.eq(&session.key_lookup_id),
                console_sessions::created_at.eq(session.at.get()),
                console_sessions::last_seen_at.eq(session.at.get()),
            ))
            .execute(&mut conn)
            .await
            .map(|_| ())
            .map_err(from_diesel)
    }

    async fn find_session(&self, digest: &str) -> Result<Option<StoredSession>, StoreError> {
        let mut conn = self.conn().await?;
        let row: Option<SessionRow> = console_sessions::table
            .inner_join(api_keys::table)
            .filter(console_sessions::digest.eq(digest))
            .select((
                console_sessions::key_lookup_id,
                console_sessions::created_at,
                console_sessions::last_seen_at,
                api_keys::account_id,
                api_keys::environment,
                api_keys::revoked_at,
            ))
            .first(&mut conn)
            .await
            .optional()
            .map_err(from_diesel)?;
        let Some((key_lookup_id, created_at, last_seen_at, account, environment, revoked_at)) = row
        else {
            return Ok(None);
        };
        let environment = environment.parse().map_err(|e: String| {
            StoreError::Unknown(anyhow::anyhow!(
                "api_keys.environment of `{key_lookup_id}`: {e}"
            ))
        })?;
        Ok(Some(StoredSession {
            tenant: TenantId {
                account: AccountId(account),
                environment,
            },
            key_lookup_id,
            key_live: revoked_at.is_none(),
            times: SessionTimes {
                created_at: Timestamp::new(created_at),
                last_seen_at: Timestamp::new(last_seen_at),
            },
        }))
    }

    async fn touch_session(&self, digest: &str, at: Timestamp) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        diesel::update(console_sessions::table.find(digest))
            .set(console_sessions::last_seen_at.eq(at.get()))
            .execute(&mut conn)
            .await
            .map(|_| ())
            .map_err(from_diesel)
    }

    async fn end_session(&self, digest: &str) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        diesel::delete(console_sessions::table.find(digest))
            .execute(&mut conn)
            .await
            .map(|_| ())
            .map_err(from_diesel)
    }
}
