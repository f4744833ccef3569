//! The overview: credits (the same figures as `GET /v1/account`), the low-credit
//! banner, and today's and the last 30 days' starts, billable starts, match rate
//! (confidence 0.7 or more) and average confidence, with charts.

use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use stickycalls_domain::console::{CreditAlert, UsageTotals, every_day};
use stickycalls_domain::credits::{CreditSummary, DailyUsage};

use super::layout::{self, Section, percent};
use super::page_error::PageError;
use super::{charts, session};
use crate::figures::Figures;
use stickycalls_inbound::{AppState, Backend};

fn banner(credits: &CreditSummary) -> Markup {
    html! {
        @match CreditAlert::of(credits) {
            CreditAlert::None => {},
            CreditAlert::Low { percent } => p.banner.low role="alert" {
                "Credits are running low: " (percent) " % remain. New callers are refused "
                "(402) at 0; top up or change plan before then."
            },
            CreditAlert::Empty => p.banner.empty role="alert" {
                "No credits remain: new callers are refused (402) until the next period or "
                "a top-up. Returning callers matched with reuse stay free."
            },
        }
    }
}

fn credits_card(c: &CreditSummary) -> Markup {
    html! {
        section.card aria-labelledby="credits-h" {
            h2 #credits-h { "Credits" }
            @if c.billing_enabled {
                p { span.figure #credits-remaining { (c.remaining()) } span.label { " credits remaining" } }
                dl.facts {
                    dt { "Allowance this period" } dd #credits-allowance { (c.allowance) }
                    dt { "Used" } dd { (c.allowance_used()) }
                    dt { "Allowance left" } dd { (c.allowance_left) }
                    dt { "Top-up balance" } dd #credits-top-up { (c.top_up) }
                    dt { "Plan" } dd #plan { (c.plan) }
                    dt { "Period" } dd { (layout::when(c.period_start)) " to " (layout::when(c.period_end)) }
                }
            } @else {
                p #credits-remaining { "Billing is off on this server: every start is free." }
            }
        }
    }
}

fn totals_card(id: &str, title: &str, t: &UsageTotals) -> Markup {
    html! {
        section.card aria-labelledby=(format!("{id}-h")) id=(id) {
            h2 id=(format!("{id}-h")) { (title) }
            dl.facts {
                dt { "Starts" } dd data-figure="starts" { (t.starts) }
                dt { "Billable starts" } dd data-figure="billable" { (t.billable) }
                dt { "Match rate (≥ 0.7)" } dd data-figure="match-rate" { (percent(t.match_rate)) }
                dt { "Average confidence" } dd data-figure="confidence" {
                    (t.average_confidence.map_or_else(|| "–".to_owned(), |c| format!("{c:.2}")))
                }
            }
        }
    }
}

fn day_table(days: &[DailyUsage]) -> Markup {
    html! {
        details {
            summary { "The figures by day" }
            div.table-wrap {
                table {
                    thead { tr {
                        th scope="col" { "Day" } th.num scope="col" { "Starts" }
                        th.num scope="col" { "Billable" } th.num scope="col" { "Match rate" }
                        th.num scope="col" { "Avg confidence" } th.num scope="col" { "Credits" }
                    } }
                    tbody {
                        @for d in days.iter().rev().filter(|d| d.calls_started > 0 || d.credits_used > 0) {
                            tr {
                                td { (d.day) } td.num { (d.calls_started) } td.num { (d.billable) }
                                td.num { (percent(Some(d.confident_rate()))) }
                                td.num { (format!("{:.2}", d.average_confidence)) }
                                td.num { (d.credits_used) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /console/{env}/`.
pub(crate) async fn page<B: Backend>(
    req: HttpRequest, state: web::Data<AppState<B>>, figures: web::Data<Figures>,
) -> Result<HttpResponse, PageError> {
    let who = session::signed(&req, &state).await?;
    let credits = state.usage.account(&who.tenant.id).await?;
    let read = figures.usage(&state, who.tenant.id).await?;
    let report = &read.value;
    let days = every_day(report.from, report.to, &report.days);
    let today = UsageTotals::of(days.iter().filter(|d| d.day == report.to));
    let month = UsageTotals::of(&days);
    let body = html! {
        h1 { "Overview" }
        (banner(&credits))
        p.label { "Credits as of now; calls as of " (layout::when_seconds(read.at)) " (read at most once a minute)." }
        div.cards {
            (credits_card(&credits))
            (totals_card("today", "Today (UTC)", &today))
            (totals_card("last-30-days", "Last 30 days", &month))
        }
        section.card aria-labelledby="starts-h" {
            h2 #starts-h { "Starts per day" }
            p.legend {
                span { span.swatch.billable {} "billable" }
                span { span.swatch.free {} "free (reuse)" }
            }
            (charts::starts("starts-chart", &days))
            h2 { "Match rate per day" }
            p.legend { span { span.swatch.rate {} "starts at confidence 0.7 or more" } }
            (charts::match_rate("rate-chart", &days))
            (day_table(&days))
        }
    };
    Ok(layout::ok(layout::page(
        &who,
        Section::Overview,
        "Overview",
        body,
    )))
}
