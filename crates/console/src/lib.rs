//! The web console at `/console`: server-rendered HTML (maud) with a little
//! progressive JavaScript, every asset embedded in the binary. A person signs in with
//! an API key and gets a server-side session for that key's tenant; the pages read and
//! change what the REST API does, through the same domain services and the same error
//! mapping (both from `stickycalls-inbound`). The console owns its pages, cookies,
//! form tokens, security headers and the minute-long cache of its heavy figures; the
//! rules behind them (session lifetimes, form tokens, the credits banner, totals,
//! masking) are the domain's `console` module. It must not know SQL, any store, or the
//! REST API's and the MCP server's routes.

mod assets;
mod billing;
mod charts;
mod cookies;
mod customers;
mod figures;
mod guard;
mod identity;
mod keys_page;
mod layout;
mod overview;
mod page_error;
mod retention;
mod session;
mod settings_form;
mod sign_in;
mod signed;

use std::sync::Arc;

use actix_web::web;
use stickycalls_inbound::Backend;

use figures::Figures;

/// The environments a console path names.
const ENV: &str = "/{env:test|prod}";

/// The console, with what its pages keep between requests (shared by every HTTP worker
/// that clones it).
#[derive(Debug, Clone, Default)]
pub struct Console {
    figures: Arc<Figures>,
}

impl Console {
    /// Adds the console's routes, under `/console`.
    pub fn mount<B: Backend>(&self, cfg: &mut web::ServiceConfig) {
        routes::<B>(cfg, web::Data::from(self.figures.clone()));
    }
}

fn routes<B: Backend>(cfg: &mut web::ServiceConfig, figures: web::Data<Figures>) {
    cfg.service(
        web::scope("/console")
            .app_data(figures)
            .wrap(actix_web::middleware::from_fn(guard::guard))
            .route("", web::get().to(sign_in::landing))
            .route("/", web::get().to(sign_in::landing))
            .route("/sign-in", web::get().to(sign_in::page))
            .route("/sign-in", web::post().to(sign_in::submit::<B>))
            .route("/assets/{name}", web::get().to(assets::serve))
            .service(
                web::scope(ENV)
                    .route("", web::get().to(overview::page::<B>))
                    .route("/", web::get().to(overview::page::<B>))
                    .route("/sign-out", web::post().to(sign_in::sign_out::<B>))
                    .route("/keys", web::get().to(keys_page::list::<B>))
                    .route("/keys", web::post().to(keys_page::create::<B>))
                    .route("/keys/{id}/revoke", web::get().to(keys_page::confirm::<B>))
                    .route("/keys/{id}/revoke", web::post().to(keys_page::revoke::<B>))
                    .route(
                        "/customers",
                        web::get().to(customers::search_form_page::<B>),
                    )
                    .route("/customers", web::post().to(customers::search::<B>))
                    .route("/customers/{ref}", web::get().to(customers::record::<B>))
                    .route(
                        "/customers/{ref}/export",
                        web::get().to(customers::export::<B>),
                    )
                    .route(
                        "/customers/{ref}/erase",
                        web::get().to(customers::confirm_erase::<B>),
                    )
                    .route(
                        "/customers/{ref}/erase",
                        web::post().to(customers::erase::<B>),
                    )
                    .route("/identity", web::get().to(identity::page::<B>))
                    .route("/identity", web::post().to(identity::save::<B>))
                    .route("/retention", web::get().to(retention::page::<B>))
                    .route("/retention", web::post().to(retention::save::<B>))
                    .route("/export", web::get().to(retention::export::<B>))
                    .route("/billing", web::get().to(billing::page::<B>)),
            ),
    );
}
