//! `target/bench/report.json` and `report.md`: the headline figures, the budget
//! (issue 22's targets, the console's of issue 21) checked against them, and
//! everything measured per data set size and on SQLite.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::dataset::DataSet;
use crate::load::Measured;
use crate::locks::Activity;
use crate::sqlite::SqliteReport;

/// Everything measured on one data set.
#[derive(Debug, Clone, Serialize)]
pub struct SizeReport {
    pub dataset: DataSet,
    /// Returning callers (number + CRM id), closed loop: the saturation throughput.
    pub returning_saturation: Measured,
    /// Calls the returning phase stored (a body drawn twice is a replay, stored once).
    pub returning_stored: u64,
    /// Returning callers at a constant rate.
    pub returning_at_rate: Measured,
    /// The realistic mix (see `traffic::Traffic::Mixed`), closed loop.
    pub mixed_saturation: Measured,
    /// The realistic mix at a constant rate.
    pub mixed_at_rate: Measured,
    /// Ends with variables and an intent, at a constant rate.
    pub ends_at_rate: Measured,
    /// New callers only (all billed) of the one tenant, closed loop.
    pub hot_tenant: Measured,
    /// PostgreSQL's backends during the hot tenant's phase.
    pub hot_activity: Activity,
    /// Server CPU (user + system) over the saturated returning phase, per start, µs.
    pub cpu_us_per_start: f64,
    /// Statements the server sent to PostgreSQL per request, by phase.
    pub statements: Statements,
    /// Returning starts with a webhook endpoint subscribed to every event.
    pub webhooks: WebhooksOn,
    /// Returning starts with the rate limit shared through Redis.
    pub redis: RedisOn,
    /// pgbench, the same start's statements.
    pub pgbench_tps: f64,
    /// The server against the two hand-written references, in paired rounds.
    pub paired: Paired,
    /// Peak resident memory of the server over all the phases.
    pub rss_mb: f64,
    /// Resident memory of the server just after the saturated returning phase.
    pub steady_rss_mb: f64,
    /// The web console's pages, one request at a time.
    pub console: Vec<crate::console::PageTiming>,
    /// Calls started in the console's 30-day window when its pages were read.
    pub console_window_calls: u64,
    /// Settled days rolled up before (this run's purge; 0 when the server's housekeeping
    /// had rolled them all already).
    pub rolled_days: u64,
}

/// Statements sent to the database per request (`stickycalls_db_statements_total`
/// over the phase's requests): returning starts (`ret`), new billed starts (`hot`),
/// ends (`end`).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Statements {
    pub returning: f64,
    pub new_billable: f64,
    pub end: f64,
}

/// Returning starts saturated with webhooks on (`on`), then off again (`off`).
#[derive(Debug, Clone, Serialize)]
pub struct WebhooksOn {
    pub on: Measured,
    pub off: Measured,
    pub cpu_us_on: f64,
    pub cpu_us_off: f64,
    /// Deliveries the receiver got meanwhile (returning starts report no event).
    pub received: u64,
}

impl WebhooksOn {
    /// Starts/s with webhooks on over the mean of the runs without (`ret`, `retoff`).
    pub fn ratio(&self, baseline_rps: f64) -> f64 {
        self.on.rps / ((baseline_rps + self.off.rps) / 2.0)
    }
}

/// Returning starts saturated on a second server whose rate limits go through Redis
/// (`on`), then on the first (in-process limits) again (`off`).
#[derive(Debug, Clone, Serialize)]
pub struct RedisOn {
    pub on: Measured,
    pub off: Measured,
    pub cpu_us_on: f64,
    pub cpu_us_off: f64,
}

impl RedisOn {
    /// Starts/s with Redis over the mean of the runs without (`ret`, `retnoredis`).
    pub fn ratio(&self, baseline_rps: f64) -> f64 {
        self.on.rps / ((baseline_rps + self.off.rps) / 2.0)
    }
}

/// One budget line.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub what: String,
    pub target: String,
    pub measured: String,
    pub pass: bool,
}

/// One round of the encryption pair: returning starts saturated on each server in turn.
#[derive(Debug, Clone, Serialize)]
pub struct EncryptionRound {
    pub on_rps: f64,
    pub off_rps: f64,
    pub cpu_us_on: f64,
    pub cpu_us_off: f64,
}

