//! The outbox on SQLite: events written in the transaction of the change they report,
//! with one delivery row per enabled endpoint of the tenant subscribed to their type. A
//! tenant without such an endpoint gets no row (one indexed read per event).

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use stickycalls_domain::webhooks::{Event, EventType};

use crate::rows::ms;
use crate::schema::{webhook_deliveries, webhook_endpoints, webhook_events};

/// The event types an endpoint's `events` column names (a JSON array).
pub(crate) fn event_types(stored: &str) -> Vec<EventType> {
    serde_json::from_str::<Vec<String>>(stored)
        .unwrap_or_default()
        .iter()
        .filter_map(|name| EventType::parse(name))
        .collect()
}

/// Writes `events` (in the caller's transaction).
pub(crate) fn write(c: &mut SqliteConnection, tenant: &str, events: &[Event]) -> QueryResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let endpoints: Vec<(String, String)> = webhook_endpoints::table
        .filter(webhook_endpoints::tenant_id.eq(tenant))
        .filter(webhook_endpoints::disabled_at.is_null())
        .select((webhook_endpoints::id, webhook_endpoints::events))
        .load(c)?;
    for event in events {
        let subscribed: Vec<&str> = endpoints
            .iter()
            .filter(|(_, types)| event_types(types).contains(&event.kind))
            .map(|(id, _)| id.as_str())
            .collect();
        if subscribed.is_empty() {
            continue;
        }
        let inserted = diesel::insert_or_ignore_into(webhook_events::table)
            .values((
                webhook_events::id.eq(&event.id),
                webhook_events::tenant_id.eq(tenant),
                webhook_events::event_type.eq(event.kind.as_str()),
                webhook_events::customer_ref.eq(event.customer.as_ref().map(|c| c.as_str())),
                webhook_events::body.eq(&event.body),
                webhook_events::created_at.eq(ms(event.at)),
            ))
            .execute(c)?;
        if inserted == 0 {
            continue;
        }
        let rows: Vec<_> = subscribed
            .iter()
            .map(|endpoint| {
                (
                    webhook_deliveries::event_id.eq(&event.id),
                    webhook_deliveries::endpoint_id.eq(*endpoint),
                    webhook_deliveries::status.eq("pending"),
                    webhook_deliveries::attempts.eq(0),
                    webhook_deliveries::next_attempt_at.eq(Some(ms(event.at))),
                    webhook_deliveries::created_at.eq(ms(event.at)),
                )
            })
            .collect();
        diesel::insert_into(webhook_deliveries::table)
            .values(rows)
            .execute(c)?;
    }
    Ok(())
}
