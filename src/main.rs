//! `stickycalls`: the thin server binary. It wires the storage, billing and HTTP
//! adapters around `stickycalls-domain`. Today it runs the database migrations; the
//! HTTP server lands with the REST API issue, and until then `serve` says so.

use std::process::ExitCode;

use anyhow::Context;

const USAGE: &str = "usage: stickycalls [serve | migrate]

  serve     run the HTTP API (not built yet: lands with the REST API issue)
  migrate   apply pending database migrations to STICKYCALLS_DATABASE_URL";

fn main() -> ExitCode {
    let command = std::env::args().nth(1);
    let result = match command.as_deref() {
        None | Some("serve") => Err(anyhow::anyhow!(
            "the HTTP server is not built yet (it lands with the REST API issue); \
             `stickycalls migrate` prepares the database"
        )),
        Some("migrate") => migrate(),
        Some("-h" | "--help" | "help") => {
            eprintln!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(anyhow::anyhow!("unknown command `{other}`\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("stickycalls: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Reads a required setting, naming it when it is missing.
fn required(name: &str) -> anyhow::Result<String> {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => Ok(value),
        _ => anyhow::bail!(
            "{name} is not set (e.g. {name}=postgres://user@localhost:5432/stickycalls)"
        ),
    }
}

fn migrate() -> anyhow::Result<()> {
    let url = required("STICKYCALLS_DATABASE_URL")?;
    let runtime = tokio::runtime::Runtime::new()?;
    let applied = runtime
        .block_on(stickycalls_postgres::run_migrations(&url))
        .context("cannot migrate the database named by STICKYCALLS_DATABASE_URL")?;
    eprintln!("stickycalls: {applied} migration(s) applied");
    Ok(())
}
