//! Rolled up days: one row per tenant and settled day (`day` as `YYYY-MM-DD`, which
//! sorts as the date), its figures as the domain's document, written once.

use std::collections::BTreeSet;

use diesel::prelude::*;
use stickycalls_domain::ports::RollupStore;
use stickycalls_domain::tenant::TenantId;
use stickycalls_domain::usage::RolledDay;
use stickycalls_domain::{StoreError, Timestamp};
use time::Date;
use time::macros::format_description;

use crate::errors::from_diesel;
use crate::pool::SqliteStore;
use crate::rows::ms;
use crate::schema::rolled_days;
use crate::tenant_key;

const DAY: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]");

fn text(day: Date) -> String {
    day.format(DAY).unwrap_or_default()
}

fn parse(day: &str) -> QueryResult<Date> {
    Date::parse(day, DAY).map_err(|e| {
        diesel::result::Error::DeserializationError(format!("rolled_days.day `{day}`: {e}").into())
    })
}

impl RollupStore for SqliteStore {
    async fn rolled(
        &self, tenant: &TenantId, from: Date, to: Date,
    ) -> Result<Vec<RolledDay>, StoreError> {
        let key = tenant_key(tenant);
        let rows = self
            .run(move |c| {
                let rows: Vec<(String, String)> = rolled_days::table
                    .filter(rolled_days::tenant_id.eq(&key))
                    .filter(rolled_days::day.between(text(from), text(to)))
                    .order(rolled_days::day)
                    .select((rolled_days::day, rolled_days::document))
                    .load(c)
                    .map_err(from_diesel)?;
                rows.into_iter()
                    .map(|(day, document)| Ok((parse(&day).map_err(from_diesel)?, document)))
                    .collect::<Result<Vec<_>, StoreError>>()
            })
            .await?;
        rows.into_iter()
            .map(|(day, document)| {
                RolledDay::from_json(day, &document)
                    .map_err(|e| StoreError::Unknown(anyhow::anyhow!(e)))
            })
            .collect()
    }

    async fn rolled_days(
        &self, tenant: &TenantId, from: Date, to: Date,
    ) -> Result<BTreeSet<Date>, StoreError> {
        let key = tenant_key(tenant);
        self.run(move |c| {
            let days: Vec<String> = rolled_days::table
                .filter(rolled_days::tenant_id.eq(&key))
                .filter(rolled_days::day.between(text(from), text(to)))
                .select(rolled_days::day)
                .load(c)
                .map_err(from_diesel)?;
            days.iter().map(|d| parse(d).map_err(from_diesel)).collect()
        })
        .await
    }

    async fn keep_rolled(
        &self, tenant: &TenantId, day: &RolledDay, at: Timestamp,
    ) -> Result<bool, StoreError> {
        let key = tenant_key(tenant);
        let (date, document) = (text(day.day), day.to_json());
        self.write(move |c| {
            diesel::insert_into(rolled_days::table)
                .values((
                    rolled_days::tenant_id.eq(&key),
                    rolled_days::day.eq(&date),
                    rolled_days::document.eq(&document),
                    rolled_days::rolled_at.eq(ms(at)),
                ))
                .on_conflict((rolled_days::tenant_id, rolled_days::day))
                .do_nothing()
                .execute(c)
                .map(|kept| kept == 1)
                .map_err(from_diesel)
        })
        .await
    }
}
