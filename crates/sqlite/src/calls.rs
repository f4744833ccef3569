//! The call use cases' reads and commits, in SQLite's dialect, through diesel's DSL
//! (the one raw statement, the evidence query, is in `evidence.rs`). Every function
//! is synchronous and runs on a blocking thread; commits run inside `BEGIN IMMEDIATE`.

use std::collections::BTreeMap;
use stickycalls_domain::ports::PurgeCutoffs;

use diesel::prelude::*;

use diesel::sqlite::SqliteConnection;
use diesel::upsert::excluded;
use stickycalls_domain::Timestamp;
use stickycalls_domain::accounts::Purged;
use stickycalls_domain::calls::{CallId, CallRecord};
use stickycalls_domain::customers::{ProvisionalHistory, may_fold};
use stickycalls_domain::identity::{Attestation, Confirmed, CustomerRef, IdentityHints, LineType};
use stickycalls_domain::intents::{INTENT_EXPIRY, IntentName, IntentWrite, OpenIntent};
use stickycalls_domain::ports::CustomerContext;
use stickycalls_domain::protection::SealedLinks;
use stickycalls_domain::variables::{StoredVariable, Ttl, VariableWrite};
use stickycalls_domain::webhooks::Event;

use crate::rows::{CallRow, at, ms, unique};
use crate::schema::{
    api_keys, calls, console_sessions, customer_external_ids, customer_phones, customers,
    idempotency_keys, intents, variables, webhook_events,
};

pub(crate) fn find_call(
    c: &mut SqliteConnection, tenant: &str, call_id: &CallId,
) -> QueryResult<Option<CallRecord>> {
    let query = calls::table
        .find((tenant, call_id.as_str()))
        .select(CallRow::as_select());
    unique::<CallRow, _>(query, c)?
        .map(CallRow::into_record)
        .transpose()
}