/// Returning starts with encryption on (sealed, indexed data) and off (data in clear),
/// in paired rounds.
#[derive(Debug, Clone, Serialize)]
pub struct EncryptionPair {
    pub customers: u64,
    pub rounds: Vec<EncryptionRound>,
    /// Medians over the rounds.
    pub on_rps: f64,
    pub off_rps: f64,
    pub cpu_us_on: f64,
    pub cpu_us_off: f64,
    /// The median of each round's on / off.
    pub ratio: f64,
}

/// One paired round, back to back on the same data: returning starts saturated on the
/// server, pgbench on the hand-written reference (`sql/reference.pgbench`) and on the
/// hand-written read then write (`sql/reference2.pgbench`).
#[derive(Debug, Clone, Serialize)]
pub struct PairedRound {
    pub server_rps: f64,
    pub reference_tps: f64,
    pub reference2_tps: f64,
}

/// The server and the references in rounds (each round's order turned by one), so
/// that this machine's drift moves all three alike: medians, and each ratio as the
/// median of the rounds' own ratios.
#[derive(Debug, Clone, Serialize)]
pub struct Paired {
    pub rounds: Vec<PairedRound>,
    pub server_rps: f64,
    pub reference_tps: f64,
    pub reference2_tps: f64,
    pub ratio_to_reference: f64,
    pub ratio_to_reference2: f64,
}

impl Paired {
    pub fn new(rounds: Vec<PairedRound>) -> Self {
        let of = |f: fn(&PairedRound) -> f64| median(rounds.iter().map(f).collect());
        Self {
            server_rps: of(|r| r.server_rps),
            reference_tps: of(|r| r.reference_tps),
            reference2_tps: of(|r| r.reference2_tps),
            ratio_to_reference: of(|r| r.server_rps / r.reference_tps),
            ratio_to_reference2: of(|r| r.server_rps / r.reference2_tps),
            rounds,
        }
    }
}

