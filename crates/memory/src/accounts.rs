//! Accounts, keys, stored idempotent responses, credits, usage, health and purge in
//! memory.

use stickycalls_domain::accounts::{
    AccountInfo, KeyInfo, NewAccount, NewKey, Purged, Revocation, StoredKey,
};
use stickycalls_domain::credits::{CreditAccount, DailyUsage, EntryKind, LedgerDay, SharedPolicy};
use stickycalls_domain::idempotency::{ClaimCutoffs, HeldKey, KeyClaim, StoredResponse};
use stickycalls_domain::ports::PurgeCutoffs;
use stickycalls_domain::ports::{
    AccountStore, CreditDecision, CreditLedger, Health, IdempotencyStore, KeyAdded, KeyStore,
    PoolUse, Purge, UsageStore,
};
use stickycalls_domain::tenant::{AccountId, Environment, TenantId};
use stickycalls_domain::{StoreError, Timestamp};

use crate::state::{Account, Claim, Key, State};
use crate::{MemoryLedger, MemoryStore};

impl State {
    fn live_keys(&self, tenant: &TenantId) -> Vec<KeyInfo> {
        let mut keys: Vec<KeyInfo> = self
            .keys
            .iter()
            .filter(|(_, k)| {
                k.account == tenant.account
                    && k.environment == tenant.environment
                    && k.revoked_at.is_none()
            })
            .map(|(lookup_id, k)| KeyInfo {
                lookup_id: lookup_id.clone(),
                environment: k.environment,
                name: k.name.clone(),
                last4: k.last4.clone(),
                created_at: k.created_at,
                last_used_at: k.last_used_at,
            })
            .collect();
        keys.sort_by(|a, b| (a.created_at, &a.lookup_id).cmp(&(b.created_at, &b.lookup_id)));
        keys
    }

    fn insert_key(
        &mut self, account: stickycalls_domain::tenant::AccountId, key: NewKey, at: Timestamp,
    ) {
        self.keys.insert(
            key.lookup_id,
            Key {
                account,
                environment: key.environment,
                hash: key.hash,
                last4: key.last4,
                name: key.name,
                created_at: at,
                last_used_at: None,
                revoked_at: None,
            },
        );
    }
}

impl AccountStore for MemoryStore {
    async fn create_account(&self, account: NewAccount) -> Result<(), StoreError> {
        let mut state = self.lock();
        if state.accounts.contains_key(&account.id)
            || account
                .keys
                .iter()
                .any(|k| state.keys.contains_key(&k.lookup_id))
        {
            return Err(StoreError::Unknown(
                std::io::Error::other("the account or one of its keys exists already").into(),
            ));
        }
        let at = account.created_at;
        state.accounts.insert(
            account.id,
            Account {
                name: account.name,
                email: account.email,
                created_at: at,
                closed_at: None,
            },
        );
        for key in account.keys {
            state.insert_key(account.id, key, at);
        }
        for environment in [Environment::Test, Environment::Prod] {
            let tenant = TenantId {
                account: account.id,
                environment,
            };
            state
                .tenant(&tenant)
                .save_credits(CreditAccount::open(&account.plan, at));
        }
        Ok(())
    }

    async fn has_accounts(&self) -> Result<bool, StoreError> {
        Ok(!self.lock().accounts.is_empty())
    }

    async fn list_accounts(&self) -> Result<Vec<AccountInfo>, StoreError> {
        let mut accounts: Vec<AccountInfo> = self
            .lock()
            .accounts
            .iter()
            .map(|(id, a)| AccountInfo {
                id: *id,
                name: a.name.clone(),
                email: a.email.clone(),
                created_at: a.created_at,
                closed_at: a.closed_at,
            })
            .collect();
        accounts.sort_by_key(|a| (a.created_at, a.id.0));
        Ok(accounts)
    }

