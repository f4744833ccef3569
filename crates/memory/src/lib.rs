//! Sticky Calls storage in memory: every storage port of the domain over plain maps
//! behind one lock, with no I/O. It is the proof that adapters only translate: each
//! rule (scoring, intent restarts, the provisional fold, variable limits, the credit
//! ledger) is a domain function it calls, exactly as the PostgreSQL and SQLite stores
//! do, and it passes the same storage contract suite. The domain's and the HTTP
//! API's tests use it where a real database is not the behaviour under test, and an
//! integrator's CI can run the server on it (`STICKYCALLS_DATABASE_URL=memory://`).
//!
//! It owns nothing durable: a restart loses everything. Atomicity is its one lock:
//! each commit checks everything it can refuse first, then writes, while holding it.
//! Lookups scan its maps: right for tests and CI volumes, not for production ones.
//! It must not know SQL, HTTP, or any rule the domain states.

mod accounts;
mod audit;
mod calls;
mod customers;
mod export;
mod retention;
mod rollups;
mod sessions;
mod settings;
mod state;
mod unsealed;
mod webhooks;

use std::sync::{Arc, Mutex, MutexGuard};

use stickycalls_domain::credits::SharedPolicy;

use crate::state::State;

/// The in-memory store: every storage port. Clones share the same data.
#[derive(Clone)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
    policy: SharedPolicy,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore").finish_non_exhaustive()
    }
}

impl MemoryStore {
    /// An empty store keeping credits under `policy`.
    pub fn new(policy: SharedPolicy) -> Self {
        Self {
            state: Arc::default(),
            policy,
        }
    }

    /// The data, locked. A poisoned lock (a panic while it was held) still holds
    /// consistent data: every write is checked before it starts.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The credit ledger of a [`MemoryStore`].
#[derive(Debug, Clone)]
pub struct MemoryLedger {
    store: MemoryStore,
}

impl MemoryLedger {
    /// The ledger of `store`, under the store's billing policy.
    pub fn new(store: MemoryStore) -> Self {
        Self { store }
    }
}
