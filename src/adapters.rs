//! The production wiring: which adapter fills each port.

use std::time::Duration;

use stickycalls_domain::Timestamp;
use stickycalls_domain::identity::CustomerRef;
use stickycalls_domain::ports::{Clock, IdGenerator};
use stickycalls_http_api::Backend;
use stickycalls_postgres::{PgLedger, PgStore};

/// The wall clock.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::new(time::OffsetDateTime::now_utc())
    }
}

/// `cust_` + 32 random hex digits.
#[derive(Debug, Clone, Copy)]
pub struct RandomIds;

impl IdGenerator for RandomIds {
    fn new_customer_ref(&self) -> CustomerRef {
        CustomerRef::from_trusted(format!("cust_{}", uuid::Uuid::new_v4().simple()))
    }
}

/// PostgreSQL storage and ledger, wall clock, random references.
#[derive(Debug)]
pub struct Production;

impl Backend for Production {
    type Store = PgStore;
    type Ledger = PgLedger;
    type Clock = SystemClock;
    type Ids = RandomIds;
}

/// How often expired variables and stale intents are deleted.
const PURGE_EVERY: Duration = Duration::from_secs(600);

/// Deletes what expired, in the background, for as long as the server runs.
pub fn spawn_purge(store: PgStore) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PURGE_EVERY);
        loop {
            tick.tick().await;
            match store.purge_expired(SystemClock.now()).await {
                Ok((variables, intents)) => {
                    tracing::info!(variables, intents, "purged expired data")
                }
                Err(e) => tracing::warn!("purge failed: {e:#}"),
            }
        }
    });
}
