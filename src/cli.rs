//! The command line: every command, its arguments and an example in its `--help`.

use clap::{Parser, Subcommand};
use stickycalls_billing::PlanId;
use stickycalls_domain::tenant::Environment;

#[derive(Parser, Debug)]
#[command(
    name = "stickycalls",
    version,
    about = "Sticky Calls: self-hostable call memory for contact centers",
    after_help = "The store is STICKYCALLS_DATABASE_URL (default sqlite://./data/stickycalls.db); \
every command acts on it.\n\nExamples:\n  stickycalls serve\n  stickycalls accounts list\n  \
STICKYCALLS_DATABASE_URL=postgres://postgres@127.0.0.1/stickycalls stickycalls migrate"
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Run the HTTP API (the default).
    #[command(after_help = "Example:\n  STICKYCALLS_LISTEN=0.0.0.0:8080 stickycalls serve")]
    Serve,
    /// Apply pending database migrations (serve does it too).
    #[command(
        after_help = "Example:\n  STICKYCALLS_DATABASE_URL=postgres://app@db/stickycalls stickycalls migrate"
    )]
    Migrate,
    /// Manage accounts.
    Accounts {
        #[command(subcommand)]
        command: AccountsCommand,
    },
    /// Manage an account's API keys, and rotate the master key.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
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
    /// Delete what expired and enforce every tenant's retention now, as the server does
    /// every 10 minutes; prints what was deleted, as JSON (counts only).
    #[command(after_help = "Example:\n  stickycalls purge")]
    Purge,
    /// Seal the values a version before encryption stored in clear, now, to the end (the
    /// server does it in the background when it starts); prints counts as JSON.
    #[command(after_help = "Example:\n  stickycalls seal")]
    Seal,
    /// Serve MCP on stdio for a desktop agent, forwarding to a running server's `/mcp`.
    #[command(
        after_help = "Example (the command a desktop agent starts):\n  STICKYCALLS_URL=http://127.0.0.1:8080 STICKYCALLS_API_KEY=sk_test_... stickycalls mcp"
    )]
    Mcp {
        /// The running server's base URL.
        #[arg(long, env = "STICKYCALLS_URL", default_value = "http://127.0.0.1:8080")]
        url: String,
        /// The API key the tools act with.
        #[arg(long, env = "STICKYCALLS_API_KEY", hide_env_values = true)]
        api_key: String,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum AccountsCommand {
    /// Create an account with a test and a prod key; prints them once, as JSON.
    #[command(
        after_help = "Example:\n  stickycalls accounts create --name \"Acme support\" --email ops@acme.example"
    )]
    Create {
        /// The account's name.
        #[arg(long)]
        name: String,
        /// A contact address.
        #[arg(long)]
        email: Option<String>,
    },
    /// Write one environment's whole data to stdout as NDJSON, as `GET
    /// /v1/account/export` answers it (settings, endpoints without secrets, every
    /// customer with their record, the credit ledger, then an `end` line).
    #[command(
        after_help = "Example:\n  stickycalls accounts export --account 0b8e2c1a-5d7f-4e1b-9a3c-2f6d8e0b4c71 --env prod > acme-prod.ndjson"
    )]
    Export {
        /// The account id.
        #[arg(long)]
        account: uuid::Uuid,
        /// `test` or `prod`.
        #[arg(long = "env")]
        environment: Environment,
    },
    /// List every account, oldest first: id, created, name, contact.
    #[command(
        after_help = "Examples:\n  stickycalls accounts list\n  stickycalls accounts list --json"
    )]
    List {
        /// One JSON document (`{"accounts": [...]}`) instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum KeysCommand {
    #[command(flatten)]
    Api(ApiKeysCommand),
    /// Re-wrap every data key under a new master key, online. Give the new key as
    /// STICKYCALLS_MASTER_KEY and the one it replaces as STICKYCALLS_MASTER_KEY_PREVIOUS
    /// (serving nodes need both while it runs); run again after a crash. Prints what it
    /// did, as JSON.
    #[command(
        after_help = "Example:\n  STICKYCALLS_MASTER_KEY=$(cat new.key) STICKYCALLS_MASTER_KEY_PREVIOUS=$(cat old.key) stickycalls keys rotate-master"
    )]
    RotateMaster,
    /// Re-seal one environment's personal data under new data keys, online: from the
    /// start every node seals new values under the new keys (within seconds), then every
    /// stored value is re-sealed in batches and the old keys are destroyed (what backups
    /// hold under them can no longer be read). Lookups are unchanged throughout. Run it
    /// again after a crash: it goes on. Prints what it did, as JSON.
    #[command(
        after_help = "Example:\n  stickycalls keys rotate-tenant --account 0b8e2c1a-5d7f-4e1b-9a3c-2f6d8e0b4c71 --env prod"
    )]
    RotateTenant {
        /// The account id.
        #[arg(long)]
        account: uuid::Uuid,
        /// `test` or `prod`.
        #[arg(long = "env")]
        environment: Environment,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum ApiKeysCommand {
    /// Create a key; prints it once, as JSON (only its hash is stored).
    #[command(
        after_help = "Example:\n  stickycalls keys create --account 0b8e2c1a-5d7f-4e1b-9a3c-2f6d8e0b4c71 --env prod --name \"IVR production\""
    )]
    Create {
        /// The account id.
        #[arg(long)]
        account: uuid::Uuid,
        /// `test` or `prod`.
        #[arg(long = "env")]
        environment: Environment,
        /// A label (1 to 100 characters).
        #[arg(long, default_value = "operator")]
        name: String,
    },
    /// List an account's live keys (never their secrets).
    #[command(
        after_help = "Examples:\n  stickycalls keys list --account 0b8e2c1a-5d7f-4e1b-9a3c-2f6d8e0b4c71\n  stickycalls keys list --account 0b8e2c1a-5d7f-4e1b-9a3c-2f6d8e0b4c71 --env prod --json"
    )]
    List {
        /// The account id.
        #[arg(long)]
        account: uuid::Uuid,
        /// Only this environment's keys (`test` or `prod`); both by default.
        #[arg(long = "env")]
        environment: Option<Environment>,
        /// One JSON document (`{"keys": [...]}`) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a key at once on this process (others within STICKYCALLS_KEY_CACHE_SECONDS);
    /// never an environment's last one.
    #[command(
        after_help = "Example:\n  stickycalls keys revoke --account 0b8e2c1a-5d7f-4e1b-9a3c-2f6d8e0b4c71 --env prod --key key_3f9a0c2b7d1e4a65"
    )]
    Revoke {
        /// The account id.
        #[arg(long)]
        account: uuid::Uuid,
        /// `test` or `prod`.
        #[arg(long = "env")]
        environment: Environment,
        /// The key's id, as listed (`key_` and 16 hex digits).
        #[arg(long)]
        key: String,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum CreditsCommand {
    /// Add purchased credits (they never expire and are spent after the allowance).
    #[command(
        after_help = "Example:\n  stickycalls credits grant --account 0b8e2c1a-5d7f-4e1b-9a3c-2f6d8e0b4c71 --env prod --amount 5000"
    )]
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
pub(crate) enum PlansCommand {
    /// Move an account (both environments) to a plan.
    #[command(
        after_help = "Examples:\n  stickycalls plans set --account 0b8e2c1a-5d7f-4e1b-9a3c-2f6d8e0b4c71 --plan growth\n  stickycalls plans set --account 0b8e2c1a-5d7f-4e1b-9a3c-2f6d8e0b4c71 --plan enterprise --allowance 250000"
    )]
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
