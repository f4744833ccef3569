//! Slow clients: a request's body must arrive within the client timeout once its
//! headers are in (the server itself times out slow headers). A body that stalls past
//! it ends the read with a time-out, answered 408 in our error body; the connection is
//! then closed, since the rest of the body was never read.

use std::io;
use std::time::Duration;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use futures_util::StreamExt;
use futures_util::stream::{self, LocalBoxStream};

use crate::{AppState, Backend};

/// How long a client has for its headers, and then for its body.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

/// What a timed-out body read reports, recognised by the JSON error mapping.
pub const BODY_TIMED_OUT: &str = "the request body did not arrive in time";

/// Wraps the request's body so that reading it fails once `limit` has passed.
pub async fn body_deadline<B: Backend>(
    mut req: ServiceRequest, next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let limit = req
        .app_data::<web::Data<AppState<B>>>()
        .map_or(CLIENT_TIMEOUT, |state| state.options.client_timeout);
    let deadline = tokio::time::Instant::now() + limit;
    let body = req.take_payload();
    req.set_payload(Payload::Stream {
        payload: within(body, deadline),
    });
    next.call(req).await
}

fn within(
    body: Payload, deadline: tokio::time::Instant,
) -> LocalBoxStream<'static, Result<Bytes, PayloadError>> {
    stream::unfold(Some(body), move |body| async move {
        let mut body = body?;
        match tokio::time::timeout_at(deadline, body.next()).await {
            Ok(Some(chunk)) => Some((chunk, Some(body))),
            Ok(None) => None,
            Err(_) => {
                let late = io::Error::new(io::ErrorKind::TimedOut, BODY_TIMED_OUT);
                Some((Err(PayloadError::Io(late)), None))
            }
        }
    })
    .boxed_local()
}
