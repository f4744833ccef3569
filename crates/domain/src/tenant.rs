//! Who a request acts for: an account's environment, and that tenant's policy.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use uuid::Uuid;

use crate::identity::{AniPolicy, IdentityPolicy, IdentitySettings, ScoringWeights};

/// An account (a customer company).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountId(pub Uuid);

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The two environments of an account, with separate data and separate credits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Environment {
    /// `sk_test_...` keys.
    Test,
    /// `sk_prod_...` keys.
    Prod,
}

impl Environment {
    /// `test` or `prod`.
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Test => "test",
            Environment::Prod => "prod",
        }
    }
}

impl FromStr for Environment {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "test" => Ok(Environment::Test),
            "prod" => Ok(Environment::Prod),
            other => Err(format!(
                "unknown environment `{other}` (expected test or prod)"
            )),
        }
    }
}

/// The isolation unit: every stored row and every query is scoped to one tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TenantId {
    /// The account.
    pub account: AccountId,
    /// Its environment.
    pub environment: Environment,
}

impl TenantId {
    /// An account's two tenants, test then prod.
    pub fn both(account: AccountId) -> [TenantId; 2] {
        [Environment::Test, Environment::Prod].map(|environment| TenantId {
            account,
            environment,
        })
    }
}

/// A tenant's own rules: how ANIs are read and how identity is scored. Loaded by the
/// inbound adapter from the tenant's settings (cached briefly), so a use case needs no
/// extra read for it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TenantPolicy {
    /// Default region and withheld-ANI list.
    pub ani: AniPolicy,
    /// Weights, thresholds and attestation rules (docs/IDENTITY.md sections 2 and 6 by default).
    pub identity: IdentityPolicy,
}

impl TenantPolicy {
    /// The policy a tenant's settings give, scoring with `weights` (the settings' own,
    /// or what learning made of them).
    pub fn from_settings(settings: &IdentitySettings, weights: ScoringWeights) -> Self {
        Self {
            ani: settings.ani.clone(),
            identity: settings.identity_policy(weights),
        }
    }
}

/// The tenant a request acts for, with its policy.
#[derive(Debug, Clone)]
pub struct Tenant {
    /// Whose data.
    pub id: TenantId,
    /// Which rules.
    pub policy: Arc<TenantPolicy>,
}

impl Tenant {
    /// A tenant with the default policy.
    pub fn with_defaults(id: TenantId) -> Self {
        Self {
            id,
            policy: Arc::new(TenantPolicy::default()),
        }
    }
}
