//! Signed-in sessions: each request's cookie (`cookies`) names a session, which the
//! domain's `SessionService` resumes under the
//! [`SessionPolicy`](stickycalls_domain::console::SessionPolicy); the request then acts
//! for the tenant of the key that signed in.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};
use stickycalls_domain::console::{Resumed, csrf};
use stickycalls_domain::tenant::{Environment, Tenant};
use stickycalls_inbound::{AppState, Backend, keys};

use super::cookies::{cookie_name, path_environment};
use super::page_error::PageError;
use super::signed::Signed;

impl Signed {
    /// Refuses a form without this session's token.
    pub fn check_form(&self, sent: &str) -> Result<(), PageError> {
        if csrf::verify(&self.session_id, sent) {
            Ok(())
        } else {
            tracing::warn!("console form with a bad token refused");
            Err(PageError::BadToken)
        }
    }

    /// Ends the session (sign-out).
    pub async fn end<B: Backend>(&self, state: &AppState<B>) -> Result<(), PageError> {
        Ok(state.sessions.end(&self.session_id).await?)
    }
}

/// A form that carries only the session's token (sign-out, revoke).
#[derive(Debug, serde::Deserialize)]
pub(crate) struct TokenForm {
    /// Missing is refused as a bad token (403), not as a bad form.
    #[serde(default)]
    pub csrf: String,
}

/// The session of this request's environment, live, or the way to the sign-in page.
pub(crate) async fn signed<B: Backend>(
    req: &HttpRequest, state: &AppState<B>,
) -> Result<Signed, PageError> {
    let environment = path_environment(req);
    let sign_in = |ended| PageError::SignIn { environment, ended };
    let Some(cookie) = req.cookie(&cookie_name(environment)) else {
        return Err(sign_in(None));
    };
    let session_id = cookie.value().to_owned();
    let (tenant, key_lookup_id) = match state.sessions.resume(&session_id, environment).await? {
        Resumed::Live {
            tenant,
            key_lookup_id,
        } => (tenant, key_lookup_id),
        Resumed::Gone(end) => return Err(sign_in(end)),
    };
    let policy = state.policies.of(tenant, &state.settings).await?;
    Ok(Signed {
        tenant: Tenant { id: tenant, policy },
        key_lookup_id,
        session_id,
    })
}

/// Opens a session for a verified key; returns the cookie that carries it.
pub(crate) async fn open<B: Backend>(
    req: &HttpRequest, state: &AppState<B>, environment: Environment, key_lookup_id: &str,
) -> Result<Cookie<'static>, PageError> {
    let session_id = keys::random_hex(32);
    state.sessions.open(&session_id, key_lookup_id).await?;
    Ok(Cookie::build(cookie_name(environment), session_id)
        .path("/console")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(req.connection_info().scheme() == "https")
        .finish())
}
