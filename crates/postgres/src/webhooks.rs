//! `WebhookStore` for PostgreSQL: endpoints, their deliveries, and the workers' claims
//! (`FOR UPDATE SKIP LOCKED`, leased: N processes deliver each event once, and one that
//! dies mid-attempt leaves it to another once the lease ends).

use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text, Timestamptz};
use diesel_async::{AsyncConnection, RunQueryDsl};
use stickycalls_domain::ports::WebhookStore;
use stickycalls_domain::secret::Secret;
use stickycalls_domain::tenant::TenantId;
use stickycalls_domain::webhooks::{
    Attempt, DeliveryInfo, DeliveryStatus, DueDelivery, Endpoint, EventType, Outcome,
};
use stickycalls_domain::{StoreError, Timestamp};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::errors::from_diesel;
use crate::pool::PgStore;
use crate::schema::{webhook_deliveries, webhook_endpoints, webhook_events};
use crate::tenant_key::tenant_key;

#[derive(Queryable, Selectable)]
#[diesel(table_name = webhook_endpoints, check_for_backend(diesel::pg::Pg))]
struct EndpointRow {
    id: String,
    url: String,
    events: Vec<Option<String>>,
    description: String,
    created_at: OffsetDateTime,
    disabled_at: Option<OffsetDateTime>,
}

impl EndpointRow {
    fn into_domain(self, tenant: TenantId) -> Endpoint {
        Endpoint {
            id: self.id,
            tenant,
            url: self.url,
            events: self
                .events
                .iter()
                .flatten()
                .filter_map(|e| EventType::parse(e))
                .collect(),
            description: self.description,
            created_at: Timestamp::new(self.created_at),
            disabled_at: self.disabled_at.map(Timestamp::new),
        }
    }
}

#[derive(Queryable)]
struct DeliveryRow {
    event_id: String,
    event_type: String,
    status: String,
    attempts: i32,
    next_attempt_at: Option<OffsetDateTime>,
    last_attempt_at: Option<OffsetDateTime>,
    last_status: Option<i32>,
    last_error: Option<String>,
    created_at: OffsetDateTime,
}

fn corrupt(what: &str) -> StoreError {
    from_diesel(diesel::result::Error::DeserializationError(
        format!("webhook_deliveries: {what}").into(),
    ))
}

impl DeliveryRow {
    fn into_domain(self) -> Result<DeliveryInfo, StoreError> {
        let status =
            DeliveryStatus::parse(&self.status).ok_or_else(|| corrupt("unknown status"))?;
        Ok(DeliveryInfo {
            event_type: EventType::parse(&self.event_type)
                .ok_or_else(|| corrupt("unknown event type"))?,
            event_id: self.event_id,
            status,
            attempts: u32::try_from(self.attempts).unwrap_or(0),
            last_response_code: self.last_status.and_then(|s| u16::try_from(s).ok()),
            last_error: self.last_error,
            last_attempt_at: self.last_attempt_at.map(Timestamp::new),
            next_attempt_at: self
                .next_attempt_at
                .filter(|_| status == DeliveryStatus::Pending)
                .map(Timestamp::new),
            created_at: Timestamp::new(self.created_at),
        })
    }
}

/// A claimed delivery, as the claim returns it.
#[derive(QueryableByName)]
struct ClaimedRow {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    tenant_id: Uuid,
    #[diesel(sql_type = Text)]
    event_id: String,
    #[diesel(sql_type = Text)]
    endpoint_id: String,
    #[diesel(sql_type = Text)]
    url: String,
    #[diesel(sql_type = Text)]
    secret: String,
    #[diesel(sql_type = Nullable<Text>)]
    previous_secret: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    previous_secret_until: Option<OffsetDateTime>,
    #[diesel(sql_type = Text)]
    body: String,
    #[diesel(sql_type = Timestamptz)]
    created_at: OffsetDateTime,
    #[diesel(sql_type = Integer)]
    attempts: i32,
}

