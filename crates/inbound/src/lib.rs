//! What the inbound adapters share (the REST API, the web console and the MCP server,
//! each a crate of its own over this one): the state every handler gets, which holds
//! the domain's services and nothing of storage ([`AppState`]); API-key authentication
//! (argon2id off the async workers, a short cache of verified keys that a revocation
//! clears at once, on every node when the store broadcasts it); the short cache of
//! tenants' policies; per-key and per-address rate limits (shared by every node through
//! the domain's `SharedLimiter` port when one is wired); the client's address behind
//! trusted proxies; request ids; Prometheus metrics; readiness; the body deadline and
//! the 64 KiB limit; the one mapping of every error to the body docs/API.md "Errors"
//! gives; and the wire types (the JSON requests and answers, with their schemas) that
//! REST and MCP both speak. [`app`] is the application shell the binary fills with
//! each adapter's routes.
//!
//! It must not know SQL, any store, or any adapter's routes, pages or tools; no rule of
//! the product lives here: requests become domain values and go to the domain's services.

mod argon2_memory;
pub mod auth;
pub mod body;
pub mod calls;
pub mod client_address;
pub mod customer_dto;
pub mod deadline;
pub mod dto;
pub mod error;
pub mod export_stream;
pub mod field_schema;
mod invalidation;
pub mod keys;
pub mod metrics;
pub mod policies;
pub mod ratelimit;
pub mod readiness;
pub mod redact;
pub mod request_id;
pub mod retention_dto;
pub mod settings_dto;
pub mod telco_log;
pub mod webhook_dto;
pub mod wire_schemas;

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, web};
use stickycalls_domain::accounts::AccountService;
use stickycalls_domain::calls::CallService;
use stickycalls_domain::console::{SessionPolicy, SessionService};
use stickycalls_domain::customers::CustomerService;
use stickycalls_domain::export::ExportService;
use stickycalls_domain::health::HealthService;
use stickycalls_domain::idempotency::IdempotencyService;
use stickycalls_domain::keys::KeyService;
use stickycalls_domain::ports::{
    AccountStore, CallStore, Clock, ConsoleSessionStore, CreditLedger, CustomerStore, ExportStore,
    Health, HostResolver, IdGenerator, IdempotencyStore, IdentityStore, KeyStore, LinkTouch, Purge,
    RetentionStore, RollupStore, SharedVault, UnsealedStore, UsageStore, WebhookStore,
};
use stickycalls_domain::ratelimit::SharedLimiter;
use stickycalls_domain::retention::{ClosureService, RetentionService};
use stickycalls_domain::settings::SettingsService;
use stickycalls_domain::usage::UsageService;
use stickycalls_domain::webhooks::WebhookService;

pub use auth::{KeyVerifier, VERIFIED_KEY_TTL, Verified};
pub use client_address::TrustedProxies;
pub use deadline::CLIENT_TIMEOUT;
pub use error::ApiError;
pub use metrics::Metrics;
pub use policies::{Policies, SETTINGS_TTL};
pub use ratelimit::{Limit, LimiterGauges, RateLimitSettings, RateLimits};
pub use readiness::Readiness;

/// The adapter types the binary picks: the domain services in [`AppState`] are built
/// over them, and no handler holds one (handlers stay generic over this).
pub trait Backend: Send + Sync + 'static {
    /// Calls, customers, accounts, idempotent responses, health.
    type Store: CallStore
        + CustomerStore
        + AccountStore
        + KeyStore
        + IdempotencyStore
        + Purge
        + RetentionStore
        + RollupStore
        + ExportStore
        + UsageStore
        + IdentityStore
        + ConsoleSessionStore
        + WebhookStore
        + Health
        + UnsealedStore
        + Clone;
    /// Credits.
    type Ledger: CreditLedger + Clone;
    /// Time.
    type Clock: Clock + Clone;
    /// New customer references and account ids.
    type Ids: IdGenerator + Clone;
    /// Name resolution for webhook URLs.
    type Resolver: HostResolver + Clone + Default;
}

/// What the operator decides about the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiOptions {
    /// Whether `POST /v1/accounts` opens accounts for anyone.
    pub public_signup: bool,
    /// Rate limits per plan and for signup.
    pub rate_limits: RateLimitSettings,
    /// How long a verified key is trusted before it is checked again: the bound on
    /// how long a key revoked elsewhere keeps working on this process.
    pub verified_key_ttl: std::time::Duration,
    /// How long a tenant's policy (its identity settings, and what learning makes of
    /// them) is kept before it is read again.
    pub settings_ttl: std::time::Duration,
    /// How long a client has to send a request's body once its headers are in (the
    /// server gives it as long for the headers): past it, 408 and the connection closes.
    pub client_timeout: std::time::Duration,
    /// The reverse proxies whose `X-Forwarded-For` names the client (none by default).
    pub trusted_proxies: TrustedProxies,
    /// How long web console sessions live.
    pub console_sessions: SessionPolicy,
    /// Whether webhook endpoints may reach private addresses
    /// (`STICKYCALLS_WEBHOOKS_ALLOW_PRIVATE`).
    pub webhooks_allow_private: bool,
}

