//! The benchmark harness behind `make bench` and `make bench-smoke`.
//!
//! It owns the measurement: a PostgreSQL found or started exactly as the tests do, a
//! data set generated in bulk (`sql/dataset.sql`), the real release server started as
//! an operator would, load from oha (closed-loop saturation and constant-rate runs),
//! pgbench replaying one start's own statements as the ceiling (`sql/start.pgbench`),
//! and the report (`target/bench/report.json`, `report.md`). It must not know how the
//! server works inside: it talks to it over HTTP and its CLI only.

mod console;
mod dataset;
mod load;
mod locks;
mod pgbench;
mod profile;
mod report;
mod server;
mod sqlite;
mod tokens;
mod traffic;
mod webhooks;

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Parser;
use stickycalls_postgres::{MIGRATIONS_ID, run_migrations};
use stickycalls_test_support::{TestDatabase, postgres_bin};

use crate::load::{Measured, Run};
use crate::pgbench::Script;
use crate::report::{Report, Setup, SizeReport};
use crate::server::{Account, Server, create_account, release_binary};
use crate::traffic::{Traffic, write_lines};

/// The route every start phase loads.
const START: &str = "/v1/calls/start";

/// Server pool size (the binary's default) and pgbench's client count, kept equal.
const POOL: u32 = 16;

#[derive(Parser, Debug)]
#[command(about = "Benchmarks the real server against pgbench on the same data")]
struct Args {
    /// Customers in the large data set.
    #[arg(long, default_value_t = 1_000_000)]
    customers: u64,
    /// Customers in the small data set (to show how cost grows with data).
    #[arg(long, default_value_t = 10_000)]
    small: u64,
    /// Seconds per load phase.
    #[arg(long, default_value_t = 15)]
    seconds: u32,
    /// The constant rate of the latency phases, starts per second.
    #[arg(long, default_value_t = 1_000)]
    rate: u32,
    /// Connections oha keeps open.
    #[arg(long, default_value_t = 32)]
    connections: u32,
    /// The oha executable.
    #[arg(long, env = "OHA", default_value = "target/tools/bin/oha")]
    oha: PathBuf,
    /// Customers in the SQLite data set.
    #[arg(long, default_value_t = 100_000)]
    sqlite_customers: u64,
    /// Customers in the encryption on/off pair's two data sets (default: `--customers`,
    /// so that customers' keys outnumber the server's key cache as they would).
    #[arg(long)]
    encryption_customers: Option<u64>,
    /// Only the encryption on/off pair: its rounds are written to `encryption.json` in
    /// `--out` and printed (a quicker loop while working on encryption's cost).
    #[arg(long)]
    only_encryption: bool,
    /// Where the report goes.
    #[arg(long, default_value = "target/bench")]
    out: PathBuf,
    /// A quick run proving the harness works; its figures mean nothing.
    #[arg(long)]
    smoke: bool,
    /// Also profile the server during the large data set's saturated returning phase
    /// (perf) and draw `flamegraph.svg` in `--out` (inferno, from `--tools`); in the
    /// encryption pair, the first round of each side (`flamegraph-encryption-on.svg`,
    /// `-off.svg`).
    #[arg(long)]
    profile: bool,
    /// Where inferno's executables are.
    #[arg(long, default_value = "target/tools/bin")]
    tools: PathBuf,
}

struct Tools {
    binary: PathBuf,
    oha: PathBuf,
    pgbench: PathBuf,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    std::fs::create_dir_all(&args.out)?;
    let tools = Tools {
        binary: release_binary()?,
        oha: args.oha.clone(),
        pgbench: postgres_bin("pgbench")?,
    };
    if !tools.oha.is_file() {
        bail!(
            "{} is missing: `make bench` installs it",
            tools.oha.display()
        );
    }
    if args.only_encryption {
        let paired = args.encryption_customers.unwrap_or(args.customers);
        let pair = measure_encryption(&args, &tools, paired).await?;
        let json = serde_json::to_string_pretty(&pair)?;
        std::fs::write(args.out.join("encryption.json"), &json)?;
        eprintln!("{json}");
        return Ok(());
    }
    let large = measure(&args, &tools, args.customers).await?;
    let small = measure(&args, &tools, args.small).await?;
    let embedded = measure_sqlite(&args, &tools, args.sqlite_customers).await?;
    let paired = args.encryption_customers.unwrap_or(args.customers);
    let encryption = measure_encryption(&args, &tools, paired).await?;
    let setup = Setup {
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        postgres: large.dataset.postgres.clone(),
        seconds_per_phase: args.seconds,
        oha_connections: args.connections,
        pgbench_clients: POOL,
        server_pool: POOL,
        smoke: args.smoke,
    };
    let report = Report::new(large, small, embedded, encryption, args.rate, setup);
    report.write(&args.out)?;
    eprintln!("{}", std::fs::read_to_string(args.out.join("report.md"))?);
    eprintln!("report: {}", args.out.join("report.json").display());
    Ok(())
}

