//! Hearing what other nodes changed: one connection per process `LISTEN`s on the
//! domain's channel and hands each `Invalidation` to the caller. When the connection
//! drops it reconnects (1 s, doubling to 30 s) and first hands over
//! `Invalidation::Everything`: what was sent meanwhile is lost, so every cache is
//! dropped instead.

use std::future::Future;
use std::time::Duration;

use futures_util::{StreamExt, stream};
use stickycalls_domain::invalidation::{CHANNEL, Invalidation};
use tokio_postgres::{AsyncMessage, NoTls};

/// Listens on `url` for ever, calling `apply` with each invalidation. The first
/// connection hands over nothing (the caches start empty); each reconnection hands
/// over [`Invalidation::Everything`] first.
pub async fn listen<F, Fut>(url: String, apply: F)
where
    F: Fn(Invalidation) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut delay = Duration::from_secs(1);
    let mut first = true;
    loop {
        match session(&url, first, &apply).await {
            Ok(()) => tracing::warn!("the invalidation listener's connection closed"),
            Err(e) => tracing::warn!(
                retry_in_seconds = delay.as_secs(),
                "the invalidation listener cannot listen: {e}"
            ),
        }
        if !first {
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(30));
        } else {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        first = false;
    }
}

/// One connection's life: `LISTEN`, then every notification until it drops.
async fn session<F, Fut>(url: &str, first: bool, apply: &F) -> Result<(), tokio_postgres::Error>
where
    F: Fn(Invalidation) -> Fut,
    Fut: Future<Output = ()>,
{
    let (client, mut connection) = tokio_postgres::connect(url, NoTls).await?;
    let (sender, mut heard) = tokio::sync::mpsc::unbounded_channel();
    let mut messages = stream::poll_fn(move |cx| connection.poll_message(cx));
    let driver = tokio::spawn(async move {
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(n)) => {
                    if sender.send(n.payload().to_owned()).is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    });
    client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
    tracing::info!("listening for other nodes' revocations and settings changes");
    if !first {
        apply(Invalidation::Everything).await;
    }
    while let Some(payload) = heard.recv().await {
        match payload.parse::<Invalidation>() {
            Ok(what) => apply(what).await,
            Err(e) => {
                tracing::warn!("{e}: forgetting every cached key and policy");
                apply(Invalidation::Everything).await;
            }
        }
    }
    drop(client);
    match driver.await {
        Ok(result) => result,
        Err(_) => Ok(()),
    }
}
