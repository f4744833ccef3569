//! `stickycalls`: the thin server binary. It reads the configuration, wires the
//! PostgreSQL adapter and the REST API around the domain, and offers the operator's
//! commands. It holds no product rule and no SQL.

mod adapters;
mod settings;
mod telemetry;

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use stickycalls_billing::PlanId;
use stickycalls_domain::accounts::NewAccount;
use stickycalls_domain::ports::AccountStore;
use stickycalls_domain::ports::Clock;
use stickycalls_domain::tenant::{AccountId, Environment, TenantId};
use stickycalls_http_api::{AppState, keys};
use stickycalls_postgres::{PgLedger, PgStore, run_migrations};

use crate::adapters::{Production, RandomIds, SystemClock};
use crate::settings::Settings;

/// Credits each environment of a new account starts with (the Free plan's allowance).
const STARTING_CREDITS: u64 = 100;

#[derive(Parser, Debug)]
#[command(
    name = "stickycalls",
    version,
    about = "Sticky Calls: self-hostable call memory for contact centers"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the HTTP API (the default).
    Serve,
    /// Apply pending database migrations.
    Migrate,
    /// Manage accounts.
    Accounts {
        #[command(subcommand)]
        command: AccountsCommand,
    },
    /// Manage credits.
    Credits {
        #[command(subcommand)]
        command: CreditsCommand,
    },
    /// Manage plans.
    Plans {
        #[command(subcommand)]
        command: PlansCommand,
    },
}

#[derive(Subcommand, Debug)]
enum CreditsCommand {
    /// Add purchased credits (they never expire and are spent after the allowance).
    Grant {
        /// The account id.
        #[arg(long)]
        account: uuid::Uuid,
        /// `test` or `prod`.
        #[arg(long = "env")]
        environment: Environment,
        /// How many credits.
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        amount: u64,
    },
}

#[derive(Subcommand, Debug)]
enum PlansCommand {
    /// Move an account (both environments) to a plan.
    Set {
        /// The account id.
        #[arg(long)]
        account: uuid::Uuid,
        /// free, starter, growth, scale or enterprise.
        #[arg(long)]
        plan: PlanId,
        /// Credits per month (required for enterprise; defaults to the plan's).
        #[arg(long)]
        allowance: Option<u64>,
    },
}

#[derive(Subcommand, Debug)]
enum AccountsCommand {
    /// Create an account with a test and a prod key; prints them once, as JSON.
    Create {
        /// The account's name.
        #[arg(long)]
        name: String,
        /// A contact address.
        #[arg(long)]
        email: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = Settings::from_env().and_then(|settings| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => runtime.block_on(serve(settings)),
            Command::Migrate => runtime.block_on(migrate(&settings)),
            Command::Accounts {
                command: AccountsCommand::Create { name, email },
            } => runtime.block_on(create_account(&settings, name, email)),
            Command::Credits {
                command:
                    CreditsCommand::Grant {
                        account,
                        environment,
                        amount,
                    },
            } => runtime.block_on(grant_credits(&settings, account, environment, amount)),
            Command::Plans {
                command:
                    PlansCommand::Set {
                        account,
                        plan,
                        allowance,
                    },
            } => runtime.block_on(set_plan(&settings, account, plan, allowance)),
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

async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let applied = run_migrations(settings.database.url.as_str())
        .await
        .context("cannot migrate the database named by STICKYCALLS_DATABASE_URL")?;
    eprintln!("stickycalls: {applied} migration(s) applied");
    Ok(())
}

async fn create_account(
    settings: &Settings,
    name: String,
    email: Option<String>,
) -> anyhow::Result<()> {
    let store = PgStore::new(&settings.database)?;
    let (test_token, test_key) = keys::generate(Environment::Test)?;
    let (prod_token, prod_key) = keys::generate(Environment::Prod)?;
    let id = AccountId(uuid::Uuid::new_v4());
    store
        .create_account(NewAccount {
            id,
            name,
            email,
            keys: vec![test_key, prod_key],
            starting_credits: STARTING_CREDITS,
        })
        .await
        .context("cannot create the account")?;
    let out = serde_json::json!({"account_id": id.to_string(), "keys": {"test": test_token, "prod": prod_token}});
    #[allow(clippy::print_stdout)]
    {
        println!("{out}");
    }
    Ok(())
}

fn print_account(
    account: &uuid::Uuid,
    environment: Environment,
    state: &stickycalls_billing::CreditAccount,
) {
    let period = state.period(SystemClock.now());
    let out = serde_json::json!({
        "account_id": account.to_string(), "environment": environment.as_str(), "plan": state.plan.as_str(),
        "allowance": state.allowance, "allowance_left": state.allowance_left, "top_up_balance": state.top_up,
        "period_start": period.start.to_string(), "period_end": period.end.to_string(),
    });
    #[allow(clippy::print_stdout)]
    {
        println!("{out}");
    }
}

async fn grant_credits(
    settings: &Settings,
    account: uuid::Uuid,
    environment: Environment,
    amount: u64,
) -> anyhow::Result<()> {
    let store = PgStore::new(&settings.database)?;
    let ledger = PgLedger::new(store, settings.billing_enabled);
    let tenant = TenantId {
        account: AccountId(account),
        environment,
    };
    let state = ledger
        .grant_top_up(&tenant, amount, SystemClock.now())
        .await
        .context("cannot grant credits")?;
    print_account(&account, environment, &state);
    Ok(())
}

async fn set_plan(
    settings: &Settings,
    account: uuid::Uuid,
    plan: PlanId,
    allowance: Option<u64>,
) -> anyhow::Result<()> {
    let allowance = allowance
        .or(plan.plan().monthly_credits)
        .context("--allowance is required for the enterprise plan")?;
    let store = PgStore::new(&settings.database)?;
    let ledger = PgLedger::new(store, settings.billing_enabled);
    for environment in [Environment::Test, Environment::Prod] {
        let tenant = TenantId {
            account: AccountId(account),
            environment,
        };
        let state = ledger
            .set_plan(&tenant, plan, allowance, SystemClock.now())
            .await
            .context("cannot set the plan")?;
        print_account(&account, environment, &state);
    }
    Ok(())
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    telemetry::init(settings.log_json);
    let applied = run_migrations(settings.database.url.as_str())
        .await
        .context("cannot migrate the database named by STICKYCALLS_DATABASE_URL")?;
    tracing::info!(applied, "database migrated");
    let store = PgStore::new(&settings.database)?;
    let ledger = PgLedger::new(store.clone(), settings.billing_enabled);
    let state = Arc::new(AppState::<Production>::new(
        store.clone(),
        ledger,
        SystemClock,
        RandomIds,
    ));
    adapters::spawn_purge(store);

    let listener = std::net::TcpListener::bind(settings.listen)
        .with_context(|| format!("cannot listen on {} (STICKYCALLS_LISTEN)", settings.listen))?;
    let address = listener.local_addr()?;
    let server = actix_web::HttpServer::new(move || stickycalls_http_api::app(state.clone()))
        .listen(listener)?
        .shutdown_timeout(30)
        .run();
    tracing::info!(%address, "listening");
    // The line tests and scripts wait for.
    #[allow(clippy::print_stdout)]
    {
        println!("listening on http://{address}");
    }
    // actix-web drains in-flight requests on SIGTERM/SIGINT before returning.
    server.await.context("server error")?;
    tracing::info!("stopped");
    Ok(())
}
