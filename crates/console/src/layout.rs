//! The page shell: head (the embedded stylesheet and script, nothing from another
//! host), a skip link, the navigation with the environment switch and sign-out, and
//! small helpers the pages share.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use maud::{DOCTYPE, Markup, html};
use stickycalls_domain::Timestamp;
use stickycalls_domain::tenant::Environment;

use super::signed::Signed;

/// The console's sections, in the navigation's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    Overview,
    Keys,
    Customers,
    Identity,
    Retention,
    Billing,
}

impl Section {
    const ALL: [Section; 6] = [
        Section::Overview,
        Section::Keys,
        Section::Customers,
        Section::Identity,
        Section::Retention,
        Section::Billing,
    ];

    fn label(self) -> &'static str {
        match self {
            Section::Overview => "Overview",
            Section::Keys => "Keys",
            Section::Customers => "Customers",
            Section::Identity => "Identity",
            Section::Retention => "Retention",
            Section::Billing => "Billing",
        }
    }

    fn path(self) -> &'static str {
        match self {
            Section::Overview => "/",
            Section::Keys => "/keys",
            Section::Customers => "/customers",
            Section::Identity => "/identity",
            Section::Retention => "/retention",
            Section::Billing => "/billing",
        }
    }
}

/// The path of a console page in the session's environment.
pub(crate) fn link(environment: Environment, rest: &str) -> String {
    format!("/console/{}{rest}", environment.as_str())
}

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · Sticky Calls console" }
            link rel="stylesheet" href="/console/assets/console.css";
            link rel="icon" href="data:,";
            script src="/console/assets/console.js" defer {}
        }
    }
}

/// A page without navigation (sign-in, errors).
pub(crate) fn bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                header.top { span.brand { "Sticky Calls" } }
                main #main { (body) }
            }
        }
    }
}

/// A signed-in page.
pub(crate) fn page(who: &Signed, section: Section, title: &str, body: Markup) -> Markup {
    let env = who.environment();
    let other = match env {
        Environment::Test => Environment::Prod,
        Environment::Prod => Environment::Test,
    };
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    span.brand { "Sticky Calls" }
                    nav aria-label="Console" {
                        ul {
                            @for s in Section::ALL {
                                li {
                                    @if s == section {
                                        a href=(link(env, s.path())) aria-current="page" { (s.label()) }
                                    } @else {
                                        a href=(link(env, s.path())) { (s.label()) }
                                    }
                                }
                            }
                        }
                    }
                    div.session {
                        span.env data-env=(env.as_str()) { (env.as_str()) }
                        a href=(link(other, "/")) { "Switch to " (other.as_str()) }
                        form method="post" action=(link(env, "/sign-out")) {
                            (token_field(who))
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main #main {
                    p.account { "Account " code { (who.tenant.id.account) } }
                    (body)
                }
            }
        }
    }
}

/// The hidden field every form of a session carries.
pub(crate) fn token_field(who: &Signed) -> Markup {
    html! { input type="hidden" name="csrf" value=(who.form_token()); }
}

/// A page as a response.
pub(crate) fn respond(status: StatusCode, markup: Markup) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(markup.into_string())
}

/// A 200 page.
pub(crate) fn ok(markup: Markup) -> HttpResponse {
    respond(StatusCode::OK, markup)
}

/// An instant as people read it: `2026-11-29 14:05 UTC`.
pub(crate) fn when(at: Timestamp) -> String {
    let t = at.get();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// An instant to the second: `2026-11-29 14:05:09 UTC`.
pub(crate) fn when_seconds(at: Timestamp) -> String {
    let t = at.get();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A share as a percentage with one decimal, or a dash.
pub(crate) fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "–".to_owned(), |s| format!("{:.1} %", s * 100.0))
}