    async fn close_account(
        &self, account: AccountId, at: Timestamp,
    ) -> Result<Option<Vec<String>>, StoreError> {
        let mut state = self.lock();
        let state = &mut *state;
        match state.accounts.get_mut(&account) {
            Some(a) if a.closed_at.is_none() => {
                a.closed_at = Some(at);
                a.email = None;
            }
            _ => return Ok(None),
        }
        let mut revoked = Vec::new();
        for (lookup_id, key) in &mut state.keys {
            if key.account == account && key.revoked_at.is_none() {
                key.revoked_at = Some(at);
                revoked.push(lookup_id.clone());
            }
        }
        let keys = &state.keys;
        state
            .sessions
            .retain(|_, (lookup_id, _)| keys.get(lookup_id).is_none_or(|k| k.account != account));
        Ok(Some(revoked))
    }
}

impl KeyStore for MemoryStore {
    async fn find_key(&self, lookup_id: &str) -> Result<Option<StoredKey>, StoreError> {
        let mut state = self.lock();
        let Some(key) = state.keys.get(lookup_id).cloned() else {
            return Ok(None);
        };
        let tenant = TenantId {
            account: key.account,
            environment: key.environment,
        };
        let plan = state
            .tenant(&tenant)
            .credits
            .as_ref()
            .map_or_else(|| "free".to_owned(), |c| c.plan.clone());
        Ok(Some(StoredKey {
            lookup_id: lookup_id.to_owned(),
            tenant,
            hash: key.hash,
            revoked: key.revoked_at.is_some(),
            plan,
        }))
    }

    async fn add_key(
        &self, tenant: &TenantId, key: NewKey, at: Timestamp, max_live: usize,
    ) -> Result<KeyAdded, StoreError> {
        let mut state = self.lock();
        if state.live_keys(tenant).len() >= max_live {
            return Ok(KeyAdded::LimitReached);
        }
        let key = NewKey {
            environment: tenant.environment,
            ..key
        };
        state.insert_key(tenant.account, key, at);
        Ok(KeyAdded::Added)
    }

    async fn list_keys(&self, tenant: &TenantId) -> Result<Vec<KeyInfo>, StoreError> {
        Ok(self.lock().live_keys(tenant))
    }

    async fn revoke_key(
        &self, tenant: &TenantId, lookup_id: &str, at: Timestamp,
    ) -> Result<Revocation, StoreError> {
        let mut state = self.lock();
        let live = state.live_keys(tenant);
        if !live.iter().any(|k| k.lookup_id == lookup_id) {
            return Ok(Revocation::NotFound);
        }
        if live.len() == 1 {
            return Ok(Revocation::LastKey);
        }
        if let Some(key) = state.keys.get_mut(lookup_id) {
            key.revoked_at = Some(at);
        }
        Ok(Revocation::Revoked)
    }

    async fn touch_key(&self, lookup_id: &str, at: Timestamp) -> Result<(), StoreError> {
        if let Some(key) = self.lock().keys.get_mut(lookup_id) {
            key.last_used_at = Some(at);
        }
        Ok(())
    }
}

impl IdempotencyStore for MemoryStore {
    async fn claim(
        &self, tenant: &TenantId, key: &str, fingerprint: &str, now: Timestamp,
        cutoffs: ClaimCutoffs,
    ) -> Result<KeyClaim, StoreError> {
        let mut state = self.lock();
        let claims = &mut state.tenant(tenant).claims;
        if claims.get(key).is_some_and(|c| {
            c.created_at < cutoffs.expired_before
                || (c.response.is_none() && c.created_at < cutoffs.abandoned_before)
        }) {
            claims.remove(key);
        }
        let Some(held) = claims.get(key) else {
            claims.insert(
                key.to_owned(),
                Claim {
                    fingerprint: fingerprint.to_owned(),
                    created_at: now,
                    response: None,
                },
            );
            return Ok(KeyClaim::Claimed);
        };
        Ok(KeyClaim::Held(HeldKey {
            fingerprint: held.fingerprint.clone(),
            response: held.response.clone(),
        }))
    }

