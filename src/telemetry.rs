//! Logs: `tracing` with `RUST_LOG` (default `info`), text or JSON lines. Request spans
//! carry the request id; no phone number, variable value or key is ever logged. The
//! access lines (one per request, one per call started or ended: target `access`) only
//! with `STICKYCALLS_ACCESS_LOG=on`: formatting and writing them cost the server about a
//! tenth of its CPU per start, and `/metrics` counts the same requests.

use std::io::IsTerminal;

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

/// Installs the global subscriber; the access lines only with `access`.
pub fn init(json: bool, access: bool) {
    let mut filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let access = if access { "access=info" } else { "access=off" };
    for directive in CAPPED.iter().chain([&access]) {
        if let Ok(directive) = directive.parse() {
            filter = filter.add_directive(directive);
        }
    }
    // Colours only for a person at a terminal: a service manager's log gets plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    if json {
        builder.json().with_current_span(true).init();
    } else {
        builder.init();
    }
}
