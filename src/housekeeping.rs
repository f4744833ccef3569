//! The periodic housekeeping every node runs: the purge of what expired (variables,
//! intents, idempotent responses, console sessions), the enforcement of each tenant's
//! retention (old calls, idle customers, settled webhook events) and the rolling up of
//! settled days for the console's reports. All are idempotent (deletes in bounded
//! statements, a day rolled once), so nodes running them at once only share the work. And once at start, the sealing of values stored in clear by a
//! version before encryption.

use std::time::Duration;

use stickycalls_domain::accounts::AccountService;
use stickycalls_domain::ports::{
    AccountStore, Clock, CustomerStore, IdentityStore, Purge, RetentionStore, RollupStore,
    UnsealedStore, UsageStore,
};
use stickycalls_domain::protection::SealingMigration;
use stickycalls_domain::retention::RetentionService;
use stickycalls_domain::usage::Rollups;

/// Seals what a version before encryption stored in clear, logging progress (account
/// ids and counts only); a run stopped by an error (the database gone) is tried again a
/// minute later, from where it stopped. Nodes running it at once only share the work:
/// each row is replaced by compare-and-set.
pub async fn seal_existing<S: UnsealedStore + AccountStore + Clone>(
    migration: SealingMigration<S>,
) {
    loop {
        let progress = |tenant: &stickycalls_domain::tenant::TenantId, sealed: usize| {
            tracing::info!(
                account = %tenant.account,
                environment = tenant.environment.as_str(),
                rows = sealed,
                "sealing values stored before encryption"
            );
        };
        match migration.run(progress).await {
            Ok(done) => {
                if done.calls_unreadable > 0 {
                    tracing::error!(
                        calls = done.calls_unreadable,
                        "calls' hints stored before encryption did not open (altered): left as they are"
                    );
                }
                if done.variables + done.calls + done.links > 0 {
                    tracing::info!(
                        variables = done.variables,
                        calls = done.calls,
                        links = done.links,
                        "every value stored before encryption is sealed"
                    );
                }
                return;
            }
            Err(e) => {
                tracing::warn!(
                    "sealing values stored before encryption stopped: {e:#}; again in 60 s"
                );
                tokio::time::sleep(Duration::from_secs(60)).await;
            }
        }
    }
}

/// Runs all three every `period` (the first time at once), logging what each did
/// (counts only).
pub async fn every<S, L, C, I, M, R>(
    period: Duration, operator: AccountService<S, L, C, I, M>, retention: RetentionService<R, C>,
    rollups: Rollups<R, C>,
) where
    S: Purge,
    C: Clock,
    R: RetentionStore + AccountStore + CustomerStore + RollupStore + UsageStore + IdentityStore,
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
        match rollups.roll_due().await {
            Ok(0) => {}
            Ok(days) => tracing::info!(days, "settled days rolled up"),
            Err(e) => tracing::warn!("rolling up settled days stopped: {e:#}; again next time"),
        }
    }
}
