//! What PostgreSQL's backends were doing during a phase: `pg_stat_activity` sampled
//! every 50 ms, counting the bench database's active backends and those among them
//! waiting for a lock (a row lock: the tenant's credit row, for a hot tenant).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use serde::Serialize;
use tokio::task::JoinHandle;
use tokio_postgres::NoTls;

/// Means over a phase's samples.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Activity {
    pub samples: u64,
    /// Backends running a statement (or waiting inside one).
    pub active: f64,
    /// Of those, backends waiting for a lock.
    pub waiting_on_locks: f64,
}

/// A running sampler.
#[derive(Debug)]
pub struct Sampler {
    stop: Arc<AtomicBool>,
    task: JoinHandle<anyhow::Result<Activity>>,
}

impl Sampler {
    /// Starts sampling the database at `url`.
    pub async fn start(url: &str) -> anyhow::Result<Self> {
        let (client, connection) = tokio_postgres::connect(url, NoTls)
            .await
            .context("the activity sampler cannot connect")?;
        tokio::spawn(connection);
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let task = tokio::spawn(async move {
            let query = client
                .prepare(
                    "SELECT count(*) FILTER (WHERE state = 'active'),
                            count(*) FILTER (WHERE state = 'active' AND wait_event_type = 'Lock')
                       FROM pg_stat_activity
                      WHERE datname = current_database() AND pid <> pg_backend_pid()",
                )
                .await?;
            let (mut samples, mut active, mut waiting) = (0u64, 0i64, 0i64);
            while !stopped.load(Ordering::Relaxed) {
                let row = client.query_one(&query, &[]).await?;
                active += row.get::<_, i64>(0);
                waiting += row.get::<_, i64>(1);
                samples += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let mean = |total: i64| total as f64 / samples.max(1) as f64;
            Ok(Activity {
                samples,
                active: mean(active),
                waiting_on_locks: mean(waiting),
            })
        });
        Ok(Self { stop, task })
    }

    /// Stops sampling and returns the means.
    pub async fn finish(self) -> anyhow::Result<Activity> {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await?
    }
}
