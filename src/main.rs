//! `stickycalls`: the thin server binary. It reads the configuration, picks the store
//! from `STICKYCALLS_DATABASE_URL`'s scheme (SQLite by default, or PostgreSQL), wires it
//! and the REST API around the domain, and offers the operator's commands. It holds no
//! product rule and no SQL.

mod adapters;
mod cli;
mod commands;
mod first_run;
mod housekeeping;
mod settings;
mod telemetry;
mod vault;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use stickycalls_domain::accounts::AccountService;
use stickycalls_domain::credits::SharedPolicy;
use stickycalls_domain::ports::AccountStore;
use stickycalls_domain::protection::{ClearLinks, SealingMigration};
use stickycalls_domain::retention::RetentionService;
use stickycalls_domain::tenant::{AccountId, TenantId};
use stickycalls_domain::usage::Rollups;
use stickycalls_inbound::keys::Argon2Minter;
use stickycalls_inbound::{AppState, Readiness};
use stickycalls_redis::RedisLimiter;
use stickycalls_webhooks::Deliverer;

use crate::adapters::{
    Adapter, Memory, MemorySettings, PURGE_EVERY, Postgres, RandomIds, Sqlite, SystemClock,
};
use crate::cli::{Cli, Command, KeysCommand};
use crate::commands::say;
use crate::settings::{Database, Settings};

