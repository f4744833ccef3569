//! An end written as one statement, decided on its read ([`crate::end_read`]): the
//! domain's rules run on the customer as the read found them (the intent change,
//! [`IntentWrite::decide`]; the live-variable limit, [`check_live_limit`]; the events,
//! [`end_events`]), and the statement writes the result only where the customer's
//! version is still the one read. Every writer of a customer's intents or variables
//! adds one to it in its transaction ([`crate::end::lock_customer`]), so an end decided
//! on an older state writes nothing and is [`CommitEndError::Stale`] (the domain reads
//! again, then ends under the lock).
//!
//! `guard` bumps the version where it is unchanged (under READ COMMITTED a row changed
//! since the statement's snapshot is re-read at its newest version and the `WHERE`
//! checked again on it: PostgreSQL's documentation, "Transaction Isolation", 13.2.1);
//! `ended` ends the call only under the guard and only if it is not ended yet; every
//! other write takes its rows from `ended`. Ends that create or fold a customer, pay,
//! or are not started, take the steps of [`crate::end`] instead.

use std::collections::BTreeSet;

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::sql_types::{
    Array, BigInt, Bool, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use stickycalls_domain::identity::{Attestation, LineType};
use stickycalls_domain::ports::{CommitEndError, CustomerSeen, EndCommit, EndReceipt};
use stickycalls_domain::tenant::TenantId;
use stickycalls_domain::variables::{VariableWrite, check_live_limit};
use stickycalls_domain::webhooks::end_events;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::errors::from_diesel;
use crate::rows::{CallRow, line_type_text};

/// The statement; `{name}` markers are bound by [`KnownEnd`].
const END_SQL: &str = concat!(
    "
WITH guard AS MATERIALIZED (
    UPDATE customers SET version = version + 1
     WHERE tenant_id = {tenant} AND customer_ref = {customer} AND version = {version}
    RETURNING 1
),
ended AS MATERIALIZED (
    UPDATE calls
       SET customer_ref = {customer}, ended_at = {ended_at},
           end_fingerprint = {end_fingerprint}, variables_updated = {variables_updated},
           intents_updated = {intents_updated}, intent = {intent},
           intent_status = {intent_status}, verdict = {verdict}, hints_sealed = {hints_sealed}
     WHERE tenant_id = {tenant} AND call_id = {call_id} AND ended_at IS NULL
       AND EXISTS (SELECT 1 FROM guard)
    RETURNING 1
),
-- The ANI's link, with the confirmation when the end is one: what a new link starts
-- with, or what changes on the stored one (the latest time and attestation replace,
-- the first time only where none is stored, the run one longer or ended). One upsert,
-- not an insert then an update: sub-statements share one snapshot and cannot see
-- each other's rows (PostgreSQL's documentation, \"Data-Modifying Statements in WITH\").
phone AS (
    INSERT INTO customer_phones AS p
           (tenant_id, e164, customer_ref, line_type, linked_at, sealed, first_confirmed_at,
            last_confirmed_at, last_attestation, last_unattested_at, attested_run)
    SELECT {tenant}, h.e164, {customer}, {line_type}, {now}, {phone_sealed}, {first_at},
           {last_at}, {attestation}, {unattested_at}, {new_run}
      FROM ended, (SELECT {e164}::text AS e164) h
     WHERE h.e164 IS NOT NULL
    ON CONFLICT (tenant_id, e164, customer_ref) DO UPDATE
       SET line_type = coalesce(excluded.line_type, p.line_type),
           sealed = coalesce(excluded.sealed, p.sealed),
           first_confirmed_at = CASE WHEN {confirmed}
                                     THEN coalesce(p.first_confirmed_at, excluded.first_confirmed_at)
                                     ELSE p.first_confirmed_at END,
           last_confirmed_at = CASE WHEN {confirmed} THEN excluded.last_confirmed_at
                                    ELSE p.last_confirmed_at END,
           last_attestation = coalesce(excluded.last_attestation, p.last_attestation),
           last_unattested_at = coalesce(excluded.last_unattested_at, p.last_unattested_at),
           attested_run = CASE WHEN {confirmed} THEN (p.attested_run + 1) * {run_goes_on}
                               ELSE p.attested_run END
     WHERE excluded.line_type IS NOT NULL OR excluded.sealed IS NOT NULL OR {confirmed}
),
",
    crate::template::link_ids_cte!("ended"),
    "
intent_kept AS (
    INSERT INTO intents (tenant_id, customer_ref, name, attempt_count, first_seen, last_seen)
    SELECT {tenant}, {customer}, {intent_name}, {attempt_count}, {first_seen}, {last_seen}
      FROM ended
     WHERE {intent_kept}
    ON CONFLICT (tenant_id, customer_ref, name) DO UPDATE
       SET attempt_count = excluded.attempt_count, first_seen = excluded.first_seen,
           last_seen = excluded.last_seen
),
intent_closed AS (
    DELETE FROM intents
     WHERE tenant_id = {tenant} AND customer_ref = {customer} AND name = {intent_name}
       AND {intent_closed} AND EXISTS (SELECT 1 FROM ended)
),
variables_gone AS (
    DELETE FROM variables
     WHERE tenant_id = {tenant} AND customer_ref = {customer} AND key = ANY ({deleted})
       AND EXISTS (SELECT 1 FROM ended)
),
variables_set AS (
    INSERT INTO variables (tenant_id, customer_ref, key, value, source, ttl_seconds,
                           expires_at, updated_at)
    SELECT {tenant}, {customer}, v.key, v.value, v.source, v.ttl, v.expires_at, {now}
      FROM ended,
           unnest({keys}::text[], {var_values}::text[], {sources}::text[], {ttls}::int4[],
                  {expires}::timestamptz[]) AS v(key, value, source, ttl, expires_at)
    ON CONFLICT (tenant_id, customer_ref, key) DO UPDATE
       SET value = excluded.value, source = excluded.source,
           ttl_seconds = excluded.ttl_seconds, expires_at = excluded.expires_at,
           updated_at = excluded.updated_at
),
-- The outbox: an event only where an enabled endpoint of the tenant subscribed to its
-- type, one delivery per such endpoint.
events AS (
    INSERT INTO webhook_events (id, tenant_id, event_type, customer_ref, body, created_at)
    SELECT e.id, {tenant}, e.kind, e.customer, e.body, e.at
      FROM ended,
           unnest({event_ids}::text[], {event_kinds}::text[], {event_customers}::text[],
                  {event_bodies}::text[], {event_ats}::timestamptz[])
             AS e(id, kind, customer, body, at)
     WHERE EXISTS (SELECT 1 FROM webhook_endpoints w
                    WHERE w.tenant_id = {tenant} AND w.disabled_at IS NULL
                      AND e.kind = ANY (w.events))
    ON CONFLICT (tenant_id, id) DO NOTHING
    RETURNING id, event_type, created_at
),
deliveries AS (
    INSERT INTO webhook_deliveries (tenant_id, event_id, endpoint_id, status, attempts,
                                    next_attempt_at, created_at)
    SELECT {tenant}, e.id, w.id, 'pending', 0, e.created_at, e.created_at
      FROM events e
      JOIN webhook_endpoints w
        ON w.tenant_id = {tenant} AND w.disabled_at IS NULL AND e.event_type = ANY (w.events)
)
SELECT (SELECT count(*) FROM guard) AS guarded, (SELECT count(*) FROM ended) AS ended"
);

/// Whether `commit` can be written by this statement: a started call ended on the
/// customer its read saw, nothing to create, fold or pay, no variable key written
/// twice (one statement cannot delete and insert the same row: its sub-statements share
/// one snapshot and "trying to update the same row twice in a single statement is not
/// supported", PostgreSQL's documentation, "WITH Queries", "Data-Modifying Statements
/// in WITH").
pub(crate) fn fits(commit: &EndCommit) -> Option<&CustomerSeen> {
    let seen = commit.seen.as_ref()?;
    let mut keys = BTreeSet::new();
    let distinct = commit.variables.iter().all(|w| {
        keys.insert(match w {
            VariableWrite::Set { key, .. } | VariableWrite::Delete { key } => key.as_str(),
        })
    });
    (!commit.standalone
        && commit.charge.is_none()
        && !commit.create_customer
        && commit.fold_provisional.is_none()
        && seen.customer == commit.call.customer
        && distinct)
        .then_some(seen)
}

/// The statement's parameters.
#[derive(Default)]
struct KnownEnd {
    tenant: Uuid,
    customer: String,
    version: i64,
    call: Option<CallRow>,
    e164: Option<String>,
    line_type: Option<String>,
    phone_sealed: Option<String>,
    confirmed: bool,
    first_at: Option<OffsetDateTime>,
    last_at: Option<OffsetDateTime>,
    attestation: Option<&'static str>,
    unattested_at: Option<OffsetDateTime>,
    new_run: i32,
    run_goes_on: i32,
    namespaces: Vec<String>,
    values: Vec<String>,
    ids_sealed: Vec<Option<String>>,
    intent_name: Option<String>,
    intent_kept: bool,
    intent_closed: bool,
    attempt_count: i32,
    first_seen: Option<OffsetDateTime>,
    last_seen: Option<OffsetDateTime>,
    intents_updated: i32,
    now: Option<OffsetDateTime>,
    deleted: Vec<String>,
    keys: Vec<String>,
    var_values: Vec<String>,
    sources: Vec<Option<String>>,
    ttls: Vec<i32>,
    expires: Vec<OffsetDateTime>,
    event_ids: Vec<String>,
    event_kinds: Vec<&'static str>,
    event_customers: Vec<Option<String>>,
    event_bodies: Vec<String>,
    event_ats: Vec<OffsetDateTime>,
}

crate::template::prepared!(KnownEnd);

impl QueryFragment<Pg> for KnownEnd {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let call = self.call.as_ref().ok_or_else(|| {
            diesel::result::Error::QueryBuilderError("an end without its call row".into())
        })?;
        crate::template::walk(END_SQL, "an end", out, |name, mut out| {
            match name {
                "tenant" => out.push_bind_param::<SqlUuid, _>(&self.tenant)?,
                "customer" => out.push_bind_param::<Text, _>(&self.customer)?,
                "version" => out.push_bind_param::<BigInt, _>(&self.version)?,
                "call_id" => out.push_bind_param::<Text, _>(&call.call_id)?,
                "ended_at" => out.push_bind_param::<Nullable<Timestamptz>, _>(&call.ended_at)?,
                "end_fingerprint" => {
                    out.push_bind_param::<Nullable<Text>, _>(&call.end_fingerprint)?
                }
                "variables_updated" => {
                    out.push_bind_param::<Nullable<Integer>, _>(&call.variables_updated)?
                }
                "intents_updated" => out.push_bind_param::<Integer, _>(&self.intents_updated)?,
                "intent" => out.push_bind_param::<Nullable<Text>, _>(&call.intent)?,
                "intent_status" => out.push_bind_param::<Nullable<Text>, _>(&call.intent_status)?,
                "verdict" => out.push_bind_param::<Nullable<Text>, _>(&call.verdict)?,
                "hints_sealed" => out.push_bind_param::<Nullable<Text>, _>(&call.hints_sealed)?,
                "e164" => out.push_bind_param::<Nullable<Text>, _>(&self.e164)?,
                "line_type" => out.push_bind_param::<Nullable<Text>, _>(&self.line_type)?,
                "phone_sealed" => out.push_bind_param::<Nullable<Text>, _>(&self.phone_sealed)?,
                "now" => out.push_bind_param::<Nullable<Timestamptz>, _>(&self.now)?,
                "confirmed" => out.push_bind_param::<Bool, _>(&self.confirmed)?,
                "first_at" => out.push_bind_param::<Nullable<Timestamptz>, _>(&self.first_at)?,
                "last_at" => out.push_bind_param::<Nullable<Timestamptz>, _>(&self.last_at)?,
                "attestation" => out.push_bind_param::<Nullable<Text>, _>(&self.attestation)?,
                "unattested_at" => {
                    out.push_bind_param::<Nullable<Timestamptz>, _>(&self.unattested_at)?
                }
                "new_run" => out.push_bind_param::<Integer, _>(&self.new_run)?,
                "run_goes_on" => out.push_bind_param::<Integer, _>(&self.run_goes_on)?,
                "namespaces" => out.push_bind_param::<Array<Text>, _>(&self.namespaces)?,
                "values" => out.push_bind_param::<Array<Text>, _>(&self.values)?,
                "ids_sealed" => {
                    out.push_bind_param::<Array<Nullable<Text>>, _>(&self.ids_sealed)?
                }
                "intent_name" => out.push_bind_param::<Nullable<Text>, _>(&self.intent_name)?,
                "intent_kept" => out.push_bind_param::<Bool, _>(&self.intent_kept)?,
                "intent_closed" => out.push_bind_param::<Bool, _>(&self.intent_closed)?,
                "attempt_count" => out.push_bind_param::<Integer, _>(&self.attempt_count)?,
                "first_seen" => {
                    out.push_bind_param::<Nullable<Timestamptz>, _>(&self.first_seen)?
                }
                "last_seen" => out.push_bind_param::<Nullable<Timestamptz>, _>(&self.last_seen)?,
                "deleted" => out.push_bind_param::<Array<Text>, _>(&self.deleted)?,
                "keys" => out.push_bind_param::<Array<Text>, _>(&self.keys)?,
                "var_values" => out.push_bind_param::<Array<Text>, _>(&self.var_values)?,
                "sources" => out.push_bind_param::<Array<Nullable<Text>>, _>(&self.sources)?,
                "ttls" => out.push_bind_param::<Array<Integer>, _>(&self.ttls)?,
                "expires" => out.push_bind_param::<Array<Timestamptz>, _>(&self.expires)?,
                "event_ids" => out.push_bind_param::<Array<Text>, _>(&self.event_ids)?,
                "event_kinds" => out.push_bind_param::<Array<Text>, _>(&self.event_kinds)?,
                "event_customers" => {
                    out.push_bind_param::<Array<Nullable<Text>>, _>(&self.event_customers)?
                }
                "event_bodies" => out.push_bind_param::<Array<Text>, _>(&self.event_bodies)?,
                "event_ats" => out.push_bind_param::<Array<Timestamptz>, _>(&self.event_ats)?,
                _ => return Ok(false),
            }
            Ok(true)
        })
    }
}

