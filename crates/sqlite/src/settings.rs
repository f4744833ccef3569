//! Identity settings (one JSON document per tenant) and the judged calls calibration
//! and learning read, counted by the database.

use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel::upsert::excluded;
use stickycalls_domain::calls::Fingerprint;
use stickycalls_domain::identity::{IdentitySettings, JudgedCalls};
use stickycalls_domain::ports::IdentityStore;
use stickycalls_domain::tenant::TenantId;
use stickycalls_domain::{StoreError, Timestamp};

use crate::errors::from_diesel;
use crate::pool::SqliteStore;
use crate::rows::{corrupt, ms};
use crate::schema::{calls, identity_settings};
use crate::tenant_key;

impl IdentityStore for SqliteStore {
    async fn identity_settings(
        &self, tenant: &TenantId,
    ) -> Result<Option<IdentitySettings>, StoreError> {
        let key = tenant_key(tenant);
        self.run(move |c| {
            let document: Option<String> = identity_settings::table
                .find(&key)
                .select(identity_settings::document)
                .first(c)
                .optional()
                .map_err(from_diesel)?;
            document
                .map(|d| IdentitySettings::from_json(&d))
                .transpose()
                .map_err(|e| from_diesel(corrupt("identity_settings.document", &key, e)))
        })
        .await
    }

    async fn save_identity_settings(
        &self, tenant: &TenantId, settings: &IdentitySettings, at: Timestamp,
    ) -> Result<(), StoreError> {
        let key = tenant_key(tenant);
        let document = settings.to_json();
        self.write(move |c| {
            diesel::insert_into(identity_settings::table)
                .values((
                    identity_settings::tenant_id.eq(&key),
                    identity_settings::document.eq(&document),
                    identity_settings::updated_at.eq(ms(at)),
                ))
                .on_conflict(identity_settings::tenant_id)
                .do_update()
                .set((
                    identity_settings::document.eq(excluded(identity_settings::document)),
                    identity_settings::updated_at.eq(excluded(identity_settings::updated_at)),
                ))
                .execute(c)
                .map(|_| ())
                .map_err(from_diesel)
        })
        .await
    }

    async fn judged_calls(
        &self, tenant: &TenantId, since: Timestamp, until: Option<Timestamp>,
    ) -> Result<Vec<JudgedCalls>, StoreError> {
        let key = tenant_key(tenant);
        self.run(move |c| judged(c, &key, since, until).map_err(from_diesel))
            .await
    }
}

fn judged(
    c: &mut SqliteConnection, key: &str, since: Timestamp, until: Option<Timestamp>,
) -> QueryResult<Vec<JudgedCalls>> {
    let rows: Vec<(i16, String, Option<String>, i64)> = calls::table
        .filter(calls::tenant_id.eq(key))
        .filter(calls::started_at.ge(ms(since)))
        .filter(calls::started_at.lt(until.map_or(i64::MAX, ms)))
        .filter(calls::start_fingerprint.ne(Fingerprint::standalone().as_str()))
        .group_by((calls::confidence, calls::sources, calls::verdict))
        .select((
            calls::confidence,
            calls::sources,
            calls::verdict,
            count_star(),
        ))
        .load(c)?;
    rows.into_iter()
        .map(|(confidence, sources, verdict, calls)| {
            let sources =
                serde_json::from_str(&sources).map_err(|e| corrupt("calls.sources", key, e))?;
            JudgedCalls::from_stored(confidence, sources, verdict.as_deref(), calls)
                .map_err(|e| corrupt("calls.verdict", key, e))
        })
        .collect()
}