/// Each round's figure and the median: `812, 845, 790 (812)`.
fn rounds(paired: &Paired, f: fn(&PairedRound) -> f64) -> String {
    let each: Vec<String> = paired
        .rounds
        .iter()
        .map(|r| format!("{:.0}", f(r)))
        .collect();
    let all: Vec<f64> = paired.rounds.iter().map(f).collect();
    format!("{} ({:.0})", each.join(", "), median(all))
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => 0.0,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

impl EncryptionPair {
    pub fn new(customers: u64, rounds: Vec<EncryptionRound>) -> Self {
        let of = |f: fn(&EncryptionRound) -> f64| median(rounds.iter().map(f).collect());
        Self {
            customers,
            on_rps: of(|r| r.on_rps),
            off_rps: of(|r| r.off_rps),
            cpu_us_on: of(|r| r.cpu_us_on),
            cpu_us_off: of(|r| r.cpu_us_off),
            ratio: of(|r| r.on_rps / r.off_rps),
            rounds,
        }
    }
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub customers: u64,
    /// Returning starts/s, saturated, on the large data set.
    pub start_rps: f64,
    /// pgbench replaying the server's own statements.
    pub pgbench_tps: f64,
    /// `start_rps` over `pgbench_tps`.
    pub ratio: f64,
    /// pgbench running the hand-written reference: the honest ceiling (median of the
    /// paired rounds).
    pub reference_tps: f64,
    /// The server's returning starts/s over `reference_tps`, median of the paired
    /// rounds' ratios.
    pub ratio_to_reference: f64,
    /// pgbench running the hand-written read then write: the ceiling of the server's
    /// shape (median of the paired rounds).
    pub reference2_tps: f64,
    /// The server's returning starts/s over `reference2_tps`, median of the paired
    /// rounds' ratios: the headline.
    pub ratio_to_reference2: f64,
    /// p99 of returning callers at the constant rate (ms).
    pub ret_p99_ms: f64,
    /// Server CPU per returning start, saturated (µs).
    pub cpu_us_per_start: f64,
    /// Statements sent to PostgreSQL per returning start, new billed start and end.
    pub statements_per_start: Statements,
    /// Returning p50 at the constant rate, large over small data set.
    pub p50_ratio_large_small: f64,
    /// The hot tenant's (all new, all billed) starts/s over returning starts/s.
    pub hot_tenant_ratio: f64,
    /// Returning starts/s, saturated, on SQLite.
    pub sqlite_start_rps: f64,
    /// Returning starts/s with webhooks on over without (issue 23: at least 0.95).
    pub webhooks_ratio: f64,
    /// Returning starts/s with the rate limit in Redis over in process (issue 24: at
    /// least 0.9).
    pub redis_ratio: f64,
    /// Returning starts/s with encryption on over off, median of paired rounds (issue
    /// 38: at least 0.95).
    pub encryption_ratio: f64,
    /// The constant rate the latency figures were taken at.
    pub rate: u32,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    /// Peak resident memory of the server (MiB), the larger data set's run or the
    /// smaller's.
    pub rss_mb: f64,
    /// Resident memory just after saturated returning starts (MiB), the larger of the
    /// two runs.
    pub steady_rss_mb: f64,
    pub small_customers: u64,
    pub small_p50_ms: f64,
    /// p50 of returning callers at the constant rate, `customers` over `small_customers`
    /// (returning callers: the mix may be past saturation at that rate on a small
    /// machine, and then its latency measures the queue, not the data).
    pub p50_growth: f64,
    pub budget: Vec<Check>,
    pub setup: Setup,
    pub large: SizeReport,
    pub small: SizeReport,
    pub sqlite: SqliteReport,
    pub encryption: EncryptionPair,
}

/// How the run was made.
#[derive(Debug, Clone, Serialize)]
pub struct Setup {
    pub cores: usize,
    pub postgres: String,
    pub seconds_per_phase: u32,
    pub oha_connections: u32,
    pub pgbench_clients: u32,
    pub server_pool: u32,
    pub smoke: bool,
}

impl Report {
    pub fn new(
        large: SizeReport, small: SizeReport, sqlite: SqliteReport, encryption: EncryptionPair,
        rate: u32, setup: Setup,
    ) -> Self {
        let start_rps = large.returning_saturation.rps;
        let ratio = start_rps / large.pgbench_tps;
        let ratio_to_reference = large.paired.ratio_to_reference;
        let ratio_to_reference2 = large.paired.ratio_to_reference2;
        let rss_mb = large.rss_mb.max(small.rss_mb);
        let steady_rss_mb = large.steady_rss_mb.max(small.steady_rss_mb);
        let statements = large.statements;
        let p50_growth = large.returning_at_rate.p50_ms / small.returning_at_rate.p50_ms;
        let hot_tenant_ratio = large.hot_tenant.rps / start_rps;
        let sqlite_start_rps = sqlite.returning_saturation.rps;
        let webhooks_ratio = large.webhooks.ratio(start_rps);
        let redis_ratio = large.redis.ratio(start_rps);
        let at = &large.mixed_at_rate;
        let ret_p99_ms = large.returning_at_rate.p99_ms;
        let slowest = |read: fn(&crate::console::PageTiming) -> f64| {
            large.console.iter().map(read).fold(0.0, f64::max)
        };
        let budget = vec![
            at_least(
                "returning starts/s over the hand-written read then write (paired rounds)",
                ratio_to_reference2,
                0.9,
            ),
            at_least(
                "returning starts/s over the hand-written one-statement reference (paired rounds)",
                ratio_to_reference,
                0.6,
            ),
            at_most("statements per returning start", statements.returning, 2.0),
            at_most(
                "statements per new billed start",
                statements.new_billable,
                3.0,
            ),
            at_most("statements per end", statements.end, 2.0),
            at_most(
                &format!("p99 at {rate} starts/s, the mix (ms)"),
                at.p99_ms,
                5.0,
            ),
            at_most(
                &format!("p99 at {rate} starts/s, returning callers (ms)"),
                ret_p99_ms,
                5.0,
            ),
            at_most(
                "server CPU per returning start (µs)",
                large.cpu_us_per_start,
                150.0,
            ),
            at_most("server peak RSS (MiB)", rss_mb, 80.0),
            at_most("server steady RSS (MiB)", steady_rss_mb, 64.0),
            at_most(
                &format!(
                    "returning p50 at {rate}/s, {} customers over {}",
                    large.dataset.customers, small.dataset.customers
                ),
                p50_growth,
                1.2,
            ),
            at_least(
                "hot tenant (all new, billed) starts/s over returning",
                hot_tenant_ratio,
                0.7,
            ),
            at_least("returning starts/s on SQLite", sqlite_start_rps, 5_000.0),
            at_least(
                "returning starts/s with webhooks on over off",
                webhooks_ratio,
                0.95,
            ),
            at_least(
                "returning starts/s with rate limits in Redis over in process",
                redis_ratio,
                0.9,
            ),
            at_least(
                "returning starts/s with encryption on over off (paired rounds)",
                encryption.ratio,
                0.95,
            ),
            at_most(
                "slowest console page, median (ms; figures kept a minute)",
                slowest(|p| p.p50_ms),
                50.0,
            ),
            at_most(
                "slowest console page, first load (ms)",
                slowest(|p| p.first_ms),
                50.0,
            ),
        ];
        Self {
            customers: large.dataset.customers,
            start_rps,
            pgbench_tps: large.pgbench_tps,
            ratio,
            reference_tps: large.paired.reference_tps,
            ratio_to_reference,
            reference2_tps: large.paired.reference2_tps,
            ratio_to_reference2,
            ret_p99_ms,
            cpu_us_per_start: large.cpu_us_per_start,
            statements_per_start: statements,
            p50_ratio_large_small: p50_growth,
            hot_tenant_ratio,
            sqlite_start_rps,
            webhooks_ratio,
            redis_ratio,
            encryption_ratio: encryption.ratio,
            rate,
            p50_ms: at.p50_ms,
            p99_ms: at.p99_ms,
            p999_ms: at.p999_ms,
            rss_mb,
            steady_rss_mb,
            small_customers: small.dataset.customers,
            small_p50_ms: small.returning_at_rate.p50_ms,
            p50_growth,
            budget,
            setup,
            large,
            small,
            sqlite,
            encryption,
        }
    }

    /// Writes `report.json` and `report.md` into `dir`.
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        std::fs::write(
            dir.join("report.json"),
            serde_json::to_string_pretty(self)? + "\n",
        )?;
        std::fs::write(dir.join("report.md"), self.markdown())?;
        Ok(())
    }

    fn markdown(&self) -> String {
        let mut md = String::new();
        let s = &self.setup;
        let _ = writeln!(md, "# Sticky Calls benchmark\n");
        let _ = writeln!(
            md,
            "{} cores, {}, server and database and load on the same machine; {} s per phase, \
             oha with {} connections, pgbench with {} clients, server pool {}{}.\n",
            s.cores,
            s.postgres,
            s.seconds_per_phase,
            s.oha_connections,
            s.pgbench_clients,
            s.server_pool,
            if s.smoke {
                " (smoke run: figures mean nothing)"
            } else {
                ""
            }
        );
        let _ = writeln!(md, "| budget | target | measured | |\n|---|---|---|---|");
        for c in &self.budget {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                c.what,
                c.target,
                c.measured,
                if c.pass { "pass" } else { "MISS" }
            );
        }
        let _ = writeln!(md);
        let _ = writeln!(
            md,
            "| | {} customers | {} customers |\n|---|---|---|",
            self.large.dataset.customers, self.small.dataset.customers
        );
        let rows: Vec<(&str, Cell)> = vec![
            ("rows generated", |r| r.dataset.rows.to_string()),
            ("generated in (s), of which sealing", |r| {
                format!(
                    "{:.1}, {:.1}",
                    r.dataset.generate_seconds,
                    r.dataset.seal_seconds.unwrap_or(0.0)
                )
            }),
            ("database size (MiB)", |r| {
                format!("{:.0}", r.dataset.database_mb)
            }),
            ("returning starts/s, saturated", |r| {
                format!("{:.0}", r.returning_saturation.rps)
            }),
            (
                "pgbench, the server's statements replayed (starts/s)",
                |r| format!("{:.0}", r.pgbench_tps),
            ),
            ("paired rounds: server starts/s", |r| {
                rounds(&r.paired, |p| p.server_rps)
            }),
            (
                "paired rounds: the hand-written reference (starts/s)",
                |r| rounds(&r.paired, |p| p.reference_tps),
            ),
            (
                "paired rounds: the hand-written read then write (starts/s)",
                |r| rounds(&r.paired, |p| p.reference2_tps),
            ),
            ("API / read then write, median of the rounds' ratios", |r| {
                format!("{:.2}", r.paired.ratio_to_reference2)
            }),
            ("API / reference, median of the rounds' ratios", |r| {
                format!("{:.2}", r.paired.ratio_to_reference)
            }),
            ("API / replay", |r| {
                format!("{:.2}", r.returning_saturation.rps / r.pgbench_tps)
            }),
            ("server CPU per returning start (µs)", |r| {
                format!("{:.0}", r.cpu_us_per_start)
            }),
            ("statements per returning start / new billed / end", |r| {
                let s = r.statements;
                format!("{:.2} / {:.2} / {:.2}", s.returning, s.new_billable, s.end)
            }),
            ("mixed starts/s, saturated", |r| {
                format!("{:.0}", r.mixed_saturation.rps)
            }),
            ("returning p50 / p99 / p99.9 at rate (ms)", |r| {
                triple(&r.returning_at_rate)
            }),
            ("mixed p50 / p99 / p99.9 at rate (ms)", |r| {
                triple(&r.mixed_at_rate)
            }),
            ("returning p50 / p99 / p99.9 saturated (ms)", |r| {
                triple(&r.returning_saturation)
            }),
            ("ends p50 / p99 / p99.9 at rate (ms)", |r| {
                triple(&r.ends_at_rate)
            }),
            ("ends/s achieved", |r| format!("{:.0}", r.ends_at_rate.rps)),
            ("hot tenant (all new, billed) starts/s, saturated", |r| {
                format!("{:.0}", r.hot_tenant.rps)
            }),
            (
                "hot tenant: backends active / waiting on a lock (mean)",
                |r| {
                    format!(
                        "{:.1} / {:.1}",
                        r.hot_activity.active, r.hot_activity.waiting_on_locks
                    )
                },
            ),
            (
                "returning starts/s, rate limits in Redis / in process again",
                |r| format!("{:.0} / {:.0}", r.redis.on.rps, r.redis.off.rps),
            ),
            (
                "server CPU per returning start, Redis / in process (µs)",
                |r| format!("{:.0} / {:.0}", r.redis.cpu_us_on, r.redis.cpu_us_off),
            ),
            ("calls stored by the returning phase", |r| {
                r.returning_stored.to_string()
            }),
            ("server peak RSS (MiB)", |r| format!("{:.1}", r.rss_mb)),
            ("server RSS after saturated returning starts (MiB)", |r| {
                format!("{:.1}", r.steady_rss_mb)
            }),
        ];
        for (label, value) in rows {
            let _ = writeln!(
                md,
                "| {label} | {} | {} |",
                value(&self.large),
                value(&self.small)
            );
        }
        let _ = writeln!(
            md,
            "| console: calls in the 30-day window (settled days rolled up) | {} | {} |",
            self.large.console_window_calls, self.small.console_window_calls
        );
        for (i, page) in self.large.console.iter().enumerate() {
            let times = |p: &crate::console::PageTiming| {
                format!("{:.1} / {:.1} / {:.1}", p.first_ms, p.p50_ms, p.max_ms)
            };
            let small = self.small.console.get(i).map(times).unwrap_or_default();
            let _ = writeln!(
                md,
                "| console {} first / p50 / max (ms) | {} | {small} |",
                page.page,
                times(page)
            );
        }
        let q = &self.sqlite;
        let _ = writeln!(
            md,
            "\nSQLite, {} customers (generated in {:.1} s, {:.0} MiB): returning starts/s \
             saturated {:.0}; at {}/s p50 / p99 / p99.9 {} ms; server CPU per start {:.0} µs; \
             peak RSS {:.1} MiB.",
            q.customers,
            q.generate_seconds,
            q.database_mb,
            q.returning_saturation.rps,
            self.rate,
            triple(&q.returning_at_rate),
            q.cpu_us_per_start,
            q.rss_mb
        );
        let e = &self.encryption;
        let _ = writeln!(
            md,
            "\nEncryption, {} customers, {} paired rounds: returning starts/s on {:.0} / off \
             {:.0} (median on/off per round {:.2}); server CPU per start on {:.0} / off {:.0} µs. \
             Rounds (on / off starts/s): {}.",
            e.customers,
            e.rounds.len(),
            e.on_rps,
            e.off_rps,
            e.ratio,
            e.cpu_us_on,
            e.cpu_us_off,
            e.rounds
                .iter()
                .map(|r| format!("{:.0} / {:.0}", r.on_rps, r.off_rps))
                .collect::<Vec<_>>()
                .join(", ")
        );
        md
    }
}

/// How one row of the per-size table reads its value.
type Cell = fn(&SizeReport) -> String;

fn triple(m: &Measured) -> String {
    format!("{:.2} / {:.2} / {:.2}", m.p50_ms, m.p99_ms, m.p999_ms)
}

fn at_least(what: &str, measured: f64, target: f64) -> Check {
    check(what, format!(">= {target}"), measured, measured >= target)
}

fn at_most(what: &str, measured: f64, target: f64) -> Check {
    check(what, format!("<= {target}"), measured, measured <= target)
}

fn check(what: &str, target: String, measured: f64, pass: bool) -> Check {
    Check {
        what: what.to_owned(),
        target,
        measured: format!("{measured:.2}"),
        pass,
    }
}
