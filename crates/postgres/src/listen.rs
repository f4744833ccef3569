//! Hearing what other nodes changed: one connection per process `LISTEN`s on the
//! domain's channel and hands each `Invalidation` to the caller. Each time it starts
//! listening (at start-up, and after a dropped connection: 1 s, doubling to 30 s) it
//! first hands over `Invalidation::Everything`: what was sent while nobody listened is
//! lost, so every cache is dropped instead (at start-up that is the few keys cached
//! before the first `LISTEN`).

use std::future::Future;
use std::time::Duration;

use futures_util::{StreamExt, stream};
use stickycalls_domain::invalidation::{CHANNEL, Invalidation};
use tokio_postgres::{AsyncMessage, NoTls};

/// Listens on `url` for ever, calling `apply` with each invalidation, and with
/// [`Invalidation::Everything`] each time it starts listening.
pub async fn listen<F, Fut>(url: String, apply: F)
where
    F: Fn(Invalidation) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut delay = Duration::from_secs(1);
    loop {
        let mut listened = false;
        match session(&url, &mut listened, &apply).await {
            Ok(()) => tracing::warn!("the invalidation listener's connection closed"),
            Err(e) => tracing::warn!(
                retry_in_seconds = delay.as_secs(),
                "the invalidation listener cannot listen: {e}"
            ),
        }
        if listened {
            delay = Duration::from_secs(1);
        }
        tokio::time::sleep(delay).await;
        if !listened {
            delay = (delay * 2).min(Duration::from_secs(30));
        }
    }
}

/// One connection's life: `LISTEN`, then every notification until it drops.
async fn session<F, Fut>(
    url: &str, listened: &mut bool, apply: &F,
) -> Result<(), tokio_postgres::Error>
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
    *listened = true;
    tracing::info!("listening for other nodes' revocations and settings changes");
    apply(Invalidation::Everything).await;
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
