//! A keyring in memory: for the in-memory store and tests (nothing survives a restart,
//! like the data it protects).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use stickycalls_domain::ports::{KeyFuture, KeyringStore};

/// Wrapped keys in a map, shared by clones.
#[derive(Debug, Clone, Default)]
pub struct MemoryKeyring {
    inner: Arc<Mutex<Keyring>>,
}

#[derive(Debug, Default)]
struct Keyring {
    master_id: Option<String>,
    keys: HashMap<String, String>,
}

impl MemoryKeyring {
    /// A new keyring already tied to the master key `master_id`.
    pub(crate) fn made_with(master_id: &str) -> Self {
        let keyring = Self::default();
        keyring.with(|k| k.master_id = Some(master_id.to_owned()));
        keyring
    }

    fn with<T>(&self, f: impl FnOnce(&mut Keyring) -> T) -> T {
        f(&mut self.inner.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// How many keys it holds.
    pub fn len(&self) -> usize {
        self.with(|k| k.keys.len())
    }

    /// Whether it holds no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl KeyringStore for MemoryKeyring {
    fn wrapped<'a>(&'a self, scope: &'a str) -> KeyFuture<'a, Option<String>> {
        let found = self.with(|k| k.keys.get(scope).cloned());
        Box::pin(async move { Ok(found) })
    }

    fn insert<'a>(&'a self, scope: &'a str, wrapped: &'a str) -> KeyFuture<'a, String> {
        let stored = self.with(|k| {
            k.keys
                .entry(scope.to_owned())
                .or_insert_with(|| wrapped.to_owned())
                .clone()
        });
        Box::pin(async move { Ok(stored) })
    }

    fn delete<'a>(&'a self, scope: &'a str, with_customers: bool) -> KeyFuture<'a, ()> {
        let prefix = format!("{scope}/");
        self.with(|k| {
            k.keys
                .retain(|name, _| name != scope && !(with_customers && name.starts_with(&prefix)));
        });
        Box::pin(async move { Ok(()) })
    }

    fn master_id<'a>(&'a self, proposed: &'a str) -> KeyFuture<'a, String> {
        let stored = self.with(|k| {
            k.master_id
                .get_or_insert_with(|| proposed.to_owned())
                .clone()
        });
        Box::pin(async move { Ok(stored) })
    }

    fn move_master_id<'a>(&'a self, from: &'a str, to: &'a str) -> KeyFuture<'a, bool> {
        let moved = self.with(|k| match k.master_id.as_deref() {
            Some(id) if id == from || id == to => {
                k.master_id = Some(to.to_owned());
                true
            }
            _ => false,
        });
        Box::pin(async move { Ok(moved) })
    }

    fn page<'a>(&'a self, after: &'a str, limit: u32) -> KeyFuture<'a, Vec<(String, String)>> {
        let mut found: Vec<(String, String)> = self.with(|k| {
            k.keys
                .iter()
                .filter(|(scope, _)| scope.as_str() > after)
                .map(|(scope, wrapped)| (scope.clone(), wrapped.clone()))
                .collect()
        });
        found.sort();
        found.truncate(limit as usize);
        Box::pin(async move { Ok(found) })
    }

    fn replace<'a>(
        &'a self, scope: &'a str, expected: &'a str, new: &'a str,
    ) -> KeyFuture<'a, bool> {
        let replaced = self.with(|k| match k.keys.get_mut(scope) {
            Some(wrapped) if wrapped == expected => {
                new.clone_into(wrapped);
                true
            }
            _ => false,
        });
        Box::pin(async move { Ok(replaced) })
    }
}