/// Every phase on a data set of `customers`.
async fn measure(args: &Args, tools: &Tools, customers: u64) -> anyhow::Result<SizeReport> {
    eprintln!("bench: {customers} customers: generating the data set");
    let db = TestDatabase::create(MIGRATIONS_ID, |url| async move {
        run_migrations(&url).await.map(|_| ())
    })
    .await?;
    let account = create_account(&tools.binary, &db.url, 1_000_000_000).await?;
    let tenant = dataset::test_tenant(account.id);
    let data = dataset::generate(&db.url, account.id, tenant, customers, true).await?;
    eprintln!(
        "bench: {} rows in {:.1} s; starting the server",
        data.rows, data.generate_seconds
    );
    let server = Server::start(&tools.binary, &db.url).await?;
    let phase = Phase {
        args,
        tools,
        key: &account.test_key,
        base: &server.base,
        customers,
    };
    phase.warm("warm").await?;
    // The console's month as a tenant has it: its settled days rolled up (the server's
    // housekeeping does it at start; the purge waits for every day to be kept), read
    // before the load adds its own hundred thousand calls to today.
    let rolled_days = server::roll_up(&tools.binary, &db.url).await?;
    let console_window_calls = dataset::calls_in_last_days(&db.url, 30).await?;
    eprintln!("bench: console pages ({console_window_calls} calls in the window)");
    let console = console::measure(&server.base, &account.test_key, customers).await?;
    let profile = match args.profile && customers == args.customers {
        true => Some(profile::Profile::start(server.pid(), &args.out)?),
        false => None,
    };
    let sent = server.statements().await?;
    let (returning, cpu_us_per_start) = phase.saturate_returning("ret", &server).await?;
    let mut statements = report::Statements {
        returning: per_request(server.statements().await? - sent, &returning),
        ..report::Statements::default()
    };
    let steady_rss_mb = server.rss_mb()?;
    if let Some(profile) = profile {
        let title = format!("stickycalls serve, returning starts saturated, {customers} customers");
        profile
            .finish(&args.tools, &args.out.join("flamegraph.svg"), &title)
            .await?;
    }
    let returning_stored = dataset::calls_with_prefix(&db.url, &phase.tag("ret")).await?;
    let webhooks = phase.webhooks_on(&server).await?;
    let redis = phase.redis_on(&server, &db.url).await?;
    let mixed = phase.saturate("mix", Traffic::Mixed).await?;
    let rate = Some(args.rate);
    let returning_at_rate = phase
        .run("retrate", Traffic::Returning, START, rate, args.seconds)
        .await?;
    let at_rate = phase
        .run("rate", Traffic::Mixed, START, rate, args.seconds)
        .await?;
    let sent = server.statements().await?;
    let ends = phase
        .run(
            "end",
            Traffic::Ends,
            "/v1/calls/end",
            Some(args.rate / 2),
            args.seconds,
        )
        .await?;
    statements.end = per_request(server.statements().await? - sent, &ends);
    // Every start a new, billed caller of the one tenant: all take its credit row.
    let sampler = locks::Sampler::start(&db.url).await?;
    let sent = server.statements().await?;
    let hot_tenant = phase.saturate("hot", Traffic::New).await?;
    statements.new_billable = per_request(server.statements().await? - sent, &hot_tenant);
    let hot_activity = sampler.finish().await?;
    let run = pgbench::Run {
        url: &db.url,
        tenant,
        customers,
        clients: POOL,
        seconds: args.seconds,
        out: &args.out,
    };
    let paired = paired_rounds(&phase, &server, &tools.pgbench, &run).await?;
    let rss_mb = server.peak_rss_mb()?;
    server.stop().await?;
    eprintln!("bench: pgbench, the server's statements replayed");
    let pgbench_tps = pgbench::start_tps(&tools.pgbench, Script::Replay, &run).await?;
    Ok(SizeReport {
        dataset: data,
        returning_saturation: returning,
        returning_stored,
        returning_at_rate,
        mixed_saturation: mixed,
        mixed_at_rate: at_rate,
        ends_at_rate: ends,
        hot_tenant,
        hot_activity,
        cpu_us_per_start,
        statements,
        webhooks,
        redis,
        pgbench_tps,
        paired,
        rss_mb,
        steady_rss_mb,
        console,
        console_window_calls,
        rolled_days,
    })
}

