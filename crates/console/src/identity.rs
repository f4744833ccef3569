//! Identity: how the tenant's identity decisions turned out over the last 30 days
//! (the calibration plot and figures of `GET /v1/identity/calibration`, and what
//! learning would move), and its identity settings as a form validated exactly like
//! `PUT /v1/settings/identity`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use stickycalls_domain::identity::IdentitySettings;
use stickycalls_domain::settings::CalibrationReport;

use super::charts;
use super::figures::Read;
use super::layout::{self, Section, link, percent, token_field};
use super::page_error::PageError;
use super::session;
use super::settings_form::{self, Doc};
use super::signed::Signed;
use crate::figures::Figures;
use stickycalls_inbound::body::typed;
use stickycalls_inbound::error::{ApiError, IssueBody};
use stickycalls_inbound::settings_dto::IdentitySettingsDto;
use stickycalls_inbound::{AppState, Backend};

fn calibration(read: &Read<CalibrationReport>) -> Markup {
    let report = &read.value;
    let c = &report.calibration;
    html! {
        section.card aria-labelledby="calibration-h" {
            h2 #calibration-h { "Calibration, last " (report.days) " days" }
            p.label { "As of " (layout::when_seconds(read.at)) " (read at most once a minute)." }
            dl.facts #calibration-figures {
                dt { "Calls started" } dd data-figure="calls" { (c.calls) }
                dt { "Confirmed by their end" } dd data-figure="confirmed" { (c.confirmed) }
                dt { "Brier score (0 is perfect)" } dd data-figure="brier" {
                    (c.brier.map_or_else(|| "–".to_owned(), |b| format!("{b:.3}")))
                }
                dt { "Reuse precision" } dd data-figure="precision" { (percent(c.reuse.precision)) }
                dt { "Reuse recall" } dd data-figure="recall" { (percent(c.reuse.recall)) }
                dt { "Learning" } dd { @if report.learning { "on" } @else { "off" } }
            }
            (charts::calibration("calibration-chart", &c.bins))
            details {
                summary { "The figures by confidence" }
                div.table-wrap { table {
                    thead { tr { th scope="col" { "Confidence" } th.num scope="col" { "Confirmed" }
                                 th.num scope="col" { "Right" } th.num scope="col" { "Share right" } } }
                    tbody { @for b in &c.bins { tr {
                        td { (format!("{:.1} to {:.1}", b.from, b.to)) } td.num { (b.calls) }
                        td.num { (b.correct) }
                        td.num { (percent((b.calls > 0).then(|| b.correct as f64 / b.calls as f64))) }
                    } } }
                } }
            }
            @if !report.learned.adjustments.is_empty() {
                h3 { @if report.learning { "What learning moved" } @else { "What learning would move" } }
                ul { @for a in &report.learned.adjustments {
                    li { code { (a.weight) } ": " (format!("{:.2} → {:.2}", a.from, a.to))
                         " (" (a.correct) " right of " (a.confirmed) " confirmed)" }
                } }
            }
        }
    }
}

fn settings(who: &Signed, document: &Doc, issues: &[IssueBody], saved: bool) -> Markup {
    html! {
        form.card method="post" action=(link(who.environment(), "/identity")) novalidate {
            h2 { "Identity settings" }
            p.hint { "Weights and thresholds are confidences from 0 to 1. Changes apply to new "
                     "starts at once on this server, within a minute on the others." }
            @if saved { p.notice role="status" { "Saved." } }
            @if !issues.is_empty() {
                p.error role="alert" { "Nothing was saved: " (issues.len()) " field(s) need a change." }
            }
            (token_field(who))
            (settings_form::fields(document, issues))
            button type="submit" { "Save settings" }
        }
    }
}

async fn render<B: Backend>(
    state: &AppState<B>, figures: &Figures, who: &Signed, status: StatusCode, document: &Doc,
    issues: &[IssueBody], saved: bool,
) -> Result<HttpResponse, PageError> {
    let report = figures.calibration(state, who.tenant.id).await?;
    let body = html! {
        h1 { "Identity" }
        (calibration(&report))
        (settings(who, document, issues, saved))
    };
    Ok(layout::respond(
        status,
        layout::page(who, Section::Identity, "Identity", body),
    ))
}

/// Settings as the document the form is made from.
fn document(settings: &IdentitySettings) -> Result<Doc, PageError> {
    Doc::of(&IdentitySettingsDto::from(settings)).map_err(|e| ApiError::internal(e.into()).into())
}

async fn current<B: Backend>(state: &AppState<B>, who: &Signed) -> Result<Doc, PageError> {
    document(&state.settings.settings(&who.tenant.id).await?)
}

/// `GET /console/{env}/identity`.
pub(crate) async fn page<B: Backend>(
    req: HttpRequest, state: web::Data<AppState<B>>, figures: web::Data<Figures>,
) -> Result<HttpResponse, PageError> {
    let who = session::signed(&req, &state).await?;
    let document = current(&state, &who).await?;
    render(
        &state,
        &figures,
        &who,
        StatusCode::OK,
        &document,
        &[],
        false,
    )
    .await
}

/// `POST /console/{env}/identity`: the whole document, validated as a `PUT`.
pub(crate) async fn save<B: Backend>(
    req: HttpRequest, state: web::Data<AppState<B>>, figures: web::Data<Figures>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let who = session::signed(&req, &state).await?;
    let token = form
        .iter()
        .find(|(name, _)| name == "csrf")
        .map_or("", |(_, v)| v.as_str());
    who.check_form(token)?;
    let shape = current(&state, &who).await?;
    let posted = settings_form::document(&shape, &form);
    let outcome = match typed::<IdentitySettingsDto>(&posted.to_value()) {
        Ok(dto) => state
            .settings
            .replace(&who.tenant.id, dto.into())
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match outcome {
        Ok(saved) => {
            state.policies.forget(&who.tenant.id).await;
            figures.forget_calibration(&who.tenant.id).await;
            tracing::info!(
                learning = saved.learning,
                "identity settings saved in the console"
            );
            render(
                &state,
                &figures,
                &who,
                StatusCode::OK,
                &document(&saved)?,
                &[],
                true,
            )
            .await
        }
        Err(e) if e.status() == StatusCode::BAD_REQUEST => {
            let issues = e.issues().to_vec();
            render(
                &state,
                &figures,
                &who,
                StatusCode::BAD_REQUEST,
                &posted,
                &issues,
                false,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
