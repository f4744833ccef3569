//! The Sticky Calls REST API on actix-web: `GET /v1/health`, `POST /v1/calls/start`,
//! `POST /v1/calls/end`, `GET /v1/openapi.json`.
//!
//! It owns the wire contract (request and response types, generated OpenAPI), API-key
//! authentication (argon2id off the async workers, a short cache of verified keys),
//! the one mapping of every error to the body of PRODUCT section 6, request ids,
//! `Idempotency-Key` replay, and the 64 KiB body limit. It must not know SQL or any
//! product rule: requests become domain values and go to the domain's services, whose
//! ports the binary wires to real adapters.

mod account;
mod auth;
mod body;
mod calls;
mod dto;
mod error;
mod health;
mod idempotency;
pub mod keys;
mod openapi;
mod reply;
mod request_id;

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, web};
use stickycalls_domain::calls::CallService;
use stickycalls_domain::ports::{
    AccountStore, CallStore, Clock, CreditLedger, Health, IdGenerator, IdempotencyStore, UsageStore,
};

pub use auth::{KeyVerifier, VERIFIED_KEY_TTL};
pub use error::ApiError;
pub use openapi::openapi_json;

/// The adapters the API runs on, named once so handlers stay generic.
pub trait Backend: Send + Sync + 'static {
    /// Calls, customers, accounts, idempotent responses, health.
    type Store: CallStore + AccountStore + IdempotencyStore + UsageStore + Health + Clone;
    /// Credits.
    type Ledger: CreditLedger;
    /// Time.
    type Clock: Clock;
    /// New customer references.
    type Ids: IdGenerator;
}

/// What every handler shares.
pub struct AppState<B: Backend> {
    /// The call use cases.
    pub calls: CallService<B::Store, B::Ledger, B::Clock, B::Ids>,
    /// API-key checks, with their cache: shared by every HTTP worker.
    pub keys: Arc<KeyVerifier<B::Store>>,
}

impl<B: Backend> std::fmt::Debug for AppState<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

impl<B: Backend> AppState<B> {
    /// Wires the state from the adapters.
    pub fn new(store: B::Store, ledger: B::Ledger, clock: B::Clock, ids: B::Ids) -> Self {
        Self {
            keys: Arc::new(KeyVerifier::new(store.clone())),
            calls: CallService::new(store, ledger, clock, ids),
        }
    }

    /// The same key checks (and cache) with the use cases on another store and ledger:
    /// an HTTP worker's own connection pool.
    pub fn with_store(
        &self,
        store: B::Store,
        ledger: B::Ledger,
        clock: B::Clock,
        ids: B::Ids,
    ) -> Self {
        Self {
            keys: self.keys.clone(),
            calls: CallService::new(store, ledger, clock, ids),
        }
    }
}

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The application: routes, body limit, JSON errors, request ids.
pub fn app<B: Backend>(
    state: Arc<AppState<B>>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(web::Data::from(state))
        .app_data(body::json_config())
        .wrap(actix_web::middleware::from_fn(request_id::request_id))
        .service(
            web::scope("/v1")
                .service(route("/health", web::get().to(health::health::<B>)))
                .service(route("/openapi.json", web::get().to(openapi::serve)))
                .service(route("/calls/start", web::post().to(calls::start::<B>)))
                .service(route("/calls/end", web::post().to(calls::end::<B>)))
                .service(route("/account", web::get().to(account::account::<B>)))
                .service(route("/usage", web::get().to(account::usage::<B>))),
        )
        .default_service(web::to(error::not_found))
}

/// A resource whose other methods answer 405 in JSON.
fn route(path: &str, method: actix_web::Route) -> actix_web::Resource {
    web::resource(path)
        .route(method)
        .default_service(web::to(error::method_not_allowed))
}
