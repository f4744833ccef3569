//! `GET /metrics` in Prometheus text format (prometheus-client): requests by route
//! pattern, method and status, a latency histogram per route, call starts by
//! recommendation (the match rate is `reuse` over all), billable starts, credits
//! spent, database connections in use, and statements sent to the database. Labels never hold an id, a number or a
//! tenant: only route patterns and fixed words.

use std::sync::Mutex;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use stickycalls_domain::calls::StartOutcome;
use stickycalls_domain::ports::PoolUse;

use crate::ratelimit::LimiterGauges;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StartLabels {
    recommendation: &'static str,
}

type PoolProbe = Box<dyn Fn() -> PoolUse + Send + Sync>;

/// The process's metrics, shared by every HTTP worker.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    starts: Family<StartLabels, Counter>,
    billable: Counter,
    credits: Counter,
    pool_in_use: Gauge,
    pool_open: Gauge,
    statements: Counter,
    match_ratio: Gauge<f64, AtomicU64>,
    limiter: LimiterGauges,
    pools: Mutex<Vec<PoolProbe>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

fn latency_histogram() -> Histogram {
    // 0.5 ms .. ~4 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 14))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("stickycalls");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: Family<RouteLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        let starts = Family::<StartLabels, Counter>::default();
        let (billable, credits) = (Counter::default(), Counter::default());
        let (pool_in_use, pool_open) = (Gauge::default(), Gauge::default());
        let statements = Counter::default();
        let match_ratio = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "match_ratio",
            "Share of starts since this process began that matched a returning caller (reuse)",
            match_ratio.clone(),
        );
        registry.register(
            "http_requests",
            "HTTP requests by route pattern, method and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer, by route pattern",
            latency.clone(),
        );
        registry.register(
            "call_starts",
            "Successful calls/start by recommendation (match rate: reuse / all)",
            starts.clone(),
        );
        registry.register(
            "billable_starts",
            "Starts that were not a returning-caller match",
            billable.clone(),
        );
        registry.register(
            "credits_spent",
            "Credits debited by starts",
            credits.clone(),
        );
        registry.register(
            "db_pool_connections_in_use",
            "Database connections lent out to requests",
            pool_in_use.clone(),
        );
        registry.register(
            "db_pool_connections_open",
            "Database connections open",
            pool_open.clone(),
        );
        registry.register(
            "db_statements",
            "Statements sent to the database (PostgreSQL; 0 on SQLite)",
            statements.clone(),
        );
        let limiter = LimiterGauges::default();
        registry.register(
            "ratelimit_local_decisions",
            "Requests this process rate-limited alone because the shared limiter (Redis) failed",
            limiter.local_decisions.clone(),
        );
        registry.register(
            "ratelimit_shared_down",
            "1 while the shared rate limiter (Redis) is failing and this process limits alone",
            limiter.shared_down.clone(),
        );
        Self {
            registry,
            limiter,
            requests,
            latency,
            starts,
            billable,
            credits,
            pool_in_use,
            pool_open,
            statements,
            match_ratio,
            pools: Mutex::new(Vec::new()),
        }
    }
}

impl Metrics {
    /// The shared rate limiter's counters, for [`crate::RateLimits::shared_by`].
    pub fn limiter_gauges(&self) -> LimiterGauges {
        self.limiter.clone()
    }

    /// Adds a connection pool to the `db_pool_*` gauges (one per HTTP worker).
    pub fn watch_pool(&self, probe: impl Fn() -> PoolUse + Send + Sync + 'static) {
        if let Ok(mut pools) = self.pools.lock() {
            pools.push(Box::new(probe));
        }
    }

    /// Counts a successful start (replays are not counted again).
    pub fn started(&self, outcome: &StartOutcome) {
        if outcome.replayed {
            return;
        }
        let recommendation = outcome.recommendation().as_str();
        self.starts
            .get_or_create(&StartLabels { recommendation })
            .inc();
        if outcome.billable {
            self.billable.inc();
            if outcome.credits_remaining.is_some() {
                self.credits.inc();
            }
        }
    }

    fn observe(&self, route: &str, method: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                route: route.to_owned(),
                method: method.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
            })
            .observe(seconds);
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let total = self.pools.lock().map_or_else(
            |_| PoolUse::default(),
            |pools| {
                let total = pools.iter().fold(PoolUse::default(), |sum, probe| {
                    let use_now = probe();
                    PoolUse {
                        open: sum.open + use_now.open,
                        in_use: sum.in_use + use_now.in_use,
                        statements: sum.statements + use_now.statements,
                    }
                });
                // The pools' counts only grow: the counter follows their sum (under
                // the lock, so two scrapes at once never add the same statements).
                let counted = self.statements.get();
                if total.statements > counted {
                    self.statements.inc_by(total.statements - counted);
                }
                total
            },
        );
        let starts = |recommendation| {
            self.starts
                .get_or_create(&StartLabels { recommendation })
                .get()
        };
        let all: u64 = ["reuse", "confirm", "ignore"].into_iter().map(starts).sum();
        if all > 0 {
            self.match_ratio.set(starts("reuse") as f64 / all as f64);
        }
        self.pool_in_use
            .set(i64::try_from(total.in_use).unwrap_or(i64::MAX));
        self.pool_open
            .set(i64::try_from(total.open).unwrap_or(i64::MAX));
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!("metrics not encoded: {e}");
        }
        out
    }
}

/// Records every request: its route pattern (never the path), method, status, time.
pub async fn record(
    req: ServiceRequest, next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let started = Instant::now();
    let response = next.call(req).await?;
    if let Some(metrics) = metrics {
        let route = response
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        metrics.observe(
            &route,
            response.request().method().as_str(),
            response.status().as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }
    Ok(response)
}

/// `GET /metrics`.
pub async fn serve(metrics: web::Data<Metrics>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(metrics.render())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    use stickycalls_domain::ports::PoolUse;

    use super::Metrics;

    fn statements(text: &str) -> Option<u64> {
        text.lines()
            .find_map(|l| l.strip_prefix("stickycalls_db_statements_total "))
            .and_then(|v| v.trim().parse().ok())
    }

    #[test]
    fn the_statement_counter_follows_the_sum_of_the_pools() {
        let metrics = Metrics::default();
        let (one, two) = (Arc::new(AtomicU64::new(5)), Arc::new(AtomicU64::new(2)));
        for pool in [one.clone(), two.clone()] {
            metrics.watch_pool(move || PoolUse {
                statements: pool.load(Ordering::Relaxed),
                ..PoolUse::default()
            });
        }
        assert_eq!(statements(&metrics.render()), Some(7));
        one.fetch_add(3, Ordering::Relaxed);
        assert_eq!(statements(&metrics.render()), Some(10));
        assert_eq!(
            statements(&metrics.render()),
            Some(10),
            "a scrape adds nothing"
        );
    }
}
