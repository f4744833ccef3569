//! The single-column tenant key every table starts with.

use stickycalls_domain::tenant::TenantId;
use uuid::Uuid;

/// A tenant's key: a name-based UUID (v5) of the account id and the environment, so it
/// needs no lookup and the test and prod data of one account never share a key.
pub fn tenant_key(tenant: &TenantId) -> Uuid {
    Uuid::new_v5(&tenant.account.0, tenant.environment.as_str().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use stickycalls_domain::tenant::{AccountId, Environment};

    #[test]
    fn environments_and_accounts_get_distinct_stable_keys() {
        let account = AccountId(Uuid::from_u128(1));
        let test = TenantId {
            account,
            environment: Environment::Test,
        };
        let prod = TenantId {
            account,
            environment: Environment::Prod,
        };
        let other = TenantId {
            account: AccountId(Uuid::from_u128(2)),
            environment: Environment::Test,
        };
        assert_ne!(tenant_key(&test), tenant_key(&prod));
        assert_ne!(tenant_key(&test), tenant_key(&other));
        assert_eq!(tenant_key(&test), tenant_key(&test));
    }
}
