//! The Sticky Calls REST API on actix-web: calls (`/v1/calls/start`, `/v1/calls/end`),
//! the tenant's own account, usage, keys, customers (search, read, export, erase,
//! variables), identity settings and calibration, signup (`POST /v1/accounts`),
//! `GET /v1/health`, `GET /v1/openapi.json`, the reference page `GET /docs`, the
//! agents' prompts `GET /v1/prompts/{name}`, `GET /metrics` and webhook endpoints
//! (`/v1/webhooks`).
//!
//! It owns the REST routes, `Idempotency-Key` replay (the domain judges a held key; this
//! maps the verdict to a response), the OpenAPI document and the Postman collection
//! generated from the code, and `/docs`. What every inbound adapter shares (the state,
//! key authentication, rate limits, the error body, the wire types) is
//! `stickycalls-inbound`'s. It must not know SQL, any store, any product rule, or the
//! console's and the MCP server's pages and tools.

mod account;
mod calls;
mod customers;
mod docs_page;
mod health;
mod idempotency;
mod key_routes;
mod openapi;
mod openapi_failures;
mod openapi_settings;
mod openapi_tenant;
mod openapi_webhooks;
#[cfg(test)]
mod postman;
mod prompts;
mod reply;
mod resource;
mod retention;
mod settings;
mod signup;
mod webhook_routes;

use actix_web::web;
use resource::resource;
use stickycalls_inbound::Backend;
use stickycalls_inbound::metrics;

pub use key_routes::KeyDto;
pub use openapi::openapi_json;

/// Adds the REST API's routes: `/v1`, `/metrics` and `/docs`.
pub fn routes<B: Backend>(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/metrics").get(metrics::serve).done())
        .service(resource("/docs").get(docs_page::page).done())
        .service(
            // 940 KB as is, about 300 KB gzipped for a browser that asks.
            web::resource("/docs/redoc.standalone.js")
                .wrap(actix_web::middleware::Compress::default())
                .route(web::get().to(docs_page::script))
                .route(web::head().to(docs_page::script)),
        )
        .service(
            web::scope("/v1")
                .service(resource("/health").get(health::health::<B>).done())
                .service(resource("/openapi.json").get(openapi::serve).done())
                .service(resource("/prompts/{name}").get(prompts::serve).done())
                .service(resource("/calls/start").post(calls::start::<B>).done())
                .service(resource("/calls/end").post(calls::end::<B>).done())
                .service(
                    resource("/account")
                        .get(account::account::<B>)
                        .delete(account::close::<B>)
                        .done(),
                )
                .service(resource("/account/export").get(account::export::<B>).done())
                .service(resource("/usage").get(account::usage::<B>).done())
                .service(
                    resource("/settings/identity")
                        .get(settings::read::<B>)
                        .put(settings::replace::<B>)
                        .done(),
                )
                .service(
                    resource("/settings/retention")
                        .get(retention::read::<B>)
                        .put(retention::replace::<B>)
                        .done(),
                )
                .service(
                    resource("/identity/calibration")
                        .get(settings::calibration::<B>)
                        .done(),
                )
                .service(resource("/accounts").post(signup::signup::<B>).done())
                .service(
                    resource("/keys")
                        .get(key_routes::list::<B>)
                        .post(key_routes::create::<B>)
                        .done(),
                )
                .service(
                    resource("/keys/{id}")
                        .delete(key_routes::revoke::<B>)
                        .done(),
                )
                .service(
                    resource("/webhooks")
                        .get(webhook_routes::list::<B>)
                        .post(webhook_routes::create::<B>)
                        .done(),
                )
                .service(
                    resource("/webhooks/{id}")
                        .get(webhook_routes::read::<B>)
                        .delete(webhook_routes::delete::<B>)
                        .done(),
                )
                .service(
                    resource("/webhooks/{id}/rotate-secret")
                        .post(webhook_routes::rotate::<B>)
                        .done(),
                )
                .service(
                    resource("/webhooks/{id}/deliveries")
                        .get(webhook_routes::deliveries::<B>)
                        .done(),
                )
                .service(resource("/customers").get(customers::search::<B>).done())
                .service(
                    resource("/customers/{customer_ref}")
                        .get(customers::read::<B>)
                        .delete(customers::erase::<B>)
                        .done(),
                )
                .service(
                    resource("/customers/{customer_ref}/export")
                        .get(customers::export::<B>)
                        .done(),
                )
                .service(
                    resource("/customers/{customer_ref}/variables/{key}")
                        .put(customers::put_variable::<B>)
                        .delete(customers::delete_variable::<B>)
                        .done(),
                ),
        );
}
