//! The delivery worker: claim, sign, post, record.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::redirect::Policy;
use stickycalls_domain::ports::{Clock, HostResolver, WebhookStore};
use stickycalls_domain::webhooks::delivery::{ATTEMPT_TIMEOUT, lease, outcome};
use stickycalls_domain::webhooks::signature::sign;
use stickycalls_domain::webhooks::target::parse_target;
use stickycalls_domain::webhooks::{Attempt, DueDelivery, Response, RetrySchedule};
use tokio::sync::Semaphore;

use crate::resolver::{lookup, public_only};

/// What the operator decides about deliveries.
#[derive(Debug, Clone)]
pub struct DeliverySettings {
    /// Waits before each retry (`STICKYCALLS_WEBHOOK_RETRY_SECONDS`).
    pub schedule: RetrySchedule,
    /// Longest an attempt may take (10 s).
    pub timeout: Duration,
    /// Whether private addresses may be reached (`STICKYCALLS_WEBHOOKS_ALLOW_PRIVATE`).
    pub allow_private: bool,
    /// Attempts in flight at once, in all.
    pub concurrency: usize,
    /// Attempts in flight at once to one endpoint.
    pub per_endpoint: usize,
    /// How often to look for due deliveries when none was found.
    pub poll: Duration,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self {
            schedule: RetrySchedule::default(),
            timeout: Duration::from_secs(
                u64::try_from(ATTEMPT_TIMEOUT.whole_seconds()).unwrap_or(10),
            ),
            allow_private: false,
            concurrency: 16,
            per_endpoint: 4,
            poll: Duration::from_secs(1),
        }
    }
}

/// Delivers due webhooks from a store.
pub struct Deliverer<S, C> {
    store: S,
    clock: C,
    client: reqwest::Client,
    settings: DeliverySettings,
    slots: Arc<Semaphore>,
    endpoints: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl<S, C> std::fmt::Debug for Deliverer<S, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deliverer")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl<S: WebhookStore + Clone, C: Clock + Clone> Deliverer<S, C> {
    /// A worker over `store`.
    pub fn new(store: S, clock: C, settings: DeliverySettings) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .redirect(Policy::none())
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .dns_resolver(public_only(settings.allow_private))
            .user_agent(concat!("StickyCalls-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            slots: Arc::new(Semaphore::new(settings.concurrency.max(1))),
            store,
            clock,
            client,
            settings,
            endpoints: Mutex::default(),
        })
    }

    /// How long a claim is leased: its own attempt and those queued before it to the
    /// same endpoint.
    fn lease(&self) -> time::Duration {
        let rounds = self
            .settings
            .concurrency
            .div_ceil(self.settings.per_endpoint.max(1));
        let timeout = time::Duration::try_from(self.settings.timeout).unwrap_or(ATTEMPT_TIMEOUT);
        lease(timeout, u32::try_from(rounds).unwrap_or(u32::MAX))
    }

    /// Delivers until `stop` resolves.
    pub async fn run(self: Arc<Self>, stop: impl Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            let claimed = tokio::select! {
                () = &mut stop => return,
                claimed = self.clone().tick() => claimed,
            };
            if claimed == 0 {
                tokio::select! {
                    () = &mut stop => return,
                    () = tokio::time::sleep(self.settings.poll) => {}
                }
            }
        }
    }

    /// Claims what is due (as many as there are free slots) and starts its attempts;
    /// returns how many it claimed.
    async fn tick(self: Arc<Self>) -> usize {
        // Wait for one free slot, then claim as many as are free.
        let Ok(first) = self.slots.clone().acquire_owned().await else {
            return 0;
        };
        let free = self.slots.available_permits() + 1;
        let now = self.clock.now();
        let due = match self.store.claim_due(now, now + self.lease(), free).await {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!("webhook deliveries not claimed: {e:#}");
                return 0;
            }
        };
        let claimed = due.len();
        let mut first = Some(first);
        for delivery in due {
            let permit = match first.take() {
                Some(p) => p,
                None => match self.slots.clone().acquire_owned().await {
                    Ok(p) => p,
                    Err(_) => return claimed,
                },
            };
            let worker = self.clone();
            tokio::spawn(async move {
                let _slot = permit;
                worker.deliver(delivery).await;
            });
        }
        claimed
    }

    fn endpoint_slots(&self, endpoint: &str) -> Arc<Semaphore> {
        let mut all = self
            .endpoints
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if all.len() > 10_000 {
            all.retain(|_, s| Arc::strong_count(s) > 1);
        }
        all.entry(endpoint.to_owned())
            .or_insert_with(|| Arc::new(Semaphore::new(self.settings.per_endpoint.max(1))))
            .clone()
    }

    /// One attempt, and its record.
    async fn deliver(&self, due: DueDelivery) {
        let slots = self.endpoint_slots(&due.endpoint_id);
        let Ok(_permit) = slots.acquire().await else {
            return;
        };
        let response = self.post(&due).await;
        let now = self.clock.now();
        let outcome = outcome(&self.settings.schedule, due.attempt, &response, now);
        tracing::info!(
            event = %due.event_id,
            endpoint = %due.endpoint_id,
            attempt = due.attempt,
            status = ?response,
            outcome = ?outcome,
            "webhook attempt"
        );
        let attempt = Attempt {
            partition: due.partition,
            event_id: due.event_id,
            endpoint_id: due.endpoint_id,
            at: now,
            response,
            outcome,
        };
        if let Err(e) = self.store.record_attempt(attempt).await {
            // The lease ends and the delivery is tried again: at least once.
            tracing::warn!("webhook attempt not recorded: {e:#}");
        }
    }

    async fn post(&self, due: &DueDelivery) -> Response {
        // The URL was checked when the endpoint was made; again now (a literal address
        // never reaches the resolver, which checks names).
        if let Err(refused) = parse_target(&due.url, self.settings.allow_private) {
            let why = refused
                .issues
                .first()
                .map_or("refused", |i| i.message.as_str());
            return Response::NoAnswer(format!("url refused: {why}"));
        }
        let now = self.clock.now();
        let timestamp = now.get().unix_timestamp();
        let signature = sign(
            &due.signing_secrets(now),
            &due.event_id,
            timestamp,
            &due.body,
        );
        let sent = self
            .client
            .post(&due.url)
            .header("content-type", "application/json")
            .header("webhook-id", &due.event_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(due.body.clone())
            .send()
            .await;
        match sent {
            Ok(answer) => Response::Status(answer.status().as_u16()),
            Err(e) if e.is_timeout() => Response::NoAnswer("timed out".into()),
            Err(e) if e.is_connect() => Response::NoAnswer(connect_error(&e)),
            Err(_) => Response::NoAnswer("request failed".into()),
        }
    }
}

/// Why a connection failed, without the URL.
fn connect_error(e: &reqwest::Error) -> String {
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let text = cause.to_string();
        if text.contains("private address") || text.contains("does not resolve") {
            return format!("connection refused: {text}");
        }
        source = cause.source();
    }
    "connection failed".into()
}

/// Name resolution for the endpoint use cases: the system's resolver.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

impl HostResolver for SystemResolver {
    async fn resolve(&self, host: &str, port: u16) -> Vec<std::net::IpAddr> {
        lookup(host, port).await
    }
}
