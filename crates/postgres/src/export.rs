//! A whole tenant's customers and ledger, a page at a time, for its export.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use stickycalls_domain::calls::CallId;
use stickycalls_domain::credits::{EntryKind, LedgerEntry, Spent};
use stickycalls_domain::identity::CustomerRef;
use stickycalls_domain::ports::ExportStore;
use stickycalls_domain::tenant::TenantId;
use stickycalls_domain::{StoreError, Timestamp};
use time::OffsetDateTime;

use crate::errors::from_diesel;
use crate::pool::PgStore;
use crate::schema::{credit_ledger, customers};
use crate::tenant_key::tenant_key;

/// A stored ledger line.
type Line = (
    i64,
    OffsetDateTime,
    String,
    i64,
    i64,
    i64,
    OffsetDateTime,
    Option<String>,
    Option<String>,
);

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unknown(anyhow::anyhow!("credit_ledger: {e}"))
}

fn count(n: i64) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(corrupt)
}

fn entry(line: Line) -> Result<(u64, LedgerEntry), StoreError> {
    let (id, at, kind, credits, from_allowance, from_top_up, period_start, call_id, note) = line;
    let kind = EntryKind::from_stored(&kind).ok_or_else(|| corrupt(format!("kind {kind}")))?;
    Ok((
        count(id)?,
        LedgerEntry {
            kind,
            credits: count(credits)?,
            spent: Spent {
                from_allowance: count(from_allowance)?,
                from_top_up: count(from_top_up)?,
            },
            period_start: Timestamp::new(period_start),
            call_id: call_id.map(CallId::from_trusted),
            note,
            at: Timestamp::new(at),
        },
    ))
}

fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl ExportStore for PgStore {
    async fn customer_refs(
        &self, tenant: &TenantId, after: Option<CustomerRef>, n: usize,
    ) -> Result<Vec<CustomerRef>, StoreError> {
        let mut conn = self.conn().await?;
        let after = after.map_or_else(String::new, |r| r.as_str().to_owned());
        let found: Vec<String> = customers::table
            .filter(customers::tenant_id.eq(tenant_key(tenant)))
            .filter(customers::customer_ref.gt(after))
            .order(customers::customer_ref)
            .select(customers::customer_ref)
            .limit(limit(n))
            .load(&mut conn)
            .await
            .map_err(from_diesel)?;
        Ok(found.into_iter().map(CustomerRef::from_trusted).collect())
    }

    async fn ledger_entries(
        &self, tenant: &TenantId, after: Option<u64>, n: usize,
    ) -> Result<Vec<(u64, LedgerEntry)>, StoreError> {
        let mut conn = self.conn().await?;
        let after = after.map_or(0, |a| i64::try_from(a).unwrap_or(i64::MAX));
        let lines: Vec<Line> = credit_ledger::table
            .filter(credit_ledger::tenant_id.eq(tenant_key(tenant)))
            .filter(credit_ledger::entry_id.gt(after))
            .order(credit_ledger::entry_id)
            .select((
                credit_ledger::entry_id,
                credit_ledger::at,
                credit_ledger::kind,
                credit_ledger::credits,
                credit_ledger::from_allowance,
                credit_ledger::from_top_up,
                credit_ledger::period_start,
                credit_ledger::call_id,
                credit_ledger::note,
            ))
            .limit(limit(n))
            .load(&mut conn)
            .await
            .map_err(from_diesel)?;
        lines.into_iter().map(entry).collect()
    }
}
