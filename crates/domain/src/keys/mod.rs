//! API keys as their tenant manages them: create (within the cap), list, revoke (never
//! the last live one). How a key is generated and hashed is the [`KeyMinter`] port's;
//! how keys are stored, the [`KeyStore`] port's. The cap and the rules are here.

use crate::accounts::{KeyInfo, NewKey, StoredKey};
use crate::error::{StoreError, ValidationError};
use crate::secret::Secret;
use crate::tenant::{Environment, TenantId};

mod service;
#[cfg(test)]
mod tests;

pub use service::KeyService;

/// Most live keys per environment of an account.
pub const MAX_LIVE_KEYS: usize = 20;

/// Longest key label, in characters.
pub const MAX_KEY_NAME: usize = 100;

/// A key label: 1 to 100 characters, no control characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyName(String);

impl KeyName {
    /// Validates a label sent by a client.
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        // Limits hold for the text as sent; the label kept is trimmed.
        let name = text.trim();
        if name.is_empty()
            || text.chars().count() > MAX_KEY_NAME
            || text.chars().any(char::is_control)
        {
            return Err(ValidationError::invalid(
                "name",
                "must be 1 to 100 characters",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    /// The label.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A key's id as the API and the command line show it: `key_` and its lookup id.
pub fn key_id(lookup_id: &str) -> String {
    format!("key_{lookup_id}")
}

/// The lookup id a key id names, if it is one (`key_` and 16 hex digits).
pub fn lookup_id_of(key_id: &str) -> Option<&str> {
    key_id
        .strip_prefix("key_")
        .filter(|l| l.len() == 16 && l.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A freshly minted key: the token to show once, and what is stored of it.
#[derive(Debug, Clone)]
pub struct MintedKey {
    /// The whole key (`sk_<env>_...`): shown once, never stored.
    pub token: Secret,
    /// Its public parts and hash.
    pub key: NewKey,
}

/// A key just created: the token, shown once, and how it is listed.
#[derive(Debug, Clone)]
pub struct CreatedKey {
    /// The whole key.
    pub token: Secret,
    /// How it is listed from now on.
    pub info: KeyInfo,
}

/// Why a key operation did nothing.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The request is malformed (label, environment).
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// The environment already has [`MAX_LIVE_KEYS`] live keys.
    #[error("at most {max} live keys per environment")]
    TooManyKeys {
        /// The cap.
        max: usize,
    },
    /// No live key with that id in the tenant.
    #[error("no such key")]
    NotFound,
    /// Revoking it would leave the environment without a live key.
    #[error("the environment's last live key")]
    LastKey,
    /// A key of one environment asked for a key of the other: a permission, not a
    /// malformed request (the same body is fine with the other environment's key).
    #[error("a {own} key manages {own} keys: use a {wanted} key to make one")]
    OtherEnvironment {
        /// The calling key's environment.
        own: &'static str,
        /// The one asked for.
        wanted: &'static str,
    },
    /// The store (or the minter) failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks that a key is asked for in the calling key's own environment (the default
/// when none is named): a test key never makes a prod key.
pub fn check_environment(tenant: &TenantId, wanted: Option<&str>) -> Result<Environment, KeyError> {
    let Some(wanted) = wanted else {
        return Ok(tenant.environment);
    };
    let wanted: Environment = wanted
        .parse()
        .map_err(|e: String| ValidationError::invalid("environment", e))?;
    if wanted != tenant.environment {
        return Err(KeyError::OtherEnvironment {
            own: tenant.environment.as_str(),
            wanted: wanted.as_str(),
        });
    }
    Ok(wanted)
}

/// Whether a stored key opens its tenant for a presented token whose secret `matches`
/// the stored hash and whose prefix names `environment`: never once revoked, never in
/// the other environment.
pub fn opens(key: &StoredKey, environment: Environment, matches: bool) -> bool {
    matches && !key.revoked && key.tenant.environment == environment
}

/// What checking a presented key decided.
#[derive(Debug)]
pub enum Admission {
    /// Unknown, wrong, revoked or of the other environment (one answer on purpose).
    Refused,
    /// The key opens its tenant; its use was recorded unless `unrecorded` says why not
    /// (a failure to record never refuses the request).
    Admitted {
        /// The key.
        key: StoredKey,
        /// Why its use was not recorded, when it was not.
        unrecorded: Option<StoreError>,
    },
}