/// An open intent row.
#[derive(Queryable, Selectable)]
#[diesel(table_name = intents, check_for_backend(diesel::sqlite::Sqlite))]
struct IntentRow {
    name: String,
    attempt_count: i32,
    first_seen: i64,
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

/// A variable row.
#[derive(Queryable, Selectable)]
#[diesel(table_name = variables, check_for_backend(diesel::sqlite::Sqlite))]
struct VariableRow {
    key: String,
    value: String,
    source: Option<String>,
    ttl_seconds: i32,
    expires_at: i64,
}

pub(crate) fn customer_context(
    c: &mut SqliteConnection, tenant: &str, customer: &CustomerRef, now: Timestamp,
) -> QueryResult<CustomerContext> {
    let open: Vec<IntentRow> = intents::table
        .filter(intents::tenant_id.eq(tenant))
        .filter(intents::customer_ref.eq(customer.as_str()))
        .filter(intents::last_seen.gt(ms(now - INTENT_EXPIRY)))
        .order(intents::last_seen.desc())
        .select(IntentRow::as_select())
        .load(c)?;
    let live: Vec<VariableRow> = variables::table
        .filter(variables::tenant_id.eq(tenant))
        .filter(variables::customer_ref.eq(customer.as_str()))
        .filter(variables::expires_at.gt(ms(now)))
        .select(VariableRow::as_select())
        .load(c)?;
    Ok(CustomerContext {
        open_intents: open.into_iter().map(IntentRow::into_domain).collect(),
        variables: live
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
    c: &mut SqliteConnection, tenant: &str, customer: &CustomerRef, now: Timestamp,
) -> QueryResult<()> {
    diesel::insert_into(customers::table)
        .values((
            customers::tenant_id.eq(tenant),
            customers::customer_ref.eq(customer.as_str()),
            customers::created_at.eq(ms(now)),
        ))
        .on_conflict_do_nothing()
        .execute(c)
        .map(|_| ())
}

diesel::define_sql_function! {
    /// SQL's `coalesce` of two values: the first unless it is null.
    fn coalesce<T: diesel::sql_types::SingleValue>(
        first: diesel::sql_types::Nullable<T>, second: diesel::sql_types::Nullable<T>,
    ) -> diesel::sql_types::Nullable<T>;
}

/// Records an agent's confirmation on the ANI's link to the customer (made by
/// [`link_hints`] just before): the latest time replaces what is stored, the
/// attestation and the unattested call's time only where the confirmation has them,
/// the first time only where none is stored, the run of vouching confirmations one
/// longer or ended ([`Confirmed::after`]).
pub(crate) fn confirm_link(
    c: &mut SqliteConnection, tenant: &str, customer: &CustomerRef, hints: &IdentityHints,
    confirmed: Confirmed,
) -> QueryResult<()> {
    let Some(phone) = hints.phone() else {
        return Ok(());
    };
    let link = customer_phones::table
        .filter(customer_phones::tenant_id.eq(tenant))
        .filter(customer_phones::e164.eq(phone.as_e164()))
        .filter(customer_phones::customer_ref.eq(customer.as_str()));
    diesel::update(link)
        .set((
            customer_phones::last_confirmed_at.eq(ms(confirmed.last_at)),
            customer_phones::last_attestation.eq(coalesce(
                confirmed.attestation.map(Attestation::as_str),
                customer_phones::last_attestation,
            )),
            customer_phones::last_unattested_at.eq(coalesce(
                confirmed.unattested_at.map(ms),
                customer_phones::last_unattested_at,
            )),
            // The plan's run is 1 (a vouching call: one more) or 0 (the run ends).
            customer_phones::attested_run
                .eq((customer_phones::attested_run + 1) * i32::from(confirmed.attested_run > 0)),
        ))
        .execute(c)?;
    diesel::update(link.filter(customer_phones::first_confirmed_at.is_null()))
        .set(customer_phones::first_confirmed_at.eq(ms(confirmed.first_at)))
        .execute(c)?;
    Ok(())
}

/// Links the hints (idempotent); the line type to remember replaces the stored one.
pub(crate) fn link_hints(
    c: &mut SqliteConnection, tenant: &str, customer: &CustomerRef, hints: &IdentityHints,
    sealed: &SealedLinks, line_type: Option<LineType>, now: Timestamp,
) -> QueryResult<()> {
    if let Some(phone) = hints.phone() {
        let remember = LineType::to_remember(line_type).map(LineType::as_str);
        let insert = diesel::insert_into(customer_phones::table).values((
            customer_phones::tenant_id.eq(tenant),
            customer_phones::e164.eq(phone.as_e164()),
            customer_phones::customer_ref.eq(customer.as_str()),
            customer_phones::line_type.eq(remember),
            customer_phones::linked_at.eq(ms(now)),
            customer_phones::sealed.eq(sealed.phone.as_deref()),
        ));
        if remember.is_some() || sealed.phone.is_some() {
            insert
                .on_conflict(customer_phones::table.primary_key())
                .do_update()
                .set((
                    customer_phones::line_type.eq(coalesce(
                        excluded(customer_phones::line_type),
                        customer_phones::line_type,
                    )),
                    customer_phones::sealed.eq(coalesce(
                        excluded(customer_phones::sealed),
                        customer_phones::sealed,
                    )),
                ))
                .execute(c)?;
        } else {
            insert.on_conflict_do_nothing().execute(c)?;
        }
    }
    for (namespace, value) in &hints.external_ids {
        diesel::insert_into(customer_external_ids::table)
            .values((
                customer_external_ids::tenant_id.eq(tenant),
                customer_external_ids::namespace.eq(namespace),
                customer_external_ids::value.eq(value),
                customer_external_ids::customer_ref.eq(customer.as_str()),
                customer_external_ids::linked_at.eq(ms(now)),
                customer_external_ids::sealed.eq(sealed.external_ids.get(namespace)),
            ))
            .on_conflict(customer_external_ids::table.primary_key())
            .do_update()
            .set(customer_external_ids::sealed.eq(coalesce(
                excluded(customer_external_ids::sealed),
                customer_external_ids::sealed,
            )))
            .execute(c)?;
    }
    Ok(())
}

/// Inserts a call unless its id is taken; `false` when it was.
pub(crate) fn insert_call(
    c: &mut SqliteConnection, tenant: &str, call: &CallRecord,
) -> QueryResult<bool> {
    let row = CallRow::new(call);
    let inserted = diesel::insert_into(calls::table)
        .values((calls::tenant_id.eq(tenant), &row))
        .on_conflict_do_nothing()
        .execute(c)?;
    Ok(inserted == 1)
}

/// Ends a started call unless it is ended already; `false` when it was.
pub(crate) fn end_call(
    c: &mut SqliteConnection, tenant: &str, call: &CallRecord,
) -> QueryResult<bool> {
    let r = CallRow::new(call);
    let updated = diesel::update(
        calls::table
            .find((tenant, &r.call_id))
            .filter(calls::ended_at.is_null()),
    )
    .set((
        calls::customer_ref.eq(&r.customer_ref),
        calls::ended_at.eq(r.ended_at),
        calls::end_fingerprint.eq(&r.end_fingerprint),
        calls::variables_updated.eq(r.variables_updated),
        calls::intent.eq(&r.intent),
        calls::intent_status.eq(&r.intent_status),
        calls::verdict.eq(&r.verdict),
        calls::hints_sealed.eq(&r.hints_sealed),
    ))
    .execute(c)?;
    Ok(updated == 1)
}

pub(crate) fn set_intents_updated(
    c: &mut SqliteConnection, tenant: &str, call_id: &CallId, n: u32,
) -> QueryResult<()> {
    diesel::update(calls::table.find((tenant, call_id.as_str())))
        .set(calls::intents_updated.eq(i32::try_from(n).unwrap_or(i32::MAX)))
        .execute(c)
        .map(|_| ())
}

/// Folds a provisional customer into `into` when the domain allows it ([`may_fold`]):
/// its links move, then it is deleted.
pub(crate) fn fold(
    c: &mut SqliteConnection, tenant: &str, provisional: &CustomerRef, into: &CustomerRef,
    this_call: &CallId,
) -> QueryResult<()> {
    let p = provisional.as_str();
    let (other_calls, vars, open): (bool, bool, bool) = diesel::select((
        diesel::dsl::exists(
            calls::table
                .filter(calls::tenant_id.eq(tenant))
                .filter(calls::customer_ref.eq(p))
                .filter(calls::call_id.ne(this_call.as_str())),
        ),
        diesel::dsl::exists(
            variables::table
                .filter(variables::tenant_id.eq(tenant))
                .filter(variables::customer_ref.eq(p)),
        ),
        diesel::dsl::exists(
            intents::table
                .filter(intents::tenant_id.eq(tenant))
                .filter(intents::customer_ref.eq(p)),
        ),
    ))
    .get_result(c)?;
    let history = ProvisionalHistory {
        other_calls,
        variables: vars,
        intents: open,
    };
    if !may_fold(provisional, into, history) {
        return Ok(());
    }
    let phones: Vec<(String, Option<String>, i64)> = customer_phones::table
        .filter(customer_phones::tenant_id.eq(tenant))
        .filter(customer_phones::customer_ref.eq(p))
        .select((
            customer_phones::e164,
            customer_phones::line_type,
            customer_phones::linked_at,
        ))
        .load(c)?;
    for (e164, line_type, linked_at) in phones {
        diesel::insert_into(customer_phones::table)
            .values((
                customer_phones::tenant_id.eq(tenant),
                customer_phones::e164.eq(e164),
                customer_phones::customer_ref.eq(into.as_str()),
                customer_phones::line_type.eq(line_type),
                customer_phones::linked_at.eq(linked_at),
            ))
            .on_conflict_do_nothing()
            .execute(c)?;
    }
    let ids: Vec<(String, String, i64)> = customer_external_ids::table
        .filter(customer_external_ids::tenant_id.eq(tenant))
        .filter(customer_external_ids::customer_ref.eq(p))
        .select((
            customer_external_ids::namespace,
            customer_external_ids::value,
            customer_external_ids::linked_at,
        ))
        .load(c)?;
    for (namespace, value, linked_at) in ids {
        diesel::insert_into(customer_external_ids::table)
            .values((
                customer_external_ids::tenant_id.eq(tenant),
                customer_external_ids::namespace.eq(namespace),
                customer_external_ids::value.eq(value),
                customer_external_ids::customer_ref.eq(into.as_str()),
                customer_external_ids::linked_at.eq(linked_at),
            ))
            .on_conflict_do_nothing()
            .execute(c)?;
    }
    diesel::update(
        idempotency_keys::table
            .filter(idempotency_keys::tenant_id.eq(tenant))
            .filter(idempotency_keys::customer_ref.eq(p)),
    )
    .set(idempotency_keys::customer_ref.eq(into.as_str()))
    .execute(c)?;
    // The provisional customer's own links go with it (ON DELETE CASCADE).
    diesel::delete(customers::table.find((tenant, p))).execute(c)?;
    Ok(())
}

/// Applies an intent change: the stored row of that name is read (inside the end's
/// immediate transaction), the domain decides ([`IntentWrite::decide`]), the result is
/// written exactly. Returns the intents changed.
pub(crate) fn apply_intent(
    c: &mut SqliteConnection, tenant: &str, customer: &CustomerRef, write: &IntentWrite,
) -> QueryResult<(u32, Option<OpenIntent>)> {
    let key = (tenant, customer.as_str(), write.name().as_str());
    let before: Option<IntentRow> =
        unique(intents::table.find(key).select(IntentRow::as_select()), c)?;
    let before = before.map(IntentRow::into_domain);
    let change = write.decide(before.clone());
    match &change.after {
        Some(intent) => {
            diesel::insert_into(intents::table)
                .values((
                    intents::tenant_id.eq(tenant),
                    intents::customer_ref.eq(customer.as_str()),
                    intents::name.eq(intent.name.as_str()),
                    intents::attempt_count
                        .eq(i32::try_from(intent.attempt_count).unwrap_or(i32::MAX)),
                    intents::first_seen.eq(ms(intent.first_seen)),
                    intents::last_seen.eq(ms(intent.last_seen)),
                ))
                .on_conflict(intents::table.primary_key())
                .do_update()
                .set((
                    intents::attempt_count.eq(excluded(intents::attempt_count)),
                    intents::first_seen.eq(excluded(intents::first_seen)),
                    intents::last_seen.eq(excluded(intents::last_seen)),
                ))
                .execute(c)?;
        }
        None => {
            diesel::delete(intents::table.find(key)).execute(c)?;
        }
    }
    Ok((change.updated, before))
}

pub(crate) fn live_keys(
    c: &mut SqliteConnection, tenant: &str, customer: &CustomerRef, now: Timestamp,
) -> QueryResult<Vec<String>> {
    variables::table
        .filter(variables::tenant_id.eq(tenant))
        .filter(variables::customer_ref.eq(customer.as_str()))
        .filter(variables::expires_at.gt(ms(now)))
        .select(variables::key)
        .load(c)
}

pub(crate) fn write_variables(
    c: &mut SqliteConnection, tenant: &str, customer: &CustomerRef, writes: &[VariableWrite],
    now: Timestamp,
) -> QueryResult<usize> {
    let mut changed = 0;
    for write in writes {
        changed += match write {
            VariableWrite::Delete { key } => {
                diesel::delete(variables::table.find((tenant, customer.as_str(), key)))
                    .execute(c)?
            }
            // A set replaces the whole row (SQLite's `INSERT OR REPLACE`).
            VariableWrite::Set { key, variable } => diesel::replace_into(variables::table)
                .values((
                    variables::tenant_id.eq(tenant),
                    variables::customer_ref.eq(customer.as_str()),
                    variables::key.eq(key),
                    variables::value.eq(&variable.value),
                    variables::source.eq(&variable.source),
                    variables::ttl_seconds
                        .eq(i32::try_from(variable.ttl.seconds()).unwrap_or(i32::MAX)),
                    variables::expires_at.eq(ms(variable.expires_at)),
                    variables::updated_at.eq(ms(now)),
                ))
                .execute(c)?,
        };
    }
    Ok(changed)
}

pub(crate) fn erase_customer(
    c: &mut SqliteConnection, tenant: &str, customer: &CustomerRef, erased: &Event,
) -> QueryResult<bool> {
    diesel::delete(
        idempotency_keys::table
            .filter(idempotency_keys::tenant_id.eq(tenant))
            .filter(idempotency_keys::customer_ref.eq(customer.as_str())),
    )
    .execute(c)?;
    let n = diesel::delete(customers::table.find((tenant, customer.as_str()))).execute(c)?;
    // Webhook events about them go with them (their deliveries by cascade); the
    // erasure's own event says only which reference was erased.
    diesel::delete(
        webhook_events::table
            .filter(webhook_events::tenant_id.eq(tenant))
            .filter(webhook_events::customer_ref.eq(customer.as_str())),
    )
    .execute(c)?;
    if n > 0 {
        crate::outbox::write(c, tenant, std::slice::from_ref(erased))?;
    }
    Ok(n > 0)
}

pub(crate) fn purge_expired(c: &mut SqliteConnection, cut: PurgeCutoffs) -> QueryResult<Purged> {
    let variables = diesel::delete(
        variables::table.filter(variables::expires_at.le(ms(cut.variables_expired_at))),
    )
    .execute(c)?;
    let intents =
        diesel::delete(intents::table.filter(intents::last_seen.le(ms(cut.intents_seen_before))))
            .execute(c)?;
    let responses = diesel::delete(
        idempotency_keys::table
            .filter(idempotency_keys::created_at.lt(ms(cut.responses_created_before))),
    )
    .execute(c)?;
    let revoked = api_keys::table
        .filter(api_keys::revoked_at.is_not_null())
        .select(api_keys::lookup_id.assume_not_null());
    let sessions = diesel::delete(
        console_sessions::table.filter(
            console_sessions::last_seen_at
                .le(ms(cut.sessions_seen_before))
                .or(console_sessions::created_at.le(ms(cut.sessions_created_before)))
                .or(console_sessions::key_lookup_id.eq_any(revoked)),
        ),
    )
    .execute(c)?;
    Ok(Purged {
        variables,
        intents,
        responses,
        sessions,
    })
}
