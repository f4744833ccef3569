//! The web console's pages on the benchmark's data set: signed in with the data set's
//! key, each page is fetched once cold (the first read of the tenant's figures), a few
//! times to warm up, then `ROUNDS` times one after the other; the report keeps each
//! page's first, median and slowest time.

use std::time::Instant;

use anyhow::{Context, bail};
use serde::Serialize;

use crate::traffic::customer_number;

/// Timed fetches per page.
const ROUNDS: usize = 20;
const WARM_UP: usize = 3;

/// One page's times.
#[derive(Debug, Clone, Serialize)]
pub struct PageTiming {
    pub page: String,
    pub first_ms: f64,
    pub p50_ms: f64,
    pub max_ms: f64,
}

/// A page to time: a GET, or a form POST (with the session's form token).
enum Fetch {
    Get(String),
    Post(String, String),
}

/// Signs in with `key` and times each console page; `customers` says which customer
/// and number of the data set to look up.
pub async fn measure(base: &str, key: &str, customers: u64) -> anyhow::Result<Vec<PageTiming>> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let signed = client
        .post(format!("{base}/console/sign-in"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("key={key}"))
        .send()
        .await?;
    let cookie = signed
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .context("the console set no session cookie")?
        .to_owned();
    let form = client
        .get(format!("{base}/console/test/customers"))
        .header("Cookie", &cookie)
        .send()
        .await?
        .text()
        .await?;
    let token = form
        .split_once(r#"name="csrf" value=""#)
        .and_then(|(_, rest)| rest.get(..64))
        .context("the search form has no token")?
        .to_owned();
    let who = (customers / 2).max(1);
    let pages = [
        ("overview", Fetch::Get("/console/test/".into())),
        ("keys", Fetch::Get("/console/test/keys".into())),
        (
            "customer search by number",
            Fetch::Post(
                "/console/test/customers".into(),
                format!("csrf={token}&by=number&q=%2B{}", &customer_number(who)[1..]),
            ),
        ),
        (
            "customer record",
            Fetch::Get(format!("/console/test/customers/cust_b{who}")),
        ),
        ("identity", Fetch::Get("/console/test/identity".into())),
        ("billing", Fetch::Get("/console/test/billing".into())),
    ];
    let mut timings = Vec::new();
    for (page, fetch) in pages {
        let mut times = Vec::with_capacity(ROUNDS);
        let mut first_ms = 0.0;
        for round in 0..1 + WARM_UP + ROUNDS {
            let started = Instant::now();
            let request = match &fetch {
                Fetch::Get(path) => client.get(format!("{base}{path}")),
                Fetch::Post(path, body) => client
                    .post(format!("{base}{path}"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .body(body.clone()),
            };
            let response = request.header("Cookie", &cookie).send().await?;
            let status = response.status();
            let body = response.text().await?;
            if !status.is_success() {
                bail!("console page {page}: {status}");
            }
            if page == "customer search by number" && !body.contains(&format!("cust_b{who}")) {
                bail!("the console's search did not find cust_b{who}");
            }
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            if round == 0 {
                first_ms = ms;
            } else if round > WARM_UP {
                times.push(ms);
            }
        }
        times.sort_by(f64::total_cmp);
        timings.push(PageTiming {
            page: page.to_owned(),
            first_ms,
            p50_ms: times[times.len() / 2],
            max_ms: times[times.len() - 1],
        });
    }
    Ok(timings)
}
