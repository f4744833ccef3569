//! The ceiling: pgbench replaying, prepared and pipelined like the server sends them,
//! the statements of one returning caller's start (`sql/start.pgbench`), on the same
//! data, with as many clients as the server has pool connections.

use std::path::Path;

use anyhow::{Context, bail};
use tokio::process::Command;

const START_SCRIPT: &str = include_str!("../sql/start.pgbench");

/// Transactions (starts) per second pgbench sustained.
pub async fn start_tps(
    pgbench: &Path, url: &str, tenant: uuid::Uuid, customers: u64, clients: u32, seconds: u32,
    script_path: &Path,
) -> anyhow::Result<f64> {
    let script = START_SCRIPT
        .replace("{tenant}", &tenant.to_string())
        .replace("{customers}", &customers.to_string());
    std::fs::write(script_path, script)?;
    let out = Command::new(pgbench)
        .args(["-n", "-M", "prepared", "-j", "2"])
        .args(["-c", &clients.to_string(), "-T", &seconds.to_string()])
        .arg("-f")
        .arg(script_path)
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
