//! Redis, the shared engine behind a cluster of Sticky Calls nodes: the rate limit
//! every node counts against ([`RedisLimiter`], the domain's `SharedLimiter` port).
//! Each request is one `EVALSHA` of a GCRA script: the read, the decision and the write
//! happen inside Redis at once, on Redis's clock, so three nodes let one quota through.
//!
//! It owns the connections (one per HTTP worker thread, made on its first request and
//! reconnected by the driver after a failure) and the script. It must not know plans, HTTP fields or what a node does when Redis
//! fails: it answers an error within its time-out, and the HTTP adapter falls back to
//! its own limiter (the domain's `ratelimit::Fallback`).

mod limiter;

pub use limiter::{RedisLimiter, RedisSettings};
