//! Configuration from `STICKYCALLS_*` environment variables; a bad or missing value is
//! named in a clear start-up error.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use stickycalls_billing::Catalog;
use stickycalls_domain::console::SessionPolicy;
use stickycalls_domain::credits::BillingPolicy;
use stickycalls_inbound::{ApiOptions, RateLimitSettings, TrustedProxies};
use stickycalls_postgres::PgSettings;
use stickycalls_redis::RedisSettings;
use stickycalls_sqlite::SqliteSettings;
use stickycalls_webhooks::DeliverySettings;

/// Where the data lives when `STICKYCALLS_DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://./data/stickycalls.db";

/// Which store, picked by the URL's scheme.
#[derive(Debug)]
pub enum Database {
    /// `postgres://...`
    Postgres(PgSettings),
    /// `sqlite://PATH`
    Sqlite(SqliteSettings),
    /// `memory://`: in the process only, nothing survives a restart.
    Memory,
}

/// Everything the binary reads from its environment.
#[derive(Debug)]
pub struct Settings {
    /// `STICKYCALLS_DATABASE_URL` (default a SQLite file under `./data/`) and pool sizing.
    pub database: Database,
    /// `STICKYCALLS_LISTEN`, default `127.0.0.1:8080`.
    pub listen: SocketAddr,
    /// `STICKYCALLS_LOG_FORMAT=json` for JSON log lines.
    pub log_json: bool,
    /// `STICKYCALLS_ACCESS_LOG=on` for a log line per request and per call started or
    /// ended (default `off`).
    pub access_log: bool,
    /// `STICKYCALLS_BILLING=off` turns billing off (every start is free).
    pub billing_enabled: bool,
    /// `STICKYCALLS_HTTP_WORKERS`: HTTP worker threads (default: one per core).
    pub http_workers: Option<usize>,
    /// `STICKYCALLS_PUBLIC_SIGNUP` (`true`/`false`, default `true`),
    /// `STICKYCALLS_RATE_LIMITS` (`plan=REQUESTS/SECONDS,...`, over the defaults) and
    /// `STICKYCALLS_KEY_CACHE_SECONDS` (1 to 300, default 60),
    /// `STICKYCALLS_SETTINGS_CACHE_SECONDS` (1 to 300, default 60: how long a tenant's
    /// identity settings are kept before they are read again) and
    /// `STICKYCALLS_CLIENT_TIMEOUT_SECONDS` (1 to 300, default 10: the time a client has
    /// to send a request's headers, and then its body),
    /// `STICKYCALLS_TRUSTED_PROXIES` (addresses or networks whose `X-Forwarded-For` names
    /// the client; none by default),
    /// `STICKYCALLS_CONSOLE_IDLE_SECONDS` (default 1800) and
    /// `STICKYCALLS_CONSOLE_LIFETIME_SECONDS` (default 43200): when a web console
    /// session ends unused, and at the latest.
    pub api: ApiOptions,
    /// `STICKYCALLS_MAX_CONNECTIONS`: open connections per process (default 10,000);
    /// past it, new ones wait in the listen backlog.
    pub max_connections: usize,
    /// `STICKYCALLS_SHUTDOWN_SECONDS` (1 to 300, default 10): how long a stopping
    /// server lets in-flight requests finish.
    pub shutdown_timeout: Duration,
    /// `STICKYCALLS_DATABASE_WAIT_SECONDS`: how long a starting server waits for its
    /// database before it exits (default: it waits as long as it takes).
    pub database_wait: Option<Duration>,
    /// `STICKYCALLS_LOG_KEY`: the key of the digests that stand for customer refs in log
    /// lines (set the same on every node to follow a customer across them); unset, a
    /// random one per process.
    pub log_key: Vec<u8>,
    /// Webhook delivery (see [`webhook_settings`]).
    pub webhooks: DeliverySettings,
    /// `STICKYCALLS_REDIS_URL` (unset: rate limits per process),
    /// `STICKYCALLS_REDIS_PREFIX` (default `stickycalls:`) and
    /// `STICKYCALLS_REDIS_TIMEOUT_MS` (1 to 5,000, default 100): the rate limit every
    /// node shares, and the longest a request waits for it.
    pub redis: Option<RedisSettings>,
    /// `STICKYCALLS_MASTER_KEY` or `STICKYCALLS_MASTER_KEY_FILE`, and
    /// `STICKYCALLS_KEYRING_URL` (see [`crate::vault::VaultSettings`]).
    pub vault: crate::vault::VaultSettings,
}

/// A whole number of seconds from `name` within `range`, else `default`.
fn seconds(
    name: &str, range: std::ops::RangeInclusive<u64>, default: Duration,
) -> anyhow::Result<Duration> {
    whole(name, range, default, ("seconds", Duration::from_secs))
}

