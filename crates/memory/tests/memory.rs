//! The in-memory store: the same storage contract suite as PostgreSQL and SQLite.

use stickycalls_memory::{MemoryLedger, MemoryStore};
use stickycalls_test_support::contract::{Storage, StorageFactory};
use stickycalls_test_support::fakes::billing_on;

struct Memory;

impl StorageFactory for Memory {
    type Store = MemoryStore;
    type Ledger = MemoryLedger;

    async fn create(&self) -> anyhow::Result<Storage<MemoryStore, MemoryLedger>> {
        let store = MemoryStore::new(billing_on());
        Ok(Storage {
            ledger: MemoryLedger::new(store.clone()),
            store,
            guard: Box::new(()),
        })
    }
}

stickycalls_test_support::storage_contract!(Memory);

#[tokio::test]
async fn the_memory_keyring_keeps_destroys_ties_and_rotates_keys() {
    stickycalls_test_support::contract::keyring_contract(
        stickycalls_vault::MemoryKeyring::default(),
    )
    .await
    .unwrap();
}