impl Default for ApiOptions {
    fn default() -> Self {
        Self {
            public_signup: true,
            rate_limits: RateLimitSettings::default(),
            verified_key_ttl: VERIFIED_KEY_TTL,
            settings_ttl: SETTINGS_TTL,
            client_timeout: CLIENT_TIMEOUT,
            trusted_proxies: TrustedProxies::default(),
            console_sessions: SessionPolicy::default(),
            webhooks_allow_private: false,
        }
    }
}

/// What every handler shares.
pub struct AppState<B: Backend> {
    /// The call use cases.
    pub calls: CallService<B::Store, B::Ledger, B::Clock, B::Ids>,
    /// The customer use cases (search, read, export, erase, variables).
    pub customers: CustomerService<B::Store, B::Clock>,
    /// The usage report and account summary.
    pub usage: UsageService<B::Store, B::Ledger, B::Clock>,
    /// Identity settings, the policy they give, calibration.
    pub settings: SettingsService<B::Store, B::Clock>,
    /// Retention settings.
    pub retention: RetentionService<B::Store, B::Clock>,
    /// The whole-environment export.
    pub export: ExportService<B::Store, B::Clock>,
    /// Closing the account.
    pub closure: ClosureService<B::Store, B::Clock>,
    /// `Idempotency-Key` claims, replays and kept responses.
    pub idempotency: IdempotencyService<B::Store, B::Clock>,
    /// Whether the store answers, and its pool's use.
    pub health: HealthService<B::Store>,
    /// The web console's sessions.
    pub sessions: SessionService<B::Store, B::Clock>,
    /// Time, for what is not a use case (when the console's figures were read).
    pub clock: B::Clock,
    /// The account use cases (signup).
    pub accounts: AccountService<B::Store, B::Ledger, B::Clock, B::Ids, keys::Argon2Minter>,
    /// The key use cases (create within the cap, list, revoke).
    pub key_admin: KeyService<B::Store, B::Clock, keys::Argon2Minter>,
    /// The webhook endpoint use cases.
    pub webhooks: WebhookService<B::Store, B::Resolver, B::Clock, B::Ids>,
    /// API-key checks, with their cache: shared by every HTTP worker.
    pub keys: Arc<KeyVerifier<B::Store, B::Clock>>,
    /// Tenants' policies, with their cache: shared by every HTTP worker.
    pub policies: Arc<Policies>,
    /// Rate limiters: shared by every HTTP worker.
    pub limits: Arc<RateLimits>,
    /// Metrics: shared by every HTTP worker.
    pub metrics: Arc<Metrics>,
    /// The operator's choices.
    pub options: Arc<ApiOptions>,
    /// Whether the database is ready: shared by every HTTP worker.
    pub readiness: Readiness,
    /// The data keys: shared by every HTTP worker.
    vault: SharedVault,
    /// Moves links stored in clear before lookups compare indexes, if set.
    links: Option<Arc<dyn LinkTouch>>,
}

impl<B: Backend> std::fmt::Debug for AppState<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

/// What every HTTP worker shares, whatever its store.
struct Shared<B: Backend> {
    keys: Arc<KeyVerifier<B::Store, B::Clock>>,
    policies: Arc<Policies>,
    limits: Arc<RateLimits>,
    metrics: Arc<Metrics>,
    options: Arc<ApiOptions>,
    readiness: Readiness,
    vault: SharedVault,
    links: Option<Arc<dyn LinkTouch>>,
}

impl<B: Backend> AppState<B> {
    /// Wires the state from the adapters; personal data is sealed under `vault`'s keys.
    pub fn new(
        store: B::Store, ledger: B::Ledger, clock: B::Clock, ids: B::Ids, vault: SharedVault,
        options: ApiOptions,
    ) -> Self {
        let shared = Shared {
            keys: Arc::new(KeyVerifier::new(
                store.clone(),
                clock.clone(),
                options.verified_key_ttl,
            )),
            policies: Arc::new(Policies::new(options.settings_ttl)),
            limits: Arc::new(RateLimits::new(&options.rate_limits)),
            metrics: Arc::new(Metrics::default()),
            options: Arc::new(options),
            readiness: Readiness::ready(),
            vault,
            links: None,
        };
        Self::assemble(shared, store, ledger, clock, ids)
    }

    /// The same state, its rate limits counted by `limiter`, which every node shares
    /// (call it before the HTTP workers copy the state).
    pub fn sharing_limits(self, limiter: Arc<dyn SharedLimiter>) -> Self {
        let limits = RateLimits::new(&self.options.rate_limits)
            .shared_by(limiter, self.metrics.limiter_gauges());
        Self {
            limits: Arc::new(limits),
            ..self
        }
    }

