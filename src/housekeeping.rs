//! The periodic housekeeping every node runs: the purge of what expired (variables,
//! intents, idempotent responses, console sessions) and the enforcement of each
//! tenant's retention (old calls, idle customers, settled webhook events). Both are
//! idempotent and delete in bounded statements, so nodes running them at once only
//! share the work.

use std::time::Duration;

use stickycalls_domain::accounts::AccountService;
use stickycalls_domain::ports::{AccountStore, Clock, CustomerStore, Purge, RetentionStore};
use stickycalls_domain::retention::RetentionService;

/// Runs both every `period`, logging what each deleted (counts only).
pub async fn every<S, L, C, I, M, R>(
    period: Duration, operator: AccountService<S, L, C, I, M>, retention: RetentionService<R, C>,
) where
    S: Purge,
    C: Clock,
    R: RetentionStore + AccountStore + CustomerStore,
{
    let mut tick = tokio::time::interval(period);
    loop {
        tick.tick().await;
        match operator.purge().await {
            Ok(purged) => tracing::info!(
                variables = purged.variables,
                intents = purged.intents,
                responses = purged.responses,
                sessions = purged.sessions,
                "purged expired data"
            ),
            Err(e) => tracing::warn!("purge failed: {e:#}"),
        }
        match retention.enforce().await {
            Ok(done) => tracing::info!(
                calls = done.calls,
                customers = done.customers,
                webhook_events = done.webhook_events,
                closed_rows = done.closed_rows,
                "retention enforced"
            ),
            Err(e) => tracing::warn!("retention enforcement stopped: {e:#}"),
        }
    }
}
