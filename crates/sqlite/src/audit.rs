//! The audit trail: rows added by the writer thread (`position` from AUTOINCREMENT),
//! listed newest first. The table refuses changes itself (its triggers).

use diesel::prelude::*;
use stickycalls_domain::StoreError;
use stickycalls_domain::audit::{AuditCursor, AuditEntry, AuditFilter, StoredAudit};
use stickycalls_domain::ports::AuditStore;
use stickycalls_domain::tenant::AccountId;

use crate::errors::from_diesel;
use crate::pool::SqliteStore;
use crate::rows::{at, ms};
use crate::schema::audit_log;

type Row = (
    Option<i32>,
    i64,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn entry(row: Row) -> Result<(AuditCursor, AuditEntry), StoreError> {
    let (position, millis, actor_kind, actor_id, actor_name, action, object, address, refusal) =
        row;
    let unknown = |e: String| StoreError::Unknown(anyhow::anyhow!(e));
    // A rowid alias: never NULL once written.
    let position = position
        .map(i64::from)
        .ok_or_else(|| unknown("audit line without position".into()))?;
    let actor_id = actor_id
        .map(|id| {
            uuid::Uuid::parse_str(&id).map_err(|_| format!("audit line with actor id `{id}`"))
        })
        .transpose()
        .map_err(unknown)?;
    let stored = StoredAudit {
        at: at(millis),
        actor_kind,
        actor_id,
        actor_name,
        action,
        object,
        address,
        refusal,
    };
    Ok((
        AuditCursor(position),
        AuditEntry::from_stored(stored).map_err(unknown)?,
    ))
}

impl AuditStore for SqliteStore {
    async fn append_audit(
        &self, account: &AccountId, entry: &AuditEntry,
    ) -> Result<AuditCursor, StoreError> {
        let (account, row) = (account.0.to_string(), entry.to_stored());
        self.write(move |c| {
            diesel::insert_into(audit_log::table)
                .values((
                    audit_log::account_id.eq(&account),
                    audit_log::at.eq(ms(row.at)),
                    audit_log::actor_kind.eq(&row.actor_kind),
                    audit_log::actor_id.eq(row.actor_id.map(|id| id.to_string())),
                    audit_log::actor_name.eq(&row.actor_name),
                    audit_log::action.eq(&row.action),
                    audit_log::object.eq(&row.object),
                    audit_log::address.eq(&row.address),
                    audit_log::refusal.eq(&row.refusal),
                ))
                .execute(c)
                .map_err(from_diesel)?;
            // The row just inserted on this connection (the writer's own).
            let position: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                "last_insert_rowid()",
            ))
            .get_result(c)
            .map_err(from_diesel)?;
            Ok(AuditCursor(position))
        })
        .await
    }

    async fn list_audit(
        &self, account: &AccountId, filter: &AuditFilter, before: Option<AuditCursor>, limit: usize,
    ) -> Result<Vec<(AuditCursor, AuditEntry)>, StoreError> {
        let (account, filter) = (account.0.to_string(), filter.clone());
        let rows: Vec<Row> = self
            .run(move |c| {
                let mut query = audit_log::table
                    .filter(audit_log::account_id.eq(account))
                    .into_boxed();
                if let Some(before) = before {
                    // Positions past an i32 are past every rowid this table holds.
                    let before = i32::try_from(before.0).unwrap_or(i32::MAX);
                    query = query.filter(audit_log::position.lt(before));
                }
                if let Some(action) = filter.action {
                    query = query.filter(audit_log::action.eq(action.as_str()));
                }
                if let Some(actor) = filter.actor {
                    query = query.filter(audit_log::actor_name.eq(actor));
                }
                if let Some(since) = filter.since {
                    query = query.filter(audit_log::at.ge(ms(since)));
                }
                if let Some(until) = filter.until {
                    query = query.filter(audit_log::at.lt(ms(until)));
                }
                query
                    .order(audit_log::position.desc())
                    .limit(i64::try_from(limit).unwrap_or(i64::MAX))
                    .select((
                        audit_log::position,
                        audit_log::at,
                        audit_log::actor_kind,
                        audit_log::actor_id,
                        audit_log::actor_name,
                        audit_log::action,
                        audit_log::object,
                        audit_log::address,
                        audit_log::refusal,
                    ))
                    .load(c)
                    .map_err(from_diesel)
            })
            .await?;
        rows.into_iter().map(entry).collect()
    }
}