/// mimalloc hands the 19 MiB an argon2 key check takes back to the system afterwards;
/// glibc's malloc kept it per thread (330 MiB resident after 16 first requests at once).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    let result = Settings::from_env().and_then(|settings| {
        stickycalls_domain::log_key::set_log_key(&settings.log_key);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        match &settings.database {
            Database::Postgres(db) => runtime.block_on(run::<Postgres>(command, db, &settings)),
            Database::Sqlite(db) => runtime.block_on(run::<Sqlite>(command, db, &settings)),
            Database::Memory => {
                let db = MemorySettings::default();
                runtime.block_on(run::<Memory>(command, &db, &settings))
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("stickycalls: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run<A: Adapter>(
    command: Command, db: &A::Settings, settings: &Settings,
) -> anyhow::Result<()> {
    // An operator's command on a fresh store finds the schema in place, as `serve` does.
    let op = async || -> anyhow::Result<commands::Operators<A>> {
        A::migrate(db)
            .await
            .context("cannot migrate the database (STICKYCALLS_DATABASE_URL)")?;
        let (vault, note) = A::vault(db, &settings.vault).await?;
        if let Some(note) = note {
            eprintln!("stickycalls: {note}");
        }
        commands::operator::<A>(db, commands::policy(settings), vault)
    };
    match command {
        Command::Serve => serve::<A>(db, settings).await,
        Command::Migrate => {
            let applied = A::migrate(db)
                .await
                .context("cannot migrate the database (STICKYCALLS_DATABASE_URL)")?;
            eprintln!("stickycalls: {applied} migration(s) applied");
            Ok(())
        }
        Command::Accounts { command } => commands::accounts::<A>(command, &op().await?).await,
        Command::Keys {
            command: KeysCommand::Api(command),
        } => commands::keys::<A>(command, &op().await?).await,
        Command::Keys {
            command: KeysCommand::RotateMaster,
        } => {
            telemetry::init(false, false);
            let done = A::rotate_master(db, &settings.vault).await?;
            say(&serde_json::to_string(&done)?);
            Ok(())
        }
        Command::Keys {
            command: KeysCommand::RotateTenant { .. },
        } if !settings.vault.encryption => anyhow::bail!(
            "STICKYCALLS_ENCRYPTION=off: values are stored in clear; there are no data keys \
             to rotate"
        ),
        Command::Keys {
            command:
                KeysCommand::RotateTenant {
                    account,
                    environment,
                },
        } => {
            telemetry::init(false, false);
            let tenant = TenantId {
                account: AccountId(account),
                environment,
            };
            commands::rotate_tenant::<A>(&tenant, &op().await?).await
        }
        Command::Credits { command } => commands::credits::<A>(command, &op().await?).await,
        Command::Plans { command } => commands::plans::<A>(command, &op().await?).await,
        Command::Purge => commands::purge::<A>(&op().await?).await,
        Command::Seal if !settings.vault.encryption => anyhow::bail!(
            "STICKYCALLS_ENCRYPTION=off: values are stored in clear; turn encryption on to \
             seal them"
        ),
        Command::Seal => commands::seal::<A>(&op().await?).await,
        Command::Mcp { url, api_key } => {
            // stdout is the protocol: logs go to stderr, as always.
            telemetry::init(false, false);
            stickycalls_mcp::bridge::run(&url, &api_key).await
        }
    }
}

/// One HTTP worker's state: its own pool when the store wants one (so each
/// connection's I/O runs on the thread that uses it), else the shared state.
fn worker_state<A: Adapter>(
    shared: &Arc<AppState<A>>, worker_db: Option<&A::Settings>, policy: SharedPolicy,
) -> Arc<AppState<A>> {
    let Some(db) = worker_db else {
        return shared.clone();
    };
    match A::open(db, policy) {
        Ok((store, ledger)) => Arc::new(shared.with_store(store, ledger, SystemClock, RandomIds)),
        Err(e) => {
            tracing::warn!("an HTTP worker shares the main pool: {e:#}");
            shared.clone()
        }
    }
}

async fn serve<A: Adapter>(db: &A::Settings, settings: &Settings) -> anyhow::Result<()> {
    telemetry::init(settings.log_json, settings.access_log);
    let policy = commands::policy(settings);
    // Opening builds pools; nothing connects until a request or the wait below.
    let (store, ledger) = A::open(db, policy.clone())?;
    let listener = std::net::TcpListener::bind(settings.listen)
        .with_context(|| format!("cannot listen on {} (STICKYCALLS_LISTEN)", settings.listen))?;
    let address = listener.local_addr()?;
    let readiness = Readiness::starting();
    let deferred = vault::Deferred::default();
    // Links a version before encryption wrote in clear: lookups move those they would
    // find until this node's sealing run has moved the rest.
    let clear_links = Arc::new(ClearLinks::new(store.clone(), Arc::new(deferred.clone())));
    let mut state = AppState::<A>::new(
        store.clone(),
        ledger.clone(),
        SystemClock,
        RandomIds,
        Arc::new(deferred.clone()),
        settings.api.clone(),
    )
    .ready_when(readiness.clone());
    // Encryption off stores in clear: nothing to seal, no link to move.
    let encryption = settings.vault.encryption;
    if encryption {
        state = state.touching_links(clear_links.clone());
    }
    if let Some(redis) = &settings.redis {
        state = state.sharing_limits(Arc::new(RedisLimiter::connect(redis.clone()).await?));
    }
    let state = Arc::new(state);
    // Revocations and settings changes made on other nodes (or by the CLI).
    let listener_state = state.clone();
    tokio::spawn(A::listen(db.clone(), move |what| {
        let state = listener_state.clone();
        async move { state.forget(&what).await }
    }));
    let server = http_server::<A>(state, listener, db, settings, policy)?;
    let handle = server.handle();
    let serving = tokio::spawn(server);
    // Until the database answers and is migrated, health says `starting` (503) and
    // every other route 503.
    if let Err(e) = wait_for_database::<A>(db, settings.database_wait).await {
        handle.stop(false).await;
        return Err(e);
    }
    // A missing or wrong master key stops here, before anything is served.
    let (vault, note) = match A::vault(db, &settings.vault).await {
        Ok(opened) => opened,
        Err(e) => {
            handle.stop(false).await;
            return Err(e.context("cannot open the keyring"));
        }
    };
    deferred.set(vault.clone());
    if let Some(note) = note {
        say(&note);
    }
    let operator = AccountService::new(
        store.clone(),
        ledger.clone(),
        SystemClock,
        RandomIds,
        Argon2Minter,
    );
    let first_account = if store.has_accounts().await? {
        None
    } else {
        let opened = operator
            .open("Local", None)
            .await
            .context("cannot create the local account")?;
        Some(opened)
    };
    readiness.set_ready();
    let deliverer = Arc::new(
        Deliverer::new(store.clone(), SystemClock, settings.webhooks.clone())
            .context("cannot build the webhook client")?,
    );
    let delivering = deliverer.run(std::future::pending());
    tokio::spawn(delivering);
    if encryption {
        tokio::spawn(housekeeping::seal_existing(
            SealingMigration::new(store.clone(), vault.clone()).moving(clear_links),
        ));
    }
    let retention = RetentionService::new(store.clone(), SystemClock, vault);
    let rollups = Rollups::new(store.clone(), SystemClock);
    tokio::spawn(housekeeping::every(
        PURGE_EVERY,
        operator,
        retention,
        rollups,
    ));
    say(&format!("data: {}", A::location(db)));
    if let Some(opened) = first_account {
        // Shown once: only the keys' hashes are stored.
        use std::io::IsTerminal;
        say(&first_run::welcome(
            &opened,
            address,
            std::io::stdout().is_terminal(),
        ));
    }
    tracing::info!(%address, "listening");
    // The last line printed at start: scripts and tests wait for it.
    say(&format!("listening on http://{address}"));
    // On SIGTERM/SIGINT actix-web stops accepting, lets in-flight requests finish for
    // up to STICKYCALLS_SHUTDOWN_SECONDS, then returns.
    serving
        .await
        .context("server task")?
        .context("server error")?;
    tracing::info!("stopped");
    Ok(())
}

/// The HTTP server on `listener`, each worker with its own pool when the store wants
/// one. Slow clients: headers within the client timeout (then 408), the body within it
/// again (the API's deadline), idle keep-alive connections closed after 5 s, and a
/// bounded number of connections per process.
fn http_server<A: Adapter>(
    state: Arc<AppState<A>>, listener: std::net::TcpListener, db: &A::Settings,
    settings: &Settings, policy: SharedPolicy,
) -> anyhow::Result<actix_web::dev::Server> {
    let workers = settings
        .http_workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let worker_db = A::per_worker(db, workers);
    // Made once: every worker shares the console's figures and the MCP sessions.
    let console = stickycalls_console::Console::default();
    let mcp = stickycalls_mcp::Mcp::<A>::default();
    let server = actix_web::HttpServer::new(move || {
        let (console, mcp) = (console.clone(), mcp.clone());
        let state = worker_state::<A>(&state, worker_db.as_ref(), policy.clone());
        stickycalls_inbound::app(state, move |rooms| {
            stickycalls_http_api::routes::<A>(rooms);
            console.mount::<A>(rooms);
            mcp.mount(rooms);
        })
    })
    .workers(workers)
    .client_request_timeout(settings.api.client_timeout)
    .client_disconnect_timeout(Duration::from_secs(1))
    .keep_alive(Duration::from_secs(5))
    .max_connections(settings.max_connections.div_ceil(workers).max(1));
    Ok(server
        .listen(listener)?
        .shutdown_timeout(settings.shutdown_timeout.as_secs())
        .run())
}

/// Migrates the database, retrying with back-off (1 s doubling to 30 s) and logging
/// each try while it does not answer, until `give_up` (none by default: a service
/// manager would only restart us into the same wait).
async fn wait_for_database<A: Adapter>(
    db: &A::Settings, give_up: Option<Duration>,
) -> anyhow::Result<()> {
    let started = tokio::time::Instant::now();
    let mut delay = Duration::from_secs(1);
    for attempt in 1u32.. {
        match A::migrate(db).await {
            Ok(applied) => {
                tracing::info!(applied, attempt, "database migrated");
                return Ok(());
            }
            Err(e) if give_up.is_some_and(|limit| started.elapsed() >= limit) => {
                return Err(e.context(
                    "gave up waiting for the database (STICKYCALLS_DATABASE_URL, STICKYCALLS_DATABASE_WAIT_SECONDS)",
                ));
            }
            Err(e) => {
                tracing::warn!(
                    attempt,
                    retry_in_seconds = delay.as_secs(),
                    "the database is not ready: {e:#}"
                );
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(30));
            }
        }
    }
    unreachable!("attempts outnumber u32")
}
