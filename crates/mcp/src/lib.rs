//! The Model Context Protocol server at `/mcp` (streamable HTTP, `rmcp` through
//! `rmcp-actix-web`): the same tenant scoping, rate limits and billing as REST, because
//! every request is authenticated by the same bearer key check before rmcp sees it and
//! every tool runs the same use case as its REST route.
//!
//! Sessions (`Mcp-Session-Id`) are kept by one session manager shared by every HTTP
//! worker; they hold nothing of a tenant: each tool call acts for the key of the HTTP
//! request that carries it, so an agent may open a session per tool call (as Vapi does)
//! or keep one. [`bridge`] is the other side: `stickycalls mcp`, a stdio server for
//! desktop agents that forwards every request to a running server's `/mcp`.
//!
//! It knows the domain's services and what `stickycalls-inbound` shares (the state, key
//! authentication, the wire types, the error body); it must not know SQL, any store, or
//! the REST API's and the console's routes.

pub mod bridge;
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

use stickycalls_inbound::auth::{Authenticated, authenticate};
use stickycalls_inbound::{AppState, Backend, MAX_BODY_BYTES};

pub use server::McpServer;
pub use tools::{TOOL_NAMES, tool_list};

/// The `/mcp` transport: its sessions are shared by every HTTP worker that clones it.
type Transport<B> = StreamableHttpService<McpServer<B>, LocalSessionManager>;

/// The MCP server: made once, cloned into every HTTP worker, which then share its
/// sessions.
pub struct Mcp<B: Backend> {
    transport: Transport<B>,
}

impl<B: Backend> Clone for Mcp<B> {
    fn clone(&self) -> Self {
        Self {
            transport: self.transport.clone(),
        }
    }
}

impl<B: Backend> std::fmt::Debug for Mcp<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mcp").finish_non_exhaustive()
    }
}

impl<B: Backend> Default for Mcp<B> {
    fn default() -> Self {
        Self {
            transport: transport::<B>(),
        }
    }
}

impl<B: Backend> Mcp<B> {
    /// Adds `/mcp`, behind the same key check as every REST route.
    pub fn mount(&self, cfg: &mut web::ServiceConfig) {
        cfg.service(
            self.transport
                .clone()
                .scope_with_path("/mcp")
                .wrap(actix_web::middleware::from_fn(authenticated::<B>)),
        );
    }
}

/// A transport with a fresh session manager.
fn transport<B: Backend>() -> Transport<B> {
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
async fn authenticated<B: Backend>(
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
