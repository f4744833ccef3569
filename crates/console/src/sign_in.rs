//! Signing in and out. A key is exchanged for a session of its own tenant and
//! environment; signing in to one environment ends the browser's session of the other
//! when it belongs to another account, so one browser never mixes two accounts.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;
use stickycalls_domain::tenant::Environment;

use super::cookies::{self, cookie_name};
use super::layout;
use super::page_error::PageError;
use super::session::{self, TokenForm};
use stickycalls_inbound::{AppState, Backend};

/// `GET /console`: to the environment the browser is signed in to, else to sign in.
pub(crate) async fn landing(req: HttpRequest) -> HttpResponse {
    let to = [Environment::Prod, Environment::Test]
        .into_iter()
        .find(|env| req.cookie(&cookie_name(*env)).is_some())
        .map_or_else(
            || "/console/sign-in".to_owned(),
            |env| layout::link(env, "/"),
        );
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

#[derive(Debug, Deserialize)]
pub(crate) struct SignInQuery {
    environment: Option<String>,
    ended: Option<String>,
}

fn form(notice: Option<&str>, error: Option<&str>) -> Markup {
    layout::bare(
        "Sign in",
        html! {
            h1 { "Sign in" }
            @if let Some(n) = notice { p.notice role="status" { (n) } }
            @if let Some(e) = error { p.error role="alert" id="sign-in-error" { (e) } }
            form.card method="post" action="/console/sign-in" {
                label for="key" { "API key" }
                p.hint id="key-hint" {
                    "A test key (sk_test_…) opens the test environment, a production key "
                    "(sk_prod_…) production. The key stays on the server: this browser gets "
                    "a session cookie."
                }
                @if error.is_some() {
                    input #key type="password" name="key" required autocomplete="off"
                        spellcheck="false" aria-describedby="key-hint sign-in-error"
                        aria-invalid="true";
                } @else {
                    input #key type="password" name="key" required autocomplete="off"
                        spellcheck="false" aria-describedby="key-hint";
                }
                button type="submit" { "Sign in" }
            }
        },
    )
}

/// `GET /console/sign-in`.
pub(crate) async fn page(query: web::Query<SignInQuery>) -> HttpResponse {
    let notice = match query.ended.as_deref() {
        Some("idle") => Some("Your session ended after a while without use. Sign in again."),
        Some("expired") => Some("Your session reached its time limit. Sign in again."),
        Some("revoked") => Some("The key this session signed in with was revoked."),
        Some("signed_out") => Some("You are signed out."),
        _ => match query.environment.as_deref() {
            Some("prod") => Some("Sign in with a production key (sk_prod_…) to see production."),
            Some("test") => {
                Some("Sign in with a test key (sk_test_…) to see the test environment.")
            }
            _ => None,
        },
    };
    layout::ok(form(notice, None))
}

#[derive(Debug, Deserialize)]
pub(crate) struct SignInForm {
    key: String,
}

/// `POST /console/sign-in`.
pub(crate) async fn submit<B: Backend>(
    req: HttpRequest, state: web::Data<AppState<B>>, body: web::Form<SignInForm>,
) -> Result<HttpResponse, PageError> {
    let verified = match state.keys.verify(body.key.trim()).await {
        Ok(v) => v,
        Err(e) if e.status() == StatusCode::UNAUTHORIZED => {
            tracing::info!("console sign-in refused");
            return Ok(layout::respond(
                StatusCode::UNAUTHORIZED,
                form(
                    None,
                    Some("That key was not accepted: check it and try again."),
                ),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let environment = verified.tenant.environment;
    let cookie = session::open(&req, &state, environment, &verified.lookup_id).await?;
    let mut response = HttpResponse::SeeOther();
    response.insert_header((header::LOCATION, layout::link(environment, "/")));
    // The other environment's session stays only if it is the same account's.
    let other = match environment {
        Environment::Test => Environment::Prod,
        Environment::Prod => Environment::Test,
    };
    if let Some(theirs) = req.cookie(&cookie_name(other)) {
        let kept = state
            .sessions
            .keep_if_of(theirs.value(), &verified.tenant.account)
            .await?;
        if !kept {
            response.cookie(cookies::removal(other));
        }
    }
    tracing::info!(key_id = %stickycalls_domain::keys::key_id(&verified.lookup_id), "console sign-in");
    Ok(response.cookie(cookie).finish())
}

/// `POST /console/{env}/sign-out`.
pub(crate) async fn sign_out<B: Backend>(
    req: HttpRequest, state: web::Data<AppState<B>>, body: web::Form<TokenForm>,
) -> Result<HttpResponse, PageError> {
    let who = session::signed(&req, &state).await?;
    who.check_form(&body.csrf)?;
    who.end(&state).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/console/sign-in?ended=signed_out"))
        .cookie(cookies::removal(who.environment()))
        .finish())
}
