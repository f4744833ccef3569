//! Test support: a vault in memory whose keys and nonces are counted, not drawn, and
//! that remembers what it destroyed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::{KeyFuture, SharedVault, Vault};
use crate::protection::{DataKey, Scope};

/// Keys by scope name; `destroyed` lists the scopes destroyed, in order.
#[derive(Default)]
pub(crate) struct TestVault {
    keys: Mutex<HashMap<String, DataKey>>,
    made: Mutex<u8>,
    pub destroyed: Mutex<Vec<String>>,
    /// Encryption off: the vault says it does not encrypt.
    off: bool,
}

impl TestVault {
    /// A fresh vault, shared.
    pub fn shared() -> Arc<TestVault> {
        Arc::new(TestVault::default())
    }

    /// A vault of a server with encryption off.
    pub fn off() -> Arc<TestVault> {
        Arc::new(TestVault {
            off: true,
            ..TestVault::default()
        })
    }

    /// The same vault as the services take it.
    pub fn port(self: &Arc<Self>) -> SharedVault {
        self.clone()
    }

    /// Whether `scope` has a key.
    pub fn holds(&self, scope: &Scope) -> bool {
        self.keys.lock().unwrap().contains_key(&scope.name())
    }
}

impl Vault for TestVault {
    fn key<'a>(&'a self, scope: &'a Scope, create: bool) -> KeyFuture<'a, Option<DataKey>> {
        let mut keys = self.keys.lock().unwrap();
        let found = match keys.get(&scope.name()) {
            Some(key) => Some(key.clone()),
            None if create => {
                let mut made = self.made.lock().unwrap();
                *made += 1;
                let key = DataKey::from_bytes([*made; 32]);
                keys.insert(scope.name(), key.clone());
                Some(key)
            }
            None => None,
        };
        Box::pin(async move { Ok(found) })
    }

    fn destroy<'a>(&'a self, scope: &'a Scope) -> KeyFuture<'a, ()> {
        let name = scope.name();
        let prefix = format!("{name}/");
        let tenant_wide = matches!(scope, Scope::Tenant(_));
        self.keys
            .lock()
            .unwrap()
            .retain(|k, _| *k != name && !(tenant_wide && k.starts_with(&prefix)));
        self.destroyed.lock().unwrap().push(name);
        Box::pin(async { Ok(()) })
    }

    fn nonce(&self) -> [u8; 24] {
        [7; 24]
    }

    fn encrypts(&self) -> bool {
        !self.off
    }
}
