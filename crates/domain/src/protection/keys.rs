//! The key hierarchy: the operator's master key wraps one data key per customer (and
//! one per tenant), each wrapped key bound to its scope.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::identity::CustomerRef;
use crate::tenant::TenantId;

/// A sealed value did not open: it was altered, moved from another row, or sealed under
/// another key (a destroyed one included).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a sealed value did not open (altered, moved, or its key is gone)")]
pub struct Tampered;

/// Prefix of a wrapped data key, with its version.
pub const WRAPPED_PREFIX: &str = "wk1.";

/// What a data key protects: one customer's values, or a tenant's indexes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// One tenant (account and environment): its blind indexes.
    Tenant(TenantId),
    /// One customer of a tenant: their sealed values. Destroyed when they are erased.
    Customer(TenantId, CustomerRef),
}

impl Scope {
    /// The scope's stable name, as the keyring stores it and as it is bound into the
    /// wrapped key: `<account>/<environment>` or `<account>/<environment>/c/<ref>`.
    pub fn name(&self) -> String {
        match self {
            Scope::Tenant(t) => format!("{}/{}", t.account, t.environment.as_str()),
            Scope::Customer(t, c) => {
                format!("{}/{}/c/{}", t.account, t.environment.as_str(), c.as_str())
            }
        }
    }

    /// The name of the scope's key of `generation` in the keyring, bound into it when
    /// wrapped: [`Scope::name`] for the first, `@<generation>` after it for the later
    /// ones (a tenant's data key rotation makes its customers' keys of the next
    /// generation). `@` never occurs in a customer reference.
    pub fn key_name(&self, generation: u32) -> String {
        if generation <= 1 {
            self.name()
        } else {
            format!("{}@{generation}", self.name())
        }
    }

    /// The tenant the scope belongs to.
    pub fn tenant(&self) -> &TenantId {
        match self {
            Scope::Tenant(t) | Scope::Customer(t, _) => t,
        }
    }
}

/// A 256-bit data key of a generation (1 until its tenant's first data key rotation),
/// with the keys of other generations a read may need (while a rotation re-seals).
/// `Debug` never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct DataKey {
    bytes: [u8; 32],
    generation: u32,
    others: Vec<DataKey>,
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DataKey(generation {}, ..)", self.generation)
    }
}

impl DataKey {
    /// A key of the first generation from 32 bytes the vault drew at random.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self::of_generation(bytes, 1)
    }

    /// A key of `generation` from 32 bytes the vault drew at random.
    pub fn of_generation(bytes: [u8; 32], generation: u32) -> Self {
        Self {
            bytes,
            generation: generation.max(1),
            others: Vec::new(),
        }
    }

    /// Its generation: what it seals is marked with it.
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// This key, also opening what `other` (a key of another generation of the same
    /// scope) sealed.
    #[must_use]
    pub fn and(mut self, other: DataKey) -> Self {
        if other.generation != self.generation {
            self.others.push(DataKey {
                others: Vec::new(),
                ..other
            });
        }
        self
    }

    /// The key of `generation` among this one and those it was joined with.
    pub(crate) fn for_generation(&self, generation: u32) -> Option<&DataKey> {
        std::iter::once(self)
            .chain(&self.others)
            .find(|k| k.generation == generation)
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// A subkey for one purpose (HMAC-SHA256 of the purpose under this key), so one
    /// stored key serves the index of each field without reusing key material.
    pub(crate) fn derive(&self, purpose: &str) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.bytes).expect("any key length");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

/// Why a master key was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MasterKeyError {
    /// Not 32 bytes of base64 or hex.
    #[error(
        "the master key must be 32 random bytes, written as 64 hex digits or 43/44 base64 characters"
    )]
    Malformed,
}

/// The operator's master key: it wraps every data key and is never stored with them.
#[derive(Clone)]
pub struct MasterKey {
    key: [u8; 32],
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MasterKey({})", self.id())
    }
}

impl MasterKey {
    /// A master key from 32 bytes.
    pub fn from_bytes(key: [u8; 32]) -> Self {
        Self { key }
    }

