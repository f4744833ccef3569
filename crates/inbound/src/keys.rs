//! API keys: `sk_<env>_<lookup id>_<secret>`. The lookup id is public (it finds the
//! stored hash); the secret carries 256 random bits. Only the argon2id hash is stored.

use argon2::password_hash::SaltString;
use stickycalls_domain::accounts::NewKey;
use stickycalls_domain::keys::MintedKey;
use stickycalls_domain::ports::KeyMinter;
use stickycalls_domain::tenant::Environment;
use stickycalls_domain::{Secret, StoreError};

/// A key parsed from a bearer token.
#[derive(Clone, PartialEq, Eq)]
pub struct ParsedKey<'a> {
    /// The environment its prefix names.
    pub environment: Environment,
    /// Its public lookup id.
    pub lookup_id: &'a str,
}

impl std::fmt::Debug for ParsedKey<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParsedKey")
            .field("environment", &self.environment)
            .field("lookup_id", &self.lookup_id)
            .finish_non_exhaustive()
    }
}

const LOOKUP_LEN: usize = 16;
const SECRET_LEN: usize = 64;

pub fn random_hex(bytes: usize) -> String {
    let mut out = String::with_capacity(bytes * 2);
    while out.len() < bytes * 2 {
        out.push_str(&uuid::Uuid::new_v4().simple().to_string());
    }
    out.truncate(bytes * 2);
    out
}

/// Reads a token's shape: `sk_test_` or `sk_prod_`, a 16-hex lookup id, `_`, a 64-hex
/// secret. `None` for anything else.
pub fn parse(token: &str) -> Option<ParsedKey<'_>> {
    let (environment, rest) = if let Some(rest) = token.strip_prefix("sk_test_") {
        (Environment::Test, rest)
    } else if let Some(rest) = token.strip_prefix("sk_prod_") {
        (Environment::Prod, rest)
    } else {
        return None;
    };
    let (lookup_id, secret) = rest.split_once('_')?;
    let hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hex(lookup_id, LOOKUP_LEN) && hex(secret, SECRET_LEN)).then_some(ParsedKey {
        environment,
        lookup_id,
    })
}

/// The argon2id hash (PHC string) of a token, on the process's one argon2 memory.
pub fn hash(token: &str) -> anyhow::Result<String> {
    let salt_bytes = uuid::Uuid::new_v4();
    let salt =
        SaltString::encode_b64(salt_bytes.as_bytes()).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    crate::argon2_memory::hash(token, &salt)
}

/// The stored hash an unknown key is checked against, so that an unknown key costs the
/// same argon2 work as a wrong one (timing tells nothing). A constant: it cannot fail
/// to be computed, and a test proves it parses with the default parameters.
pub const DECOY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$+8oVA1r8S22Fwrj315nxJw$4bNxYApCxCoDY+M3v7DrSObvBr2VX1sqSI3w5wWsfqg";

/// The public start of a key, safe to show in listings: `sk_test_<lookup id>`.
pub fn prefix(environment: Environment, lookup_id: &str) -> String {
    format!("sk_{}_{lookup_id}", environment.as_str())
}

/// Whether `token` matches `phc` (constant-time comparison), on the process's one
/// argon2 memory.
pub fn verify(token: &str, phc: &str) -> bool {
    crate::argon2_memory::verify(token, phc)
}

/// A new key for `environment` labelled `name`: the token to show once, and what to
/// store. Slow on purpose (argon2id): async callers go through [`Argon2Minter`].
pub fn generate(environment: Environment, name: &str) -> anyhow::Result<MintedKey> {
    let lookup_id = random_hex(LOOKUP_LEN / 2);
    let token = format!(
        "sk_{}_{lookup_id}_{}",
        environment.as_str(),
        random_hex(SECRET_LEN / 2)
    );
    let last4 = token[token.len() - 4..].to_owned();
    let key = NewKey {
        lookup_id,
        environment,
        hash: hash(&token)?,
        last4,
        name: name.to_owned(),
    };
    Ok(MintedKey {
        token: Secret::new(token),
        key,
    })
}

/// The domain's key minter: random tokens, argon2id hashes computed on the blocking
/// pool, never on an async worker.
#[derive(Debug, Clone, Copy, Default)]
pub struct Argon2Minter;

impl KeyMinter for Argon2Minter {
    async fn mint(&self, environment: Environment, name: &str) -> Result<MintedKey, StoreError> {
        let name = name.to_owned();
        tokio::task::spawn_blocking(move || generate(environment, &name))
            .await
            .map_err(|e| StoreError::Unknown(anyhow::anyhow!("key hashing task: {e}")))?
            .map_err(StoreError::Unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_parse_and_verify() {
        let MintedKey { token, key } = generate(Environment::Prod, "default").unwrap();
        let token = token.into_exposed();
        let parsed = parse(&token).unwrap();
        assert_eq!(parsed.environment, Environment::Prod);
        assert_eq!(parsed.lookup_id, key.lookup_id);
        assert!(token.ends_with(&key.last4));
        assert!(!key.hash.contains(&token), "only the hash is stored");
        assert!(key.hash.starts_with("$argon2id$"));
        assert!(verify(&token, &key.hash));
        let mut wrong = token.clone();
        wrong.replace_range(
            wrong.len() - 1..,
            if token.ends_with('0') { "1" } else { "0" },
        );
        assert!(!verify(&wrong, &key.hash));
    }

    #[test]
    fn the_decoy_is_a_real_hash_with_todays_parameters() {
        use argon2::PasswordHash;
        let parsed = PasswordHash::new(DECOY_HASH).expect("the decoy parses");
        let fresh = hash("sk_test_0000000000000000_other").unwrap();
        let fresh = PasswordHash::new(&fresh).unwrap();
        assert_eq!(parsed.algorithm, fresh.algorithm);
        assert_eq!(parsed.params, fresh.params, "the same work as a stored key");
        assert!(verify("sk_test_0000000000000000_decoy", DECOY_HASH));
        assert!(!verify("sk_test_0000000000000000_other", DECOY_HASH));
    }

    #[test]
    fn malformed_tokens_do_not_parse() {
        for token in [
            "",
            "sk_test_abc123",
            "pk_test_0123456789abcdef_00",
            "sk_live_0123456789abcdef_".to_owned().as_str(),
        ] {
            assert!(parse(token).is_none(), "{token}");
        }
    }
}
