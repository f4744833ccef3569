//! The usage report: per UTC day, from the calls and the ledger.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Double, SmallInt, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use stickycalls_domain::StoreError;
use stickycalls_domain::credits::{CONFIDENT_HUNDREDTHS, DailyUsage, EntryKind, LedgerDay};
use stickycalls_domain::ports::UsageStore;
use stickycalls_domain::tenant::TenantId;
use time::{OffsetDateTime, Time};

use crate::errors::from_diesel;
use crate::pool::PgStore;
use crate::tenant_key::tenant_key;

#[derive(QueryableByName)]
struct CallDay {
    #[diesel(sql_type = Date)]
    day: time::Date,
    #[diesel(sql_type = BigInt)]
    calls_started: i64,
    #[diesel(sql_type = BigInt)]
    matches: i64,
    #[diesel(sql_type = BigInt)]
    billable: i64,
    #[diesel(sql_type = BigInt)]
    confident: i64,
    #[diesel(sql_type = Double)]
    average_confidence: f64,
    #[diesel(sql_type = BigInt)]
    intents_opened: i64,
    #[diesel(sql_type = BigInt)]
    intents_resolved: i64,
}

#[derive(QueryableByName)]
struct CreditDay {
    #[diesel(sql_type = Date)]
    day: time::Date,
    #[diesel(sql_type = BigInt)]
    credits: i64,
}

const CALLS_BY_DAY: &str = "
SELECT (started_at AT TIME ZONE 'UTC')::date AS day,
       count(*) AS calls_started,
       count(*) FILTER (WHERE NOT billable) AS matches,
       count(*) FILTER (WHERE billable) AS billable,
       count(*) FILTER (WHERE confidence >= $4) AS confident,
       coalesce(avg(confidence), 0)::float8 / 100 AS average_confidence,
       count(*) FILTER (WHERE intent_status IN ('open', 'abandoned')) AS intents_opened,
       count(*) FILTER (WHERE intent_status IN ('resolved', 'closed')) AS intents_resolved
  FROM calls
 WHERE tenant_id = $1 AND started_at >= $2 AND started_at < $3
 GROUP BY 1";

const LEDGER_BY_DAY: &str = "
SELECT (at AT TIME ZONE 'UTC')::date AS day, kind, sum(credits)::bigint AS credits,
       count(*) AS lines
  FROM credit_ledger
 WHERE tenant_id = $1 AND at >= $2 AND at < $3
 GROUP BY 1, 2";

#[derive(QueryableByName)]
struct LedgerRow {
    #[diesel(sql_type = Date)]
    day: time::Date,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = BigInt)]
    credits: i64,
    #[diesel(sql_type = BigInt)]
    lines: i64,
}

const CREDITS_BY_DAY: &str = "
SELECT (at AT TIME ZONE 'UTC')::date AS day, sum(credits)::bigint AS credits
  FROM credit_ledger
 WHERE tenant_id = $1 AND kind = 'debit' AND at >= $2 AND at < $3
 GROUP BY 1";

fn count(n: i64) -> u64 {
    n.max(0) as u64
}

/// From `from`'s first moment to the end of `to`, UTC.
fn day_bounds(from: time::Date, to: time::Date) -> (OffsetDateTime, OffsetDateTime) {
    let start = OffsetDateTime::new_utc(from, Time::MIDNIGHT);
    let end = OffsetDateTime::new_utc(to.next_day().unwrap_or(to), Time::MIDNIGHT);
    (start, end)
}

impl UsageStore for PgStore {
    async fn usage(
        &self, tenant: &TenantId, from: time::Date, to: time::Date,
    ) -> Result<Vec<DailyUsage>, StoreError> {
        let key = tenant_key(tenant);
        let (start, end) = day_bounds(from, to);
        let conn = self.conn().await?;
        let mut c = &*conn;
        let calls = diesel::sql_query(CALLS_BY_DAY)
            .bind::<SqlUuid, _>(key)
            .bind::<Timestamptz, _>(start)
            .bind::<Timestamptz, _>(end)
            .bind::<SmallInt, _>(i16::from(CONFIDENT_HUNDREDTHS))
            .load::<CallDay>(&mut c);
        let mut c2 = &*conn;
        let credits = diesel::sql_query(CREDITS_BY_DAY)
            .bind::<SqlUuid, _>(key)
            .bind::<Timestamptz, _>(start)
            .bind::<Timestamptz, _>(end)
            .load::<CreditDay>(&mut c2);
        let (calls, credits) = futures_util::try_join!(calls, credits).map_err(from_diesel)?;
        let calls = calls.into_iter().map(|d| DailyUsage {
            calls_started: count(d.calls_started),
            matches: count(d.matches),
            billable: count(d.billable),
            confident: count(d.confident),
            average_confidence: d.average_confidence,
            intents_opened: count(d.intents_opened),
            intents_resolved: count(d.intents_resolved),
            ..DailyUsage::quiet(d.day)
        });
        Ok(DailyUsage::merge(
            calls,
            credits.into_iter().map(|d| (d.day, count(d.credits))),
        ))
    }

    async fn ledger_days(
        &self, tenant: &TenantId, from: time::Date, to: time::Date,
    ) -> Result<Vec<LedgerDay>, StoreError> {
        let (start, end) = day_bounds(from, to);
        let conn = self.conn().await?;
        let mut c = &*conn;
        let rows = diesel::sql_query(LEDGER_BY_DAY)
            .bind::<SqlUuid, _>(tenant_key(tenant))
            .bind::<Timestamptz, _>(start)
            .bind::<Timestamptz, _>(end)
            .load::<LedgerRow>(&mut c)
            .await
            .map_err(from_diesel)?;
        let rows = rows
            .into_iter()
            .map(|r| {
                let kind = EntryKind::from_stored(&r.kind).ok_or_else(|| {
                    StoreError::Unknown(anyhow::anyhow!("credit_ledger.kind `{}`", r.kind))
                })?;
                Ok((r.day, kind, count(r.credits), count(r.lines)))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(LedgerDay::tally(rows))
    }
}