#[derive(QueryableByName)]
struct Counts {
    #[diesel(sql_type = BigInt)]
    guarded: i64,
    #[diesel(sql_type = BigInt)]
    ended: i64,
}

/// Decides `commit` on `seen` and writes it in one statement; see the module.
pub(crate) async fn write(
    mut conn: &AsyncPgConnection, tenant_id: TenantId, commit: EndCommit, seen: CustomerSeen,
) -> Result<EndReceipt, CommitEndError> {
    check_live_limit(seen.live_keys.iter().map(String::as_str), &commit.variables)?;
    let change = commit
        .intent
        .as_ref()
        .map(|write| (write, write.decide(seen.intent.clone())));
    let call = &commit.call;
    let at = call.ended.as_ref().map_or(call.started_at, |e| e.ended_at);
    let tenant = crate::tenant_key::tenant_key(&tenant_id);
    let intents_updated = change.as_ref().map_or(0, |(_, c)| c.updated);
    let mut q = KnownEnd {
        tenant,
        customer: call.customer.as_str().to_owned(),
        version: seen.version,
        e164: commit.link.phone().map(|p| p.as_e164().to_owned()),
        line_type: line_type_text(LineType::to_remember(commit.line_type)),
        phone_sealed: commit.sealed_links.phone.clone(),
        now: Some(at.get()),
        intents_updated: i32::try_from(intents_updated).unwrap_or(i32::MAX),
        ..KnownEnd::default()
    };
    if let Some(confirmed) = commit.confirmation {
        q.confirmed = true;
        q.first_at = Some(confirmed.first_at.get());
        q.last_at = Some(confirmed.last_at.get());
        q.attestation = confirmed.attestation.map(Attestation::as_str);
        q.unattested_at = confirmed.unattested_at.map(|t| t.get());
        q.run_goes_on = i32::from(confirmed.attested_run > 0);
        // A new link's run: the column's default (0), one longer or ended.
        q.new_run = q.run_goes_on;
    }
    for (namespace, value) in &commit.link.external_ids {
        q.namespaces.push(namespace.as_str().to_owned());
        q.values.push(value.as_str().to_owned());
        q.ids_sealed
            .push(commit.sealed_links.external_ids.get(namespace).cloned());
    }
    if let Some((write, change)) = &change {
        q.intent_name = Some(write.name().as_str().to_owned());
        match &change.after {
            Some(intent) => {
                q.intent_kept = true;
                q.attempt_count = i32::try_from(intent.attempt_count).unwrap_or(i32::MAX);
                q.first_seen = Some(intent.first_seen.get());
                q.last_seen = Some(intent.last_seen.get());
            }
            None => q.intent_closed = true,
        }
    }
    for write in &commit.variables {
        match write {
            VariableWrite::Delete { key } => q.deleted.push(key.clone()),
            VariableWrite::Set { key, variable } => {
                q.keys.push(key.clone());
                q.var_values.push(variable.value.as_str().to_owned());
                q.sources.push(variable.source.clone());
                q.ttls.push(variable.ttl.seconds() as i32);
                q.expires.push(variable.expires_at.get());
            }
        }
    }
    let intent = change
        .as_ref()
        .map(|(write, _)| (*write, seen.intent.as_ref()));
    for event in end_events(tenant_id, call, intent) {
        q.event_ids.push(event.id);
        q.event_kinds.push(event.kind.as_str());
        q.event_customers
            .push(event.customer.map(|c| c.as_str().to_owned()));
        q.event_bodies.push(event.body);
        q.event_ats.push(event.at.get());
    }
    q.call = Some(CallRow::new(tenant, call));
    // Read to its end, not `get_result`'s first row: the statement's implicit
    // transaction commits at the Sync that follows it, and only then comes
    // ReadyForQuery (PostgreSQL's documentation, "Message Flow", "Extended Query":
    // https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY).
    // The row itself can arrive first, from a commit that then fails, or from a
    // backend stopped before it commits: the message it sends its client as it dies
    // flushes what it holds (PostgreSQL's `src/backend/utils/error/elog.c`,
    // `send_message_to_frontend`, ends with `pq_flush()` "so that the client has some
    // clue what happened if the backend dies").
    let counts: Vec<Counts> = q
        .load(&mut conn)
        .await
        .map_err(|e| CommitEndError::Store(from_diesel(e)))?;
    let counts = counts
        .into_iter()
        .next()
        .ok_or_else(|| CommitEndError::Store(from_diesel(diesel::result::Error::NotFound)))?;
    match (counts.guarded, counts.ended) {
        (0, _) => Err(CommitEndError::Stale),
        (_, 0) => Err(CommitEndError::AlreadyEnded),
        _ => Ok(EndReceipt { intents_updated }),
    }
}