    /// A response about a customer erased since the request began is not kept: the
    /// claim is dropped instead, so a retry runs anew.
    async fn complete(
        &self, tenant: &TenantId, key: &str, response: StoredResponse,
    ) -> Result<(), StoreError> {
        let mut state = self.lock();
        let t = state.tenant(tenant);
        let erased = response
            .customer
            .as_ref()
            .is_some_and(|c| !t.has_customer(c.as_str()));
        if erased {
            t.claims.remove(key);
        } else if let Some(claim) = t.claims.get_mut(key) {
            claim.response = Some(response);
        }
        Ok(())
    }

    async fn release(&self, tenant: &TenantId, key: &str) -> Result<(), StoreError> {
        let mut state = self.lock();
        let claims = &mut state.tenant(tenant).claims;
        if claims.get(key).is_some_and(|c| c.response.is_none()) {
            claims.remove(key);
        }
        Ok(())
    }
}

impl UsageStore for MemoryStore {
    async fn usage(
        &self, tenant: &TenantId, from: time::Date, to: time::Date,
    ) -> Result<Vec<DailyUsage>, StoreError> {
        let mut state = self.lock();
        let t = state.tenant(tenant);
        let debits = t
            .ledger
            .iter()
            .filter(|e| e.kind == EntryKind::Debit)
            .map(|e| (e.at, e.credits));
        Ok(DailyUsage::tally(t.calls.values(), debits, from, to))
    }

    async fn ledger_days(
        &self, tenant: &TenantId, from: time::Date, to: time::Date,
    ) -> Result<Vec<LedgerDay>, StoreError> {
        let mut state = self.lock();
        let lines = state.tenant(tenant).ledger.iter().filter_map(|e| {
            let day = e.at.get().date();
            (from <= day && day <= to).then_some((day, e.kind, e.credits, 1))
        });
        Ok(LedgerDay::tally(lines))
    }
}

impl Health for MemoryStore {
    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// No pool: nothing is ever waited for.
    fn pool_use(&self) -> PoolUse {
        PoolUse::default()
    }
}

impl Purge for MemoryStore {
    async fn purge_expired(&self, cut: PurgeCutoffs) -> Result<Purged, StoreError> {
        let mut state = self.lock();
        let mut purged = Purged::default();
        for t in state.tenants.values_mut() {
            let (variables, intents, claims) = (t.variables.len(), t.intents.len(), t.claims.len());
            t.variables
                .retain(|_, v| v.expires_at > cut.variables_expired_at);
            t.intents
                .retain(|_, i| i.last_seen > cut.intents_seen_before);
            t.claims
                .retain(|_, c| c.created_at >= cut.responses_created_before);
            purged.variables += variables - t.variables.len();
            purged.intents += intents - t.intents.len();
            purged.responses += claims - t.claims.len();
        }
        let state = &mut *state;
        let (keys, before) = (&state.keys, state.sessions.len());
        state.sessions.retain(|_, (lookup_id, times)| {
            times.last_seen_at > cut.sessions_seen_before
                && times.created_at > cut.sessions_created_before
                && keys.get(lookup_id).is_some_and(|k| k.revoked_at.is_none())
        });
        purged.sessions = before - state.sessions.len();
        Ok(purged)
    }
}

impl CreditLedger for MemoryLedger {
    fn policy(&self) -> SharedPolicy {
        self.store.policy.clone()
    }

    async fn credit_account(&self, tenant: &TenantId) -> Result<Option<CreditAccount>, StoreError> {
        Ok(self.store.lock().tenant(tenant).credits.clone())
    }

    async fn update_credits<D: CreditDecision>(
        &self, tenant: &TenantId, decide: D,
    ) -> Result<CreditAccount, StoreError> {
        let mut state = self.store.lock();
        let t = state.tenant(tenant);
        let change = decide(t.credits.clone());
        Ok(t.save_credits(change))
    }
}
