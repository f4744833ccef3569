//! Configuration from `STICKYCALLS_*` environment variables; a bad or missing value is
//! named in a clear start-up error.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use stickycalls_postgres::PgSettings;

/// Everything the binary reads from its environment.
#[derive(Debug)]
pub struct Settings {
    /// `STICKYCALLS_DATABASE_URL` and pool sizing.
    pub database: PgSettings,
    /// `STICKYCALLS_LISTEN`, default `127.0.0.1:8080`.
    pub listen: SocketAddr,
    /// `STICKYCALLS_LOG_FORMAT=json` for JSON log lines.
    pub log_json: bool,
    /// `STICKYCALLS_BILLING=off` turns billing off (every start is free).
    pub billing_enabled: bool,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Settings {
    /// Reads and checks the environment.
    pub fn from_env() -> anyhow::Result<Self> {
        let url = var("STICKYCALLS_DATABASE_URL").context(
            "STICKYCALLS_DATABASE_URL is not set (e.g. STICKYCALLS_DATABASE_URL=postgres://user@localhost:5432/stickycalls)",
        )?;
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            bail!("STICKYCALLS_DATABASE_URL must be a postgres:// URL");
        }
        let mut database = PgSettings::new(url);
        if let Some(size) = var("STICKYCALLS_DATABASE_POOL_SIZE") {
            database.max_connections = size
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .context("STICKYCALLS_DATABASE_POOL_SIZE must be a positive whole number")?;
        }
        if let Some(ms) = var("STICKYCALLS_DATABASE_TIMEOUT_MS") {
            database.wait_timeout = Duration::from_millis(ms.parse().context(
                "STICKYCALLS_DATABASE_TIMEOUT_MS must be a whole number of milliseconds",
            )?);
        }
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
        let billing_enabled = match var("STICKYCALLS_BILLING").as_deref() {
            None | Some("on") => true,
            Some("off") => false,
            Some(other) => bail!("STICKYCALLS_BILLING `{other}` must be `on` or `off`"),
        };
        Ok(Self {
            database,
            listen,
            log_json,
            billing_enabled,
        })
    }
}
