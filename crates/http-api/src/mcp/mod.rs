//! The Model Context Protocol server at `/mcp` (streamable HTTP, `rmcp` through
//! `rmcp-actix-web`): the same tenant scoping, rate limits and billing as REST, because
//! every request is authenticated by the same bearer key check before rmcp sees it and
//! every tool runs the same use case as its REST route.
//!
//! Sessions (`Mcp-Session-Id`) are kept by one session manager shared by every HTTP
//! worker; they hold nothing of a tenant: each tool call acts for the key of the HTTP
//! request that carries it, so an agent may open a session per tool call (as Vapi does)
//! or keep one.

mod schema;
mod server;
mod tools;

use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError, web};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp_actix_web::transport::StreamableHttpService;

use crate::auth::{Authenticated, authenticate};
use crate::{AppState, Backend, MAX_BODY_BYTES};

pub use server::McpServer;
pub use tools::{TOOL_NAMES, tool_list};

/// The `/mcp` transport: its sessions are shared by every HTTP worker that clones it.
pub(crate) type Transport<B> = StreamableHttpService<McpServer<B>, LocalSessionManager>;

/// A transport with a fresh session manager.
pub(crate) fn transport<B: Backend>() -> Transport<B> {
    StreamableHttpService::builder()
        .service_factory(Arc::new(|| Ok(McpServer::<B>::default())))
        .session_manager(Arc::new(LocalSessionManager::default()))
        .stateful_mode(true)
        // Every request needs a tenant's key, which a page rebinding its DNS cannot
        // send: the loopback-only `Host` check would only refuse real deployments.
        .allowed_hosts(Vec::new())
        .max_request_body_bytes(MAX_BODY_BYTES)
        .on_request_fn(|req, ext| {
            if let Some(who) = req.extensions().get::<Authenticated>() {
                ext.insert(who.clone());
            }
            if let Some(state) = req.app_data::<web::Data<AppState<B>>>() {
                ext.insert(state.clone());
            }
        })
        .build()
}

/// Refuses a request without a valid key (401 in the REST error body, 429 past the
/// key's rate limit) before rmcp reads it; lets the tenant through to the tools.
pub(crate) async fn authenticated<B: Backend>(
    req: ServiceRequest, next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    match authenticate::<B>(req.request()).await {
        Ok(who) => {
            req.extensions_mut().insert(who);
            Ok(next.call(req).await?.map_into_left_body())
        }
        Err(refused) => {
            let response = refused.error_response().map_into_right_body();
            Ok(req.into_response(response))
        }
    }
}
