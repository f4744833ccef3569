//! Committing an end, in one transaction.

use diesel::prelude::*;
use diesel::sql_types::{Text, Uuid as SqlUuid};
use diesel::upsert::excluded;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use stickycalls_domain::calls::CallRecord;
use stickycalls_domain::credits::{BillingPolicy, Charge, CreditAccount, InsufficientCredits};
use stickycalls_domain::customers::{ProvisionalHistory, may_fold};
use stickycalls_domain::identity::CustomerRef;
use stickycalls_domain::intents::{IntentWrite, OpenIntent};
use stickycalls_domain::ports::{CommitEndError, EndCommit, EndReceipt};
use stickycalls_domain::tenant::TenantId;
use stickycalls_domain::variables::{VariableWrite, check_live_limit};
use stickycalls_domain::webhooks::{Event, debit_events, end_events};
use stickycalls_domain::{Timestamp, ValidationError};
use uuid::Uuid;

use crate::credits;
use crate::errors::from_diesel;
use crate::links::{confirm_link, ensure_customer, link_hints};
use crate::outbox;
use crate::rows::{CallRow, IntentRow};
use crate::schema::{calls, customers, intents, variables};
use crate::tenant_key::tenant_key;

/// Why an end's transaction rolled back.
pub(crate) enum Abort {
    Query(diesel::result::Error),
    AlreadyEnded,
    CallIdTaken,
    Refused(ValidationError),
    Insufficient(InsufficientCredits),
}

impl From<diesel::result::Error> for Abort {
    fn from(e: diesel::result::Error) -> Self {
        Abort::Query(e)
    }
}

impl From<Abort> for CommitEndError {
    fn from(abort: Abort) -> Self {
        match abort {
            Abort::Query(e) => CommitEndError::Store(from_diesel(e)),
            Abort::AlreadyEnded => CommitEndError::AlreadyEnded,
            Abort::CallIdTaken => CommitEndError::CallIdTaken,
            Abort::Refused(e) => CommitEndError::Refused(e),
            Abort::Insufficient(e) => CommitEndError::InsufficientCredits(e),
        }
    }
}

pub(crate) async fn commit_end(
    conn: &mut AsyncPgConnection, tenant_id: TenantId, commit: EndCommit,
    policy: &dyn BillingPolicy,
) -> Result<EndReceipt, CommitEndError> {
    if let Some(seen) = crate::known_end::fits(&commit).cloned() {
        return crate::known_end::write(conn, tenant_id, commit, seen).await;
    }
    let tenant = tenant_key(&tenant_id);
    conn.transaction(async move |conn| -> Result<EndReceipt, Abort> {
        {
            let call = &commit.call;
            let customer = &call.customer;
            let at = call.ended.as_ref().map_or(call.started_at, |e| e.ended_at);
            let mut events = match commit.charge {
                Some(charge) => pay(conn, tenant_id, charge, call, policy, at).await?,
                None => Vec::new(),
            };
            if commit.create_customer {
                ensure_customer(conn, tenant, customer, at).await?;
            }
            // Serialise ends of one customer: the variable limit and attempt counts
            // must see each other's writes. The customer's row first, then the call's,
            // in the order the one-statement end takes them.
            if !lock_customer(conn, tenant, customer).await? {
                return Err(Abort::Query(diesel::result::Error::NotFound));
            }
            record_end(conn, tenant, &commit).await?;
            if let Some(provisional) = &commit.fold_provisional {
                fold(
                    conn,
                    tenant,
                    provisional,
                    customer,
                    &call.call_id.to_string(),
                )
                .await?;
            }
            link_hints(
                conn,
                tenant,
                customer,
                &commit.link,
                &commit.sealed_links,
                commit.line_type,
                at,
            )
            .await?;
            if let Some(confirmed) = commit.confirmation {
                confirm_link(conn, tenant, customer, &commit.link, confirmed).await?;
            }
            let (intents_updated, before) = match &commit.intent {
                Some(write) => apply_intent(conn, tenant, customer, write).await?,
                None => (0, None),
            };
            apply_variables(conn, tenant, customer, &commit.variables, at).await?;
            let intent = commit.intent.as_ref().map(|w| (w, before.as_ref()));
            events.extend(end_events(tenant_id, call, intent));
            outbox::write(conn, tenant, &events).await?;
            diesel::update(
                calls::table
                    .filter(calls::tenant_id.eq(tenant))
                    .filter(calls::call_id.eq(call.call_id.as_str())),
            )
            .set(calls::intents_updated.eq(intents_updated as i32))
            .execute(conn)
            .await?;
            Ok(EndReceipt { intents_updated })
        }
    })
    .await
    .map_err(CommitEndError::from)
}

