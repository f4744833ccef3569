//! Rate limits: per API key with a quota set by the tenant's plan, and per client
//! address for public signup. GCRA either shared by every node (the domain's
//! `SharedLimiter` port: Redis when `STICKYCALLS_REDIS_URL` is set) or from the
//! `governor` crate in this process's memory (with N processes a key then gets up to N
//! times its quota). When the shared limiter fails, this process limits alone for a
//! while (the domain's `Fallback`), with a warning and the `ratelimit_*` metrics: a
//! call is never refused because the limiter's store is down. Answers carry the IETF
//! draft-11 `RateLimit-Policy` and `RateLimit` fields either way; a 429 also carries
//! `Retry-After`.

use std::collections::BTreeMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use stickycalls_domain::ratelimit::{self, Admission, Fallback, SharedLimiter};

use crate::error::ApiError;

/// `requests` per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Requests allowed in one window (also the burst).
    pub requests: NonZeroU32,
    /// The window.
    pub window: Duration,
}

impl FromStr for Limit {
    type Err = String;

    /// `600/60`: 600 requests per 60 seconds.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not a limit: expected REQUESTS/SECONDS, e.g. 600/60");
        let (requests, seconds) = s.trim().split_once('/').ok_or_else(bad)?;
        let requests: u32 = requests.trim().parse().map_err(|_| bad())?;
        let seconds: u64 = seconds.trim().parse().map_err(|_| bad())?;
        if seconds == 0 {
            return Err(bad());
        }
        Ok(Limit {
            requests: NonZeroU32::new(requests).ok_or_else(bad)?,
            window: Duration::from_secs(seconds),
        })
    }
}

impl Limit {
    fn shared(self) -> ratelimit::Quota {
        ratelimit::Quota {
            requests: self.requests,
            window: self.window,
        }
    }

    fn quota(self) -> Quota {
        let per = self.window / self.requests.get();
        Quota::with_period(per.max(Duration::from_nanos(1)))
            .unwrap_or_else(|| Quota::per_second(self.requests))
            .allow_burst(self.requests)
    }
}

/// The limits to enforce: one per plan, as the billing policy serves them (a key on a
/// plan they do not name is limited as `fallback`'s), and signup's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitSettings {
    /// Per plan name: the catalog's quotas, with the operator's overrides.
    pub plans: BTreeMap<String, Limit>,
    /// The plan whose quota a key on an unnamed plan gets (the plan accounts open on).
    pub fallback: String,
    /// Account creations per client address.
    pub signup: Limit,
}

fn limit(requests: u32, seconds: u64) -> Limit {
    Limit {
        requests: NonZeroU32::new(requests).unwrap_or(NonZeroU32::MIN),
        window: Duration::from_secs(seconds),
    }
}

impl Default for RateLimitSettings {
    /// No plan quota (until [`RateLimitSettings::for_plans`] gives the catalog's);
    /// signup 10 per hour per address.
    fn default() -> Self {
        Self {
            plans: BTreeMap::new(),
            fallback: String::new(),
            signup: limit(10, 3_600),
        }
    }
}

impl RateLimitSettings {
    /// The plans' quotas as the domain's billing policy gives them
    /// (`BillingPolicy::request_quotas`), `fallback` for a plan they do not name.
    pub fn for_plans(quotas: Vec<(String, ratelimit::Quota)>, fallback: &str) -> Self {
        Self {
            plans: quotas
                .into_iter()
                .map(|(plan, q)| {
                    let limit = Limit {
                        requests: q.requests,
                        window: q.window,
                    };
                    (plan, limit)
                })
                .collect(),
            fallback: fallback.to_owned(),
            ..Self::default()
        }
    }

    /// Applies `plan=REQUESTS/SECONDS,...` over the plans' quotas (`free=120/60,scale=10000/60`).
    pub fn with_overrides(mut self, text: &str) -> Result<Self, String> {
        for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (plan, value) = item
                .split_once('=')
                .ok_or_else(|| format!("`{item}`: expected PLAN=REQUESTS/SECONDS"))?;
            let plan = plan.trim();
            let limit: Limit = value.parse()?;
            match self.plans.get_mut(plan) {
                Some(slot) => *slot = limit,
                None if plan == "signup" => self.signup = limit,
                None => return Err(format!("`{plan}` is not a plan (or `signup`)")),
            }
        }
        Ok(self)
    }
}

