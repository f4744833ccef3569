//! `WebhookStore` on SQLite: endpoints, their deliveries, and claims made on the one
//! writer connection in an immediate transaction (one process per database file: the
//! same leases as PostgreSQL, without `SKIP LOCKED`, which SQLite has no need of).

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use stickycalls_domain::ports::WebhookStore;
use stickycalls_domain::secret::Secret;
use stickycalls_domain::tenant::TenantId;
use stickycalls_domain::webhooks::{
    Attempt, DeliveryInfo, DeliveryStatus, DueDelivery, Endpoint, EventType, Outcome,
};
use stickycalls_domain::{StoreError, Timestamp};

use crate::errors::from_diesel;
use crate::outbox::event_types;
use crate::pool::SqliteStore;
use crate::rows::{at, ms};
use crate::schema::{webhook_deliveries, webhook_endpoints, webhook_events};
use crate::tenant_key;

type EndpointRow = (String, String, String, String, i64, Option<i64>);

fn endpoint(row: EndpointRow, tenant: TenantId) -> Endpoint {
    let (id, url, events, description, created_at, disabled_at) = row;
    Endpoint {
        id,
        tenant,
        url,
        events: event_types(&events),
        description,
        created_at: at(created_at),
        disabled_at: disabled_at.map(at),
    }
}

type DeliveryRow = (
    String,
    String,
    String,
    i32,
    Option<i64>,
    Option<i64>,
    Option<i32>,
    Option<String>,
    i64,
);

fn corrupt(what: &str) -> diesel::result::Error {
    diesel::result::Error::DeserializationError(format!("webhook_deliveries: {what}").into())
}

fn delivery(row: DeliveryRow) -> QueryResult<DeliveryInfo> {
    let (event_id, kind, status, attempts, next, last_at, last_status, last_error, created) = row;
    let status = DeliveryStatus::parse(&status).ok_or_else(|| corrupt("unknown status"))?;
    Ok(DeliveryInfo {
        event_id,
        event_type: EventType::parse(&kind).ok_or_else(|| corrupt("unknown event type"))?,
        status,
        attempts: u32::try_from(attempts).unwrap_or(0),
        last_response_code: last_status.and_then(|s| u16::try_from(s).ok()),
        last_error,
        last_attempt_at: last_at.map(at),
        next_attempt_at: next.filter(|_| status == DeliveryStatus::Pending).map(at),
        created_at: at(created),
    })
}

type ClaimRow = (
    String,
    String,
    i32,
    String,
    String,
    Option<String>,
    Option<i64>,
    String,
    i64,
);

fn claim(
    c: &mut SqliteConnection, now: Timestamp, lease_until: Timestamp, limit: usize,
) -> QueryResult<Vec<DueDelivery>> {
    let rows: Vec<ClaimRow> = webhook_deliveries::table
        .inner_join(webhook_events::table)
        .inner_join(webhook_endpoints::table)
        .filter(webhook_deliveries::status.eq("pending"))
        .filter(webhook_deliveries::next_attempt_at.le(ms(now)))
        .filter(webhook_endpoints::disabled_at.is_null())
        .order(webhook_deliveries::next_attempt_at)
        .limit(i64::try_from(limit).unwrap_or(i64::MAX))
        .select((
            webhook_deliveries::event_id,
            webhook_deliveries::endpoint_id,
            webhook_deliveries::attempts,
            webhook_endpoints::url,
            webhook_endpoints::secret,
            webhook_endpoints::previous_secret,
            webhook_endpoints::previous_secret_until,
            webhook_events::body,
            webhook_events::created_at,
        ))
        .load(c)?;
    let mut due = Vec::with_capacity(rows.len());
    for (event_id, endpoint_id, attempts, url, secret, previous, until, body, created) in rows {
        diesel::update(webhook_deliveries::table.find((&event_id, &endpoint_id)))
            .set((
                webhook_deliveries::next_attempt_at.eq(Some(ms(lease_until))),
                webhook_deliveries::attempts.eq(attempts + 1),
            ))
            .execute(c)?;
        due.push(DueDelivery {
            // One file (one map): one partition.
            partition: String::new(),
            event_id,
            endpoint_id,
            url,
            secret: Secret::new(secret),
            previous: previous.zip(until).map(|(s, u)| (Secret::new(s), at(u))),
            body,
            at: at(created),
            attempt: u32::try_from(attempts + 1).unwrap_or(1),
        });
    }
    Ok(due)
}

fn record(c: &mut SqliteConnection, attempt: &Attempt) -> QueryResult<()> {
    let next = match attempt.outcome {
        Outcome::Retry { at } => Some(ms(at)),
        _ => None,
    };
    diesel::update(webhook_deliveries::table.find((&attempt.event_id, &attempt.endpoint_id)))
        .set((
            webhook_deliveries::status.eq(DeliveryStatus::after(&attempt.outcome).as_str()),
            webhook_deliveries::next_attempt_at.eq(next),
            webhook_deliveries::last_attempt_at.eq(Some(ms(attempt.at))),
            webhook_deliveries::last_status.eq(attempt.status_code().map(i32::from)),
            webhook_deliveries::last_error.eq(attempt.error()),
        ))
        .execute(c)?;
    if attempt.outcome == Outcome::Gone {
        diesel::update(webhook_endpoints::table.find(&attempt.endpoint_id))
            .set(webhook_endpoints::disabled_at.eq(Some(ms(attempt.at))))
            .execute(c)?;
        diesel::update(
            webhook_deliveries::table
                .filter(webhook_deliveries::endpoint_id.eq(&attempt.endpoint_id))
                .filter(webhook_deliveries::status.eq("pending")),
        )
        .set((
            webhook_deliveries::status.eq(DeliveryStatus::Cancelled.as_str()),
            webhook_deliveries::next_attempt_at.eq(None::<i64>),
        ))
        .execute(c)?;
    }
    Ok(())
}

