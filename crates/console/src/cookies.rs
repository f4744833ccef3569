//! The console's cookies: one per environment (`stickycalls_console_test`,
//! `stickycalls_console_prod`) carrying a session's random id, `HttpOnly`,
//! `SameSite=Strict`, `Secure` when the request came over TLS, scoped to `/console`.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};
use stickycalls_domain::tenant::Environment;

/// The session cookie's name for an environment.
pub(crate) fn cookie_name(environment: Environment) -> String {
    format!("stickycalls_console_{}", environment.as_str())
}

/// The environment a console path names.
pub(crate) fn path_environment(req: &HttpRequest) -> Environment {
    match req.match_info().get("env") {
        Some("prod") => Environment::Prod,
        _ => Environment::Test,
    }
}

/// The cookie that clears an environment's session in the browser.
pub(crate) fn removal(environment: Environment) -> Cookie<'static> {
    let mut cookie = Cookie::build(cookie_name(environment), "")
        .path("/console")
        .http_only(true)
        .same_site(SameSite::Strict)
        .finish();
    cookie.make_removal();
    cookie
}
