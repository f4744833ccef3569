//! Test support: a vault in memory whose keys and nonces are counted, not drawn, and
//! that remembers what it destroyed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::{KeyFuture, SharedVault, Vault};
use crate::protection::{DataKey, Generation, Scope};
use crate::tenant::TenantId;

/// Keys by key name ([`Scope::key_name`]); `destroyed` lists the scopes destroyed, in
/// order.
#[derive(Default)]
pub(crate) struct TestVault {
    keys: Mutex<HashMap<String, DataKey>>,
    generations: Mutex<HashMap<TenantId, Generation>>,
    made: Mutex<u32>,
    /// How many times each key name was asked for (made or not).
    asked: Mutex<HashMap<String, u32>>,
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

    /// Whether `scope` has a key (of any generation).
    pub fn holds(&self, scope: &Scope) -> bool {
        let of_scope = of_scope(scope);
        self.keys.lock().unwrap().keys().any(|k| of_scope(k))
    }

    /// How many times a key of `scope` (any generation) was asked for.
    pub fn asks(&self, scope: &Scope) -> u32 {
        let of_scope = of_scope(scope);
        self.asked
            .lock()
            .unwrap()
            .iter()
            .filter(|(k, _)| of_scope(k))
            .map(|(_, n)| n)
            .sum()
    }

    fn current(&self, scope: &Scope) -> u32 {
        match scope {
            Scope::Tenant(_) => 1,
            Scope::Customer(tenant, _) => self.state(tenant).current,
        }
    }

    fn state(&self, tenant: &TenantId) -> Generation {
        self.generations
            .lock()
            .unwrap()
            .get(tenant)
            .copied()
            .unwrap_or_default()
    }

    fn lookup(&self, scope: &Scope, generation: u32, create: bool) -> Option<DataKey> {
        let name = scope.key_name(generation);
        *self.asked.lock().unwrap().entry(name.clone()).or_default() += 1;
        let mut keys = self.keys.lock().unwrap();
        match keys.get(&name) {
            Some(key) => Some(key.clone()),
            None if create => {
                let mut made = self.made.lock().unwrap();
                *made += 1;
                let mut bytes = [0xA5; 32];
                bytes[..4].copy_from_slice(&made.to_le_bytes());
                let key = DataKey::of_generation(bytes, generation);
                keys.insert(name, key.clone());
                Some(key)
            }
            None => None,
        }
    }
}

impl Vault for TestVault {
    fn key<'a>(&'a self, scope: &'a Scope, create: bool) -> KeyFuture<'a, Option<DataKey>> {
        let found = self.lookup(scope, self.current(scope), create);
        Box::pin(async move { Ok(found) })
    }

    fn key_of<'a>(&'a self, scope: &'a Scope, generation: u32) -> KeyFuture<'a, Option<DataKey>> {
        let found = self.lookup(scope, generation, false);
        Box::pin(async move { Ok(found) })
    }

    fn destroy<'a>(&'a self, scope: &'a Scope) -> KeyFuture<'a, ()> {
        let name = scope.name();
        let prefix = format!("{name}/");
        let later = format!("{name}@");
        let tenant_wide = matches!(scope, Scope::Tenant(_));
        self.keys.lock().unwrap().retain(|k, _| {
            *k != name && !k.starts_with(&later) && !(tenant_wide && k.starts_with(&prefix))
        });
        if tenant_wide {
            self.generations.lock().unwrap().remove(scope.tenant());
        }
        self.destroyed.lock().unwrap().push(name);
        Box::pin(async { Ok(()) })
    }

    fn generation<'a>(&'a self, tenant: &'a TenantId) -> KeyFuture<'a, Generation> {
        let state = self.state(tenant);
        Box::pin(async move { Ok(state) })
    }

    fn advance<'a>(&'a self, tenant: &'a TenantId) -> KeyFuture<'a, Generation> {
        let next = self.state(tenant).advanced();
        self.generations.lock().unwrap().insert(*tenant, next);
        Box::pin(async move { Ok(next) })
    }

    fn retire<'a>(&'a self, tenant: &'a TenantId, generation: Generation) -> KeyFuture<'a, u64> {
        let prefix = format!("{}/c/", Scope::Tenant(*tenant).name());
        let mut keys = self.keys.lock().unwrap();
        let before = keys.len();
        keys.retain(|k, _| {
            !k.starts_with(&prefix) || Generation::of_key_name(k) >= generation.current
        });
        let retired = (before - keys.len()) as u64;
        self.generations
            .lock()
            .unwrap()
            .insert(*tenant, generation.settled());
        Box::pin(async move { Ok(retired) })
    }

    fn nonce(&self) -> [u8; 24] {
        [7; 24]
    }

    fn encrypts(&self) -> bool {
        !self.off
    }
}

/// Whether a key name is one of `scope`'s keys, of any generation.
fn of_scope(scope: &Scope) -> impl Fn(&str) -> bool {
    let name = scope.name();
    let later = format!("{name}@");
    move |k| k == name || k.starts_with(&later)
}
