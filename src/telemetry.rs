//! Logs: `tracing` with `RUST_LOG` (default `info`), text or JSON lines. Request spans
//! carry the request id; no phone number, variable value or key is ever logged.

use tracing_subscriber::EnvFilter;

/// Targets whose debug output would carry request data (the database driver logs
/// statement parameters): capped at `info` whatever `RUST_LOG` says.
/// rmcp's debug output holds whole MCP messages (tool arguments: numbers, variables),
/// and its info lines narrate every session.
const CAPPED: &[&str] = &[
    "tokio_postgres=info",
    "postgres_protocol=info",
    "rmcp=warn",
    "rmcp_actix_web=warn",
];

/// Installs the global subscriber.
pub fn init(json: bool) {
    let mut filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    for directive in CAPPED {
        if let Ok(directive) = directive.parse() {
            filter = filter.add_directive(directive);
        }
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().with_current_span(true).init();
    } else {
        builder.init();
    }
}
