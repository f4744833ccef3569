//! A line as stores keep it: plain columns, the same for every store, and the reading
//! back (a column a store cannot have written is an error, not a guess).

use std::net::IpAddr;

use crate::audit::{Actor, AuditAction, AuditEntry, AuditObject, Outcome};
use crate::timestamp::Timestamp;

/// A line's columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAudit {
    /// When.
    pub at: Timestamp,
    /// `person`, `key` or `operator`.
    pub actor_kind: String,
    /// The person's id (persons only).
    pub actor_id: Option<uuid::Uuid>,
    /// The actor's name as listings show it.
    pub actor_name: String,
    /// The action's name.
    pub action: String,
    /// The object's name.
    pub object: Option<String>,
    /// The address, as text.
    pub address: Option<String>,
    /// The refusal's code; `None` when the change was made.
    pub refusal: Option<String>,
}

impl AuditEntry {
    /// The line's columns.
    pub fn to_stored(&self) -> StoredAudit {
        let (actor_kind, actor_id) = match &self.actor {
            Actor::Person { id, .. } => ("person", Some(*id)),
            Actor::Key(_) => ("key", None),
            Actor::Operator => ("operator", None),
        };
        StoredAudit {
            at: self.at,
            actor_kind: actor_kind.to_owned(),
            actor_id,
            actor_name: self.actor.name().to_owned(),
            action: self.action.as_str().to_owned(),
            object: self.object.as_ref().map(|o| o.as_str().to_owned()),
            address: self.address.map(|a| a.to_string()),
            refusal: match &self.outcome {
                Outcome::Succeeded => None,
                Outcome::Refused(code) => Some(code.clone()),
            },
        }
    }

    /// The line a store's columns hold.
    pub fn from_stored(row: StoredAudit) -> Result<Self, String> {
        let actor = match (row.actor_kind.as_str(), row.actor_id) {
            ("person", Some(id)) => Actor::Person {
                id,
                email: row.actor_name,
            },
            ("key", None) => Actor::Key(row.actor_name),
            ("operator", None) => Actor::Operator,
            (kind, _) => return Err(format!("audit line with actor `{kind}`")),
        };
        let action = AuditAction::parse(&row.action)
            .ok_or_else(|| format!("audit line with action `{}`", row.action))?;
        let address = match row.address {
            Some(text) => Some(
                text.parse::<IpAddr>()
                    .map_err(|_| format!("audit line with address `{text}`"))?,
            ),
            None => None,
        };
        Ok(Self {
            at: row.at,
            actor,
            action,
            object: row.object.map(AuditObject::from_stored),
            address,
            outcome: row.refusal.map_or(Outcome::Succeeded, Outcome::Refused),
        })
    }
}
