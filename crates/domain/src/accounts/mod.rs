//! Accounts and their API keys, as the domain sees them: who a key acts for. How a key
//! is hashed and checked belongs to the inbound adapter; how it is stored, to storage.
//! The account use cases (signup, and the operator's listing, credit grants, plan
//! changes and purge) are in [`AccountService`].

mod service;
#[cfg(test)]
mod tests;

pub use service::{AccountError, AccountService, MAX_ACCOUNT_NAME, MAX_EMAIL, OpenedAccount};

use crate::credits::PlanTerms;
use crate::tenant::{AccountId, Environment, TenantId};
use crate::timestamp::Timestamp;

/// A key as stored: its public lookup id, whose tenant it opens, and its hash.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredKey {
    /// The public part of the key, used to find it.
    pub lookup_id: String,
    /// The account and environment it acts for.
    pub tenant: TenantId,
    /// The argon2id hash (PHC string) of the whole key.
    pub hash: String,
    /// Revoked keys never authenticate.
    pub revoked: bool,
    /// The tenant's plan (`free`, `starter`...), which sets its rate limit.
    pub plan: String,
}

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredKey")
            .field("lookup_id", &self.lookup_id)
            .field("tenant", &self.tenant)
            .field("revoked", &self.revoked)
            .field("plan", &self.plan)
            .finish_non_exhaustive()
    }
}

/// A key to create with an account: only its hash and its public parts are kept.
#[derive(Clone, PartialEq, Eq)]
pub struct NewKey {
    /// Public lookup id.
    pub lookup_id: String,
    /// Which environment it opens.
    pub environment: Environment,
    /// argon2id hash of the whole key.
    pub hash: String,
    /// The key's last four characters, to tell keys apart in listings.
    pub last4: String,
    /// A label chosen by the tenant (`default` for the keys of a new account).
    pub name: String,
}

impl std::fmt::Debug for NewKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewKey")
            .field("lookup_id", &self.lookup_id)
            .field("environment", &self.environment)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for NewAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAccount")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("email", &crate::redact::opt(&self.email))
            .field("keys", &self.keys)
            .field("plan", &self.plan)
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// A live key as listed to its tenant: never its hash or secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// Public lookup id (the key's id in the API is `key_` + this).
    pub lookup_id: String,
    /// Which environment it opens.
    pub environment: Environment,
    /// Its label.
    pub name: String,
    /// Its last four characters.
    pub last4: String,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it last authenticated a request (recorded when a server process verifies
    /// it, so at most one verified-key cache lifetime behind).
    pub last_used_at: Option<Timestamp>,
}

/// What revoking a key did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocation {
    /// Revoked now.
    Revoked,
    /// No live key with that id in the tenant (unknown, another tenant's, or revoked).
    NotFound,
    /// It is the tenant's last live key: revoking it would lock the tenant out.
    LastKey,
}

/// An account to create, with its first keys and starting credits per environment.
#[derive(Clone, PartialEq, Eq)]
pub struct NewAccount {
    /// The new account's id.
    pub id: AccountId,
    /// Display name.
    pub name: String,
    /// Contact address.
    pub email: Option<String>,
    /// Keys, typically one test and one prod.
    pub keys: Vec<NewKey>,
    /// The plan each environment opens on (its allowance is its starting credits).
    pub plan: PlanTerms,
    /// When it was opened (the anchor of its billing periods).
    pub created_at: Timestamp,
}

/// An account as the operator lists it.
#[derive(Clone, PartialEq, Eq)]
pub struct AccountInfo {
    /// The account.
    pub id: AccountId,
    /// Display name.
    pub name: String,
    /// Contact address.
    pub email: Option<String>,
    /// When it was opened.
    pub created_at: Timestamp,
    /// When it was closed (its data is being, or has been, deleted).
    pub closed_at: Option<Timestamp>,
}

impl std::fmt::Debug for AccountInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountInfo")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("email", &crate::redact::opt(&self.email))
            .field("created_at", &self.created_at)
            .field("closed_at", &self.closed_at)
            .finish()
    }
}

/// What a purge deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Purged {
    /// Expired variables.
    pub variables: usize,
    /// Intents untouched for 90 days.
    pub intents: usize,
    /// `Idempotency-Key` records older than a day, with their stored responses.
    pub responses: usize,
    /// Console sessions ended by their idle or absolute limit, or by their key's
    /// revocation.
    pub sessions: usize,
}
