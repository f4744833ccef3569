//! Every argon2id computation of the process (a key checked, a key made) runs on one
//! block of working memory, allocated once and reused, one computation at a time: the
//! 19 MiB each needs (the default parameters, m = 19,456 KiB) never stack, however many
//! requests bring an uncached key at once, and the allocator never holds a copy per
//! thread. The argon2 crate computes; only the reuse of its memory is ours
//! (`Argon2::hash_password_into_with_memory`), and the comparison is the
//! password-hash crate's constant-time `Output` equality.

use std::sync::{Mutex, PoisonError};

use argon2::password_hash::{Output, ParamsString, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};

/// The working memory, grown to the largest parameters seen (the default ones: every
/// hash this service makes uses them).
static MEMORY: Mutex<Vec<Block>> = Mutex::new(Vec::new());

/// Runs `f` on the process's argon2 memory sized for `params`, waiting for any other
/// computation to end first. Blocking: call it on a blocking thread.
fn with_memory<T>(params: &Params, f: impl FnOnce(&mut [Block]) -> T) -> T {
    let mut memory = MEMORY.lock().unwrap_or_else(PoisonError::into_inner);
    let needed = params.block_count();
    if memory.len() < needed {
        memory.resize(needed, Block::default());
    }
    f(&mut memory[..needed])
}

/// Whether `token` matches the argon2 PHC string `phc` (false for anything that does
/// not parse as one).
pub(crate) fn verify(token: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(expected), Some(salt)) = (parsed.hash, parsed.salt) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
    ) else {
        return false;
    };
    let Ok(version) = parsed
        .version
        .map_or(Ok(Version::default()), Version::try_from)
    else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let mut out = vec![0u8; expected.len()];
    let computed = with_memory(&params, |memory| {
        argon2.hash_password_into_with_memory(token.as_bytes(), salt, &mut out, memory)
    });
    computed.is_ok() && Output::new(&out).is_ok_and(|out| out == expected)
}

/// The argon2id PHC string of `token` under a fresh `salt`, with the default
/// parameters (as `Argon2::default().hash_password` makes it).
pub(crate) fn hash(token: &str, salt: &SaltString) -> anyhow::Result<String> {
    let params = Params::default();
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let salt = salt.as_salt();
    let mut salt_bytes = [0u8; 64];
    let raw_salt = salt
        .decode_b64(&mut salt_bytes)
        .map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let mut out = vec![0u8; Params::DEFAULT_OUTPUT_LEN];
    with_memory(&params, |memory| {
        argon2.hash_password_into_with_memory(token.as_bytes(), raw_salt, &mut out, memory)
    })
    .map_err(|e| anyhow::anyhow!("hashing a key: {e}"))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| anyhow::anyhow!("params: {e}"))?,
        salt: Some(salt),
        hash: Some(Output::new(&out).map_err(|e| anyhow::anyhow!("output: {e}"))?),
    };
    Ok(phc.to_string())
}

#[cfg(test)]
mod tests {
    use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString};
    use argon2::{Argon2, PasswordHash};

    use super::{hash, verify};

    #[test]
    fn a_hash_is_the_one_the_crate_makes_and_each_verifies_the_others() {
        let salt = SaltString::encode_b64(&[7u8; 16]).unwrap();
        let ours = hash("sk_test_abc_secret", &salt).unwrap();
        let theirs = Argon2::default()
            .hash_password(b"sk_test_abc_secret", &salt)
            .unwrap()
            .to_string();
        assert_eq!(ours, theirs, "same PHC string as Argon2::default()");
        assert!(verify("sk_test_abc_secret", &theirs));
        assert!(!verify("sk_test_abc_secreT", &theirs));
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"sk_test_abc_secret", &parsed)
                .is_ok()
        );
    }

    #[test]
    fn anything_but_a_phc_string_verifies_nothing() {
        assert!(!verify("x", ""));
        assert!(!verify("x", "not a hash"));
        assert!(!verify("x", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ"));
    }
}
