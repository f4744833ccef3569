//! The four roles a person holds on an account.

use std::fmt;

/// A person's role on one account, from most to least trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Everything, closing the account and billing included.
    Owner,
    /// Keys, members other than owners, settings, webhooks, the audit trail.
    Admin,
    /// The test environment's keys, settings, webhooks; reads everything.
    Developer,
    /// Reads; exports no personal data; changes nothing.
    Viewer,
}

impl Role {
    /// Every role, most trusted first.
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Developer, Role::Viewer];

    /// The role's name on the wire and in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Developer => "developer",
            Role::Viewer => "viewer",
        }
    }

    /// The role named `name`, if it is one.
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == name)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
