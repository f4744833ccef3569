//! Customers: search by number, external id or ref; a customer's page (numbers
//! masked, external ids, open intents, live variables with their expiry, recent calls
//! with their identity decisions); export as a JSON download; erase after typing the
//! ref. Reads and erasure go through the same domain service as the API.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;
use stickycalls_domain::calls::CallRecord;
use stickycalls_domain::console::masked_number;
use stickycalls_domain::customers::{CustomerError, CustomerRecord, CustomerView};
use stickycalls_domain::identity::Verdict;

use super::layout::{self, Section, link, token_field, when};
use super::page_error::PageError;
use super::session;
use super::signed::Signed;
use stickycalls_inbound::customer_dto::CustomerExport;
use stickycalls_inbound::error::ApiError;
use stickycalls_inbound::{AppState, Backend};

/// Calls listed on a customer's page.
const RECENT_CALLS: usize = 20;

/// `/console/{env}/customers/{ref}...`.
#[derive(Debug, Deserialize)]
pub(crate) struct CustomerPath {
    #[serde(rename = "ref")]
    customer: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Notice {
    erased: Option<String>,
}

/// A search: posted, so a number never sits in a URL (a proxy's access log, the
/// browser's history).
#[derive(Debug, Deserialize)]
pub(crate) struct SearchForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    q: String,
    by: Option<String>,
}

fn search_form(who: &Signed, q: &str, by: &str) -> Markup {
    let option = |value: &str, label: &str| {
        html! {
            @if value == by { option value=(value) selected { (label) } }
            @else { option value=(value) { (label) } }
        }
    };
    html! {
        form.card.inline method="post" action=(link(who.environment(), "/customers")) role="search" {
            (token_field(who))
            div {
                label for="by" { "Search by" }
                select #by name="by" {
                    (option("number", "Phone number"))
                    (option("external_id", "External id (namespace:value)"))
                    (option("ref", "Customer ref"))
                }
            }
            div {
                label for="q" { "Value" }
                input #q type="search" name="q" value=(q) required;
            }
            button type="submit" { "Search" }
        }
    }
}