    /// The same state, its starts, ends and searches moving links a version before
    /// encryption stored in clear (through `links`) before they compare indexes.
    pub fn touching_links(self, links: Arc<dyn LinkTouch>) -> Self {
        Self {
            calls: self.calls.touching(links.clone()),
            customers: self.customers.touching(links.clone()),
            links: Some(links),
            ..self
        }
    }

    /// The same state, serving only health and metrics until `readiness` is set.
    pub fn ready_when(self, readiness: Readiness) -> Self {
        Self { readiness, ..self }
    }

    /// The same key checks (and cache) with the use cases on another store and ledger:
    /// an HTTP worker's own connection pool.
    pub fn with_store(
        &self, store: B::Store, ledger: B::Ledger, clock: B::Clock, ids: B::Ids,
    ) -> Self {
        let shared = Shared {
            keys: self.keys.clone(),
            policies: self.policies.clone(),
            limits: self.limits.clone(),
            metrics: self.metrics.clone(),
            options: self.options.clone(),
            readiness: self.readiness.clone(),
            vault: self.vault.clone(),
            links: self.links.clone(),
        };
        Self::assemble(shared, store, ledger, clock, ids)
    }

    /// The use cases over one store and ledger, beside what is shared.
    fn assemble(
        shared: Shared<B>, store: B::Store, ledger: B::Ledger, clock: B::Clock, ids: B::Ids,
    ) -> Self {
        let probe = HealthService::new(store.clone());
        let customers = CustomerService::new(store.clone(), clock.clone(), shared.vault.clone());
        let calls = CallService::new(
            store.clone(),
            ledger.clone(),
            clock.clone(),
            ids.clone(),
            shared.vault.clone(),
        );
        let (calls, customers) = match &shared.links {
            Some(links) => (
                calls.touching(links.clone()),
                customers.touching(links.clone()),
            ),
            None => (calls, customers),
        };
        shared.metrics.watch_pool(move || probe.pool_use());
        Self {
            key_admin: KeyService::new(store.clone(), clock.clone(), keys::Argon2Minter),
            webhooks: WebhookService::new(
                store.clone(),
                B::Resolver::default(),
                clock.clone(),
                ids.clone(),
                shared.options.webhooks_allow_private,
            ),
            customers,
            usage: UsageService::new(store.clone(), ledger.clone(), clock.clone()),
            settings: SettingsService::new(store.clone(), clock.clone()),
            retention: RetentionService::new(store.clone(), clock.clone(), shared.vault.clone()),
            export: ExportService::new(store.clone(), clock.clone(), shared.vault.clone()),
            closure: ClosureService::new(store.clone(), clock.clone(), shared.vault.clone()),
            accounts: AccountService::new(
                store.clone(),
                ledger.clone(),
                clock.clone(),
                ids.clone(),
                keys::Argon2Minter,
            ),
            idempotency: IdempotencyService::new(store.clone(), clock.clone()),
            health: HealthService::new(store.clone()),
            sessions: SessionService::new(
                store.clone(),
                clock.clone(),
                shared.options.console_sessions,
            ),
            clock: clock.clone(),
            calls,
            vault: shared.vault,
            links: shared.links,
            keys: shared.keys,
            policies: shared.policies,
            limits: shared.limits,
            metrics: shared.metrics,
            options: shared.options,
            readiness: shared.readiness,
        }
    }
}

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The application shell: the state, the body limit, JSON errors for bad paths and
/// queries, and the middleware every route passes (request ids, metrics, rate-limit
/// headers, readiness, the body deadline); `rooms` adds each adapter's routes, and what
/// none of them answers is a JSON 404.
pub fn app<B: Backend>(
    state: Arc<AppState<B>>, rooms: impl FnOnce(&mut web::ServiceConfig),
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let metrics = web::Data::from(state.metrics.clone());
    App::new()
        .app_data(web::Data::from(state))
        .app_data(metrics)
        .app_data(body::json_config())
        .app_data(
            web::PathConfig::default().error_handler(|e, _| {
                ApiError::invalid(Vec::new(), format!("bad path: {e}")).into()
            }),
        )
        .app_data(
            web::QueryConfig::default().error_handler(|e, _| {
                ApiError::invalid(Vec::new(), format!("bad query: {e}")).into()
            }),
        )
        .wrap(actix_web::middleware::from_fn(deadline::body_deadline::<B>))
        .wrap(actix_web::middleware::from_fn(readiness::gate::<B>))
        .wrap(actix_web::middleware::from_fn(ratelimit::headers))
        .wrap(actix_web::middleware::from_fn(metrics::record))
        .wrap(actix_web::middleware::from_fn(request_id::request_id))
        .configure(rooms)
        .default_service(web::to(error::not_found))
}
