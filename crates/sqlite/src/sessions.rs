//! The web console's sessions on SQLite: one row per session, tied to its key (the key's
//! tenant is the session's; a revoked key's session reads back as such).

use diesel::prelude::*;
use stickycalls_domain::console::{NewSession, SessionTimes, StoredSession};
use stickycalls_domain::ports::ConsoleSessionStore;
use stickycalls_domain::tenant::{AccountId, TenantId};
use stickycalls_domain::{StoreError, Timestamp};

use crate::errors::from_diesel;
use crate::pool::SqliteStore;
use crate::rows::{at, corrupt, ms};
use crate::schema::{api_keys, console_sessions};

type SessionRow = (String, i64, i64, String, String, Option<i64>);

impl ConsoleSessionStore for SqliteStore {
    async fn create_session(&self, session: NewSession) -> Result<(), StoreError> {
        self.write(move |c| {
            diesel::insert_into(console_sessions::table)
                .values((
                    console_sessions::digest.eq(&session.digest),
                    console_sessions::key_lookup_id.eq(&session.key_lookup_id),
                    console_sessions::created_at.eq(ms(session.at)),
                    console_sessions::last_seen_at.eq(ms(session.at)),
                ))
                .execute(c)
                .map(|_| ())
                .map_err(from_diesel)
        })
        .await
    }

    async fn find_session(&self, digest: &str) -> Result<Option<StoredSession>, StoreError> {
        let digest = digest.to_owned();
        self.run(move |c| {
            let row: Option<SessionRow> = console_sessions::table
                .inner_join(api_keys::table)
                .filter(console_sessions::digest.eq(&digest))
                .select((
                    console_sessions::key_lookup_id,
                    console_sessions::created_at,
                    console_sessions::last_seen_at,
                    api_keys::account_id,
                    api_keys::environment,
                    api_keys::revoked_at,
                ))
                .first(c)
                .optional()
                .map_err(from_diesel)?;
            let Some((key_lookup_id, created_at, last_seen_at, account, environment, revoked_at)) =
                row
            else {
                return Ok(None);
            };
            let tenant =
                TenantId {
                    account: AccountId(account.parse().map_err(|e| {
                        from_diesel(corrupt("api_keys.account_id", &key_lookup_id, e))
                    })?),
                    environment: environment.parse().map_err(|e: String| {
                        from_diesel(corrupt("api_keys.environment", &key_lookup_id, e))
                    })?,
                };
            Ok(Some(StoredSession {
                tenant,
                key_lookup_id,
                key_live: revoked_at.is_none(),
                times: SessionTimes {
                    created_at: at(created_at),
                    last_seen_at: at(last_seen_at),
                },
            }))
        })
        .await
    }

    async fn touch_session(&self, digest: &str, when: Timestamp) -> Result<(), StoreError> {
        let digest = digest.to_owned();
        self.write(move |c| {
            diesel::update(console_sessions::table.find(&digest))
                .set(console_sessions::last_seen_at.eq(ms(when)))
                .execute(c)
                .map(|_| ())
                .map_err(from_diesel)
        })
        .await
    }

    async fn end_session(&self, digest: &str) -> Result<(), StoreError> {
        let digest = digest.to_owned();
        self.write(move |c| {
            diesel::delete(console_sessions::table.find(&digest))
                .execute(c)
                .map(|_| ())
                .map_err(from_diesel)
        })
        .await
    }
}
