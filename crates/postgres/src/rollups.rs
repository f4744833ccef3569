//! Rolled up days: one row per tenant and settled day, its figures as the domain's
//! document, written once (`ON CONFLICT DO NOTHING`: the first node to roll a day keeps
//! it, another's insert waits on the key and then writes nothing). That wait is
//! PostgreSQL's: an insert into a table with a unique index may block on a concurrent
//! session inserting the same key (documentation, `INSERT`, and "Index Uniqueness
//! Checks"); `ON CONFLICT`'s pre-check waits for that insertion's outcome
//! (`src/backend/executor/execIndexing.c`, `check_exclusion_or_unique_constraint`).

use std::collections::BTreeSet;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use stickycalls_domain::ports::RollupStore;
use stickycalls_domain::tenant::TenantId;
use stickycalls_domain::usage::RolledDay;
use stickycalls_domain::{StoreError, Timestamp};
use time::Date;

use crate::errors::from_diesel;
use crate::pool::PgStore;
use crate::schema::rolled_days;
use crate::tenant_key::tenant_key;

impl RollupStore for PgStore {
    async fn rolled(
        &self, tenant: &TenantId, from: Date, to: Date,
    ) -> Result<Vec<RolledDay>, StoreError> {
        let mut conn = self.conn().await?;
        let rows: Vec<(Date, String)> = rolled_days::table
            .filter(rolled_days::tenant_id.eq(tenant_key(tenant)))
            .filter(rolled_days::day.between(from, to))
            .order(rolled_days::day)
            .select((rolled_days::day, rolled_days::document))
            .load(&mut conn)
            .await
            .map_err(from_diesel)?;
        rows.into_iter()
            .map(|(day, text)| {
                RolledDay::from_json(day, &text)
                    .map_err(|e| StoreError::Unknown(anyhow::anyhow!(e)))
            })
            .collect()
    }

    async fn rolled_days(
        &self, tenant: &TenantId, from: Date, to: Date,
    ) -> Result<BTreeSet<Date>, StoreError> {
        let mut conn = self.conn().await?;
        let days: Vec<Date> = rolled_days::table
            .filter(rolled_days::tenant_id.eq(tenant_key(tenant)))
            .filter(rolled_days::day.between(from, to))
            .select(rolled_days::day)
            .load(&mut conn)
            .await
            .map_err(from_diesel)?;
        Ok(days.into_iter().collect())
    }

    async fn keep_rolled(
        &self, tenant: &TenantId, day: &RolledDay, at: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn().await?;
        let kept = diesel::insert_into(rolled_days::table)
            .values((
                rolled_days::tenant_id.eq(tenant_key(tenant)),
                rolled_days::day.eq(day.day),
                rolled_days::document.eq(day.to_json()),
                rolled_days::rolled_at.eq(at.get()),
            ))
            .on_conflict((rolled_days::tenant_id, rolled_days::day))
            .do_nothing()
            .execute(&mut conn)
            .await
            .map_err(from_diesel)?;
        Ok(kept == 1)
    }
}
