//! What every node must forget when one node (or the operator's CLI) changes it: a
//! revoked key, a tenant's replaced identity settings. Stores that several nodes share
//! broadcast these with the change's commit (PostgreSQL: `NOTIFY` in the same
//! transaction, so a rolled-back change says nothing); each node drops what it cached.
//! A node that lost the broadcast for a while forgets everything when it hears again
//! ([`Invalidation::Everything`]); the caches' lifetimes bound the rest.
//!
//! The payload is text of at most a few dozen bytes (PostgreSQL allows 8,000): a key's
//! public lookup id or a tenant's ids, never a secret.

use std::str::FromStr;

use uuid::Uuid;

use crate::tenant::{AccountId, Environment, TenantId};

/// The channel the broadcasts travel on.
pub const CHANNEL: &str = "stickycalls_invalidate";

/// One thing to forget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalidation {
    /// A key was revoked: refuse it from the next request on.
    KeyRevoked {
        /// Its public lookup id.
        lookup_id: String,
    },
    /// A tenant's identity settings were replaced: reload its policy.
    SettingsChanged(TenantId),
    /// The broadcast may have been missed (a node's listener reconnected): drop every
    /// cached key and policy.
    Everything,
}

impl Invalidation {
    /// The payload sent on [`CHANNEL`].
    pub fn payload(&self) -> String {
        match self {
            Invalidation::KeyRevoked { lookup_id } => format!("key:{lookup_id}"),
            Invalidation::SettingsChanged(tenant) => format!(
                "settings:{}:{}",
                tenant.account,
                tenant.environment.as_str()
            ),
            Invalidation::Everything => "everything".to_owned(),
        }
    }
}

impl FromStr for Invalidation {
    type Err = String;

    /// Reads a payload; anything unknown is refused (a node logs and forgets
    /// everything rather than guess).
    fn from_str(payload: &str) -> Result<Self, Self::Err> {
        let bad = || format!("not an invalidation: {} bytes", payload.len());
        if payload == "everything" {
            return Ok(Invalidation::Everything);
        }
        if let Some(lookup_id) = payload.strip_prefix("key:") {
            let hex = !lookup_id.is_empty() && lookup_id.bytes().all(|b| b.is_ascii_hexdigit());
            return hex
                .then(|| Invalidation::KeyRevoked {
                    lookup_id: lookup_id.to_owned(),
                })
                .ok_or_else(bad);
        }
        let (account, environment) = payload
            .strip_prefix("settings:")
            .and_then(|rest| rest.split_once(':'))
            .ok_or_else(bad)?;
        Ok(Invalidation::SettingsChanged(TenantId {
            account: AccountId(Uuid::parse_str(account).map_err(|_| bad())?),
            environment: environment.parse::<Environment>().map_err(|_| bad())?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_invalidation_reads_back_from_its_payload() {
        let tenant = TenantId {
            account: AccountId(Uuid::from_u128(7)),
            environment: Environment::Prod,
        };
        for sent in [
            Invalidation::KeyRevoked {
                lookup_id: "0123456789abcdef".into(),
            },
            Invalidation::SettingsChanged(tenant),
            Invalidation::Everything,
        ] {
            let payload = sent.payload();
            assert!(payload.len() < 100, "{payload}");
            assert_eq!(payload.parse::<Invalidation>(), Ok(sent));
        }
        assert_eq!(
            Invalidation::SettingsChanged(tenant).payload(),
            "settings:00000000-0000-0000-0000-000000000007:prod"
        );
    }

    #[test]
    fn anything_else_is_refused_without_echoing_it() {
        for payload in [
            "",
            "key:",
            "key:sk_test_secret",
            "settings:x:prod",
            "settings:00000000-0000-0000-0000-000000000007:live",
            "settings:00000000-0000-0000-0000-000000000007",
            "purge",
        ] {
            let refused = payload.parse::<Invalidation>().unwrap_err();
            assert!(
                payload.is_empty() || !refused.contains(payload),
                "{refused}"
            );
        }
    }
}