fn results(who: &Signed, found: &[CustomerView]) -> Markup {
    html! {
        @if found.is_empty() {
            p role="status" #no-results { "No customer found." }
        } @else {
            div.table-wrap {
                table #results {
                    caption.label { (found.len()) " found, most recently linked first" }
                    thead { tr {
                        th scope="col" { "Customer" } th scope="col" { "Numbers" }
                        th.num scope="col" { "Calls" } th scope="col" { "Last call" }
                    } }
                    tbody {
                        @for c in found {
                            tr {
                                td { a href=(link(who.environment(), &format!("/customers/{}", c.customer_ref.as_str()))) {
                                    (c.customer_ref.as_str())
                                } }
                                td { @for p in &c.phones { (masked_number(&p.e164)) " " } }
                                td.num { (c.total_calls) }
                                td { (c.last_call_at.map_or_else(|| "–".to_owned(), when)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /console/{env}/customers`: the search form.
pub(crate) async fn search_form_page<B: Backend>(
    req: HttpRequest, state: web::Data<AppState<B>>, query: web::Query<Notice>,
) -> Result<HttpResponse, PageError> {
    let who = session::signed(&req, &state).await?;
    let body = html! {
        h1 { "Customers" }
        @if query.erased.is_some() { p.notice role="status" { "The customer was erased." } }
        (search_form(&who, "", "number"))
    };
    Ok(layout::ok(layout::page(
        &who,
        Section::Customers,
        "Customers",
        body,
    )))
}

/// `POST /console/{env}/customers`: by `number`, `external_id` or `ref`.
pub(crate) async fn search<B: Backend>(
    req: HttpRequest, state: web::Data<AppState<B>>, form: web::Form<SearchForm>,
) -> Result<HttpResponse, PageError> {
    let who = session::signed(&req, &state).await?;
    who.check_form(&form.csrf)?;
    let (q, by) = (form.q.trim(), form.by.as_deref().unwrap_or("number"));
    let mut status = StatusCode::OK;
    let outcome = if q.is_empty() {
        html! {}
    } else {
        let found = match by {
            "ref" => match state.customers.get(&who.tenant.id, q).await {
                Ok(view) => Ok(vec![view]),
                Err(CustomerError::NotFound) => Ok(Vec::new()),
                Err(e) => Err(e),
            },
            "external_id" => state.customers.search(&who.tenant, None, Some(q)).await,
            _ => state.customers.search(&who.tenant, Some(q), None).await,
        };
        match found {
            Ok(found) => results(&who, &found),
            Err(CustomerError::Invalid(e)) => {
                let e = ApiError::from(e);
                status = e.status();
                let issues = e.issues().to_vec();
                html! { p.error role="alert" {
                    "That search was refused: "
                    @for i in &issues { (i.message) " " }
                } }
            }
            Err(e) => return Err(e.into()),
        }
    };
    let body = html! {
        h1 { "Customers" }
        (search_form(&who, q, by))
        (outcome)
    };
    Ok(layout::respond(
        status,
        layout::page(&who, Section::Customers, "Customers", body),
    ))
}

fn verdict(v: Option<Verdict>) -> &'static str {
    match v {
        None => "not judged",
        Some(v) if v.correct => "candidate was the caller",
        Some(v) if v.returning => "another known customer",
        Some(_) => "a new customer",
    }
}

fn calls_table(calls: &[CallRecord]) -> Markup {
    html! {
        div.table-wrap {
            table #calls {
                caption.label { "Most recent first, at most " (RECENT_CALLS) }
                thead { tr {
                    th scope="col" { "Started" } th scope="col" { "Call" }
                    th.num scope="col" { "Confidence" } th scope="col" { "Decision" }
                    th scope="col" { "Signals" } th scope="col" { "End" }
                } }
                tbody {
                    @for c in calls.iter().rev().take(RECENT_CALLS) {
                        tr {
                            td { (when(c.started_at)) }
                            td { code { (c.call_id.as_str()) } }
                            td.num { (format!("{:.2}", c.confidence.as_f64())) }
                            td { (c.explanation.recommendation.as_str())
                                 @if c.billable { " (billed)" } }
                            td { (c.sources.join(", ")) }
                            td {
                                @match &c.ended {
                                    None => "not ended",
                                    Some(end) => {
                                        @if let Some((intent, status)) = &end.intent { (intent) " " (status) "; " }
                                        (verdict(end.verdict))
                                    },
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn record_page(who: &Signed, record: CustomerRecord, now: stickycalls_domain::Timestamp) -> Markup {
    let env = who.environment();
    let calls = (!record.calls.is_empty()).then(|| calls_table(&record.calls));
    let view = record.view(now);
    let this = format!("/customers/{}", view.customer_ref.as_str());
    html! {
        h1 { "Customer " code #customer-ref { (view.customer_ref.as_str()) } }
        dl.facts.card {
            dt { "First seen" } dd { (when(view.created_at)) }
            dt { "Calls" } dd #total-calls { (view.total_calls) }
            dt { "Last call" } dd { (view.last_call_at.map_or_else(|| "–".to_owned(), when)) }
        }
        p.inline {
            a href=(link(env, &format!("{this}/export"))) download { "Export (JSON)" }
            a href=(link(env, &format!("{this}/erase"))) { "Erase this customer…" }
        }
        h2 { "Phone numbers" }
        @if view.phones.is_empty() { p { "None." } } @else {
            ul #numbers { @for p in &view.phones {
                li { code { (masked_number(&p.e164)) }
                     @if let Some(t) = p.line_type { " · " (t.as_str()) }
                     " · linked " (when(p.linked_at))
                     @if let Some(c) = &p.confirmed { " · confirmed by an agent " (when(c.last_at)) } }
            } }
        }
        h2 { "External ids" }
        @if view.external_ids.is_empty() { p { "None." } } @else {
            ul #external-ids { @for x in &view.external_ids {
                li { code { (x.namespace) ":" (x.value) } " · linked " (when(x.linked_at)) }
            } }
        }
        h2 { "Open intents" }
        @if view.context.open_intents.is_empty() { p { "None." } } @else {
            div.table-wrap { table #intents {
                thead { tr { th scope="col" { "Intent" } th.num scope="col" { "Attempts" }
                             th scope="col" { "First seen" } th scope="col" { "Last seen" } } }
                tbody { @for i in &view.context.open_intents { tr {
                    td { (i.name.as_str()) } td.num { (i.attempt_count) }
                    td { (when(i.first_seen)) } td { (when(i.last_seen)) }
                } } }
            } }
        }
        h2 { "Live variables" }
        @if view.context.variables.is_empty() { p { "None." } } @else {
            div.table-wrap { table #variables {
                thead { tr { th scope="col" { "Name" } th scope="col" { "Value" }
                             th scope="col" { "Source" } th scope="col" { "Expires" } } }
                tbody { @for (name, v) in &view.context.variables { tr {
                    td { code { (name) } } td { (v.value) }
                    td { (v.source.as_deref().unwrap_or("–")) } td { (when(v.expires_at)) }
                } } }
            } }
        }
        h2 { "Recent calls" }
        @match calls { Some(table) => (table), None => p { "None." } }
    }
}

/// `GET /console/{env}/customers/{ref}`.
pub(crate) async fn record<B: Backend>(
    req: HttpRequest, state: web::Data<AppState<B>>, path: web::Path<CustomerPath>,
) -> Result<HttpResponse, PageError> {
    let who = session::signed(&req, &state).await?;
    let (record, now) = state
        .customers
        .export(&who.tenant.id, &path.customer)
        .await?;
    let body = record_page(&who, record, now);
    Ok(layout::ok(layout::page(
        &who,
        Section::Customers,
        "Customer",
        body,
    )))
}

/// `GET /console/{env}/customers/{ref}/export`: the API's export, as a download.
pub(crate) async fn export<B: Backend>(
    req: HttpRequest, state: web::Data<AppState<B>>, path: web::Path<CustomerPath>,
) -> Result<HttpResponse, PageError> {
    let who = session::signed(&req, &state).await?;
    let (record, at) = state
        .customers
        .export(&who.tenant.id, &path.customer)
        .await?;
    let customer = record.customer_ref.clone();
    tracing::info!(customer = %customer.log_digest(), "customer exported in the console");
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}.json\"", customer.as_str()),
        ))
        .json(CustomerExport::new(record, at.to_string())))
}

fn erase_form(who: &Signed, customer: &str, error: Option<&str>) -> Markup {
    let env = who.environment();
    html! {
        h1 { "Erase a customer" }
        form.card method="post" action=(link(env, &format!("/customers/{customer}/erase"))) {
            (token_field(who))
            p { "Erasing " code { (customer) } " deletes everything held on them: numbers, "
                "external ids, intents, variables and calls. It cannot be undone." }
            label for="confirm" { "Type the customer ref to confirm" }
            @if let Some(e) = error {
                p.field-error id="confirm-error" role="alert" { (e) }
                input #confirm type="text" name="confirm" required autocomplete="off"
                    data-confirm=(customer) aria-invalid="true" aria-describedby="confirm-error";
            } @else {
                input #confirm type="text" name="confirm" required autocomplete="off"
                    data-confirm=(customer);
            }
            button.danger type="submit" { "Erase customer" }
            " "
            a href=(link(env, &format!("/customers/{customer}"))) { "Cancel" }
        }
    }
}

/// `GET /console/{env}/customers/{ref}/erase`.
pub(crate) async fn confirm_erase<B: Backend>(
    req: HttpRequest, state: web::Data<AppState<B>>, path: web::Path<CustomerPath>,
) -> Result<HttpResponse, PageError> {
    let who = session::signed(&req, &state).await?;
    let view = state.customers.get(&who.tenant.id, &path.customer).await?;
    let body = erase_form(&who, view.customer_ref.as_str(), None);
    Ok(layout::ok(layout::page(
        &who,
        Section::Customers,
        "Erase a customer",
        body,
    )))
}

#[derive(Debug, Deserialize)]
pub(crate) struct EraseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /console/{env}/customers/{ref}/erase`: only when the typed ref matches.
pub(crate) async fn erase<B: Backend>(
    req: HttpRequest, state: web::Data<AppState<B>>, path: web::Path<CustomerPath>,
    form: web::Form<EraseForm>,
) -> Result<HttpResponse, PageError> {
    let who = session::signed(&req, &state).await?;
    who.check_form(&form.csrf)?;
    if form.confirm.trim() != path.customer {
        let body = erase_form(
            &who,
            &path.customer,
            Some("The text typed is not this customer's ref: nothing was erased."),
        );
        return Ok(layout::respond(
            StatusCode::BAD_REQUEST,
            layout::page(&who, Section::Customers, "Erase a customer", body),
        ));
    }
    let erased = state
        .customers
        .erase(&who.tenant.id, &path.customer)
        .await?;
    tracing::info!(customer = %erased.log_digest(), "customer erased in the console");
    Ok(HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            link(who.environment(), "/customers?erased=1"),
        ))
        .finish())
}