type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock, StateInformationMiddleware>;

/// One policy: its name in the headers, its limit, its limiter.
struct Policy<K: Hash + Eq + Clone> {
    name: String,
    limit: Limit,
    limiter: Keyed<K>,
    sweeps: Sweeps,
}

/// Keyed limiters above this many entries drop the ones back at full capacity...
const RETAIN_ABOVE: usize = 10_000;
/// ...looking at most once per this interval: a sweep walks the whole map, so it must
/// not run per request (with more than `RETAIN_ABOVE` keys in use it would).
const SWEEP_EVERY: Duration = Duration::from_secs(5);

/// When a limiter's map is next looked at for keys to drop.
struct Sweeps {
    every: Duration,
    origin: Instant,
    /// Milliseconds after `origin`; the thread that moves it sweeps.
    next_ms: AtomicU64,
}

impl Sweeps {
    fn new(every: Duration) -> Self {
        Self {
            every,
            origin: Instant::now(),
            next_ms: AtomicU64::new(0),
        }
    }

    /// True for one caller per interval.
    fn due(&self) -> bool {
        let millis = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        let now = millis(self.origin.elapsed());
        let next = self.next_ms.load(Ordering::Relaxed);
        now >= next
            && self
                .next_ms
                .compare_exchange(
                    next,
                    now.saturating_add(millis(self.every)),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok()
    }
}

impl<K: Hash + Eq + Clone> Policy<K> {
    fn new(name: &str, limit: Limit) -> Self {
        Self::sweeping_every(name, limit, SWEEP_EVERY)
    }

    fn sweeping_every(name: &str, limit: Limit, every: Duration) -> Self {
        Self {
            name: name.to_owned(),
            limit,
            limiter: RateLimiter::dashmap(limit.quota()).with_middleware(),
            sweeps: Sweeps::new(every),
        }
    }

    fn check(&self, key: &K) -> Result<Window, (Window, u64)> {
        if self.sweeps.due() && self.limiter.len() > RETAIN_ABOVE {
            self.limiter.retain_recent();
        }
        let interval = self.limit.window / self.limit.requests.get();
        match self.limiter.check_key(key) {
            Ok(state) => {
                let remaining = state.remaining_burst_capacity();
                let used = self.limit.requests.get().saturating_sub(remaining);
                Ok(self.window(remaining, ceil_secs(interval * used)))
            }
            Err(not_until) => {
                let wait =
                    ceil_secs(not_until.wait_time_from(DefaultClock::default().now())).max(1);
                Err((self.window(0, wait), wait))
            }
        }
    }

    /// The shared limiter's answer in the same fields as [`Policy::check`]'s.
    fn answer(&self, admission: Admission) -> Result<Window, (Window, u64)> {
        match admission {
            Admission::Allowed { remaining, reset } => Ok(self.window(remaining, ceil_secs(reset))),
            Admission::Refused { retry_after } => {
                let wait = ceil_secs(retry_after).max(1);
                Err((self.window(0, wait), wait))
            }
        }
    }

