//! One line of the audit trail.

use std::net::IpAddr;

use crate::log_key::keyed_digest;
use crate::timestamp::Timestamp;

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A person signed in to the console, by id and the address they signed in with.
    Person {
        /// The person's id.
        id: uuid::Uuid,
        /// Their email address (a member's, never a caller's).
        email: String,
    },
    /// An API key, by its public id (`key_<lookup id>`; never the secret).
    Key(String),
    /// The operator, on the server's command line.
    Operator,
}

impl Actor {
    /// How a listing names the actor: the email, the key id, or `operator`.
    pub fn name(&self) -> &str {
        match self {
            Actor::Person { email, .. } => email,
            Actor::Key(id) => id,
            Actor::Operator => "operator",
        }
    }
}

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    /// An API key created.
    KeyCreated,
    /// An API key revoked.
    KeyRevoked,
    /// Someone invited to the account.
    MemberInvited,
    /// A member removed (or left).
    MemberRemoved,
    /// A member's role changed.
    MemberRoleChanged,
    /// Identity or retention settings changed.
    SettingsChanged,
    /// A webhook endpoint added, changed or removed.
    WebhookChanged,
    /// Customers' data exported.
    CustomersExported,
    /// A customer erased.
    CustomerErased,
    /// Credits granted.
    CreditsGranted,
    /// The plan changed.
    PlanChanged,
    /// A person signed in.
    SignedIn,
    /// A sign-in refused.
    SignInFailed,
}

impl AuditAction {
    /// Every action, in the order docs list them.
    pub const ALL: [AuditAction; 13] = [
        AuditAction::KeyCreated,
        AuditAction::KeyRevoked,
        AuditAction::MemberInvited,
        AuditAction::MemberRemoved,
        AuditAction::MemberRoleChanged,
        AuditAction::SettingsChanged,
        AuditAction::WebhookChanged,
        AuditAction::CustomersExported,
        AuditAction::CustomerErased,
        AuditAction::CreditsGranted,
        AuditAction::PlanChanged,
        AuditAction::SignedIn,
        AuditAction::SignInFailed,
    ];

    /// The action's name on the wire and in storage (`key.created`).
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::KeyCreated => "key.created",
            AuditAction::KeyRevoked => "key.revoked",
            AuditAction::MemberInvited => "member.invited",
            AuditAction::MemberRemoved => "member.removed",
            AuditAction::MemberRoleChanged => "member.role_changed",
            AuditAction::SettingsChanged => "settings.changed",
            AuditAction::WebhookChanged => "webhook.changed",
            AuditAction::CustomersExported => "customers.exported",
            AuditAction::CustomerErased => "customer.erased",
            AuditAction::CreditsGranted => "credits.granted",
            AuditAction::PlanChanged => "plan.changed",
            AuditAction::SignedIn => "sign_in.succeeded",
            AuditAction::SignInFailed => "sign_in.failed",
        }
    }

    /// The action named `name`, if it is one.
    pub fn parse(name: &str) -> Option<AuditAction> {
        AuditAction::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

/// The object a change was made to, as a line names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditObject(String);

impl AuditObject {
    /// An object named by an id the service made (`key_...`, a webhook's id, a plan).
    pub fn id(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// A customer, by the keyed digest of its reference (`customer:...`): a reference
    /// may be a caller's CRM number or name, and is never written into the trail.
    pub fn customer(customer_ref: &str) -> Self {
        Self(keyed_digest("customer", customer_ref))
    }

    /// The name the line holds.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Rebuilds a name read back from storage.
    pub fn from_stored(name: String) -> Self {
        Self(name)
    }
}

/// How the change ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Done.
    Succeeded,
    /// Refused, with the error's code (`forbidden`, `invalid_request`...).
    Refused(String),
}

/// One line of the trail. Lines are only ever added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// When.
    pub at: Timestamp,
    /// Who.
    pub actor: Actor,
    /// What.
    pub action: AuditAction,
    /// To which object, when the action has one.
    pub object: Option<AuditObject>,
    /// From which address the request came, when it came over the network.
    pub address: Option<IpAddr>,
    /// With which result.
    pub outcome: Outcome,
}
