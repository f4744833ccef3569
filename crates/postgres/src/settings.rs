//! Identity settings (one JSON document per tenant) and the judged calls calibration
//! and learning read, counted by the database.

use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::{AsyncConnection, RunQueryDsl};
use stickycalls_domain::calls::Fingerprint;
use stickycalls_domain::identity::{IdentitySettings, JudgedCalls};
use stickycalls_domain::invalidation::Invalidation;
use stickycalls_domain::ports::IdentityStore;
use stickycalls_domain::tenant::TenantId;
use stickycalls_domain::{StoreError, Timestamp};

use crate::errors::from_diesel;
use crate::notify::notify;
use crate::pool::PgStore;
use crate::schema::{calls, identity_settings};
use crate::tenant_key::tenant_key;

/// A group of calls as counted: confidence, sources, verdict, how many.
type Counted = (i16, Vec<Option<String>>, Option<String>, i64);

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Unknown(anyhow::anyhow!("{what}: {e}"))
}

impl IdentityStore for PgStore {
    async fn identity_settings(
        &self, tenant: &TenantId,
    ) -> Result<Option<IdentitySettings>, StoreError> {
        let mut conn = self.conn().await?;
        let document: Option<serde_json::Value> = identity_settings::table
            .find(tenant_key(tenant))
            .select(identity_settings::document)
            .first(&mut conn)
            .await
            .optional()
            .map_err(from_diesel)?;
        document
            .map(IdentitySettings::from_value)
            .transpose()
            .map_err(|e| corrupt("identity_settings.document", e))
    }

    async fn save_identity_settings(
        &self, tenant: &TenantId, settings: &IdentitySettings, at: Timestamp,
    ) -> Result<(), StoreError> {
        let document = settings.to_value();
        let (tenant, key) = (*tenant, tenant_key(tenant));
        let mut conn = self.conn().await?;
        conn.transaction(async move |conn| -> QueryResult<()> {
            diesel::insert_into(identity_settings::table)
                .values((
                    identity_settings::tenant_id.eq(key),
                    identity_settings::document.eq(&document),
                    identity_settings::updated_at.eq(at.get()),
                ))
                .on_conflict(identity_settings::tenant_id)
                .do_update()
                .set((
                    identity_settings::document.eq(excluded(identity_settings::document)),
                    identity_settings::updated_at.eq(excluded(identity_settings::updated_at)),
                ))
                .execute(conn)
                .await?;
            notify(conn, &Invalidation::SettingsChanged(tenant)).await
        })
        .await
        .map_err(from_diesel)
    }

    async fn judged_calls(
        &self, tenant: &TenantId, since: Timestamp, until: Option<Timestamp>,
    ) -> Result<Vec<JudgedCalls>, StoreError> {
        let mut conn = self.conn().await?;
        // No bound: the last moment `time` writes (year 9999), which PostgreSQL takes
        // (documentation, "Date/Time Types": `timestamptz` goes to 294276 AD).
        let until = until.map_or(
            time::OffsetDateTime::new_utc(time::Date::MAX, time::Time::MIDNIGHT),
            Timestamp::get,
        );
        let rows: Vec<Counted> = calls::table
            .filter(calls::tenant_id.eq(tenant_key(tenant)))
            .filter(calls::started_at.ge(since.get()))
            .filter(calls::started_at.lt(until))
            .filter(calls::start_fingerprint.ne(Fingerprint::standalone().as_str()))
            .group_by((calls::confidence, calls::sources, calls::verdict))
            .select((
                calls::confidence,
                calls::sources,
                calls::verdict,
                count_star(),
            ))
            .load(&mut conn)
            .await
            .map_err(from_diesel)?;
        rows.into_iter()
            .map(|(confidence, sources, verdict, calls)| {
                let sources = sources.into_iter().flatten().collect();
                JudgedCalls::from_stored(confidence, sources, verdict.as_deref(), calls)
                    .map_err(|e| corrupt("calls.verdict", e))
            })
            .collect()
    }
}