    fn window(&self, remaining: u32, reset: u64) -> Window {
        Window {
            policy: format!(
                "\"{}\";q={};w={}",
                self.name,
                self.limit.requests,
                self.limit.window.as_secs()
            ),
            state: format!("\"{}\";r={remaining};t={reset}", self.name),
        }
    }
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// The header values of one decision, kept on the request for [`headers`].
#[derive(Debug, Clone)]
pub struct Window {
    policy: String,
    state: String,
}

/// The limiter every node shares, and when this process stops asking it.
struct Shared {
    limiter: Arc<dyn SharedLimiter>,
    fallback: Mutex<Fallback>,
    origin: Instant,
    gauges: LimiterGauges,
}

/// What the metrics show of the shared limiter: requests this process limited alone
/// because it failed, and whether it is doing so now.
#[derive(Debug, Clone, Default)]
pub struct LimiterGauges {
    /// `ratelimit_local_decisions_total`.
    pub local_decisions: Counter,
    /// `ratelimit_shared_down` (0 or 1).
    pub shared_down: Gauge,
}

impl Shared {
    /// Asks the shared limiter unless it failed less than a second ago; `None` when
    /// this process must decide alone.
    async fn admit(&self, key: &str, limit: Limit) -> Option<Admission> {
        let now = || self.origin.elapsed();
        let ask = self.fallback.lock().is_ok_and(|f| f.use_shared(now()));
        let answer = if ask {
            self.limiter.admit(key, limit.shared()).await
        } else {
            self.gauges.local_decisions.inc();
            return None;
        };
        let Ok(mut fallback) = self.fallback.lock() else {
            return answer.ok();
        };
        let decided = match answer {
            Ok(admission) => {
                if fallback.recovered() {
                    tracing::info!("the shared rate limiter answers again");
                }
                Some(admission)
            }
            Err(e) => {
                if fallback.failed(now()) {
                    let e = anyhow::Error::from(e);
                    tracing::warn!(
                        "the shared rate limiter failed, this process limits alone (asking again every second): {e:#}"
                    );
                }
                self.gauges.local_decisions.inc();
                None
            }
        };
        self.gauges.shared_down.set(i64::from(fallback.degraded()));
        decided
    }
}

/// Every limiter of this process.
pub struct RateLimits {
    plans: BTreeMap<String, Policy<Arc<str>>>,
    fallback: String,
    signup: Policy<IpAddr>,
    shared: Option<Shared>,
}

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimits")
            .field("plans", &self.plans.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl RateLimits {
    /// Limiters for `settings`.
    pub fn new(settings: &RateLimitSettings) -> Self {
        Self {
            plans: settings
                .plans
                .iter()
                .map(|(plan, limit)| (plan.clone(), Policy::new(plan, *limit)))
                .collect(),
            fallback: settings.fallback.clone(),
            signup: Policy::new("signup", settings.signup),
            shared: None,
        }
    }

    /// The same limits counted by `limiter`, which every node shares; this process's
    /// own limiters decide while it fails.
    pub fn shared_by(mut self, limiter: Arc<dyn SharedLimiter>, gauges: LimiterGauges) -> Self {
        self.shared = Some(Shared {
            limiter,
            fallback: Mutex::new(Fallback::default()),
            origin: Instant::now(),
            gauges,
        });
        self
    }

    /// One decision: the shared limiter's when there is one and it answers, else
    /// this process's.
    async fn check<K: Hash + Eq + Clone>(
        &self, policy: &Policy<K>, key: &K, shared_key: impl FnOnce() -> String,
    ) -> Result<Window, (Window, u64)> {
        if let Some(shared) = &self.shared
            && let Some(admission) = shared.admit(&shared_key(), policy.limit).await
        {
            return policy.answer(admission);
        }
        policy.check(key)
    }

    /// Counts a request of the key `lookup_id` on `plan`; 429 past the plan's quota.
    pub async fn admit_key(
        &self, req: &HttpRequest, plan: &str, lookup_id: &Arc<str>,
    ) -> Result<(), ApiError> {
        let policy = match self.plans.get(plan) {
            Some(policy) => policy,
            None => {
                // A plan the catalog does not name (set by hand in the database):
                // limited as the plan accounts open on, and said so.
                tracing::warn!(plan, fallback = %self.fallback, "no rate limit for this plan: the opening plan's applies");
                match self.plans.get(&self.fallback) {
                    Some(free) => free,
                    None => return Ok(()),
                }
            }
        };
        let shared_key = || format!("key:{}:{lookup_id}", policy.name);
        decide(req, self.check(policy, lookup_id, shared_key).await)
    }

    /// Counts a signup from the request's client address; 429 past the limit.
    pub async fn admit_signup(
        &self, req: &HttpRequest, client: Option<std::net::IpAddr>,
    ) -> Result<(), ApiError> {
        let Some(ip) = client else {
            return Ok(());
        };
        let shared_key = || format!("signup:{ip}");
        decide(req, self.check(&self.signup, &ip, shared_key).await)
    }
}

fn decide(req: &HttpRequest, outcome: Result<Window, (Window, u64)>) -> Result<(), ApiError> {
    match outcome {
        Ok(window) => {
            req.extensions_mut().insert(window);
            Ok(())
        }
        Err((window, wait)) => {
            req.extensions_mut().insert(window);
            Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("Too many requests: retry in {wait} s"),
            )
            .retry_after(wait))
        }
    }
}

const POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
const STATE: HeaderName = HeaderName::from_static("ratelimit");

/// Adds the `RateLimit-Policy` and `RateLimit` fields of the request's decision.
pub async fn headers(
    req: ServiceRequest, next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(req).await?;
    let window = response.request().extensions().get::<Window>().cloned();
    if let Some(window) = window {
        let headers = response.headers_mut();
        for (name, value) in [(POLICY, window.policy), (STATE, window.state)] {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        }
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse_and_override_the_defaults() {
        let limit: Limit = "3/2".parse().unwrap();
        assert_eq!((limit.requests.get(), limit.window.as_secs()), (3, 2));
        for bad in ["", "3", "0/60", "3/0", "x/60", "3/y"] {
            assert!(bad.parse::<Limit>().is_err(), "{bad}");
        }
        let quota = |n| ratelimit::Quota {
            requests: NonZeroU32::new(n).unwrap(),
            window: Duration::from_secs(60),
        };
        let catalog = || {
            RateLimitSettings::for_plans(
                vec![("free".into(), quota(600)), ("scale".into(), quota(6_000))],
                "free",
            )
        };
        let settings = catalog().with_overrides("free=3/2, signup=1/60").unwrap();
        assert_eq!(settings.plans["free"], limit);
        assert_eq!(settings.signup.requests.get(), 1);
        assert_eq!(settings.plans["scale"].requests.get(), 6_000);
        assert_eq!(settings.fallback, "free");
        assert!(catalog().with_overrides("gold=1/1").is_err());
    }

    #[test]
    fn the_quota_then_a_wait_with_the_fields_filled_in() {
        let policy: Policy<u8> = Policy::new("free", "3/60".parse().unwrap());
        let first = policy.check(&1).unwrap();
        assert_eq!(first.policy, "\"free\";q=3;w=60");
        assert_eq!(first.state, "\"free\";r=2;t=20");
        policy.check(&1).unwrap();
        let third = policy.check(&1).unwrap();
        assert_eq!(third.state, "\"free\";r=0;t=60");
        let (refused, wait) = policy.check(&1).unwrap_err();
        assert!((19..=20).contains(&wait), "{wait}");
        assert_eq!(refused.state, format!("\"free\";r=0;t={wait}"));
        assert!(policy.check(&2).is_ok(), "keys are limited apart");
    }

    /// Fills a policy with more idle keys than it keeps, each back at full capacity
    /// after 1 ms, waits for that, and checks one more key.
    fn keys_kept_after_a_crowd(every: Duration) -> usize {
        let policy: Policy<usize> =
            Policy::sweeping_every("free", "1000/1".parse().unwrap(), every);
        for key in 0..=RETAIN_ABOVE {
            policy.check(&key).unwrap();
        }
        std::thread::sleep(Duration::from_millis(20));
        policy.check(&usize::MAX).unwrap();
        policy.limiter.len()
    }

    #[test]
    fn idle_keys_are_dropped_once_the_map_is_over_its_size() {
        assert!(keys_kept_after_a_crowd(Duration::ZERO) <= 1);
    }

    #[test]
    fn the_map_is_swept_at_most_once_per_interval() {
        // The first check took this interval's sweep (with one key, nothing to drop):
        // every key stays until the next interval.
        assert_eq!(
            keys_kept_after_a_crowd(Duration::from_secs(3_600)),
            RETAIN_ABOVE + 2
        );
    }
}
