//! The call use cases' reads and commits, in SQLite's dialect. Every function is
//! synchronous and runs on a blocking thread; commits run inside `BEGIN IMMEDIATE`.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, SmallInt, Text};
use diesel::sqlite::SqliteConnection;
use stickycalls_domain::Timestamp;
use stickycalls_domain::accounts::Purged;
use stickycalls_domain::calls::{CallId, CallRecord};
use stickycalls_domain::customers::{ProvisionalHistory, may_fold};
use stickycalls_domain::identity::{
    Activity, CustomerRef, Evidence, EvidenceKind, IdentityHints, LineType,
};
use stickycalls_domain::intents::{INTENT_EXPIRY, IntentName, IntentWrite, OpenIntent};
use stickycalls_domain::ports::CustomerContext;
use stickycalls_domain::variables::{StoredVariable, Ttl, VariableWrite};

use crate::rows::{CALL_COLUMNS, CallRow, Count, at, line_type_of, ms};

pub(crate) fn find_call(
    c: &mut SqliteConnection,
    tenant: &str,
    call_id: &CallId,
) -> QueryResult<Option<CallRecord>> {
    diesel::sql_query(format!(
        "SELECT {CALL_COLUMNS} FROM calls WHERE tenant_id = ? AND call_id = ?"
    ))
    .bind::<Text, _>(tenant)
    .bind::<Text, _>(call_id.as_str())
    .get_result::<CallRow>(c)
    .optional()
    .and_then(|r| r.map(CallRow::into_record).transpose())
}

const EVIDENCE_SQL: &str = "
WITH candidates AS (
    SELECT 'ani' AS kind, p.customer_ref AS customer_ref, NULL AS namespace, p.line_type AS line_type, p.linked_at AS linked_at
      FROM customer_phones p
     WHERE p.tenant_id = ?1 AND p.e164 = ?2
    UNION ALL
    SELECT 'external', x.customer_ref, x.namespace, NULL, x.linked_at
      FROM customer_external_ids x
      JOIN json_each(?3) h
        ON x.namespace = json_extract(h.value, '$[0]') AND x.value = json_extract(h.value, '$[1]')
     WHERE x.tenant_id = ?1
    UNION ALL
    SELECT 'named', c.customer_ref, NULL, NULL, c.created_at
      FROM customers c
     WHERE c.tenant_id = ?1 AND c.customer_ref = ?4
)
SELECT k.kind AS kind, k.customer_ref AS customer_ref, k.namespace AS namespace, k.line_type AS line_type,
       k.linked_at AS linked_at,
       (SELECT max(started_at) FROM calls WHERE tenant_id = ?1 AND customer_ref = k.customer_ref) AS last_call_at,
       (SELECT max(last_seen) FROM intents WHERE tenant_id = ?1 AND customer_ref = k.customer_ref) AS last_open_intent_at
  FROM candidates k";

#[derive(QueryableByName)]
struct EvidenceRow {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    customer_ref: String,
    #[diesel(sql_type = Nullable<Text>)]
    namespace: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    line_type: Option<String>,
    #[diesel(sql_type = BigInt)]
    linked_at: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    last_call_at: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    last_open_intent_at: Option<i64>,
}

pub(crate) fn evidence(
    c: &mut SqliteConnection,
    tenant: &str,
    hints: &IdentityHints,
) -> QueryResult<Evidence> {
    let pairs: Vec<[&str; 2]> = hints
        .external_ids
        .iter()
        .map(|(k, v)| [k.as_str(), v.as_str()])
        .collect();
    let rows: Vec<EvidenceRow> = diesel::sql_query(EVIDENCE_SQL)
        .bind::<Text, _>(tenant)
        .bind::<Nullable<Text>, _>(hints.phone().map(|p| p.as_e164().to_owned()))
        .bind::<Text, _>(serde_json::to_string(&pairs).unwrap_or_else(|_| "[]".into()))
        .bind::<Nullable<Text>, _>(hints.customer_ref.as_ref().map(|r| r.as_str().to_owned()))
        .load(c)?;
    let mut evidence = Evidence::default();
    for row in rows {
        let line_type = line_type_of(row.line_type.as_deref());
        evidence.add(
            CustomerRef::from_trusted(row.customer_ref),
            EvidenceKind::from_row(&row.kind, row.namespace, line_type),
            at(row.linked_at),
            Activity {
                last_call_at: row.last_call_at.map(at),
                last_open_intent_at: row.last_open_intent_at.map(at),
            },
        );
    }
    Ok(evidence)
}

