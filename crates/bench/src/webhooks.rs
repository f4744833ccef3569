//! Webhooks on: a receiver on 127.0.0.1 that answers 204 and counts, and an endpoint
//! of the bench tenant subscribed to every event, for the phase that measures what
//! webhooks cost returning starts.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::{Context, bail};
use serde_json::{Value, json};
use stickycalls_domain::webhooks::EventType;

/// The receiver.
pub struct Sink {
    pub url: String,
    received: Arc<AtomicU64>,
    handle: actix_web::dev::ServerHandle,
}

impl Sink {
    pub fn start() -> anyhow::Result<Self> {
        let received = Arc::new(AtomicU64::new(0));
        let count = web::Data::from(received.clone());
        let server = HttpServer::new(move || {
            App::new().app_data(count.clone()).default_service(web::to(
                |n: web::Data<AtomicU64>| async move {
                    n.fetch_add(1, Ordering::Relaxed);
                    HttpResponse::NoContent().finish()
                },
            ))
        })
        .workers(1)
        .bind(("127.0.0.1", 0))?;
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        Ok(Self {
            url: format!("http://127.0.0.1:{port}/hooks"),
            received,
            handle,
        })
    }

    /// Deliveries received so far.
    pub fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }

    pub async fn stop(self) {
        self.handle.stop(true).await;
    }
}

/// Registers `url` for every event type; the endpoint's id.
pub async fn register(base: &str, key: &str, url: &str) -> anyhow::Result<String> {
    let all = EventType::ALL.map(EventType::as_str);
    let response = reqwest::Client::new()
        .post(format!("{base}/v1/webhooks"))
        .bearer_auth(key)
        .json(&json!({"url": url, "events": all, "description": "bench"}))
        .send()
        .await?;
    if !response.status().is_success() {
        bail!("POST /v1/webhooks: {}", response.text().await?);
    }
    let body: Value = response.json().await?;
    Ok(body["id"].as_str().context("no webhook id")?.to_owned())
}

/// Deletes the endpoint.
pub async fn remove(base: &str, key: &str, id: &str) -> anyhow::Result<()> {
    let response = reqwest::Client::new()
        .delete(format!("{base}/v1/webhooks/{id}"))
        .bearer_auth(key)
        .send()
        .await?;
    if !response.status().is_success() {
        bail!("DELETE /v1/webhooks/{id}: {}", response.status());
    }
    Ok(())
}
