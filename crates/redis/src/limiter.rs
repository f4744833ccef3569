//! The shared rate limiter on Redis.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, Script};
use stickycalls_domain::StoreError;
use stickycalls_domain::ratelimit::{Admission, LimitFuture, Quota, SharedLimiter};

/// Where Redis is and how long to wait for it.
#[derive(Clone)]
pub struct RedisSettings {
    /// `redis://host:port/db` (`rediss://` for TLS is not built in).
    pub url: String,
    /// Put before every key, so installs can share a Redis.
    pub prefix: String,
    /// The longest a request waits for Redis before its node limits it alone.
    pub timeout: Duration,
}

impl std::fmt::Debug for RedisSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry a password.
        f.debug_struct("RedisSettings")
            .field("url", &"<redacted>")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The rate limiter every node shares.
#[derive(Clone)]
pub struct RedisLimiter {
    connection: Arc<OnceLock<ConnectionManager>>,
    script: Arc<Script>,
    prefix: Arc<str>,
    timeout: Duration,
}

impl std::fmt::Debug for RedisLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLimiter")
            .field("connected", &self.connection.get().is_some())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(anyhow_error(format!("redis: {e}")))
}

fn anyhow_error(message: String) -> anyhow::Error {
    anyhow::Error::msg(message)
}

impl RedisLimiter {
    /// A limiter for `settings.url`: it tries to connect once (a node that starts
    /// beside a live Redis shares its limits from the first request), then keeps
    /// trying in the background; until connected `admit` answers an error at once. A
    /// malformed URL is refused here.
    pub async fn connect(settings: RedisSettings) -> Result<Self, StoreError> {
        let client = Client::open(settings.url.as_str()).map_err(|e| {
            StoreError::Unknown(anyhow_error(format!("STICKYCALLS_REDIS_URL: {e}")))
        })?;
        let limiter = Self {
            connection: Arc::new(OnceLock::new()),
            script: Arc::new(Script::new(include_str!("gcra.lua"))),
            prefix: settings.prefix.into(),
            timeout: settings.timeout,
        };
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(settings.timeout.max(Duration::from_millis(500))))
            .set_response_timeout(Some(settings.timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(2));
        let slot = limiter.connection.clone();
        let connect = move || {
            let (client, config) = (client.clone(), config.clone());
            async move { client.get_connection_manager_with_config(config).await }
        };
        match connect().await {
            Ok(manager) => {
                let _ = slot.set(manager);
                tracing::info!("rate limits shared through Redis");
            }
            Err(e) => {
                tracing::warn!("Redis not reachable, limiting in process meanwhile: {e}");
                tokio::spawn(async move {
                    let mut delay = Duration::from_millis(250);
                    loop {
                        tokio::time::sleep(delay).await;
                        if let Ok(manager) = connect().await {
                            let _ = slot.set(manager);
                            tracing::info!("rate limits shared through Redis");
                            return;
                        }
                        delay = (delay * 2).min(Duration::from_secs(5));
                    }
                });
            }
        }
        Ok(limiter)
    }

    /// Whether the first connection was made.
    pub fn connected(&self) -> bool {
        self.connection.get().is_some()
    }

    async fn run(&self, key: &str, quota: Quota) -> Result<Admission, StoreError> {
        let mut connection = self
            .connection
            .get()
            .cloned()
            .ok_or_else(|| unavailable("not connected"))?;
        let interval = micros(quota.interval());
        let mut invocation = self.script.prepare_invoke();
        invocation
            .key(format!("{}{key}", self.prefix))
            .arg(interval)
            .arg(quota.requests.get());
        let answer = tokio::time::timeout(
            self.timeout,
            invocation.invoke_async::<(u8, u64, u64)>(&mut connection),
        )
        .await
        .map_err(|_| unavailable("no answer in time"))?
        .map_err(unavailable)?;
        Ok(match answer {
            (1, remaining, reset) => Admission::Allowed {
                remaining: u32::try_from(remaining).unwrap_or(u32::MAX),
                reset: Duration::from_micros(reset),
            },
            (_, _, retry_after) => Admission::Refused {
                retry_after: Duration::from_micros(retry_after),
            },
        })
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
}

impl SharedLimiter for RedisLimiter {
    fn admit<'a>(&'a self, key: &'a str, quota: Quota) -> LimitFuture<'a> {
        Box::pin(self.run(key, quota))
    }
}