    /// Reads a master key written as 64 hex digits or as base64 (standard or URL-safe,
    /// padded or not). Surrounding whitespace (a key file's newline) is ignored.
    pub fn parse(text: &str) -> Result<Self, MasterKeyError> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(text).map_err(|_| MasterKeyError::Malformed)?
        } else {
            let unpadded = text
                .trim_end_matches('=')
                .replace('+', "-")
                .replace('/', "_");
            URL_SAFE_NO_PAD
                .decode(unpadded)
                .map_err(|_| MasterKeyError::Malformed)?
        };
        let key: [u8; 32] = bytes.try_into().map_err(|_| MasterKeyError::Malformed)?;
        Ok(Self { key })
    }

    /// The key written as the operator stores it (64 hex digits).
    pub fn to_hex(&self) -> String {
        hex::encode(self.key)
    }

    /// A short public name of the key (16 hex digits of an HMAC under it), stored beside
    /// the wrapped keys so a server started with another master key refuses to start
    /// instead of serving values it cannot open.
    pub fn id(&self) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("any key length");
        mac.update(b"stickycalls master key id v1");
        hex::encode(&mac.finalize().into_bytes()[..8])
    }

    /// `key` wrapped for the keyring entry `name` ([`Scope::key_name`]) with `nonce`
    /// (24 bytes the vault draws at random).
    pub fn wrap(&self, name: &str, key: &DataKey, nonce: [u8; 24]) -> String {
        aead_seal(
            &self.key,
            WRAPPED_PREFIX,
            name.as_bytes(),
            key.bytes(),
            nonce,
        )
    }

    /// The data key of `generation` in `wrapped`, if it was wrapped for the keyring
    /// entry `name` under this master key.
    pub fn unwrap(&self, name: &str, generation: u32, wrapped: &str) -> Result<DataKey, Tampered> {
        let plain = aead_open(&self.key, WRAPPED_PREFIX, name.as_bytes(), wrapped)?;
        let key: [u8; 32] = plain.try_into().map_err(|_| Tampered)?;
        Ok(DataKey::of_generation(key, generation))
    }
}

/// What a master-key rotation does with one wrapped data key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rewrap {
    /// It is wrapped under the new master key already: nothing to do (a rotation run
    /// again after a crash passes over what it did).
    Done,
    /// It was wrapped under the previous master key: the same data key, wrapped under
    /// the new one.
    Rewrapped(String),
    /// It opens under neither key: altered, or wrapped under a third key. Left as it is
    /// and reported.
    Unreadable,
}

impl MasterKey {
    /// The rotation rule for one wrapped key of `scope`: `self` is the new master key,
    /// `previous` the one being replaced, `nonce` fresh for the new wrapping. The data
    /// key never changes, so what it sealed stays readable throughout.
    /// `scope` is the scope's name ([`Scope::name`]), as the keyring lists it.
    pub fn rewrap_from(
        &self, previous: &MasterKey, scope: &str, wrapped: &str, nonce: [u8; 24],
    ) -> Rewrap {
        let aad = scope.as_bytes();
        if aead_open(&self.key, WRAPPED_PREFIX, aad, wrapped).is_ok() {
            return Rewrap::Done;
        }
        match aead_open(&previous.key, WRAPPED_PREFIX, aad, wrapped) {
            Ok(key) => Rewrap::Rewrapped(aead_seal(&self.key, WRAPPED_PREFIX, aad, &key, nonce)),
            Err(Tampered) => Rewrap::Unreadable,
        }
    }
}

/// `msg` sealed under `key` with `aad` (XChaCha20-Poly1305): `prefix` and the URL-safe
/// base64 of the nonce followed by the ciphertext and its tag. Values and wrapped keys
/// are both written this way.
pub(crate) fn aead_seal(
    key: &[u8; 32], prefix: &str, aad: &[u8], msg: &[u8], nonce: [u8; 24],
) -> String {
    let sealed = XChaCha20Poly1305::new(key.into())
        .encrypt(XNonce::from_slice(&nonce), Payload { msg, aad })
        .expect("XChaCha20-Poly1305 seals any message a request can carry");
    let mut out = nonce.to_vec();
    out.extend(sealed);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(out))
}

/// What [`aead_seal`] sealed in `text` under `key` with `aad`, or [`Tampered`].
pub(crate) fn aead_open(
    key: &[u8; 32], prefix: &str, aad: &[u8], text: &str,
) -> Result<Vec<u8>, Tampered> {
    let body = text.strip_prefix(prefix).ok_or(Tampered)?;
    let bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| Tampered)?;
    if bytes.len() < 24 {
        return Err(Tampered);
    }
    let (nonce, msg) = bytes.split_at(24);
    XChaCha20Poly1305::new(key.into())
        .decrypt(XNonce::from_slice(nonce), Payload { msg, aad })
        .map_err(|_| Tampered)
}
