//! PostgreSQL storage for Sticky Calls: every storage port of the domain (calls,
//! credits, customers, keys, webhooks...) on diesel 2 + diesel-async, in a deadpool pool,
//! with embedded migrations.
//!
//! It owns the SQL: the schema (`migrations/postgres/`, mirrored in [`schema`]), the
//! queries, the transactions, and the translation of driver errors into the domain's
//! `StoreError` (a dead server or an exhausted pool is `Unavailable`, never a hang).
//! It must not know HTTP, API keys or how scores are computed: every rule stays in
//! `stickycalls-domain`, which this crate only feeds and persists.
//!
//! Each use case runs in one transaction. A start's opens with its read (`BEGIN`
//! pipelined with the call lookup and the evidence) and holds its connection until the
//! commit, so a known caller's start is one transaction in two round trips. Webhook
//! events are written in the transaction of the change they report (`outbox`); delivery
//! workers claim them with `FOR UPDATE SKIP LOCKED` and a lease (`webhooks`). A key's
//! revocation and a tenant's new settings `NOTIFY` every node in their transaction
//! (`notify`); [`listen`] hears them.

mod accounts;
mod audit;
mod billed_start;
mod call_insert;
mod clear_links;
mod context;
mod credits;
mod customers;
mod end;
mod end_read;
mod errors;
mod evidence;
mod export;
mod keyring;
mod keyring_batch;
mod keys;
mod known_end;
mod known_start;
mod ledger;
mod links;
mod listen;
mod migrate;
mod notify;
mod outbox;
mod pool;
mod read_back;
mod reseal_links;
mod retention;
mod rollups;
mod round_trips;
mod rows;
pub mod schema;
mod sessions;
mod settings;
mod start;
mod statements;
mod store;
mod stripes;
mod template;
mod tenant_key;
mod tx;
mod unsealed;
mod usage;
mod webhooks;

pub use keyring::{PgKeyring, default_keyring_url};
pub use ledger::PgLedger;
pub use listen::listen;
pub use migrate::{MIGRATIONS_ID, run_migrations};
pub use pool::{PgSettings, PgStore, RoundTrips};
pub use tenant_key::tenant_key;
pub use tx::StartTx;
