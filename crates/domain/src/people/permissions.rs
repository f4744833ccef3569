//! Which role may take which action: one table.

use crate::people::Role;
use crate::tenant::Environment;

/// Everything a person can do on an account, as the console and the API offer it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// The overview, usage, identity figures, the ledger: the account's figures.
    ReadFigures,
    /// Search customers and read a customer's record.
    ReadCustomers,
    /// Export customers' data (personal data of callers) in bulk.
    ExportCustomers,
    /// Erase a customer and everything stored about them.
    EraseCustomer,
    /// List the keys of an environment (never their secrets).
    ReadKeys(Environment),
    /// Create or revoke a key of an environment.
    ManageKeys(Environment),
    /// Change identity settings and the retention policy.
    EditSettings,
    /// Add, change, test or remove webhook endpoints.
    EditWebhooks,
    /// List the account's members and their roles.
    ReadMembers,
    /// Invite, change or remove a member holding (or given) this role.
    ManageMembers(Role),
    /// Read and export the audit trail.
    ReadAudit,
    /// Buy credits, change the plan, open the billing portal.
    ManageBilling,
    /// Close the account.
    CloseAccount,
}

impl Action {
    /// Every action, each environment and role spelled out.
    pub const ALL: [Action; 18] = [
        Action::ReadFigures,
        Action::ReadCustomers,
        Action::ExportCustomers,
        Action::EraseCustomer,
        Action::ReadKeys(Environment::Test),
        Action::ReadKeys(Environment::Prod),
        Action::ManageKeys(Environment::Test),
        Action::ManageKeys(Environment::Prod),
        Action::EditSettings,
        Action::EditWebhooks,
        Action::ReadMembers,
        Action::ManageMembers(Role::Owner),
        Action::ManageMembers(Role::Admin),
        Action::ManageMembers(Role::Developer),
        Action::ManageMembers(Role::Viewer),
        Action::ReadAudit,
        Action::ManageBilling,
        Action::CloseAccount,
    ];

    /// Whether the action only reads.
    pub fn reads_only(self) -> bool {
        matches!(
            self,
            Action::ReadFigures
                | Action::ReadCustomers
                | Action::ExportCustomers
                | Action::ReadKeys(_)
                | Action::ReadMembers
                | Action::ReadAudit
        )
    }
}

/// Whether `role` may take `action`: the one table of permissions.
pub fn may(role: Role, action: Action) -> bool {
    use Action::*;
    use Environment::{Prod, Test};
    use Role::{Admin, Developer, Owner, Viewer};
    match (role, action) {
        (Owner, _) => true,
        (Admin, ManageMembers(Owner) | ManageBilling | CloseAccount) => false,
        (Admin, _) => true,
        (Developer, ReadFigures | ReadCustomers | ExportCustomers | ReadMembers) => true,
        (Developer, ReadKeys(_) | ManageKeys(Test) | EditSettings | EditWebhooks) => true,
        (Developer, ManageKeys(Prod) | EraseCustomer | ManageMembers(_)) => false,
        (Developer, ReadAudit | ManageBilling | CloseAccount) => false,
        (Viewer, ReadFigures | ReadCustomers | ReadKeys(_) | ReadMembers) => true,
        (Viewer, _) => false,
    }
}
