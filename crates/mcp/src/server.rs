//! The MCP server handler: lists the tools and runs a call for the tenant of the HTTP
//! request that carried it.

use std::marker::PhantomData;

use actix_web::web;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, Implementation, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use rmcp_actix_web::transport::on_request_extensions;
use serde_json::Value;

use super::tools;
use stickycalls_inbound::auth::Authenticated;
use stickycalls_inbound::{AppState, Backend};

const INSTRUCTIONS: &str = "Sticky Calls remembers phone callers between calls. Call \
start_call when a call connects and act on identity.recommendation (reuse: greet with \
context; confirm: one question first; ignore: a new caller). Call end_call once when the \
call ends, with the same call_id. get_customer, list_open_intents and set_variable work \
on a customer_ref you already have. Never reveal data about anyone but the verified \
caller. If a tool fails or is slow, go on with the call as with a new caller.";

/// One MCP session's handler. It holds nothing: the tenant and the use cases come with
/// each request.
pub struct McpServer<B>(PhantomData<fn() -> B>);

impl<B> Default for McpServer<B> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<B> std::fmt::Debug for McpServer<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("McpServer")
    }
}

impl<B: Backend> ServerHandler for McpServer<B> {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(
                "stickycalls",
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self, _request: Option<PaginatedRequestParams>, _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(tools::tool_list()))
    }

    async fn call_tool(
        &self, request: CallToolRequestParams, context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let from_http = on_request_extensions(&context.extensions);
        let (Some(who), Some(state)) = (
            from_http.and_then(|e| e.get::<Authenticated>()).cloned(),
            from_http
                .and_then(|e| e.get::<web::Data<AppState<B>>>())
                .cloned(),
        ) else {
            return Err(ErrorData::internal_error(
                "no tenant for this request",
                None,
            ));
        };
        let args = Value::Object(request.arguments.unwrap_or_default());
        let Some(answer) = tools::run(&state, &who.0, &request.name, args).await else {
            return Err(ErrorData::invalid_params(
                format!("no tool named {:?}", request.name),
                None,
            ));
        };
        let result = match answer {
            Ok(json) => CallToolResult::structured(json),
            Err(refused) => {
                refused.log_cause();
                let body = serde_json::to_value(refused.body()).unwrap_or_default();
                CallToolResult::structured_error(body)
            }
        };
        Ok(result.into())
    }
}