/// A whole number of milliseconds from `name` within `range`, else `default`.
fn millis(
    name: &str, range: std::ops::RangeInclusive<u64>, default: Duration,
) -> anyhow::Result<Duration> {
    whole(
        name,
        range,
        default,
        ("milliseconds", Duration::from_millis),
    )
}

/// A whole number of `unit`s from `name` within `range`, else `default`.
fn whole(
    name: &str, range: std::ops::RangeInclusive<u64>, default: Duration,
    (unit, of): (&str, fn(u64) -> Duration),
) -> anyhow::Result<Duration> {
    match var(name) {
        None => Ok(default),
        Some(text) => text
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| range.contains(n))
            .map(of)
            .with_context(|| {
                format!(
                    "{name} must be a whole number of {unit} from {} to {}",
                    range.start(),
                    range.end()
                )
            }),
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn database(url: &str) -> anyhow::Result<Database> {
    let pool_size = var("STICKYCALLS_DATABASE_POOL_SIZE")
        .map(|size| {
            size.parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .context("STICKYCALLS_DATABASE_POOL_SIZE must be a positive whole number")
        })
        .transpose()?;
    let timeout = var("STICKYCALLS_DATABASE_TIMEOUT_MS")
        .map(|ms| {
            ms.parse::<u64>()
                .map(Duration::from_millis)
                .context("STICKYCALLS_DATABASE_TIMEOUT_MS must be a whole number of milliseconds")
        })
        .transpose()?;
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let mut s = PgSettings::new(url);
        s.max_connections = pool_size.unwrap_or(s.max_connections);
        s.wait_timeout = timeout.unwrap_or(s.wait_timeout);
        Ok(Database::Postgres(s))
    } else if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        if path.is_empty() {
            bail!(
                "STICKYCALLS_DATABASE_URL `{url}` names no file (e.g. sqlite://./data/stickycalls.db)"
            );
        }
        let mut s = SqliteSettings::new(path);
        s.max_connections = pool_size.unwrap_or(s.max_connections);
        s.wait_timeout = timeout.unwrap_or(s.wait_timeout);
        Ok(Database::Sqlite(s))
    } else if url == "memory://" || url == "memory:" {
        Ok(Database::Memory)
    } else {
        bail!(
            "STICKYCALLS_DATABASE_URL must start with sqlite:// or postgres:// (or be memory:// for a store that keeps nothing)"
        );
    }
}

