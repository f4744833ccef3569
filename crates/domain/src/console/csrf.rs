//! Form tokens against cross-site requests: each session's token is an HMAC of a fixed
//! purpose under the session id. Another site cannot read the session id (an `HttpOnly`,
//! `SameSite=Strict` cookie), so it cannot make the token; the server stores nothing
//! more than the session, and every form of a session carries the same token.

use hmac::{Hmac, Mac};
use sha2::Sha256;

const PURPOSE: &[u8] = b"stickycalls console form token v1";

fn mac(session_id: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(session_id.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(PURPOSE);
    mac
}

/// The token every form of this session carries (hex).
pub fn token(session_id: &str) -> String {
    hex::encode(mac(session_id).finalize().into_bytes())
}

/// Whether `sent` is this session's token (compared in constant time).
pub fn verify(session_id: &str, sent: &str) -> bool {
    let Ok(bytes) = hex::decode(sent) else {
        return false;
    };
    mac(session_id).verify_slice(&bytes).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_token_opens_only_its_own_session() {
        let mine = "a9f1c3e5b7d90f2468ace13579bdf024";
        let theirs = "00000000000000000000000000000001";
        let t = token(mine);
        assert_eq!(t.len(), 64);
        assert!(verify(mine, &t));
        assert!(!verify(theirs, &t));
        assert!(!verify(mine, &token(theirs)));
        assert!(!verify(mine, ""));
        assert!(!verify(mine, "not hex"));
        assert!(!verify(mine, &t[..62]));
    }
}
