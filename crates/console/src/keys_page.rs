//! Keys: the environment's live keys; create one (its secret shown once, with a copy
//! button); revoke one after a confirmation page. The last live key cannot be revoked
//! (the domain refuses it, 409). Revoking the key this session signed in with ends the
//! session.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;
use stickycalls_domain::accounts::KeyInfo;
use stickycalls_domain::keys::{KeyError, key_id, lookup_id_of};

use super::layout::{self, Section, link, token_field};
use super::page_error::PageError;
use super::session::{self, TokenForm};
use super::signed::Signed;
use stickycalls_inbound::{AppState, Backend, keys};

fn create_form(who: &Signed, error: Option<&str>) -> Markup {
    let env = who.environment();
    html! {
        form.card method="post" action=(link(env, "/keys")) {
            h2 { "Create a key" }
            (token_field(who))
            label for="key-name" { "Name" }
            p.hint id="key-name-hint" { "What uses it, e.g. \"IVR production\" (1 to 100 characters)." }
            @if let Some(e) = error {
                p.field-error id="key-name-error" { (e) }
                input #key-name type="text" name="name" required maxlength="100"
                    aria-describedby="key-name-hint key-name-error" aria-invalid="true";
            } @else {
                input #key-name type="text" name="name" required maxlength="100"
                    aria-describedby="key-name-hint";
            }
            button type="submit" { "Create key" }
        }
    }
}

