//! Load from oha (a maintained HTTP load generator): closed-loop saturation runs, and
//! constant-rate runs (`-q`) with `--latency-correction`, so latency counts from when
//! each request was due, not from when a stalled connection got round to sending it.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use tokio::process::Command;

/// One oha run.
#[derive(Debug, Clone)]
pub struct Run<'a> {
    pub url: String,
    pub key: &'a str,
    /// One JSON body per line.
    pub bodies: &'a Path,
    pub connections: u32,
    pub seconds: u32,
    /// Requests per second for a constant-rate run; `None` saturates.
    pub rate: Option<u32>,
}

/// What a run measured. Latencies in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Measured {
    pub rps: f64,
    pub requests: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    /// Responses by status code; anything but 200 is a failed run.
    pub statuses: BTreeMap<String, u64>,
    pub errors: BTreeMap<String, u64>,
}

impl Measured {
    /// Requests that did not answer 200.
    pub fn failures(&self) -> u64 {
        let not_ok: u64 = self
            .statuses
            .iter()
            .filter(|(status, _)| status.as_str() != "200")
            .map(|(_, n)| n)
            .sum();
        not_ok + self.errors.values().sum::<u64>()
    }
}

#[derive(Deserialize)]
struct OhaSummary {
    #[serde(rename = "requestsPerSec")]
    requests_per_sec: f64,
    slowest: Option<f64>,
}

#[derive(Deserialize)]
struct OhaOutput {
    summary: OhaSummary,
    #[serde(rename = "latencyPercentiles")]
    latency_percentiles: BTreeMap<String, Option<f64>>,
    #[serde(rename = "statusCodeDistribution")]
    status_code_distribution: BTreeMap<String, u64>,
    #[serde(rename = "errorDistribution")]
    error_distribution: BTreeMap<String, u64>,
}

fn percentile_ms(out: &OhaOutput, key: &str) -> anyhow::Result<f64> {
    let seconds = out
        .latency_percentiles
        .get(key)
        .copied()
        .flatten()
        .with_context(|| format!("oha reported no {key}"))?;
    Ok(seconds * 1000.0)
}

/// Runs oha and reads its JSON summary.
pub async fn run(oha: &Path, run: &Run<'_>) -> anyhow::Result<Measured> {
    let mut command = Command::new(oha);
    command
        .args(["--no-tui", "-w", "--output-format", "json", "-m", "POST"])
        .args(["-z", &format!("{}s", run.seconds)])
        .args(["-c", &run.connections.to_string()])
        .args(["-H", &format!("Authorization: Bearer {}", run.key)])
        .args(["-T", "application/json"])
        .arg("-Z")
        .arg(run.bodies);
    if let Some(rate) = run.rate {
        command.args(["-q", &rate.to_string(), "--latency-correction"]);
    }
    command.arg(&run.url);
    let out = command
        .output()
        .await
        .with_context(|| format!("cannot run {}", oha.display()))?;
    if !out.status.success() {
        bail!("oha failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let parsed: OhaOutput =
        serde_json::from_slice(&out.stdout).context("oha printed no JSON summary")?;
    let requests = parsed.status_code_distribution.values().sum::<u64>()
        + parsed.error_distribution.values().sum::<u64>();
    Ok(Measured {
        rps: parsed.summary.requests_per_sec,
        requests,
        p50_ms: percentile_ms(&parsed, "p50")?,
        p99_ms: percentile_ms(&parsed, "p99")?,
        p999_ms: percentile_ms(&parsed, "p99.9")?,
        max_ms: parsed.summary.slowest.unwrap_or(0.0) * 1000.0,
        statuses: parsed.status_code_distribution,
        errors: parsed.error_distribution,
    })
}
