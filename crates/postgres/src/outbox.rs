//! The outbox: events written in the transaction of the change they report, with one
//! delivery row per enabled endpoint of the tenant that subscribed to their type. A
//! tenant without such an endpoint gets no row at all (one index probe per event).

use diesel::sql_types::{Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use stickycalls_domain::webhooks::Event;
use uuid::Uuid;

const WRITE: &str = "WITH event AS (
    INSERT INTO webhook_events (id, tenant_id, event_type, customer_ref, body, created_at)
    SELECT $1, $2, $3, $4, $5, $6
     WHERE EXISTS (SELECT 1 FROM webhook_endpoints
                    WHERE tenant_id = $2 AND disabled_at IS NULL AND $3 = ANY (events))
    ON CONFLICT (tenant_id, id) DO NOTHING
    RETURNING id
)
INSERT INTO webhook_deliveries (tenant_id, event_id, endpoint_id, status, attempts, next_attempt_at, created_at)
SELECT $2, event.id, e.id, 'pending', 0, $6, $6
  FROM event, webhook_endpoints e
 WHERE e.tenant_id = $2 AND e.disabled_at IS NULL AND $3 = ANY (e.events)";

/// Writes `events` (in the caller's transaction).
pub(crate) async fn write(
    mut conn: &AsyncPgConnection, tenant: Uuid, events: &[Event],
) -> diesel::QueryResult<()> {
    for event in events {
        diesel::sql_query(WRITE)
            .bind::<Text, _>(&event.id)
            .bind::<SqlUuid, _>(tenant)
            .bind::<Text, _>(event.kind.as_str())
            .bind::<Nullable<Text>, _>(event.customer.as_ref().map(|c| c.as_str()))
            .bind::<Text, _>(&event.body)
            .bind::<Timestamptz, _>(event.at.get())
            .execute(&mut conn)
            .await?;
    }
    Ok(())
}
