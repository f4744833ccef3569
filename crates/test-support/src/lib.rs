//! Test-only support for Sticky Calls: throwaway PostgreSQL databases ([`db`]), a Redis
//! server ([`redis_server`]), fakes
//! for the clock and id ports ([`fakes`]), and the port-contract suite every storage
//! adapter must pass ([`contract`], instantiated with [`storage_contract!`]).
//!
//! It must never be a normal dependency of a shipped crate: it starts servers, creates
//! and drops databases, and panics freely. The benchmark harness (`crates/bench`, never
//! shipped) uses it to find or start PostgreSQL exactly as the tests do.

pub mod contract;
pub mod db;
pub mod fakes;
mod postgres_server;
pub mod redis_server;
pub mod schema;

pub use db::TestDatabase;
pub use postgres_server::postgres_bin;
pub use redis_server::{redis_url, unique_prefix};