#[derive(QueryableByName)]
struct IntentRow {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Integer)]
    attempt_count: i32,
    #[diesel(sql_type = BigInt)]
    first_seen: i64,
    #[diesel(sql_type = BigInt)]
    last_seen: i64,
}

impl IntentRow {
    fn into_domain(self) -> OpenIntent {
        OpenIntent {
            name: IntentName::from_trusted(self.name),
            attempt_count: self.attempt_count.max(1) as u32,
            first_seen: at(self.first_seen),
            last_seen: at(self.last_seen),
        }
    }
}

#[derive(QueryableByName)]
struct VariableRow {
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = Text)]
    value: String,
    #[diesel(sql_type = Nullable<Text>)]
    source: Option<String>,
    #[diesel(sql_type = Integer)]
    ttl_seconds: i32,
    #[diesel(sql_type = BigInt)]
    expires_at: i64,
}

pub(crate) fn customer_context(
    c: &mut SqliteConnection,
    tenant: &str,
    customer: &CustomerRef,
    now: Timestamp,
) -> QueryResult<CustomerContext> {
    let intents: Vec<IntentRow> = diesel::sql_query(
        "SELECT name, attempt_count, first_seen, last_seen FROM intents
          WHERE tenant_id = ? AND customer_ref = ? AND last_seen > ? ORDER BY last_seen DESC",
    )
    .bind::<Text, _>(tenant)
    .bind::<Text, _>(customer.as_str())
    .bind::<BigInt, _>(ms(now - INTENT_EXPIRY))
    .load(c)?;
    let variables: Vec<VariableRow> = diesel::sql_query(
        "SELECT key, value, source, ttl_seconds, expires_at FROM variables
          WHERE tenant_id = ? AND customer_ref = ? AND expires_at > ?",
    )
    .bind::<Text, _>(tenant)
    .bind::<Text, _>(customer.as_str())
    .bind::<BigInt, _>(ms(now))
    .load(c)?;
    Ok(CustomerContext {
        open_intents: intents.into_iter().map(IntentRow::into_domain).collect(),
        variables: variables
            .into_iter()
            .map(|v| {
                let variable = StoredVariable {
                    value: v.value,
                    source: v.source,
                    ttl: Ttl::from_seconds(v.ttl_seconds.max(0) as u64).unwrap_or(Ttl::DEFAULT),
                    expires_at: at(v.expires_at),
                };
                (v.key, variable)
            })
            .collect::<BTreeMap<_, _>>(),
    })
}