fn key_table(who: &Signed, keys: &[KeyInfo]) -> Markup {
    let env = who.environment();
    html! {
        div.table-wrap {
            table #keys {
                caption.label { "Live " (env.as_str()) " keys, oldest first" }
                thead { tr {
                    th scope="col" { "Name" } th scope="col" { "Key" } th scope="col" { "Created" }
                    th scope="col" { "Last used" } th scope="col" { span.label { "Action" } }
                } }
                tbody {
                    @for k in keys {
                        tr data-key-id=(key_id(&k.lookup_id)) {
                            td { (k.name) }
                            td { code { (keys::prefix(k.environment, &k.lookup_id)) "_…" (k.last4) } }
                            td { (layout::when(k.created_at)) }
                            td { (k.last_used_at.map_or_else(|| "never".to_owned(), layout::when)) }
                            td {
                                @if k.lookup_id == who.key_lookup_id { span.label { "this session's key " } }
                                @if keys.len() > 1 {
                                    a href=(link(env, &format!("/keys/{}/revoke", key_id(&k.lookup_id))))
                                        aria-label=(format!("Revoke {}", k.name)) { "Revoke" }
                                } @else {
                                    span.label { "the last key cannot be revoked" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A refusal the page states above the keys: the API's own message.
fn refused(e: KeyError) -> Markup {
    let message = stickycalls_inbound::error::ApiError::from(e)
        .message()
        .to_owned();
    html! { p.error role="alert" { (message) } }
}

async fn render<B: Backend>(
    state: &AppState<B>, who: &Signed, status: StatusCode, top: Markup, error: Option<&str>,
) -> Result<HttpResponse, PageError> {
    let keys = state.key_admin.list(&who.tenant.id).await?;
    let body = html! {
        h1 { "Keys" }
        (top)
        (key_table(who, &keys))
        (create_form(who, error))
    };
    Ok(layout::respond(
        status,
        layout::page(who, Section::Keys, "Keys", body),
    ))
}

#[derive(Debug, Deserialize)]
pub(crate) struct Notice {
    revoked: Option<String>,
}

/// `GET /console/{env}/keys`.
pub(crate) async fn list<B: Backend>(
    req: HttpRequest, state: web::Data<AppState<B>>, query: web::Query<Notice>,
) -> Result<HttpResponse, PageError> {
    let who = session::signed(&req, &state).await?;
    let top = html! {
        @if query.revoked.is_some() { p.notice role="status" { "The key was revoked." } }
    };
    render(&state, &who, StatusCode::OK, top, None).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

/// `POST /console/{env}/keys`: the new key's secret is in this response only.
pub(crate) async fn create<B: Backend>(
    req: HttpRequest, state: web::Data<AppState<B>>, form: web::Form<CreateForm>,
) -> Result<HttpResponse, PageError> {
    let who = session::signed(&req, &state).await?;
    who.check_form(&form.csrf)?;
    let created = match state
        .key_admin
        .create(&who.tenant.id, &form.name, None)
        .await
    {
        Ok(created) => created,
        Err(KeyError::Invalid(e)) => {
            let message = e
                .issues
                .first()
                .map_or_else(String::new, |i| i.message.clone());
            return render(
                &state,
                &who,
                StatusCode::BAD_REQUEST,
                html! {},
                Some(&message),
            )
            .await;
        }
        Err(e @ KeyError::TooManyKeys { .. }) => {
            return render(&state, &who, StatusCode::CONFLICT, refused(e), None).await;
        }
        Err(e) => return Err(e.into()),
    };
    tracing::info!(key_id = %key_id(&created.info.lookup_id), "key created in the console");
    let secret = created.token.into_exposed();
    let top = html! {
        section.card aria-labelledby="new-key-h" {
            h2 #new-key-h { "Your new key" }
            p role="status" { "Copy it now: it is shown only this once." }
            code.secret #new-key { (secret) }
            button.secondary type="button" data-copy="new-key" hidden { "Copy" }
            span #new-key-status role="status" {}
        }
    };
    render(&state, &who, StatusCode::CREATED, top, None).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct KeyPath {
    id: String,
}

/// `GET /console/{env}/keys/{id}/revoke`: asks first.
pub(crate) async fn confirm<B: Backend>(
    req: HttpRequest, state: web::Data<AppState<B>>, path: web::Path<KeyPath>,
) -> Result<HttpResponse, PageError> {
    let who = session::signed(&req, &state).await?;
    let lookup_id = lookup_id_of(&path.id).ok_or(KeyError::NotFound)?;
    let keys = state.key_admin.list(&who.tenant.id).await?;
    let key = keys
        .iter()
        .find(|k| k.lookup_id == lookup_id)
        .ok_or(KeyError::NotFound)?;
    let env = who.environment();
    let body = html! {
        h1 { "Revoke a key" }
        form.card method="post" action=(link(env, &format!("/keys/{}/revoke", path.id))) {
            (token_field(&who))
            p {
                "Revoke " strong { (key.name) } " (" code { (keys::prefix(key.environment, &key.lookup_id)) "_…" (key.last4) } ")? "
                "Every client using it is refused from now on; this cannot be undone."
            }
            @if key.lookup_id == who.key_lookup_id {
                p.banner.low { "This is the key you signed in with: revoking it signs you out." }
            }
            button.danger type="submit" { "Revoke key" }
            " "
            a href=(link(env, "/keys")) { "Cancel" }
        }
    };
    Ok(layout::ok(layout::page(
        &who,
        Section::Keys,
        "Revoke a key",
        body,
    )))
}

/// `POST /console/{env}/keys/{id}/revoke`.
pub(crate) async fn revoke<B: Backend>(
    req: HttpRequest, state: web::Data<AppState<B>>, path: web::Path<KeyPath>,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, PageError> {
    let who = session::signed(&req, &state).await?;
    who.check_form(&form.csrf)?;
    let lookup_id = lookup_id_of(&path.id).ok_or(KeyError::NotFound)?;
    match state.key_admin.revoke(&who.tenant.id, lookup_id).await {
        Ok(()) => {}
        Err(e @ KeyError::LastKey) => {
            return render(&state, &who, StatusCode::CONFLICT, refused(e), None).await;
        }
        Err(e) => return Err(e.into()),
    }
    state.keys.forget(lookup_id).await;
    tracing::info!(key_id = %path.id, "key revoked in the console");
    let to = if lookup_id == who.key_lookup_id {
        "/console/sign-in?ended=revoked".to_owned()
    } else {
        link(who.environment(), "/keys?revoked=1")
    };
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish())
}
