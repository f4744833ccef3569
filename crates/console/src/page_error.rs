//! The console's one mapping of failures to pages: a missing or ended session goes to
//! the sign-in page (and its cookie is cleared), a bad form token or a form from
//! another site is 403, and every other error is the API's own (same status, same
//! message, the fields at fault) shown as a page.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};
use maud::html;
use stickycalls_domain::console::SessionEnd;
use stickycalls_domain::tenant::Environment;

use super::{cookies, layout};
use stickycalls_inbound::error::ApiError;

/// Why a console request did not get its page.
#[derive(Debug)]
pub(crate) enum PageError {
    /// No session for this environment, or it ended: sign in again.
    SignIn {
        /// The environment asked for.
        environment: Environment,
        /// Why the session ended, if it did.
        ended: Option<SessionEnd>,
    },
    /// A form without this session's token.
    BadToken,
    /// A form posted from another site.
    CrossSite,
    /// What the API would answer.
    Api(ApiError),
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PageError::SignIn { .. } => f.write_str("sign in"),
            PageError::BadToken => f.write_str("bad form token"),
            PageError::CrossSite => f.write_str("cross-site form"),
            PageError::Api(e) => e.fmt(f),
        }
    }
}

/// What the sign-in page is told of an ended session.
pub(crate) fn ended_code(end: SessionEnd) -> &'static str {
    match end {
        SessionEnd::KeyRevoked => "revoked",
        SessionEnd::Expired => "expired",
        SessionEnd::Idle => "idle",
    }
}

macro_rules! from_api_errors {
    ($($t:ty),* $(,)?) => {$(
        impl From<$t> for PageError {
            fn from(e: $t) -> Self {
                PageError::Api(ApiError::from(e))
            }
        }
    )*};
}

from_api_errors!(
    stickycalls_domain::StoreError,
    stickycalls_domain::ValidationError,
    stickycalls_domain::usage::UsageError,
    stickycalls_domain::keys::KeyError,
    stickycalls_domain::customers::CustomerError,
    stickycalls_domain::settings::SettingsError,
);

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        PageError::Api(e)
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::SignIn { .. } => StatusCode::SEE_OTHER,
            PageError::BadToken | PageError::CrossSite => StatusCode::FORBIDDEN,
            PageError::Api(e) => e.status(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (title, message) = match self {
            PageError::SignIn { environment, ended } => {
                let mut to = format!("/console/sign-in?environment={}", environment.as_str());
                if let Some(end) = ended {
                    to.push_str("&ended=");
                    to.push_str(ended_code(*end));
                }
                return HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, to))
                    .cookie(cookies::removal(*environment))
                    .finish();
            }
            PageError::BadToken => (
                "Form expired",
                "This form is out of date. Go back, reload the page and try again.".to_owned(),
            ),
            PageError::CrossSite => (
                "Refused",
                "A form from another site cannot act on this console.".to_owned(),
            ),
            PageError::Api(e) => {
                e.log_cause();
                ("Something went wrong", e.message().to_owned())
            }
        };
        let issues = match self {
            PageError::Api(e) => e.issues().to_vec(),
            _ => Vec::new(),
        };
        let body = html! {
            h1 { (title) }
            p role="alert" { (message) }
            @if !issues.is_empty() {
                ul { @for i in &issues { li { code { (i.path.join(".")) } ": " (i.message) } } }
            }
            p { a href="/console" { "Back to the console" } }
        };
        layout::respond(self.status_code(), layout::bare(title, body))
    }
}