/// Debits a standalone end's charge under the tenant's credit locks (every stripe
/// gathered: ends that pay are rare), first, so an unpaid end writes nothing. Returns
/// the credit events of the debit (every credit is counted, all being held).
async fn pay(
    conn: &mut AsyncPgConnection, tenant_id: TenantId, charge: Charge, call: &CallRecord,
    policy: &dyn BillingPolicy, at: Timestamp,
) -> Result<Vec<Event>, Abort> {
    let tenant = tenant_key(&tenant_id);
    let (stored, held) = credits::lock_gathered(conn, tenant).await?;
    let change = CreditAccount::debit_stored(stored.clone(), charge, &call.call_id, policy, at)
        .map_err(Abort::Insufficient)?;
    credits::save_gathered(conn, tenant, &change, &held, false).await?;
    Ok(debit_events(
        tenant_id,
        stored.as_ref(),
        &change,
        &call.call_id,
        policy,
        at,
    ))
}

/// Inserts a standalone call whole, or ends a started one that is not ended yet.
async fn record_end(
    conn: &mut AsyncPgConnection, tenant: Uuid, commit: &EndCommit,
) -> Result<(), Abort> {
    let row = CallRow::new(tenant, &commit.call);
    if commit.standalone {
        let inserted = diesel::insert_into(calls::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        return if inserted == 0 {
            Err(Abort::CallIdTaken)
        } else {
            Ok(())
        };
    }
    let updated = diesel::update(
        calls::table
            .filter(calls::tenant_id.eq(tenant))
            .filter(calls::call_id.eq(&row.call_id))
            .filter(calls::ended_at.is_null()),
    )
    .set((
        calls::customer_ref.eq(&row.customer_ref),
        calls::ended_at.eq(row.ended_at),
        calls::end_fingerprint.eq(&row.end_fingerprint),
        calls::variables_updated.eq(row.variables_updated),
        calls::intent.eq(&row.intent),
        calls::intent_status.eq(&row.intent_status),
        calls::verdict.eq(&row.verdict),
        calls::hints_sealed.eq(&row.hints_sealed),
    ))
    .execute(conn)
    .await?;
    if updated == 0 {
        Err(Abort::AlreadyEnded)
    } else {
        Ok(())
    }
}

/// Folds the start's provisional customer into `into` when the domain allows it
/// ([`may_fold`]): its links move, then it is deleted.
async fn fold(
    conn: &mut AsyncPgConnection, tenant: Uuid, provisional: &CustomerRef, into: &CustomerRef,
    this_call: &str,
) -> Result<(), Abort> {
    let other_calls = calls::table
        .filter(calls::tenant_id.eq(tenant))
        .filter(calls::customer_ref.eq(provisional.as_str()))
        .filter(calls::call_id.ne(this_call));
    let vars = variables::table
        .filter(variables::tenant_id.eq(tenant))
        .filter(variables::customer_ref.eq(provisional.as_str()));
    let open = intents::table
        .filter(intents::tenant_id.eq(tenant))
        .filter(intents::customer_ref.eq(provisional.as_str()));
    let (other_calls, variables, intents): (bool, bool, bool) = diesel::select((
        diesel::dsl::exists(other_calls),
        diesel::dsl::exists(vars),
        diesel::dsl::exists(open),
    ))
    .get_result(conn)
    .await?;
    let history = ProvisionalHistory {
        other_calls,
        variables,
        intents,
    };
    if !may_fold(provisional, into, history) {
        return Ok(());
    }
    // Sealed copies are bound to their customer: the moved links keep their indexes
    // only, and the end's links write their copies again.
    for statement in [
        "INSERT INTO customer_phones (tenant_id, e164, customer_ref, line_type, linked_at)
         SELECT tenant_id, e164, $3, line_type, linked_at FROM customer_phones
          WHERE tenant_id = $1 AND customer_ref = $2
         ON CONFLICT DO NOTHING",
        "INSERT INTO customer_external_ids (tenant_id, namespace, value, customer_ref, linked_at)
         SELECT tenant_id, namespace, value, $3, linked_at FROM customer_external_ids
          WHERE tenant_id = $1 AND customer_ref = $2
         ON CONFLICT DO NOTHING",
        "UPDATE idempotency_keys SET customer_ref = $3 WHERE tenant_id = $1 AND customer_ref = $2",
        "DELETE FROM customers WHERE tenant_id = $1 AND customer_ref = $2",
    ] {
        diesel::sql_query(statement)
            .bind::<SqlUuid, _>(tenant)
            .bind::<Text, _>(provisional.as_str())
            .bind::<Text, _>(into.as_str())
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Applies an intent change: the stored row of that name is read (the customer's row
/// is locked), the domain decides ([`IntentWrite::decide`]), the result is written
/// exactly. Returns the intents changed.
async fn apply_intent(
    conn: &mut AsyncPgConnection, tenant: Uuid, customer: &CustomerRef, write: &IntentWrite,
) -> Result<(u32, Option<OpenIntent>), Abort> {
    let of_intent = || {
        intents::table
            .filter(intents::tenant_id.eq(tenant))
            .filter(intents::customer_ref.eq(customer.as_str()))
            .filter(intents::name.eq(write.name().as_str()))
    };
    let before: Option<IntentRow> = of_intent()
        .select(IntentRow::as_select())
        .first(conn)
        .await
        .optional()?;
    let before = before.map(IntentRow::into_domain);
    let change = write.decide(before.clone());
    match &change.after {
        Some(intent) => {
            let values = (
                intents::tenant_id.eq(tenant),
                intents::customer_ref.eq(customer.as_str()),
                intents::name.eq(intent.name.as_str()),
                intents::attempt_count.eq(i32::try_from(intent.attempt_count).unwrap_or(i32::MAX)),
                intents::first_seen.eq(intent.first_seen.get()),
                intents::last_seen.eq(intent.last_seen.get()),
            );
            diesel::insert_into(intents::table)
                .values(values)
                .on_conflict(intents::table.primary_key())
                .do_update()
                .set((
                    intents::attempt_count.eq(excluded(intents::attempt_count)),
                    intents::first_seen.eq(excluded(intents::first_seen)),
                    intents::last_seen.eq(excluded(intents::last_seen)),
                ))
                .execute(conn)
                .await?;
        }
        None => {
            diesel::delete(of_intent()).execute(conn).await?;
        }
    }
    Ok((change.updated, before))
}

/// Locks a customer's row until the transaction ends, so writes to their variables
/// and intents queue, and adds one to their version, so an end decided on what it read
/// before this write does not write ([`crate::known_end`]); `false` when the tenant has
/// no such customer.
pub(crate) async fn lock_customer(
    conn: &mut AsyncPgConnection, tenant: Uuid, customer: &CustomerRef,
) -> QueryResult<bool> {
    diesel::update(
        customers::table
            .filter(customers::tenant_id.eq(tenant))
            .filter(customers::customer_ref.eq(customer.as_str())),
    )
    .set(customers::version.eq(customers::version + 1))
    .returning(customers::customer_ref)
    .get_result::<String>(conn)
    .await
    .optional()
    .map(|found| found.is_some())
}

/// Applies variable writes after re-checking the live limit under the customer lock;
/// returns how many rows changed.
pub(crate) async fn apply_variables(
    conn: &mut AsyncPgConnection, tenant: Uuid, customer: &CustomerRef, writes: &[VariableWrite],
    at: Timestamp,
) -> Result<usize, Abort> {
    if writes.is_empty() {
        return Ok(0);
    }
    let live: Vec<String> = variables::table
        .filter(variables::tenant_id.eq(tenant))
        .filter(variables::customer_ref.eq(customer.as_str()))
        .filter(variables::expires_at.gt(at.get()))
        .select(variables::key)
        .load(conn)
        .await?;
    check_live_limit(live.iter().map(String::as_str), writes).map_err(Abort::Refused)?;
    let of_customer = || {
        variables::table
            .filter(variables::tenant_id.eq(tenant))
            .filter(variables::customer_ref.eq(customer.as_str()))
    };
    let deleted: Vec<&str> = writes
        .iter()
        .filter_map(|w| match w {
            VariableWrite::Delete { key } => Some(key.as_str()),
            VariableWrite::Set { .. } => None,
        })
        .collect();
    let mut changed = 0;
    if !deleted.is_empty() {
        changed += diesel::delete(of_customer().filter(variables::key.eq_any(deleted)))
            .execute(conn)
            .await?;
    }
    let rows: Vec<_> = writes
        .iter()
        .filter_map(|w| match w {
            VariableWrite::Set { key, variable } => Some((
                variables::tenant_id.eq(tenant),
                variables::customer_ref.eq(customer.as_str()),
                variables::key.eq(key.as_str()),
                variables::value.eq(variable.value.as_str()),
                variables::source.eq(variable.source.as_deref()),
                variables::ttl_seconds.eq(variable.ttl.seconds() as i32),
                variables::expires_at.eq(variable.expires_at.get()),
                variables::updated_at.eq(at.get()),
            )),
            VariableWrite::Delete { .. } => None,
        })
        .collect();
    if !rows.is_empty() {
        changed += diesel::insert_into(variables::table)
            .values(rows)
            .on_conflict(variables::table.primary_key())
            .do_update()
            .set((
                variables::value.eq(excluded(variables::value)),
                variables::source.eq(excluded(variables::source)),
                variables::ttl_seconds.eq(excluded(variables::ttl_seconds)),
                variables::expires_at.eq(excluded(variables::expires_at)),
                variables::updated_at.eq(excluded(variables::updated_at)),
            ))
            .execute(conn)
            .await?;
    }
    Ok(changed)
}
