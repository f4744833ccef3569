//! Sign-in by email link: what is sent, what is kept, and when a presented link or code
//! signs someone in. As OWASP's Forgot Password Cheat Sheet asks of emailed tokens
//! (<https://cheatsheetseries.owasp.org/cheatsheets/Forgot_Password_Cheat_Sheet.html>:
//! random from a safe generator, long enough against brute force, stored securely, single
//! use, expiring; one message whether or not the account exists): a 256-bit single-use
//! token of which only a digest is kept,
//! valid 15 minutes, older links revoked by a newer one, one answer for every refusal so
//! a link's state is not revealed, and the link bound to the browser that asked for it
//! (a digest of a random value that browser holds in a cookie). In another browser the
//! person types the email's 6-digit code in the browser that asked; five wrong codes end
//! the link.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use time::Duration;

use crate::console::session::digest;
use crate::secret::Secret;
use crate::timestamp::Timestamp;

/// How long a link is valid.
pub const LINK_VALID: Duration = Duration::minutes(15);

/// Wrong codes a link takes before it is spent.
pub const MAX_CODE_TRIES: u8 = 5;

/// The one message every refused link or code gets, whatever the reason.
pub const LINK_REFUSED: &str =
    "This sign-in link or code is not valid any more. Ask for a new one from the sign-in page.";

/// The random values a link is made of (the caller draws them; the domain has no
/// randomness of its own).
#[derive(Debug, Clone, Copy)]
pub struct LinkSeed {
    /// The token's 256 bits.
    pub token: [u8; 32],
    /// The browser's value, set in its cookie.
    pub browser: [u8; 32],
    /// Drawn for the 6-digit code (reduced modulo one million).
    pub code: u32,
}

/// A link as it is kept: digests, the address, its times, what is left of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLink {
    /// Digest of the token (the only form of it stored).
    pub token_digest: String,
    /// Digest of the 6-digit code.
    pub code_digest: String,
    /// Digest of the asking browser's value.
    pub browser_digest: String,
    /// The address it was sent to, lower-cased.
    pub email: String,
    /// When it stops working.
    pub expires_at: Timestamp,
    /// Wrong codes typed so far.
    pub code_tries: u8,
    /// When it was used (a link signs in once).
    pub used_at: Option<Timestamp>,
}

/// A link just made: what goes into the email and the cookie, and what is kept.
#[derive(Debug, Clone)]
pub struct IssuedLink {
    /// The token, in the emailed URL.
    pub token: Secret,
    /// The 6-digit code, in the email.
    pub code: Secret,
    /// The value for the asking browser's cookie.
    pub browser: Secret,
    /// What the store keeps (it replaces any earlier link for the address).
    pub stored: StoredLink,
}

/// What a person presents to sign in.
#[derive(Debug, Clone, Copy)]
pub enum Presented<'a> {
    /// The link's token, opened in a browser holding `browser` (or no cookie).
    Link {
        /// The token from the URL.
        token: &'a str,
        /// The cookie's value, if the browser has one.
        browser: Option<&'a str>,
    },
    /// The code typed in the browser that asked.
    Code {
        /// The digits typed.
        code: &'a str,
        /// The cookie's value.
        browser: &'a str,
    },
}

/// What checking a presented link or code decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkCheck {
    /// Sign the person in; keep the link as used.
    SignIn(StoredLink),
    /// The link is good but opened in another browser: ask for the code there.
    AskForCode,
    /// A wrong code: keep the link with one more try counted (spent after the last).
    WrongCode(StoredLink),
    /// Refused: answer [`LINK_REFUSED`].
    Refused,
}

/// Makes a link for `email` at `now` from `seed`.
pub fn issue_link(email: &str, seed: LinkSeed, now: Timestamp) -> IssuedLink {
    let token = URL_SAFE_NO_PAD.encode(seed.token);
    let browser = URL_SAFE_NO_PAD.encode(seed.browser);
    let code = format!("{:06}", seed.code % 1_000_000);
    let stored = StoredLink {
        token_digest: digest(&token),
        code_digest: digest(&code),
        browser_digest: digest(&browser),
        email: email.trim().to_lowercase(),
        expires_at: Timestamp::from(now.get() + LINK_VALID),
        code_tries: 0,
        used_at: None,
    };
    IssuedLink {
        token: Secret::new(token),
        code: Secret::new(code),
        browser: Secret::new(browser),
        stored,
    }
}

/// Checks what a person presented against the link kept for it (`None`: no such link,
/// or one replaced by a newer one), at `now`.
pub fn check_link(
    stored: Option<&StoredLink>, presented: Presented<'_>, now: Timestamp,
) -> LinkCheck {
    let Some(link) = stored else {
        return LinkCheck::Refused;
    };
    if link.used_at.is_some() || now >= link.expires_at || link.code_tries >= MAX_CODE_TRIES {
        return LinkCheck::Refused;
    }
    let used = || StoredLink {
        used_at: Some(now),
        ..link.clone()
    };
    match presented {
        Presented::Link { token, browser } => {
            if digest(token) != link.token_digest {
                LinkCheck::Refused
            } else if browser.is_some_and(|b| digest(b) == link.browser_digest) {
                LinkCheck::SignIn(used())
            } else {
                LinkCheck::AskForCode
            }
        }
        Presented::Code { code, browser } => {
            if digest(browser) != link.browser_digest {
                LinkCheck::Refused
            } else if digest(code.trim()) == link.code_digest {
                LinkCheck::SignIn(used())
            } else {
                LinkCheck::WrongCode(StoredLink {
                    code_tries: link.code_tries + 1,
                    ..link.clone()
                })
            }
        }
    }
}
