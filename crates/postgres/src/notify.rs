//! Broadcasting what other nodes must forget (the domain's `Invalidation`) with the
//! change itself: `pg_notify` inside the change's transaction, so PostgreSQL delivers
//! it to every listening node on commit and never for a change rolled back.

use diesel::QueryResult;
use diesel::sql_types::Text;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use stickycalls_domain::invalidation::{CHANNEL, Invalidation};

/// Queues `what` on the broadcast channel; sent when the caller's transaction commits.
pub(crate) async fn notify(conn: &mut AsyncPgConnection, what: &Invalidation) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_notify($1, $2)")
        .bind::<Text, _>(CHANNEL)
        .bind::<Text, _>(what.payload())
        .execute(conn)
        .await
        .map(|_| ())
}
