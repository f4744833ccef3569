//! Whether the store answers, and its pool.

use std::future::Future;

use crate::error::StoreError;

/// A connection pool's use, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolUse {
    /// Connections open.
    pub open: usize,
    /// Connections lent out to a request right now.
    pub in_use: usize,
    /// Statements sent to the database since the pool was made (0 where the store does
    /// not count them: SQLite, memory).
    pub statements: u64,
}

/// Whether the store answers (health checks), and how busy its pool is (metrics).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Health: Send + Sync + 'static {
    /// `Ok` when the store is reachable.
    fn ping(&self) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The pool's use now.
    fn pool_use(&self) -> PoolUse;
}