/// Leases the due deliveries no other worker holds, counting the attempt about to be
/// made (a worker that dies mid-attempt has made one).
const CLAIM: &str = "UPDATE webhook_deliveries d
   SET next_attempt_at = $2, attempts = d.attempts + 1
  FROM (SELECT dd.tenant_id, dd.event_id, dd.endpoint_id
          FROM webhook_deliveries dd
         WHERE dd.status = 'pending' AND dd.next_attempt_at <= $1
         ORDER BY dd.next_attempt_at
         LIMIT $3
           FOR UPDATE SKIP LOCKED) due,
       webhook_events ev, webhook_endpoints ep
 WHERE d.tenant_id = due.tenant_id AND d.event_id = due.event_id
   AND d.endpoint_id = due.endpoint_id
   AND ev.tenant_id = d.tenant_id AND ev.id = d.event_id
   AND ep.tenant_id = d.tenant_id AND ep.id = d.endpoint_id AND ep.disabled_at IS NULL
RETURNING d.tenant_id, d.event_id, d.endpoint_id, ep.url, ep.secret, ep.previous_secret,
          ep.previous_secret_until, ev.body, ev.created_at, d.attempts";

impl WebhookStore for PgStore {
    async fn add_endpoint(&self, endpoint: Endpoint, secret: Secret) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        let events: Vec<&str> = endpoint.events.iter().map(|e| e.as_str()).collect();
        diesel::insert_into(webhook_endpoints::table)
            .values((
                webhook_endpoints::id.eq(&endpoint.id),
                webhook_endpoints::tenant_id.eq(tenant_key(&endpoint.tenant)),
                webhook_endpoints::url.eq(&endpoint.url),
                webhook_endpoints::events.eq(events),
                webhook_endpoints::description.eq(&endpoint.description),
                webhook_endpoints::secret.eq(secret.expose()),
                webhook_endpoints::created_at.eq(endpoint.created_at.get()),
            ))
            .execute(&mut conn)
            .await
            .map_err(from_diesel)?;
        Ok(())
    }

    async fn endpoints(&self, tenant: &TenantId) -> Result<Vec<Endpoint>, StoreError> {
        let mut conn = self.conn().await?;
        let rows: Vec<EndpointRow> = webhook_endpoints::table
            .filter(webhook_endpoints::tenant_id.eq(tenant_key(tenant)))
            .order((webhook_endpoints::created_at, webhook_endpoints::id))
            .select(EndpointRow::as_select())
            .load(&mut conn)
            .await
            .map_err(from_diesel)?;
        Ok(rows.into_iter().map(|r| r.into_domain(*tenant)).collect())
    }

    async fn remove_endpoint(&self, tenant: &TenantId, id: &str) -> Result<bool, StoreError> {
        let mut conn = self.conn().await?;
        let deleted = diesel::delete(
            webhook_endpoints::table
                .filter(webhook_endpoints::tenant_id.eq(tenant_key(tenant)))
                .filter(webhook_endpoints::id.eq(id)),
        )
        .execute(&mut conn)
        .await
        .map_err(from_diesel)?;
        Ok(deleted > 0)
    }

    async fn rotate_secret(
        &self, tenant: &TenantId, id: &str, secret: Secret, previous_until: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn().await?;
        let updated = diesel::update(
            webhook_endpoints::table
                .filter(webhook_endpoints::tenant_id.eq(tenant_key(tenant)))
                .filter(webhook_endpoints::id.eq(id)),
        )
        .set((
            webhook_endpoints::previous_secret.eq(webhook_endpoints::secret.nullable()),
            webhook_endpoints::previous_secret_until.eq(Some(previous_until.get())),
            webhook_endpoints::secret.eq(secret.expose()),
        ))
        .execute(&mut conn)
        .await
        .map_err(from_diesel)?;
        Ok(updated > 0)
    }

    async fn deliveries(
        &self, tenant: &TenantId, id: &str, limit: usize,
    ) -> Result<Vec<DeliveryInfo>, StoreError> {
        let mut conn = self.conn().await?;
        let rows: Vec<DeliveryRow> = webhook_deliveries::table
            .inner_join(
                webhook_events::table.on(webhook_events::tenant_id
                    .eq(webhook_deliveries::tenant_id)
                    .and(webhook_events::id.eq(webhook_deliveries::event_id))),
            )
            .filter(webhook_deliveries::tenant_id.eq(tenant_key(tenant)))
            .filter(webhook_deliveries::endpoint_id.eq(id))
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
            .load(&mut conn)
            .await
            .map_err(from_diesel)?;
        rows.into_iter().map(DeliveryRow::into_domain).collect()
    }

    async fn claim_due(
        &self, now: Timestamp, lease_until: Timestamp, limit: usize,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        let mut conn = self.conn().await?;
        let rows: Vec<ClaimedRow> = diesel::sql_query(CLAIM)
            .bind::<Timestamptz, _>(now.get())
            .bind::<Timestamptz, _>(lease_until.get())
            .bind::<diesel::sql_types::BigInt, _>(i64::try_from(limit).unwrap_or(i64::MAX))
            .load(&mut conn)
            .await
            .map_err(from_diesel)?;
        Ok(rows
            .into_iter()
            .map(|r| DueDelivery {
                partition: r.tenant_id.to_string(),
                event_id: r.event_id,
                endpoint_id: r.endpoint_id,
                url: r.url,
                secret: Secret::new(r.secret),
                previous: r
                    .previous_secret
                    .zip(r.previous_secret_until)
                    .map(|(s, until)| (Secret::new(s), Timestamp::new(until))),
                body: r.body,
                at: Timestamp::new(r.created_at),
                attempt: u32::try_from(r.attempts).unwrap_or(1),
            })
            .collect())
    }

    async fn record_attempt(&self, attempt: Attempt) -> Result<(), StoreError> {
        let tenant = Uuid::parse_str(&attempt.partition).map_err(|e| {
            StoreError::Unknown(anyhow::anyhow!(
                "a delivery's partition is not a tenant key: {e}"
            ))
        })?;
        let mut conn = self.conn().await?;
        conn.transaction(async move |conn| -> QueryResult<()> {
            let next = match attempt.outcome {
                Outcome::Retry { at } => Some(at.get()),
                _ => None,
            };
            let status = DeliveryStatus::after(&attempt.outcome).as_str();
            diesel::update(webhook_deliveries::table.find((
                tenant,
                &attempt.event_id,
                &attempt.endpoint_id,
            )))
            .set((
                webhook_deliveries::status.eq(status),
                webhook_deliveries::next_attempt_at.eq(next),
                webhook_deliveries::last_attempt_at.eq(Some(attempt.at.get())),
                webhook_deliveries::last_status.eq(attempt.status_code().map(i32::from)),
                webhook_deliveries::last_error.eq(attempt.error()),
            ))
            .execute(conn)
            .await?;
            if attempt.outcome == Outcome::Gone {
                diesel::update(webhook_endpoints::table.find((tenant, &attempt.endpoint_id)))
                    .set(webhook_endpoints::disabled_at.eq(Some(attempt.at.get())))
                    .execute(conn)
                    .await?;
                diesel::update(
                    webhook_deliveries::table
                        .filter(webhook_deliveries::tenant_id.eq(tenant))
                        .filter(webhook_deliveries::endpoint_id.eq(&attempt.endpoint_id))
                        .filter(webhook_deliveries::status.eq("pending")),
                )
                .set((
                    webhook_deliveries::status.eq(DeliveryStatus::Cancelled.as_str()),
                    webhook_deliveries::next_attempt_at.eq(None::<OffsetDateTime>),
                ))
                .execute(conn)
                .await?;
            }
            Ok(())
        })
        .await
        .map_err(from_diesel)
    }
}
