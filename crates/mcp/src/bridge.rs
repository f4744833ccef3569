//! `stickycalls mcp`: an MCP server on stdio for desktop agents, which forwards every
//! request to a running Sticky Calls server's `/mcp` (`STICKYCALLS_URL`, with the key
//! `STICKYCALLS_API_KEY`). It holds no tool of its own, so the tools, their schemas and
//! their answers are the server's; it reconnects once when the server lost its session
//! (a restart), which repeats nothing a retry could double: a start or an end with the
//! same `call_id` answers as the first.

use anyhow::Context;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, ListToolsResult, PaginatedRequestParams, ServerConfig,
};
use rmcp::service::{RequestContext, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{ErrorData, RoleClient, RoleServer, ServerHandler, ServiceExt};
use tokio::sync::Mutex;

type Remote = RunningService<RoleClient, ()>;

struct Bridge {
    url: String,
    key: String,
    info: ServerConfig,
    remote: Mutex<Remote>,
}

async fn connect(url: &str, key: &str) -> anyhow::Result<Remote> {
    let config = StreamableHttpClientTransportConfig::with_uri(url).auth_header(key);
    ().serve(StreamableHttpClientTransport::from_config(config))
        .await
        .with_context(|| format!("cannot open an MCP session at {url} (is the server running, is STICKYCALLS_API_KEY one of its keys?)"))
}

/// Serves MCP on stdin/stdout until the agent closes it.
pub async fn run(base_url: &str, key: &str) -> anyhow::Result<()> {
    let url = format!("{}/mcp", base_url.trim_end_matches('/'));
    let remote = connect(&url, key).await?;
    let peer = remote
        .peer_info()
        .context("the server sent no server info")?;
    // What the agent sees is the server's own: its tools, name and instructions.
    let mut info = ServerConfig::new(peer.capabilities.clone());
    if let Some(server) = &peer.server_info {
        info = info.with_server_info(server.clone());
    }
    if let Some(instructions) = &peer.instructions {
        info = info.with_instructions(instructions.clone());
    }
    let bridge = Bridge {
        url,
        key: key.to_owned(),
        info,
        remote: Mutex::new(remote),
    };
    let served = bridge
        .serve(rmcp::transport::stdio())
        .await
        .context("cannot speak MCP on stdio")?;
    served.waiting().await.context("the stdio session failed")?;
    Ok(())
}

fn forwarded(e: rmcp::ServiceError) -> ErrorData {
    match e {
        rmcp::ServiceError::McpError(e) => e,
        other => ErrorData::internal_error(format!("the Sticky Calls server: {other}"), None),
    }
}

impl Bridge {
    /// Runs `ask` on the remote session; on a lost session, once more on a new one.
    async fn ask<T, F, Fut>(&self, ask: F) -> Result<T, ErrorData>
    where
        F: Fn(rmcp::Peer<RoleClient>) -> Fut,
        Fut: Future<Output = Result<T, rmcp::ServiceError>>,
    {
        let peer = self.remote.lock().await.peer().clone();
        match ask(peer).await {
            Err(rmcp::ServiceError::McpError(e)) => Err(e),
            Err(lost) => {
                tracing::warn!("MCP session lost ({lost}): opening a new one");
                let fresh = connect(&self.url, &self.key)
                    .await
                    .map_err(|e| ErrorData::internal_error(format!("{e:#}"), None))?;
                let peer = fresh.peer().clone();
                *self.remote.lock().await = fresh;
                ask(peer).await.map_err(forwarded)
            }
            Ok(answer) => Ok(answer),
        }
    }
}

impl ServerHandler for Bridge {
    fn get_info(&self) -> ServerConfig {
        self.info.clone()
    }

    async fn list_tools(
        &self, request: Option<PaginatedRequestParams>, _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        self.ask(|peer| {
            let request = request.clone();
            async move { peer.list_tools(request).await }
        })
        .await
    }

    async fn call_tool(
        &self, request: CallToolRequestParams, _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        self.ask(|peer| {
            let request = request.clone();
            async move { peer.call_tool_once(request).await }
        })
        .await
    }
}
