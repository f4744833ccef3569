//! A whole tenant's customers and ledger, a page at a time, for its export.

use diesel::prelude::*;
use stickycalls_domain::calls::CallId;
use stickycalls_domain::credits::{EntryKind, LedgerEntry, Spent};
use stickycalls_domain::identity::CustomerRef;
use stickycalls_domain::ports::ExportStore;
use stickycalls_domain::tenant::TenantId;
use stickycalls_domain::{StoreError, Timestamp};

use crate::errors::from_diesel;
use crate::pool::SqliteStore;
use crate::rows::corrupt;
use crate::schema::{credit_ledger, customers};
use crate::tenant_key;

/// A stored ledger line.
type Line = (
    Option<i32>,
    i64,
    String,
    i64,
    i64,
    i64,
    i64,
    Option<String>,
    Option<String>,
);

fn count(key: &str, n: i64) -> QueryResult<u64> {
    u64::try_from(n).map_err(|e| corrupt("credit_ledger", key, e))
}

fn time(key: &str, millis: i64) -> QueryResult<Timestamp> {
    Timestamp::from_unix_millis(millis)
        .ok_or_else(|| corrupt("credit_ledger", key, format!("time {millis}")))
}

fn entry(key: &str, line: Line) -> QueryResult<(u64, LedgerEntry)> {
    let (id, at, kind, credits, from_allowance, from_top_up, period_start, call_id, note) = line;
    let kind = EntryKind::from_stored(&kind)
        .ok_or_else(|| corrupt("credit_ledger.kind", key, kind.clone()))?;
    Ok((
        count(key, id.map_or(0, i64::from))?,
        LedgerEntry {
            kind,
            credits: count(key, credits)?,
            spent: Spent {
                from_allowance: count(key, from_allowance)?,
                from_top_up: count(key, from_top_up)?,
            },
            period_start: time(key, period_start)?,
            call_id: call_id.map(CallId::from_trusted),
            note,
            at: time(key, at)?,
        },
    ))
}

fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl ExportStore for SqliteStore {
    async fn customer_refs(
        &self, tenant: &TenantId, after: Option<CustomerRef>, n: usize,
    ) -> Result<Vec<CustomerRef>, StoreError> {
        let key = tenant_key(tenant);
        let after = after.map_or_else(String::new, |r| r.as_str().to_owned());
        self.run(move |c| {
            let found: Vec<String> = customers::table
                .filter(customers::tenant_id.eq(&key))
                .filter(customers::customer_ref.gt(after))
                .order(customers::customer_ref)
                .select(customers::customer_ref)
                .limit(limit(n))
                .load(c)
                .map_err(from_diesel)?;
            Ok(found.into_iter().map(CustomerRef::from_trusted).collect())
        })
        .await
    }

    async fn ledger_entries(
        &self, tenant: &TenantId, after: Option<u64>, n: usize,
    ) -> Result<Vec<(u64, LedgerEntry)>, StoreError> {
        let key = tenant_key(tenant);
        let after = after.map_or(0, |a| i32::try_from(a).unwrap_or(i32::MAX));
        self.run(move |c| {
            let lines: Vec<Line> = credit_ledger::table
                .filter(credit_ledger::tenant_id.eq(&key))
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
                .load(c)
                .map_err(from_diesel)?;
            lines
                .into_iter()
                .map(|l| entry(&key, l))
                .collect::<QueryResult<_>>()
                .map_err(from_diesel)
        })
        .await
    }
}
