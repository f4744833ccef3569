//! The real `stickycalls` binary: an account with credits through its CLI, then `serve`
//! on a free port, watched through `/proc` for its memory.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The account the load runs as.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: uuid::Uuid,
    pub test_key: String,
}

/// Runs the binary's CLI against `database_url` and returns what it printed.
async fn cli(binary: &Path, database_url: &str, args: &[&str]) -> anyhow::Result<Value> {
    let out = Command::new(binary)
        .args(args)
        .env("STICKYCALLS_DATABASE_URL", database_url)
        .output()
        .await
        .with_context(|| format!("cannot run {}", binary.display()))?;
    if !out.status.success() {
        bail!(
            "`stickycalls {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(serde_json::from_slice(&out.stdout)?)
}

/// Runs `stickycalls seal` on a generated data set (its variables are generated in
/// clear, as a version before encryption stored them): every value sealed under its
/// customer's key, as the server stores them, before anything is measured. Seconds.
pub async fn seal(binary: &Path, database_url: &str) -> anyhow::Result<f64> {
    let began = std::time::Instant::now();
    cli(binary, database_url, &["seal"]).await?;
    Ok(began.elapsed().as_secs_f64())
}

/// Creates the bench account and grants its test environment `credits` credits.
pub async fn create_account(
    binary: &Path, database_url: &str, credits: u64,
) -> anyhow::Result<Account> {
    let created = cli(
        binary,
        database_url,
        &["accounts", "create", "--name", "Bench"],
    )
    .await?;
    let id: uuid::Uuid = created["account_id"]
        .as_str()
        .context("accounts create printed no account_id")?
        .parse()?;
    let test_key = created["keys"]["test"]
        .as_str()
        .context("accounts create printed no test key")?
        .to_owned();
    let account = id.to_string();
    let amount = credits.to_string();
    cli(
        binary,
        database_url,
        &[
            "credits",
            "grant",
            "--account",
            &account,
            "--env",
            "test",
            "--amount",
            &amount,
        ],
    )
    .await?;
    Ok(Account { id, test_key })
}

/// Runs the server's housekeeping once (`stickycalls purge`) and says how many settled
/// days it rolled up; when it returns, every settled day of the month is kept.
pub async fn roll_up(binary: &Path, database_url: &str) -> anyhow::Result<u64> {
    let done = cli(binary, database_url, &["purge"]).await?;
    done["rolled_days"]
        .as_u64()
        .context("purge printed no rolled_days")
}

/// A running server process.
#[derive(Debug)]
pub struct Server {
    pub base: String,
    child: Child,
    pid: u32,
}

impl Server {
    /// Starts `serve` on a free port and waits until it listens.
    pub async fn start(binary: &Path, database_url: &str) -> anyhow::Result<Self> {
        Self::start_with(binary, database_url, &[]).await
    }

    /// The same, with more `STICKYCALLS_*` settings.
    pub async fn start_with(
        binary: &Path, database_url: &str, env: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let mut child = Command::new(binary)
            .arg("serve")
            .env("STICKYCALLS_DATABASE_URL", database_url)
            .env("STICKYCALLS_LISTEN", format!("127.0.0.1:{port}"))
            // The limiter still runs on every request (its cost is measured), with a
            // quota the load generator cannot reach from its one key.
            .env("STICKYCALLS_RATE_LIMITS", "free=1000000000/60")
            // The webhook phase's receiver is on 127.0.0.1.
            .env("STICKYCALLS_WEBHOOKS_ALLOW_PRIVATE", "true")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let pid = child.id().context("the server exited at once")?;
        let stdout = child.stdout.take().context("no stdout")?;
        // Its log: errors and warnings are shown (a failed request is then explained in
        // the bench's output), the rest drained so the server never blocks on it.
        let mut log = BufReader::new(child.stderr.take().context("no stderr")?).lines();
        tokio::spawn(async move {
            while let Ok(Some(line)) = log.next_line().await {
                if line.contains("ERROR") || line.contains("WARN") {
                    eprintln!("server: {line}");
                }
            }
        });
        let mut lines = BufReader::new(stdout).lines();
        let base = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await? {
                if let Some(url) = line.strip_prefix("listening on ") {
                    return Ok(url.trim().to_owned());
                }
            }
            bail!("the server stopped before listening")
        })
        .await
        .context("the server did not listen within 60 s")??;
        // Keep draining stdout so the server never blocks on it.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self { base, child, pid })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Peak resident memory of the process so far (`VmHWM`), in MiB.
    pub fn peak_rss_mb(&self) -> anyhow::Result<f64> {
        self.memory_mb("VmHWM:")
    }

    /// Resident memory of the process now (`VmRSS`), in MiB.
    pub fn rss_mb(&self) -> anyhow::Result<f64> {
        self.memory_mb("VmRSS:")
    }

    fn memory_mb(&self, field: &str) -> anyhow::Result<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))?;
        let kb: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .with_context(|| format!("no {field} in /proc status"))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()?;
        Ok(kb / 1024.0)
    }

    /// Statements the server has sent to its database so far (its
    /// `stickycalls_db_statements_total` metric, counted at the driver).
    pub async fn statements(&self) -> anyhow::Result<u64> {
        let text = reqwest::get(format!("{}/metrics", self.base))
            .await?
            .error_for_status()?
            .text()
            .await?;
        statements_in(&text).context("no stickycalls_db_statements_total in /metrics")
    }

    /// CPU time the process has used so far (user + system, all threads), in seconds:
    /// `/proc/<pid>/stat` fields 14 and 15, in clock ticks of 1/100 s (Linux's
    /// `USER_HZ`, fixed for userspace).
    pub fn cpu_seconds(&self) -> anyhow::Result<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid))?;
        // The command name (field 2) may hold spaces; fields are counted after it.
        let after_name = stat
            .rsplit_once(')')
            .context("no command name in /proc stat")?
            .1;
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        // After the name, field 3 (state) is index 0: utime (14) is 11, stime (15) 12.
        let ticks = |i: usize| -> anyhow::Result<f64> {
            Ok(fields.get(i).context("short /proc stat")?.parse::<u64>()? as f64)
        };
        Ok((ticks(11)? + ticks(12)?) / 100.0)
    }

    /// Stops the process.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.child.kill().await?;
        Ok(())
    }
}

/// `target/release/stickycalls` next to this harness's own executable.
pub fn release_binary() -> anyhow::Result<PathBuf> {
    let me = std::env::current_exe()?;
    let binary = me
        .parent()
        .context("the harness has no directory")?
        .join("stickycalls");
    if !binary.exists() {
        bail!(
            "{} is missing: build it with `cargo build --release --bin stickycalls`",
            binary.display()
        );
    }
    Ok(binary)
}

/// The value of `stickycalls_db_statements_total` in a metrics exposition.
fn statements_in(metrics: &str) -> Option<u64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("stickycalls_db_statements_total "))
        .and_then(|v| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::statements_in;

    #[test]
    fn reads_the_statement_counter() {
        let text = "# TYPE stickycalls_db_statements counter\n\
                    stickycalls_db_statements_total 12345\n\
                    stickycalls_db_pool_connections_open 4\n";
        assert_eq!(statements_in(text), Some(12345));
        assert_eq!(
            statements_in("stickycalls_db_pool_connections_open 4\n"),
            None
        );
    }
}
