//! A customer's live context, erasure, and the purge of what expired.

use std::collections::BTreeMap;
use stickycalls_domain::ports::PurgeCutoffs;

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use stickycalls_domain::Timestamp;
use stickycalls_domain::accounts::Purged;
use stickycalls_domain::identity::CustomerRef;
use stickycalls_domain::intents::INTENT_EXPIRY;
use stickycalls_domain::ports::CustomerContext;
use stickycalls_domain::retention::Idle;
use stickycalls_domain::webhooks::Event;
use uuid::Uuid;

use crate::rows::{IntentRow, VariableRow};
use crate::schema::{
    api_keys, console_sessions, customers, idempotency_keys, intents, variables, webhook_events,
};

/// Open intents (newest first) and live variables, read with two pipelined queries.
pub(crate) async fn customer_context(
    mut conn: &AsyncPgConnection, tenant: Uuid, customer: &CustomerRef, now: Timestamp,
) -> QueryResult<CustomerContext> {
    let open = intents::table
        .filter(intents::tenant_id.eq(tenant))
        .filter(intents::customer_ref.eq(customer.as_str()))
        .filter(intents::last_seen.gt((now - INTENT_EXPIRY).get()))
        .order(intents::last_seen.desc())
        .select(IntentRow::as_select())
        .load(&mut conn);
    let live = variables::table
        .filter(variables::tenant_id.eq(tenant))
        .filter(variables::customer_ref.eq(customer.as_str()))
        .filter(variables::expires_at.gt(now.get()))
        .select(VariableRow::as_select())
        .load(&mut conn);
    let (open, live) = futures_util::try_join!(open, live)?;
    Ok(CustomerContext {
        open_intents: open.into_iter().map(IntentRow::into_domain).collect(),
        variables: live
            .into_iter()
            .map(VariableRow::into_domain)
            .collect::<BTreeMap<_, _>>(),
    })
}

/// Deletes a customer and, by cascade, its links, calls, intents and variables, with
/// the stored idempotent responses about them, in one transaction. The customer goes
/// first: its row lock waits for a response being stored about them (see
/// `IdempotencyStore::complete`), which the next statement then sees and deletes.
/// With `only_if_idle` (a retention erasure) the customer is locked first and erased
/// only if a fresh look, after any start holding it has committed, finds it still idle.
pub(crate) async fn erase_customer(
    conn: &mut AsyncPgConnection, tenant: Uuid, customer: &CustomerRef, erased: Event,
    only_if_idle: Option<Idle>,
) -> QueryResult<bool> {
    let who = customer.as_str().to_owned();
    conn.transaction(async move |conn| {
        if let Some(idle) = only_if_idle
            && !(crate::end::lock_customer(conn, tenant, customer).await?
                && crate::retention::still_idle(conn, tenant, customer, idle).await?)
        {
            return Ok(false);
        }
        let deleted = diesel::delete(
            customers::table
                .filter(customers::tenant_id.eq(tenant))
                .filter(customers::customer_ref.eq(&who)),
        )
        .execute(conn)
        .await?;
        diesel::delete(
            idempotency_keys::table
                .filter(idempotency_keys::tenant_id.eq(tenant))
                .filter(idempotency_keys::customer_ref.eq(&who)),
        )
        .execute(conn)
        .await?;
        // Webhook events about them go with them (their deliveries by cascade); the
        // erasure's own event says only which reference was erased.
        diesel::delete(
            webhook_events::table
                .filter(webhook_events::tenant_id.eq(tenant))
                .filter(webhook_events::customer_ref.eq(&who)),
        )
        .execute(conn)
        .await?;
        if deleted > 0 {
            crate::outbox::write(conn, tenant, std::slice::from_ref(&erased)).await?;
        }
        Ok(deleted > 0)
    })
    .await
}

/// Deletes expired variables, intents untouched for 90 days, day-old
/// `Idempotency-Key` records and ended console sessions, across tenants.
pub(crate) async fn purge_expired(
    conn: &mut AsyncPgConnection, cut: PurgeCutoffs,
) -> QueryResult<Purged> {
    let variables = diesel::delete(
        variables::table.filter(variables::expires_at.le(cut.variables_expired_at.get())),
    )
    .execute(conn)
    .await?;
    let intents =
        diesel::delete(intents::table.filter(intents::last_seen.le(cut.intents_seen_before.get())))
            .execute(conn)
            .await?;
    let responses = diesel::delete(
        idempotency_keys::table
            .filter(idempotency_keys::created_at.lt(cut.responses_created_before.get())),
    )
    .execute(conn)
    .await?;
    let revoked = api_keys::table
        .filter(api_keys::revoked_at.is_not_null())
        .select(api_keys::lookup_id);
    let sessions = diesel::delete(
        console_sessions::table.filter(
            console_sessions::last_seen_at
                .le(cut.sessions_seen_before.get())
                .or(console_sessions::created_at.le(cut.sessions_created_before.get()))
                .or(console_sessions::key_lookup_id.eq_any(revoked)),
        ),
    )
    .execute(conn)
    .await?;
    Ok(Purged {
        variables,
        intents,
        responses,
        sessions,
    })
}
