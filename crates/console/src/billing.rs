//! Billing: plan, period and balance (as `GET /v1/account`), and the ledger's grants,
//! purchases and debits by day over a window (the last 30 days by default).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;
use serde::Deserialize;
use stickycalls_domain::usage::UsageError;

use super::layout::{self, Section, link, when};
use super::page_error::PageError;
use super::session;
use stickycalls_inbound::error::ApiError;
use stickycalls_inbound::{AppState, Backend};

#[derive(Debug, Deserialize)]
pub(crate) struct Window {
    from: Option<String>,
    to: Option<String>,
}

/// `GET /console/{env}/billing?from=YYYY-MM-DD&to=YYYY-MM-DD`.
pub(crate) async fn page<B: Backend>(
    req: HttpRequest, state: web::Data<AppState<B>>, query: web::Query<Window>,
) -> Result<HttpResponse, PageError> {
    let who = session::signed(&req, &state).await?;
    let credits = state.usage.account(&who.tenant.id).await?;
    let blank = |t: &Option<String>| {
        t.as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    };
    let (from, to) = (blank(&query.from), blank(&query.to));
    let (status, ledger, refusal) = match state
        .usage
        .ledger(&who.tenant.id, from.as_deref(), to.as_deref())
        .await
    {
        Ok(ledger) => (StatusCode::OK, Some(ledger), None),
        Err(UsageError::Invalid(e)) => {
            let e = ApiError::from(e);
            let message = e
                .issues()
                .iter()
                .map(|i| format!("{}: {}", i.path.join("."), i.message))
                .collect::<Vec<_>>()
                .join("; ");
            (e.status(), None, Some(message))
        }
        Err(e) => return Err(e.into()),
    };
    let env = who.environment();
    let body = html! {
        h1 { "Billing" }
        section.card aria-labelledby="plan-h" {
            h2 #plan-h { "Plan and period" }
            dl.facts {
                dt { "Plan" } dd #billing-plan { (credits.plan) }
                dt { "Billing" } dd { @if credits.billing_enabled { "on" } @else { "off: every start is free" } }
                dt { "Period" } dd #billing-period { (when(credits.period_start)) " to " (when(credits.period_end)) }
                dt { "Allowance" } dd { (credits.allowance) " (" (credits.allowance_left) " left)" }
                dt { "Top-up balance" } dd { (credits.top_up) }
                dt { "Credits remaining" } dd #billing-remaining { (credits.remaining()) }
            }
        }
        section.card aria-labelledby="ledger-h" {
            h2 #ledger-h { "Ledger by day" }
            form.inline method="get" action=(link(env, "/billing")) {
                div { label for="from" { "From" }
                      input #from type="text" name="from" placeholder="YYYY-MM-DD" inputmode="numeric"
                          value=(from.clone().unwrap_or_default()); }
                div { label for="to" { "To" }
                      input #to type="text" name="to" placeholder="YYYY-MM-DD" inputmode="numeric"
                          value=(to.clone().unwrap_or_default()); }
                button.secondary type="submit" { "Show" }
            }
            @if let Some(r) = refusal { p.error role="alert" { (r) } }
            @if let Some(ledger) = ledger {
                p.label { (ledger.from) " to " (ledger.to) " (UTC days with a ledger line)" }
                @if ledger.days.is_empty() { p #ledger-empty { "No grant, purchase or debit in this window." } }
                @else {
                    div.table-wrap { table #ledger {
                        thead { tr {
                            th scope="col" { "Day" } th.num scope="col" { "Allowance granted" }
                            th.num scope="col" { "Credits purchased" } th.num scope="col" { "Credits debited" }
                            th.num scope="col" { "Billable starts" }
                        } }
                        tbody { @for d in ledger.days.iter().rev() { tr {
                            td { (d.day) } td.num { (d.granted) } td.num { (d.topped_up) }
                            td.num { (d.debited) } td.num { (d.debits) }
                        } } }
                    } }
                }
            }
        }
    };
    Ok(layout::respond(
        status,
        layout::page(&who, Section::Billing, "Billing", body),
    ))
}
