//! The database's own figures, with as many pgbench clients as the server has pool
//! connections, on the same data: the replay of one returning caller's start as the
//! server sends it (`sql/start.pgbench`, prepared and pipelined), the reference, the
//! same work as one hand-written statement (`sql/reference.pgbench`), and the second
//! reference, the same work as one hand-written read then one write
//! (`sql/reference2.pgbench`: the server's shape).

use std::path::Path;

use anyhow::{Context, bail};
use tokio::process::Command;

/// The pgbench scripts the harness runs.
#[derive(Debug, Clone, Copy)]
pub enum Script {
    /// The server's own statements for a returning caller, as it sends them.
    Replay,
    /// The fastest hand-written SQL doing a returning caller's whole start.
    Reference,
    /// The fastest hand-written read then write doing it (the server's shape).
    Reference2,
}

impl Script {
    fn text(self) -> &'static str {
        match self {
            Self::Replay => include_str!("../sql/start.pgbench"),
            Self::Reference => include_str!("../sql/reference.pgbench"),
            Self::Reference2 => include_str!("../sql/reference2.pgbench"),
        }
    }

    /// The file the substituted script is written to, for a person to rerun.
    pub fn file_name(self) -> &'static str {
        match self {
            Self::Replay => "start.pgbench",
            Self::Reference => "reference.pgbench",
            Self::Reference2 => "reference2.pgbench",
        }
    }
}

/// Where and how long pgbench runs.
#[derive(Debug, Clone, Copy)]
pub struct Run<'a> {
    pub url: &'a str,
    pub tenant: uuid::Uuid,
    pub customers: u64,
    pub clients: u32,
    pub seconds: u32,
    /// Where the substituted script is written (as `Script::file_name`).
    pub out: &'a Path,
}

/// Transactions (starts) per second pgbench sustained running `script`.
pub async fn start_tps(pgbench: &Path, script: Script, run: &Run<'_>) -> anyhow::Result<f64> {
    let (url, clients, seconds) = (run.url, run.clients, run.seconds);
    let script_path = run.out.join(script.file_name());
    let script = script
        .text()
        .replace("{tenant}", &run.tenant.to_string())
        .replace("{customers}", &run.customers.to_string());
    std::fs::write(&script_path, script)?;
    let out = Command::new(pgbench)
        .args(["-n", "-M", "prepared", "-j", "2"])
        .args(["-c", &clients.to_string(), "-T", &seconds.to_string()])
        .arg("-f")
        .arg(&script_path)
        .arg(url)
        .output()
        .await
        .with_context(|| format!("cannot run {}", pgbench.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "pgbench failed: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    parse_tps(&stdout).with_context(|| format!("no tps in pgbench's output: {stdout}"))
}

/// `tps = 1234.56 (without initial connection time)`.
fn parse_tps(output: &str) -> Option<f64> {
    output
        .lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::parse_tps;

    #[test]
    fn reads_pgbench_tps_line() {
        let out = "number of failed transactions: 0 (0.000%)\nlatency average = 2.1 ms\n\
                   initial connection time = 12.3 ms\ntps = 7421.123456 (without initial connection time)\n";
        assert_eq!(parse_tps(out), Some(7421.123456));
        assert_eq!(parse_tps("no figures"), None);
    }
}