/// The server's saturated returning starts and pgbench on the two references, three
/// rounds back to back, each round's order turned by one (server first, then second,
/// then third), so that a ratio is taken between figures of the same minute.
async fn paired_rounds(
    phase: &Phase<'_>, server: &Server, pgbench: &std::path::Path, run: &pgbench::Run<'_>,
) -> anyhow::Result<report::Paired> {
    #[derive(Clone, Copy)]
    enum Side {
        Server,
        Script(Script),
    }
    let sides = [
        Side::Server,
        Side::Script(Script::Reference),
        Side::Script(Script::Reference2),
    ];
    let mut rounds = Vec::new();
    for round in 0..3 {
        eprintln!("bench: paired round {}", round + 1);
        let mut figures = [0.0; 3];
        for turn in 0..sides.len() {
            let index = (turn + sides.len() - round % sides.len()) % sides.len();
            figures[index] = match sides[index] {
                Side::Server => {
                    let tag = format!("pair{round}");
                    phase.saturate_returning(&tag, server).await?.0.rps
                }
                Side::Script(script) => pgbench::start_tps(pgbench, script, run).await?,
            };
        }
        let [server_rps, reference_tps, reference2_tps] = figures;
        rounds.push(report::PairedRound {
            server_rps,
            reference_tps,
            reference2_tps,
        });
    }
    Ok(report::Paired::new(rounds))
}

/// Returning starts on two PostgreSQL data sets of `customers`: one stored as the server
/// stores it (numbers and ids as blind indexes, variables sealed per customer) and
/// served as by default, one in clear served with `STICKYCALLS_ENCRYPTION=off`. The two
/// servers are loaded in turn, three rounds, so that this machine's drift moves both
/// sides of a round alike; the report keeps every round and the medians.
async fn measure_encryption(
    args: &Args, tools: &Tools, customers: u64,
) -> anyhow::Result<report::EncryptionPair> {
    let mut sides = Vec::new();
    for sealed in [true, false] {
        eprintln!(
            "bench: encryption {}: {customers} customers",
            if sealed { "on" } else { "off" }
        );
        let db = TestDatabase::create(MIGRATIONS_ID, |url| async move {
            run_migrations(&url).await.map(|_| ())
        })
        .await?;
        let account = create_account(&tools.binary, &db.url, 1_000_000_000).await?;
        let tenant = dataset::test_tenant(account.id);
        dataset::generate(&db.url, account.id, tenant, customers, sealed).await?;
        let env: &[(&str, &str)] = if sealed {
            &[]
        } else {
            &[("STICKYCALLS_ENCRYPTION", "off")]
        };
        let server = Server::start_with(&tools.binary, &db.url, env).await?;
        sides.push((db, account, server));
    }
    let phase = |index: usize| {
        let (_, account, server): &(TestDatabase, Account, Server) = &sides[index];
        Phase {
            args,
            tools,
            key: &account.test_key,
            base: &server.base,
            customers,
        }
    };
    // Both sides warmed before the first round, and each round's order the reverse of
    // the one before (on/off, off/on, on/off): the side measured first in a round must
    // not be the one whose data set was generated longest ago every time.
    for (index, side) in ["on", "off"].iter().enumerate() {
        phase(index).warm(&format!("encwarm{side}")).await?;
    }
    let mut rounds = Vec::new();
    for round in 0..3 {
        let mut measured = Vec::new();
        let mut order = [0, 1];
        if round % 2 == 1 {
            order.reverse();
        }
        for index in order {
            let side = ["on", "off"][index];
            let server = &sides[index].2;
            let phase = phase(index);
            // With `--profile`, the first round of each side is sampled.
            let profile = match args.profile && round == 0 {
                true => Some(profile::Profile::start(server.pid(), &args.out)?),
                false => None,
            };
            measured.push((
                index,
                phase
                    .saturate_returning(&format!("enc{side}{round}"), server)
                    .await?,
            ));
            if let Some(profile) = profile {
                let title = format!(
                    "stickycalls serve, encryption {side}, returning starts saturated, {customers} customers"
                );
                let svg = args.out.join(format!("flamegraph-encryption-{side}.svg"));
                profile.finish(&args.tools, &svg, &title).await?;
            }
        }
        measured.sort_by_key(|(index, _)| *index);
        let [(_, (on, cpu_on)), (_, (off, cpu_off))] =
            <[_; 2]>::try_from(measured).expect("two sides");
        rounds.push(report::EncryptionRound {
            on_rps: on.rps,
            off_rps: off.rps,
            cpu_us_on: cpu_on,
            cpu_us_off: cpu_off,
        });
    }
    for (_, _, server) in sides {
        server.stop().await?;
    }
    Ok(report::EncryptionPair::new(customers, rounds))
}

