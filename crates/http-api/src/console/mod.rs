//! The web console at `/console`: server-rendered HTML (maud) with a little
//! progressive JavaScript, every asset embedded in the binary. A person signs in with
//! an API key and gets a server-side session for that key's tenant; the pages read and
//! change what the REST API does, through the same domain services and the same error
//! mapping. The console owns its pages, cookies, form tokens and security headers; the
//! rules behind them (session lifetimes, form tokens, the credits banner, totals,
//! masking) are the domain's `console` module. It must not know SQL.

mod assets;
mod billing;
mod charts;
mod customers;
mod figures;
mod guard;
mod identity;
mod keys_page;
mod layout;
mod overview;
mod page_error;
mod session;
mod settings_form;
mod sign_in;

use actix_web::web;

pub(crate) use figures::Figures;

use crate::Backend;

/// The environments a console path names.
const ENV: &str = "/{env:test|prod}";

/// The console's routes, under `/console`.
pub(crate) fn routes<B: Backend>(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/console")
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
                    .route("/billing", web::get().to(billing::page::<B>)),
            ),
    );
}
