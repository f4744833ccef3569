//! The audit trail: rows added with the next position of the table's identity column,
//! listed newest first by position. The table refuses changes itself (its trigger).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use stickycalls_domain::audit::{AuditCursor, AuditEntry, AuditFilter, StoredAudit};
use stickycalls_domain::ports::AuditStore;
use stickycalls_domain::tenant::AccountId;
use stickycalls_domain::{StoreError, Timestamp};
use time::OffsetDateTime;

use crate::errors::from_diesel;
use crate::pool::PgStore;
use crate::schema::audit_log;

type Row = (
    i64,
    OffsetDateTime,
    String,
    Option<uuid::Uuid>,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn entry(row: Row) -> Result<(AuditCursor, AuditEntry), StoreError> {
    let (position, at, actor_kind, actor_id, actor_name, action, object, address, refusal) = row;
    let stored = StoredAudit {
        at: Timestamp::from(at),
        actor_kind,
        actor_id,
        actor_name,
        action,
        object,
        address,
        refusal,
    };
    let entry =
        AuditEntry::from_stored(stored).map_err(|e| StoreError::Unknown(anyhow::anyhow!(e)))?;
    Ok((AuditCursor(position), entry))
}

impl AuditStore for PgStore {
    async fn append_audit(
        &self, account: &AccountId, entry: &AuditEntry,
    ) -> Result<AuditCursor, StoreError> {
        let mut conn = self.conn().await?;
        let row = entry.to_stored();
        let position: i64 = diesel::insert_into(audit_log::table)
            .values((
                audit_log::account_id.eq(account.0),
                audit_log::at.eq(row.at.get()),
                audit_log::actor_kind.eq(&row.actor_kind),
                audit_log::actor_id.eq(row.actor_id),
                audit_log::actor_name.eq(&row.actor_name),
                audit_log::action.eq(&row.action),
                audit_log::object.eq(&row.object),
                audit_log::address.eq(&row.address),
                audit_log::refusal.eq(&row.refusal),
            ))
            .returning(audit_log::position)
            .get_result(&mut conn)
            .await
            .map_err(from_diesel)?;
        Ok(AuditCursor(position))
    }

    async fn list_audit(
        &self, account: &AccountId, filter: &AuditFilter, before: Option<AuditCursor>, limit: usize,
    ) -> Result<Vec<(AuditCursor, AuditEntry)>, StoreError> {
        let mut conn = self.conn().await?;
        let mut query = audit_log::table
            .filter(audit_log::account_id.eq(account.0))
            .into_boxed();
        if let Some(before) = before {
            query = query.filter(audit_log::position.lt(before.0));
        }
        if let Some(action) = filter.action {
            query = query.filter(audit_log::action.eq(action.as_str()));
        }
        if let Some(actor) = &filter.actor {
            query = query.filter(audit_log::actor_name.eq(actor.clone()));
        }
        if let Some(since) = filter.since {
            query = query.filter(audit_log::at.ge(since.get()));
        }
        if let Some(until) = filter.until {
            query = query.filter(audit_log::at.lt(until.get()));
        }
        let rows: Vec<Row> = query
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
            .load(&mut conn)
            .await
            .map_err(from_diesel)?;
        rows.into_iter().map(entry).collect()
    }
}