impl Settings {
    /// Reads and checks the environment.
    pub fn from_env() -> anyhow::Result<Self> {
        let url =
            var("STICKYCALLS_DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        let database = database(&url)?;
        let listen = match var("STICKYCALLS_LISTEN") {
            Some(text) => text.parse().with_context(|| {
                format!("STICKYCALLS_LISTEN `{text}` is not an address like 127.0.0.1:8080")
            })?,
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
        };
        let log_json = match var("STICKYCALLS_LOG_FORMAT").as_deref() {
            None | Some("text") => false,
            Some("json") => true,
            Some(other) => bail!("STICKYCALLS_LOG_FORMAT `{other}` must be `text` or `json`"),
        };
        let access_log = match var("STICKYCALLS_ACCESS_LOG").as_deref() {
            None | Some("off") => false,
            Some("on") => true,
            Some(other) => bail!("STICKYCALLS_ACCESS_LOG `{other}` must be `on` or `off`"),
        };
        let billing_enabled = match var("STICKYCALLS_BILLING").as_deref() {
            None | Some("on") => true,
            Some("off") => false,
            Some(other) => bail!("STICKYCALLS_BILLING `{other}` must be `on` or `off`"),
        };
        let http_workers = match var("STICKYCALLS_HTTP_WORKERS") {
            None => None,
            Some(text) => Some(
                text.trim()
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n > 0)
                    .context("STICKYCALLS_HTTP_WORKERS must be a positive whole number")?,
            ),
        };
        let webhooks = webhook_settings()?;
        let redis = redis_settings()?;
        let vault = crate::vault::VaultSettings::from_env(var)?;
        let public_signup = match var("STICKYCALLS_PUBLIC_SIGNUP").as_deref() {
            None | Some("true") => true,
            Some("false") => false,
            Some(other) => bail!("STICKYCALLS_PUBLIC_SIGNUP `{other}` must be `true` or `false`"),
        };
        // Each plan's quota is the billing catalog's; the operator may override any.
        let catalog = Catalog::new(billing_enabled);
        let plans =
            RateLimitSettings::for_plans(catalog.request_quotas(), &catalog.opening_plan().plan);
        let rate_limits = match var("STICKYCALLS_RATE_LIMITS") {
            None => plans,
            Some(text) => plans
                .with_overrides(&text)
                .map_err(|e| anyhow::anyhow!("STICKYCALLS_RATE_LIMITS: {e}"))?,
        };
        let verified_key_ttl = seconds(
            "STICKYCALLS_KEY_CACHE_SECONDS",
            1..=300,
            stickycalls_inbound::VERIFIED_KEY_TTL,
        )?;
        let settings_ttl = seconds(
            "STICKYCALLS_SETTINGS_CACHE_SECONDS",
            1..=300,
            stickycalls_inbound::SETTINGS_TTL,
        )?;
        let client_timeout = seconds(
            "STICKYCALLS_CLIENT_TIMEOUT_SECONDS",
            1..=300,
            stickycalls_inbound::CLIENT_TIMEOUT,
        )?;
        let trusted_proxies = match var("STICKYCALLS_TRUSTED_PROXIES") {
            None => TrustedProxies::default(),
            Some(text) => TrustedProxies::parse(&text)
                .map_err(|e| anyhow::anyhow!("STICKYCALLS_TRUSTED_PROXIES: {e}"))?,
        };
        let console_idle = seconds(
            "STICKYCALLS_CONSOLE_IDLE_SECONDS",
            1..=86_400,
            Duration::from_secs(30 * 60),
        )?;
        let console_lifetime = seconds(
            "STICKYCALLS_CONSOLE_LIFETIME_SECONDS",
            1..=7 * 86_400,
            Duration::from_secs(12 * 3600),
        )?;
        let console_sessions = SessionPolicy::new(
            time::Duration::try_from(console_idle).context("console idle time")?,
            time::Duration::try_from(console_lifetime).context("console lifetime")?,
        );
        let shutdown_timeout = seconds(
            "STICKYCALLS_SHUTDOWN_SECONDS",
            1..=300,
            Duration::from_secs(10),
        )?;
        let database_wait = match var("STICKYCALLS_DATABASE_WAIT_SECONDS") {
            None => None,
            Some(_) => Some(seconds(
                "STICKYCALLS_DATABASE_WAIT_SECONDS",
                0..=86_400,
                Duration::ZERO,
            )?),
        };
        let max_connections = match var("STICKYCALLS_MAX_CONNECTIONS") {
            None => 10_000,
            Some(text) => text
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .context("STICKYCALLS_MAX_CONNECTIONS must be a positive whole number")?,
        };
        Ok(Self {
            database,
            listen,
            log_json,
            access_log,
            billing_enabled,
            http_workers,
            max_connections,
            shutdown_timeout,
            database_wait,
            log_key: var("STICKYCALLS_LOG_KEY").map_or_else(
                || uuid::Uuid::new_v4().as_bytes().to_vec(),
                String::into_bytes,
            ),
            api: ApiOptions {
                public_signup,
                rate_limits,
                verified_key_ttl,
                settings_ttl,
                client_timeout,
                trusted_proxies,
                console_sessions,
                webhooks_allow_private: webhooks.allow_private,
            },
            webhooks,
            redis,
            vault,
        })
    }
}

/// See [`Settings::redis`].
fn redis_settings() -> anyhow::Result<Option<RedisSettings>> {
    let Some(url) = var("STICKYCALLS_REDIS_URL") else {
        return Ok(None);
    };
    let timeout = millis(
        "STICKYCALLS_REDIS_TIMEOUT_MS",
        1..=5_000,
        Duration::from_millis(100),
    )?;
    Ok(Some(RedisSettings {
        url,
        prefix: var("STICKYCALLS_REDIS_PREFIX").unwrap_or_else(|| "stickycalls:".to_owned()),
        timeout,
    }))
}

/// `STICKYCALLS_WEBHOOK_RETRY_SECONDS` (default `5,300,1800,7200,18000,36000,50400,72000,86400`),
/// `STICKYCALLS_WEBHOOK_TIMEOUT_SECONDS` (1 to 60, default 10),
/// `STICKYCALLS_WEBHOOK_POLL_MS` (10 to 60,000, default 1,000),
/// `STICKYCALLS_WEBHOOKS_ALLOW_PRIVATE` (`true`/`false`, default `false`).
fn webhook_settings() -> anyhow::Result<DeliverySettings> {
    let defaults = DeliverySettings::default();
    let schedule = match var("STICKYCALLS_WEBHOOK_RETRY_SECONDS") {
        None => defaults.schedule,
        Some(text) => text
            .parse()
            .map_err(|e| anyhow::anyhow!("STICKYCALLS_WEBHOOK_RETRY_SECONDS: {e}"))?,
    };
    let allow_private = match var("STICKYCALLS_WEBHOOKS_ALLOW_PRIVATE").as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            bail!("STICKYCALLS_WEBHOOKS_ALLOW_PRIVATE `{other}` must be `true` or `false`")
        }
    };
    let poll = millis("STICKYCALLS_WEBHOOK_POLL_MS", 10..=60_000, defaults.poll)?;
    Ok(DeliverySettings {
        schedule,
        timeout: seconds(
            "STICKYCALLS_WEBHOOK_TIMEOUT_SECONDS",
            1..=60,
            defaults.timeout,
        )?,
        allow_private,
        poll,
        ..defaults
    })
}
