//! Whether the store answers, and how busy its pool is: what the health route, the
//! readiness gate and the pool gauges ask of storage, as a service so that no inbound
//! adapter holds a store.

use crate::StoreError;
use crate::ports::{Health, PoolUse};

/// The store's health.
#[derive(Debug, Clone)]
pub struct HealthService<S> {
    store: S,
}

impl<S: Health> HealthService<S> {
    /// The health of `store`.
    pub fn new(store: S) -> Self {
        Self { store }
    }

    /// `Ok` when the store answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.store.ping().await
    }

    /// The store's connection pool in use now.
    pub fn pool_use(&self) -> PoolUse {
        self.store.pool_use()
    }
}