pub(crate) fn ensure_customer(
    c: &mut SqliteConnection,
    tenant: &str,
    customer: &CustomerRef,
    now: Timestamp,
) -> QueryResult<()> {
    diesel::sql_query("INSERT INTO customers (tenant_id, customer_ref, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
        .bind::<Text, _>(tenant)
        .bind::<Text, _>(customer.as_str())
        .bind::<BigInt, _>(ms(now))
        .execute(c)
        .map(|_| ())
}

pub(crate) fn link_hints(
    c: &mut SqliteConnection,
    tenant: &str,
    customer: &CustomerRef,
    hints: &IdentityHints,
    line_type: Option<LineType>,
    now: Timestamp,
) -> QueryResult<()> {
    if let Some(phone) = hints.phone() {
        diesel::sql_query(
            "INSERT INTO customer_phones (tenant_id, e164, customer_ref, line_type, linked_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (tenant_id, e164, customer_ref) DO UPDATE SET line_type = coalesce(excluded.line_type, line_type)",
        )
        .bind::<Text, _>(tenant)
        .bind::<Text, _>(phone.as_e164())
        .bind::<Text, _>(customer.as_str())
        .bind::<Nullable<Text>, _>(LineType::to_remember(line_type).map(LineType::as_str))
        .bind::<BigInt, _>(ms(now))
        .execute(c)?;
    }
    for (namespace, value) in &hints.external_ids {
        diesel::sql_query(
            "INSERT INTO customer_external_ids (tenant_id, namespace, value, customer_ref, linked_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT DO NOTHING",
        )
        .bind::<Text, _>(tenant)
        .bind::<Text, _>(namespace)
        .bind::<Text, _>(value)
        .bind::<Text, _>(customer.as_str())
        .bind::<BigInt, _>(ms(now))
        .execute(c)?;
    }
    Ok(())
}

/// Inserts a call unless its id is taken; `false` when it was.
pub(crate) fn insert_call(
    c: &mut SqliteConnection,
    tenant: &str,
    call: &CallRecord,
) -> QueryResult<bool> {
    let r = CallRow::new(call);
    let inserted = diesel::sql_query(format!(
        "INSERT INTO calls (tenant_id, {CALL_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING"
    ))
    .bind::<Text, _>(tenant)
    .bind::<Text, _>(&r.call_id)
    .bind::<Text, _>(&r.customer_ref)
    .bind::<BigInt, _>(r.started_at)
    .bind::<Text, _>(&r.start_fingerprint)
    .bind::<SmallInt, _>(r.confidence)
    .bind::<Text, _>(&r.sources)
    .bind::<Bool, _>(r.billable)
    .bind::<Bool, _>(r.provisional)
    .bind::<Nullable<Text>, _>(&r.ani)
    .bind::<Bool, _>(r.ani_withheld)
    .bind::<Nullable<Text>, _>(&r.dnis)
    .bind::<Text, _>(&r.external_ids)
    .bind::<Nullable<Text>, _>(&r.hint_customer_ref)
    .bind::<Nullable<Text>, _>(&r.line_type)
    .bind::<Nullable<BigInt>, _>(r.ended_at)
    .bind::<Nullable<Text>, _>(&r.end_fingerprint)
    .bind::<Nullable<Integer>, _>(r.intents_updated)
    .bind::<Nullable<Integer>, _>(r.variables_updated)
    .bind::<Nullable<Text>, _>(&r.intent)
    .bind::<Nullable<Text>, _>(&r.intent_status)
    .execute(c)?;
    Ok(inserted == 1)
}

/// Ends a started call unless it is ended already; `false` when it was.
pub(crate) fn end_call(
    c: &mut SqliteConnection,
    tenant: &str,
    call: &CallRecord,
) -> QueryResult<bool> {
    let r = CallRow::new(call);
    let updated = diesel::sql_query(
        "UPDATE calls SET customer_ref = ?, ended_at = ?, end_fingerprint = ?, variables_updated = ?, intent = ?, intent_status = ?
          WHERE tenant_id = ? AND call_id = ? AND ended_at IS NULL",
    )
    .bind::<Text, _>(&r.customer_ref)
    .bind::<Nullable<BigInt>, _>(r.ended_at)
    .bind::<Nullable<Text>, _>(&r.end_fingerprint)
    .bind::<Nullable<Integer>, _>(r.variables_updated)
    .bind::<Nullable<Text>, _>(&r.intent)
    .bind::<Nullable<Text>, _>(&r.intent_status)
    .bind::<Text, _>(tenant)
    .bind::<Text, _>(&r.call_id)
    .execute(c)?;
    Ok(updated == 1)
}

pub(crate) fn set_intents_updated(
    c: &mut SqliteConnection,
    tenant: &str,
    call_id: &CallId,
    n: u32,
) -> QueryResult<()> {
    diesel::sql_query("UPDATE calls SET intents_updated = ? WHERE tenant_id = ? AND call_id = ?")
        .bind::<Integer, _>(n as i32)
        .bind::<Text, _>(tenant)
        .bind::<Text, _>(call_id.as_str())
        .execute(c)
        .map(|_| ())
}

fn count(
    c: &mut SqliteConnection,
    sql: &str,
    tenant: &str,
    customer: &str,
    extra: &str,
) -> QueryResult<i64> {
    diesel::sql_query(sql)
        .bind::<Text, _>(tenant)
        .bind::<Text, _>(customer)
        .bind::<Text, _>(extra)
        .get_result::<Count>(c)
        .map(|r| r.n)
}

/// Folds a provisional customer into `into` when the domain allows it ([`may_fold`]):
/// its links move, then it is deleted.
pub(crate) fn fold(
    c: &mut SqliteConnection,
    tenant: &str,
    provisional: &CustomerRef,
    into: &CustomerRef,
    this_call: &CallId,
) -> QueryResult<()> {
    let p = provisional.as_str();
    let history = ProvisionalHistory {
        other_calls: count(
            c,
            "SELECT count(*) AS n FROM calls WHERE tenant_id = ? AND customer_ref = ? AND call_id <> ?",
            tenant,
            p,
            this_call.as_str(),
        )? > 0,
        variables: count(
            c,
            "SELECT count(*) AS n FROM variables WHERE tenant_id = ? AND customer_ref = ? AND ? IS NOT NULL",
            tenant,
            p,
            "",
        )? > 0,
        intents: count(
            c,
            "SELECT count(*) AS n FROM intents WHERE tenant_id = ? AND customer_ref = ? AND ? IS NOT NULL",
            tenant,
            p,
            "",
        )? > 0,
    };
    if !may_fold(provisional, into, history) {
        return Ok(());
    }
    for sql in [
        "INSERT INTO customer_phones (tenant_id, e164, customer_ref, line_type, linked_at)
         SELECT tenant_id, e164, ?3, line_type, linked_at FROM customer_phones WHERE tenant_id = ?1 AND customer_ref = ?2
         ON CONFLICT DO NOTHING",
        "INSERT INTO customer_external_ids (tenant_id, namespace, value, customer_ref, linked_at)
         SELECT tenant_id, namespace, value, ?3, linked_at FROM customer_external_ids WHERE tenant_id = ?1 AND customer_ref = ?2
         ON CONFLICT DO NOTHING",
        "UPDATE idempotency_keys SET customer_ref = ?3 WHERE tenant_id = ?1 AND customer_ref = ?2",
        "DELETE FROM customers WHERE tenant_id = ?1 AND customer_ref = ?2 AND ?3 IS NOT NULL",
    ] {
        diesel::sql_query(sql)
            .bind::<Text, _>(tenant)
            .bind::<Text, _>(p)
            .bind::<Text, _>(into.as_str())
            .execute(c)?;
    }
    Ok(())
}

/// Applies an intent change: the stored row of that name is read (inside the end's
/// immediate transaction), the domain decides ([`IntentWrite::decide`]), the result is
/// written exactly. Returns the intents changed.
pub(crate) fn apply_intent(
    c: &mut SqliteConnection,
    tenant: &str,
    customer: &CustomerRef,
    write: &IntentWrite,
) -> QueryResult<u32> {
    let name = write.name().as_str();
    let before: Option<IntentRow> = diesel::sql_query(
        "SELECT name, attempt_count, first_seen, last_seen FROM intents
          WHERE tenant_id = ? AND customer_ref = ? AND name = ?",
    )
    .bind::<Text, _>(tenant)
    .bind::<Text, _>(customer.as_str())
    .bind::<Text, _>(name)
    .get_result(c)
    .optional()?;
    let change = write.decide(before.map(IntentRow::into_domain));
    match &change.after {
        Some(intent) => {
            diesel::sql_query(
                "INSERT INTO intents (tenant_id, customer_ref, name, attempt_count, first_seen, last_seen)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (tenant_id, customer_ref, name) DO UPDATE SET
                   attempt_count = excluded.attempt_count, first_seen = excluded.first_seen,
                   last_seen = excluded.last_seen",
            )
            .bind::<Text, _>(tenant)
            .bind::<Text, _>(customer.as_str())
            .bind::<Text, _>(name)
            .bind::<Integer, _>(i32::try_from(intent.attempt_count).unwrap_or(i32::MAX))
            .bind::<BigInt, _>(ms(intent.first_seen))
            .bind::<BigInt, _>(ms(intent.last_seen))
            .execute(c)?;
        }
        None => {
            diesel::sql_query(
                "DELETE FROM intents WHERE tenant_id = ? AND customer_ref = ? AND name = ?",
            )
            .bind::<Text, _>(tenant)
            .bind::<Text, _>(customer.as_str())
            .bind::<Text, _>(name)
            .execute(c)?;
        }
    }
    Ok(change.updated)
}

#[derive(QueryableByName)]
struct Key {
    #[diesel(sql_type = Text)]
    key: String,
}

pub(crate) fn live_keys(
    c: &mut SqliteConnection,
    tenant: &str,
    customer: &CustomerRef,
    now: Timestamp,
) -> QueryResult<Vec<String>> {
    let keys: Vec<Key> = diesel::sql_query(
        "SELECT key FROM variables WHERE tenant_id = ? AND customer_ref = ? AND expires_at > ?",
    )
    .bind::<Text, _>(tenant)
    .bind::<Text, _>(customer.as_str())
    .bind::<BigInt, _>(ms(now))
    .load(c)?;
    Ok(keys.into_iter().map(|k| k.key).collect())
}

pub(crate) fn write_variables(
    c: &mut SqliteConnection,
    tenant: &str,
    customer: &CustomerRef,
    writes: &[VariableWrite],
    now: Timestamp,
) -> QueryResult<usize> {
    let mut changed = 0;
    for write in writes {
        changed += match write {
            VariableWrite::Delete { key } => {
                diesel::sql_query(
                    "DELETE FROM variables WHERE tenant_id = ? AND customer_ref = ? AND key = ?",
                )
                .bind::<Text, _>(tenant)
                .bind::<Text, _>(customer.as_str())
                .bind::<Text, _>(key)
                .execute(c)?
            }
            VariableWrite::Set { key, variable } => {
                diesel::sql_query(
                    "INSERT INTO variables (tenant_id, customer_ref, key, value, source, ttl_seconds, expires_at, updated_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                     ON CONFLICT (tenant_id, customer_ref, key) DO UPDATE SET value = excluded.value,
                       source = excluded.source, ttl_seconds = excluded.ttl_seconds,
                       expires_at = excluded.expires_at, updated_at = excluded.updated_at",
                )
                .bind::<Text, _>(tenant)
                .bind::<Text, _>(customer.as_str())
                .bind::<Text, _>(key)
                .bind::<Text, _>(&variable.value)
                .bind::<Nullable<Text>, _>(&variable.source)
                .bind::<Integer, _>(variable.ttl.seconds() as i32)
                .bind::<BigInt, _>(ms(variable.expires_at))
                .bind::<BigInt, _>(ms(now))
                .execute(c)?
            }
        };
    }
    Ok(changed)
}

pub(crate) fn erase_customer(
    c: &mut SqliteConnection,
    tenant: &str,
    customer: &CustomerRef,
) -> QueryResult<bool> {
    diesel::sql_query("DELETE FROM idempotency_keys WHERE tenant_id = ? AND customer_ref = ?")
        .bind::<Text, _>(tenant)
        .bind::<Text, _>(customer.as_str())
        .execute(c)?;
    let n = diesel::sql_query("DELETE FROM customers WHERE tenant_id = ? AND customer_ref = ?")
        .bind::<Text, _>(tenant)
        .bind::<Text, _>(customer.as_str())
        .execute(c)?;
    Ok(n > 0)
}

pub(crate) fn purge_expired(
    c: &mut SqliteConnection,
    variables_expired_at: Timestamp,
    intents_seen_before: Timestamp,
) -> QueryResult<Purged> {
    let variables = diesel::sql_query("DELETE FROM variables WHERE expires_at <= ?")
        .bind::<BigInt, _>(ms(variables_expired_at))
        .execute(c)?;
    let intents = diesel::sql_query("DELETE FROM intents WHERE last_seen <= ?")
        .bind::<BigInt, _>(ms(intents_seen_before))
        .execute(c)?;
    Ok(Purged { variables, intents })
}