/// Returning callers on the embedded store: a SQLite file of `customers` customers.
async fn measure_sqlite(
    args: &Args, tools: &Tools, customers: u64,
) -> anyhow::Result<sqlite::SqliteReport> {
    eprintln!("bench: SQLite, {customers} customers: generating the data set");
    let dir = args.out.join("sqlite");
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("bench.db");
    let url = format!("sqlite://{}", file.display());
    let account = create_account(&tools.binary, &url, 1_000_000_000).await?;
    let tenant = dataset::test_tenant(account.id);
    let generate_seconds = sqlite::generate(&file, account.id, tenant, customers).await?;
    let seal_seconds = server::seal(&tools.binary, &url).await?;
    let server = Server::start(&tools.binary, &url).await?;
    let phase = Phase {
        args,
        tools,
        key: &account.test_key,
        base: &server.base,
        customers,
    };
    phase.warm("sqlwarm").await?;
    let (returning, cpu_us_per_start) = phase.saturate_returning("sqlret", &server).await?;
    let at_rate = phase
        .run(
            "sqlrate",
            Traffic::Returning,
            START,
            Some(args.rate),
            args.seconds,
        )
        .await?;
    let rss_mb = server.peak_rss_mb()?;
    server.stop().await?;
    let database_mb = dir_mb(&dir)?;
    Ok(sqlite::SqliteReport {
        customers,
        generate_seconds,
        seal_seconds,
        database_mb,
        returning_saturation: returning,
        returning_at_rate: at_rate,
        cpu_us_per_start,
        rss_mb,
    })
}

/// Server CPU seconds spread over a phase's requests, in microseconds each.
fn per_start_us(cpu_seconds: f64, phase: &Measured) -> f64 {
    cpu_seconds * 1e6 / phase.requests.max(1) as f64
}

/// Statements the server sent over a phase, per request of it (its background work in
/// that window included: the purge, the webhook poller).
fn per_request(statements: u64, phase: &Measured) -> f64 {
    statements as f64 / phase.requests.max(1) as f64
}

/// The size of the files in `dir` (the database, its WAL and shared memory), MiB.
fn dir_mb(dir: &std::path::Path) -> anyhow::Result<f64> {
    let mut bytes = 0;
    for entry in std::fs::read_dir(dir)? {
        bytes += entry?.metadata()?.len();
    }
    Ok(bytes as f64 / 1_048_576.0)
}

/// What every load phase on one data set shares.
struct Phase<'a> {
    args: &'a Args,
    tools: &'a Tools,
    key: &'a str,
    base: &'a str,
    customers: u64,
}

