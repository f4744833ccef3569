//! Retention: how long the environment keeps calls and idle customers, as a form
//! validated by the same rule as `PUT /v1/settings/retention` (a blank period takes its
//! default: 400 days for calls, never for customers).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use stickycalls_domain::error::{Issue, RefusalKind, ValidationError};
use stickycalls_domain::retention::{MAX_DAYS, MIN_DAYS, RetentionSettings, WEBHOOK_EVENT_DAYS};

use super::layout::{self, Section, link, token_field};
use super::page_error::PageError;
use super::session;
use super::signed::Signed;
use stickycalls_inbound::error::{ApiError, IssueBody};
use stickycalls_inbound::{AppState, Backend};

/// What the two fields hold (as typed, so a refused form shows what was sent).
struct Fields {
    calls_days: String,
    customers_days: String,
}

impl From<RetentionSettings> for Fields {
    fn from(s: RetentionSettings) -> Self {
        Self {
            calls_days: s.calls_days.to_string(),
            customers_days: s.customers_days.map(|d| d.to_string()).unwrap_or_default(),
        }
    }
}

fn field(name: &str, label: &str, hint: &str, value: &str, issues: &[IssueBody]) -> Markup {
    let id = format!("retention-{name}");
    let errors: Vec<&IssueBody> = issues
        .iter()
        .filter(|i| i.path.first().is_some_and(|p| p == name))
        .collect();
    let error_id = format!("{id}-error");
    let described = (!errors.is_empty()).then_some(error_id.as_str());
    let invalid = (!errors.is_empty()).then_some("true");
    html! {
        div.field {
            label for=(id) { (label) }
            input #(id) type="number" step="1" min=(MIN_DAYS) max=(MAX_DAYS) name=(name) value=(value)
                aria-describedby=[described] aria-invalid=[invalid];
            p.hint { (hint) }
            @if !errors.is_empty() {
                p.field-error id=(error_id) { @for e in &errors { (e.message) " " } }
            }
        }
    }
}

fn render(
    who: &Signed, status: StatusCode, fields: &Fields, issues: &[IssueBody], saved: bool,
) -> HttpResponse {
    let body = html! {
        h1 { "Retention" }
        form.card method="post" action=(link(who.environment(), "/retention")) novalidate {
            h2 { "How long this environment keeps callers' data" }
            p.hint { "Enforced every 10 minutes, in small batches. Webhook events are kept "
                     (WEBHOOK_EVENT_DAYS) " days once delivered or failed; the credit ledger is kept." }
            @if saved { p.notice role="status" { "Saved." } }
            @if !issues.is_empty() {
                p.error role="alert" { "Nothing was saved: " (issues.len()) " field(s) need a change." }
            }
            (token_field(who))
            (field("calls_days", "Calls, days", "Calls started longer ago are deleted (blank: 400).",
                   &fields.calls_days, issues))
            (field("customers_days", "Idle customers, days",
                   "Customers with no call, intent or live variable for this long are erased (blank: never; at most the calls' period).",
                   &fields.customers_days, issues))
            button type="submit" { "Save retention" }
        }
        section.card aria-labelledby="export-h" {
            h2 #export-h { "Export everything" }
            p { "Every customer with their calls, intents and variables, the settings, the webhook "
                "endpoints (without secrets) and the credit ledger of this environment, as one "
                "JSON object per line (NDJSON)." }
            a.button href=(link(who.environment(), "/export")) download { "Download the export" }
        }
    };
    layout::respond(
        status,
        layout::page(who, Section::Retention, "Retention", body),
    )
}

/// `GET /console/{env}/retention`.
pub(crate) async fn page<B: Backend>(
    req: HttpRequest, state: web::Data<AppState<B>>,
) -> Result<HttpResponse, PageError> {
    let who = session::signed(&req, &state).await?;
    let settings = state.retention.settings(&who.tenant.id).await?;
    Ok(render(&who, StatusCode::OK, &settings.into(), &[], false))
}

/// A period as typed: blank is none; anything but a whole number is refused by name.
fn days(field: &str, text: &str) -> Result<Option<i64>, Issue> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| {
        Issue::at(
            field,
            format!("must be a whole number of days from {MIN_DAYS} to {MAX_DAYS}"),
        )
    })
}

fn parse(fields: &Fields) -> Result<RetentionSettings, ValidationError> {
    match (
        days("calls_days", &fields.calls_days),
        days("customers_days", &fields.customers_days),
    ) {
        (Ok(calls), Ok(customers)) => RetentionSettings::parse(calls, customers),
        (calls, customers) => Err(ValidationError {
            kind: RefusalKind::InvalidRequest,
            issues: [calls.err(), customers.err()]
                .into_iter()
                .flatten()
                .collect(),
        }),
    }
}

/// `POST /console/{env}/retention`: both periods, validated as a `PUT`.
pub(crate) async fn save<B: Backend>(
    req: HttpRequest, state: web::Data<AppState<B>>, form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let who = session::signed(&req, &state).await?;
    let sent = |name: &str| {
        form.iter()
            .find(|(n, _)| n == name)
            .map_or_else(String::new, |(_, v)| v.clone())
    };
    who.check_form(&sent("csrf"))?;
    let fields = Fields {
        calls_days: sent("calls_days"),
        customers_days: sent("customers_days"),
    };
    match parse(&fields) {
        Ok(settings) => {
            let saved = state
                .retention
                .replace(&who.tenant.id, settings)
                .await
                .map_err(ApiError::from)?;
            tracing::info!(
                calls_days = saved.calls_days,
                customers_days = saved.customers_days,
                "retention saved in the console"
            );
            Ok(render(&who, StatusCode::OK, &saved.into(), &[], true))
        }
        Err(refused) => {
            let issues = ApiError::from(refused).issues().to_vec();
            Ok(render(
                &who,
                StatusCode::BAD_REQUEST,
                &fields,
                &issues,
                false,
            ))
        }
    }
}

/// `GET /console/{env}/export`: the environment's whole export, as a download.
pub(crate) async fn export<B: Backend>(
    req: HttpRequest, state: web::Data<AppState<B>>,
) -> Result<HttpResponse, PageError> {
    let who = session::signed(&req, &state).await?;
    let tenant = who.tenant.id;
    let mut response = stickycalls_inbound::export_stream::ndjson(state, tenant).await?;
    let name = format!(
        "attachment; filename=\"stickycalls-{}-{}.ndjson\"",
        tenant.account,
        tenant.environment.as_str()
    );
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&name) {
        response
            .headers_mut()
            .insert(actix_web::http::header::CONTENT_DISPOSITION, value);
    }
    tracing::info!("account export downloaded from the console");
    Ok(response)
}
