//! The account use cases: signup (a new account on the opening plan with one key per
//! environment) and the operator's actions: granting credits, changing plans, purging
//! expired data. The command-line tool and the tests call the same functions.

use crate::accounts::{AccountInfo, NewAccount, Purged};
use crate::console::SessionPolicy;
use crate::credits::{CreditAccount, CreditSummary};
use crate::error::{Issues, StoreError, ValidationError};
use crate::idempotency::KEPT_FOR;
use crate::intents::INTENT_EXPIRY;
use crate::ports::{
    AccountStore, Clock, CreditLedger, IdGenerator, KeyMinter, Purge, PurgeCutoffs,
};
use crate::secret::Secret;
use crate::tenant::{AccountId, Environment, TenantId};

/// Longest account name, in characters.
pub const MAX_ACCOUNT_NAME: usize = 200;

/// Longest contact address (RFC 5321's path limit).
pub const MAX_EMAIL: usize = 254;

/// Why an account use case did nothing.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// Malformed input (name, email, plan, allowance).
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// No account has this id.
    #[error("no account {0}")]
    NotFound(AccountId),
    /// The store (or the key minter) failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A new account: its id, plan and keys, shown once.
#[derive(Debug)]
pub struct OpenedAccount {
    /// The account.
    pub id: AccountId,
    /// The plan it opened on, and the credits each environment starts with.
    pub plan: crate::credits::PlanTerms,
    /// `sk_test_...`.
    pub test_key: Secret,
    /// `sk_prod_...`.
    pub prod_key: Secret,
}

fn check_name(name: &str) -> Result<String, ValidationError> {
    // Limits hold for the text as sent; the name kept is trimmed.
    let sent = name;
    let name = name.trim();
    if name.is_empty()
        || sent.chars().count() > MAX_ACCOUNT_NAME
        || sent.chars().any(char::is_control)
    {
        return Err(ValidationError::invalid(
            "name",
            "must be 1 to 200 characters",
        ));
    }
    Ok(name.to_owned())
}

fn check_email(email: &str) -> Result<String, ValidationError> {
    let plausible = email.chars().count() <= MAX_EMAIL
        && email
            .split_once('@')
            .is_some_and(|(user, host)| !user.is_empty() && host.contains('.'))
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if !plausible {
        return Err(ValidationError::invalid(
            "email",
            "must be an email address",
        ));
    }
    Ok(email.to_owned())
}

/// The account use cases, generic over their ports.
#[derive(Debug, Clone)]
pub struct AccountService<S, L, C, I, M> {
    store: S,
    ledger: L,
    clock: C,
    ids: I,
    minter: M,
}

impl<S, L, C, I, M> AccountService<S, L, C, I, M>
where
    S: AccountStore,
    L: CreditLedger,
    C: Clock,
    I: IdGenerator,
    M: KeyMinter,
{
    /// Wires the service.
    pub fn new(store: S, ledger: L, clock: C, ids: I, minter: M) -> Self {
        Self {
            store,
            ledger,
            clock,
            ids,
            minter,
        }
    }

    /// Opens an account on the billing policy's opening plan, with one key per
    /// environment. The email is required by public signup and optional for the
    /// operator's command line.
    pub async fn open(
        &self, name: &str, email: Option<&str>,
    ) -> Result<OpenedAccount, AccountError> {
        let (name, email) = match (check_name(name), email.map(check_email).transpose()) {
            (Ok(name), Ok(email)) => (name, email),
            (name, email) => {
                // Every bad field at once, the name first.
                let mut issues = Issues::default();
                issues.take(name);
                issues.take(email);
                return Err(issues.finish().expect_err("a field was refused").into());
            }
        };
        let test = self.minter.mint(Environment::Test, "default").await?;
        let prod = self.minter.mint(Environment::Prod, "default").await?;
        let id = self.ids.new_account_id();
        let plan = self.ledger.policy().opening_plan();
        self.store
            .create_account(NewAccount {
                id,
                name,
                email,
                keys: vec![test.key, prod.key],
                plan: plan.clone(),
                created_at: self.clock.now(),
            })
            .await?;
        Ok(OpenedAccount {
            id,
            plan,
            test_key: test.token,
            prod_key: prod.token,
        })
    }

    /// Every account, oldest first.
    pub async fn list(&self) -> Result<Vec<AccountInfo>, AccountError> {
        Ok(self.store.list_accounts().await?)
    }

    /// The account with this id, or [`AccountError::NotFound`].
    pub async fn find(&self, id: AccountId) -> Result<AccountInfo, AccountError> {
        self.list()
            .await?
            .into_iter()
            .find(|a| a.id == id)
            .ok_or(AccountError::NotFound(id))
    }

    /// Adds purchased credits to a tenant (they never expire and are spent after the
    /// allowance). Returns its credits after the grant.
    pub async fn grant_credits(
        &self, tenant: &TenantId, credits: u64,
    ) -> Result<CreditSummary, AccountError> {
        if credits == 0 {
            return Err(ValidationError::invalid("amount", "must be at least 1").into());
        }
        let now = self.clock.now();
        let policy = self.ledger.policy();
        let decide = policy.clone();
        let account = self
            .ledger
            .update_credits(tenant, move |stored| {
                CreditAccount::grant(stored, credits, decide.as_ref(), now)
            })
            .await?;
        Ok(CreditSummary::of(&account, policy.as_ref(), now))
    }

    /// Moves both environments of an account to `plan`; `allowance` overrides the
    /// catalog's (required where the plan has none). The current period keeps what was
    /// used of it.
    pub async fn set_plan(
        &self, account: AccountId, plan: &str, allowance: Option<u64>,
    ) -> Result<Vec<(Environment, CreditSummary)>, AccountError> {
        let policy = self.ledger.policy();
        let terms = policy.plan_terms(plan, allowance)?;
        let now = self.clock.now();
        let mut changed = Vec::new();
        for tenant in TenantId::both(account) {
            let (decide, terms) = (policy.clone(), terms.clone());
            let state = self
                .ledger
                .update_credits(&tenant, move |stored| {
                    CreditAccount::change_plan(stored, &terms, decide.as_ref(), now)
                })
                .await?;
            changed.push((
                tenant.environment,
                CreditSummary::of(&state, policy.as_ref(), now),
            ));
        }
        Ok(changed)
    }
}

impl<S: Purge, L, C: Clock, I, M> AccountService<S, L, C, I, M> {
    /// Deletes what has expired at the clock's now: variables past their TTL, intents
    /// untouched for 90 days, day-old idempotent responses, ended console sessions.
    pub async fn purge(&self) -> Result<Purged, AccountError> {
        let now = self.clock.now();
        let sessions = SessionPolicy::default();
        let cutoffs = PurgeCutoffs {
            variables_expired_at: now,
            intents_seen_before: now - INTENT_EXPIRY,
            responses_created_before: now - KEPT_FOR,
            sessions_seen_before: now - sessions.idle,
            sessions_created_before: now - sessions.absolute,
        };
        Ok(self.store.purge_expired(cutoffs).await?)
    }
}
