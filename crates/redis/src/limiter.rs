//! The shared rate limiter on Redis.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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

/// The rate limiter every node shares. Each thread that asks it (each HTTP worker) gets
/// its own connection, made on first use, so the connection's I/O task runs on the
/// thread that waits for its answers (as the PostgreSQL pools are per worker): no
/// wake-up crosses threads.
#[derive(Clone)]
pub struct RedisLimiter {
    id: u64,
    client: Client,
    config: ConnectionManagerConfig,
    connected: Arc<AtomicBool>,
    script: Arc<Script>,
    prefix: Arc<str>,
    timeout: Duration,
}

impl std::fmt::Debug for RedisLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLimiter")
            .field("connected", &self.connected())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// This thread's connection of each limiter (by id).
    static CONNECTIONS: RefCell<Vec<(u64, ConnectionManager)>> = const { RefCell::new(Vec::new()) };
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(anyhow::anyhow!("redis: {e}"))
}

impl RedisLimiter {
    /// A limiter for `settings.url`. It tries a connection once, to say at start-up
    /// whether Redis answers; a node starts either way (until Redis answers, `admit`
    /// fails at once and the node limits alone). A malformed URL is refused here.
    pub async fn connect(settings: RedisSettings) -> Result<Self, StoreError> {
        let client = Client::open(settings.url.as_str())
            .map_err(|e| StoreError::Unknown(anyhow::anyhow!("STICKYCALLS_REDIS_URL: {e}")))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(settings.timeout.max(Duration::from_millis(500))))
            .set_response_timeout(Some(settings.timeout))
            .set_number_of_retries(0)
            .set_max_delay(Duration::from_secs(2));
        let limiter = Self {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            client,
            config,
            connected: Arc::new(AtomicBool::new(false)),
            script: Arc::new(Script::new(include_str!("gcra.lua"))),
            prefix: settings.prefix.into(),
            timeout: settings.timeout,
        };
        match limiter.connection().await {
            Ok(_) => tracing::info!("rate limits shared through Redis"),
            Err(e) => tracing::warn!("Redis not reachable, limiting in process meanwhile: {e}"),
        }
        Ok(limiter)
    }

    /// Whether a connection to Redis was ever made.
    pub fn connected(&self) -> bool {
        self.connected.load(Ordering::Relaxed)
    }

    /// This thread's connection, made now if it has none (the driver reconnects it
    /// after a failure).
    async fn connection(&self) -> Result<ConnectionManager, StoreError> {
        let mine = CONNECTIONS.with_borrow(|all| {
            all.iter()
                .find(|(id, _)| *id == self.id)
                .map(|(_, c)| c.clone())
        });
        if let Some(connection) = mine {
            return Ok(connection);
        }
        let made = self
            .client
            .get_connection_manager_with_config(self.config.clone())
            .await
            .map_err(unavailable)?;
        self.connected.store(true, Ordering::Relaxed);
        Ok(CONNECTIONS.with_borrow_mut(|all| {
            match all.iter().find(|(id, _)| *id == self.id) {
                // Another request of this thread connected meanwhile: keep one.
                Some((_, first)) => first.clone(),
                None => {
                    all.push((self.id, made.clone()));
                    made
                }
            }
        }))
    }

    async fn run(&self, key: &str, quota: Quota) -> Result<Admission, StoreError> {
        let mut connection = self.connection().await?;
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
