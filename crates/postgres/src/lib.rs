//! PostgreSQL storage for Sticky Calls: the domain's `CallStore` and `CreditLedger`
//! ports on diesel 2 + diesel-async, in a deadpool pool, with embedded migrations.
//!
//! It owns the SQL: the schema (`migrations/postgres/`, mirrored in [`schema`]), the
//! queries, the transactions, and the translation of driver errors into the domain's
//! `StoreError` (a dead server or an exhausted pool is `Unavailable`, never a hang).
//! It must not know HTTP, API keys or how scores are computed: every rule stays in
//! `stickycalls-domain`, which this crate only feeds and persists.
//!
//! Each commit command of the domain runs in one transaction, except a known caller's
//! start, whose only write is the call row: that single `INSERT` is atomic by itself
//! and is pipelined with the context reads, so such a start costs two round trips
//! (evidence + commit).

mod accounts;
mod context;
mod credits;
mod customers;
mod end;
mod errors;
mod evidence;
mod keys;
mod ledger;
mod links;
mod migrate;
mod pool;
mod round_trips;
mod rows;
pub mod schema;
mod start;
mod store;
mod tenant_key;
mod usage;

pub use ledger::PgLedger;
pub use migrate::{MIGRATIONS_ID, run_migrations};
pub use pool::{PgSettings, PgStore, RoundTrips};
pub use tenant_key::tenant_key;