impl WebhookStore for SqliteStore {
    async fn add_endpoint(&self, endpoint: Endpoint, secret: Secret) -> Result<(), StoreError> {
        let names: Vec<&str> = endpoint.events.iter().map(|e| e.as_str()).collect();
        let events = serde_json::to_string(&names).unwrap_or_else(|_| "[]".into());
        let key = tenant_key(&endpoint.tenant);
        self.write(move |c| {
            diesel::insert_into(webhook_endpoints::table)
                .values((
                    webhook_endpoints::id.eq(&endpoint.id),
                    webhook_endpoints::tenant_id.eq(&key),
                    webhook_endpoints::url.eq(&endpoint.url),
                    webhook_endpoints::events.eq(&events),
                    webhook_endpoints::description.eq(&endpoint.description),
                    webhook_endpoints::secret.eq(secret.expose()),
                    webhook_endpoints::created_at.eq(ms(endpoint.created_at)),
                ))
                .execute(c)
                .map(|_| ())
                .map_err(from_diesel)
        })
        .await
    }

    async fn endpoints(&self, tenant: &TenantId) -> Result<Vec<Endpoint>, StoreError> {
        let (key, tenant) = (tenant_key(tenant), *tenant);
        self.run(move |c| {
            let rows: Vec<EndpointRow> = webhook_endpoints::table
                .filter(webhook_endpoints::tenant_id.eq(&key))
                .order((webhook_endpoints::created_at, webhook_endpoints::id))
                .select((
                    webhook_endpoints::id,
                    webhook_endpoints::url,
                    webhook_endpoints::events,
                    webhook_endpoints::description,
                    webhook_endpoints::created_at,
                    webhook_endpoints::disabled_at,
                ))
                .load(c)
                .map_err(from_diesel)?;
            Ok(rows.into_iter().map(|r| endpoint(r, tenant)).collect())
        })
        .await
    }

    async fn remove_endpoint(&self, tenant: &TenantId, id: &str) -> Result<bool, StoreError> {
        let (key, id) = (tenant_key(tenant), id.to_owned());
        self.write(move |c| {
            diesel::delete(
                webhook_endpoints::table
                    .filter(webhook_endpoints::tenant_id.eq(&key))
                    .filter(webhook_endpoints::id.eq(&id)),
            )
            .execute(c)
            .map(|n| n > 0)
            .map_err(from_diesel)
        })
        .await
    }

    async fn rotate_secret(
        &self, tenant: &TenantId, id: &str, secret: Secret, previous_until: Timestamp,
    ) -> Result<bool, StoreError> {
        let (key, id) = (tenant_key(tenant), id.to_owned());
        self.write(move |c| {
            diesel::update(
                webhook_endpoints::table
                    .filter(webhook_endpoints::tenant_id.eq(&key))
                    .filter(webhook_endpoints::id.eq(&id)),
            )
            .set((
                webhook_endpoints::previous_secret.eq(webhook_endpoints::secret.nullable()),
                webhook_endpoints::previous_secret_until.eq(Some(ms(previous_until))),
                webhook_endpoints::secret.eq(secret.expose()),
            ))
            .execute(c)
            .map(|n| n > 0)
            .map_err(from_diesel)
        })
        .await
    }

    async fn deliveries(
        &self, tenant: &TenantId, id: &str, limit: usize,
    ) -> Result<Vec<DeliveryInfo>, StoreError> {
        let (key, id) = (tenant_key(tenant), id.to_owned());
        self.run(move |c| {
            let rows: Vec<DeliveryRow> = webhook_deliveries::table
                .inner_join(webhook_events::table)
                .inner_join(webhook_endpoints::table)
                .filter(webhook_endpoints::tenant_id.eq(&key))
                .filter(webhook_deliveries::endpoint_id.eq(&id))
                .order((
                    webhook_deliveries::created_at.desc(),
                    webhook_deliveries::event_id.desc(),
                ))
                .limit(i64::try_from(limit).unwrap_or(i64::MAX))
                .select((
                    webhook_deliveries::event_id,
                    webhook_events::event_type,
                    webhook_deliveries::status,
                    webhook_deliveries::attempts,
                    webhook_deliveries::next_attempt_at,
                    webhook_deliveries::last_attempt_at,
                    webhook_deliveries::last_status,
                    webhook_deliveries::last_error,
                    webhook_deliveries::created_at,
                ))
                .load(c)
                .map_err(from_diesel)?;
            rows.into_iter()
                .map(|r| delivery(r).map_err(from_diesel))
                .collect()
        })
        .await
    }

    async fn claim_due(
        &self, now: Timestamp, lease_until: Timestamp, limit: usize,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        self.write(move |c| {
            c.immediate_transaction(|c| claim(c, now, lease_until, limit))
                .map_err(from_diesel)
        })
        .await
    }

    async fn record_attempt(&self, attempt: Attempt) -> Result<(), StoreError> {
        self.write(move |c| {
            c.immediate_transaction(|c| record(c, &attempt))
                .map_err(from_diesel)
        })
        .await
    }
}