impl Phase<'_> {
    fn tag(&self, name: &str) -> String {
        format!("{name}{}", self.customers)
    }

    /// A short closed-loop run of returning starts, so that caches and prepared
    /// statements are warm before anything is measured.
    async fn warm(&self, name: &str) -> anyhow::Result<()> {
        let seconds = if self.args.smoke { 1 } else { 5 };
        self.run(name, Traffic::Returning, START, None, seconds)
            .await
            .map(|_| ())
    }

    /// Saturated returning starts, and the server's CPU per start over them (µs).
    async fn saturate_returning(
        &self, name: &str, server: &Server,
    ) -> anyhow::Result<(Measured, f64)> {
        let before = server.cpu_seconds()?;
        let measured = self.saturate(name, Traffic::Returning).await?;
        let per_start = per_start_us(server.cpu_seconds()? - before, &measured);
        Ok((measured, per_start))
    }

    /// Saturated returning starts with an endpoint subscribed to every event, between
    /// two runs without (their mean is the baseline, so a drift over the three shows).
    async fn webhooks_on(&self, server: &Server) -> anyhow::Result<report::WebhooksOn> {
        let sink = webhooks::Sink::start()?;
        let endpoint = webhooks::register(self.base, self.key, &sink.url).await?;
        let (on, cpu_on) = self.saturate_returning("retwh", server).await?;
        webhooks::remove(self.base, self.key, &endpoint).await?;
        let (off, cpu_off) = self.saturate_returning("retoff", server).await?;
        let received = sink.received();
        sink.stop().await;
        Ok(report::WebhooksOn {
            on,
            off,
            cpu_us_on: cpu_on,
            cpu_us_off: cpu_off,
            received,
        })
    }

    /// Saturated returning starts on a second server of the same database whose rate
    /// limits go through Redis (the tests' Redis), then on the first server again.
    async fn redis_on(
        &self, server: &Server, database_url: &str,
    ) -> anyhow::Result<report::RedisOn> {
        let redis = tokio::task::spawn_blocking(stickycalls_test_support::redis_url).await??;
        let prefix = stickycalls_test_support::unique_prefix("bench");
        let env = [
            ("STICKYCALLS_REDIS_URL", redis.as_str()),
            ("STICKYCALLS_REDIS_PREFIX", prefix.as_str()),
        ];
        let shared = Server::start_with(&self.tools.binary, database_url, &env).await?;
        let with_redis = Phase {
            base: &shared.base,
            ..*self
        };
        with_redis.warm("redwarm").await?;
        let (on, cpu_on) = with_redis.saturate_returning("retredis", &shared).await?;
        shared.stop().await?;
        let (off, cpu_off) = self.saturate_returning("retnoredis", server).await?;
        Ok(report::RedisOn {
            on,
            off,
            cpu_us_on: cpu_on,
            cpu_us_off: cpu_off,
        })
    }

    /// A closed-loop run of starts for the configured duration.
    async fn saturate(&self, name: &str, traffic: Traffic) -> anyhow::Result<Measured> {
        self.run(name, traffic, START, None, self.args.seconds)
            .await
    }

    /// Writes the phase's bodies, runs oha, and refuses a run with any failure.
    async fn run(
        &self, name: &str, traffic: Traffic, path: &str, rate: Option<u32>, seconds: u32,
    ) -> anyhow::Result<Measured> {
        // Enough distinct bodies that few are drawn twice (a repeat is a replay).
        let expected = rate.unwrap_or(6_000) as usize * seconds as usize;
        let lines = (expected * 20).clamp(1_000, 1_000_000);
        let bodies = self.args.out.join(format!("{name}.jsonl"));
        write_lines(
            &bodies,
            traffic,
            lines,
            &self.tag(name),
            self.customers,
            self.customers ^ u64::from(seconds),
        )?;
        let connections = match rate {
            // Enough connections that a constant rate never waits for a free one.
            Some(_) => self.args.connections * 2,
            None => self.args.connections,
        };
        eprintln!(
            "bench: {} customers: {name} ({}s, {})",
            self.customers,
            seconds,
            rate.map_or("saturating".to_owned(), |r| format!("{r}/s"))
        );
        let measured = load::run(
            &self.tools.oha,
            &Run {
                url: format!("{}{path}", self.base),
                key: self.key,
                bodies: &bodies,
                connections,
                seconds,
                rate,
            },
        )
        .await
        .with_context(|| format!("phase {name}"))?;
        std::fs::remove_file(&bodies)?;
        if measured.failures() > 0 {
            bail!(
                "phase {name}: {} of {} requests failed: {:?} {:?}",
                measured.failures(),
                measured.requests,
                measured.statuses,
                measured.errors
            );
        }
        Ok(measured)
    }
}
