use time::macros::datetime;

use super::link::*;
use crate::timestamp::Timestamp;

fn now() -> Timestamp {
    Timestamp::from(datetime!(2026-12-07 12:00 UTC))
}

fn seed(n: u8) -> LinkSeed {
    LinkSeed {
        token: [n; 32],
        browser: [n.wrapping_add(1); 32],
        code: 123 + u32::from(n),
    }
}

fn link(token: &str, browser: Option<&str>) -> Presented<'static> {
    let (token, browser) = (
        token.to_owned().leak(),
        browser.map(|b| &*b.to_owned().leak()),
    );
    Presented::Link { token, browser }
}

#[test]
fn only_digests_are_kept_and_the_token_has_256_bits() {
    let issued = issue_link(" Ana@Example.COM ", seed(7), now());
    let token = issued.token.expose();
    assert_eq!(token.len(), 43, "32 bytes in unpadded base64url");
    assert_eq!(issued.code.expose(), "000130");
    assert_eq!(issued.stored.email, "ana@example.com");
    let kept = format!("{:?}", issued.stored);
    for secret in [token, issued.code.expose(), issued.browser.expose()] {
        assert!(!kept.contains(secret), "{secret} kept in clear");
    }
    assert_eq!(
        issued.stored.expires_at.get(),
        datetime!(2026-12-07 12:15 UTC)
    );
}

#[test]
fn the_link_signs_in_once_in_the_browser_that_asked() {
    let issued = issue_link("ana@example.com", seed(1), now());
    let (token, browser) = (issued.token.expose(), issued.browser.expose());
    let LinkCheck::SignIn(used) =
        check_link(Some(&issued.stored), link(token, Some(browser)), now())
    else {
        panic!("not signed in");
    };
    assert_eq!(used.used_at, Some(now()));
    assert_eq!(
        check_link(Some(&used), link(token, Some(browser)), now()),
        LinkCheck::Refused
    );
}

#[test]
fn in_another_browser_the_code_is_asked_for_and_works_only_where_the_link_was_asked() {
    let issued = issue_link("ana@example.com", seed(2), now());
    let (token, code, browser) = (
        issued.token.expose(),
        issued.code.expose(),
        issued.browser.expose(),
    );
    let stored = Some(&issued.stored);
    assert_eq!(
        check_link(stored, link(token, None), now()),
        LinkCheck::AskForCode
    );
    assert_eq!(
        check_link(stored, link(token, Some("another")), now()),
        LinkCheck::AskForCode
    );
    let elsewhere = Presented::Code {
        code,
        browser: "another",
    };
    assert_eq!(check_link(stored, elsewhere, now()), LinkCheck::Refused);
    let typed = Presented::Code { code, browser };
    assert!(matches!(
        check_link(stored, typed, now()),
        LinkCheck::SignIn(_)
    ));
}

#[test]
fn five_wrong_codes_spend_the_link() {
    let issued = issue_link("ana@example.com", seed(3), now());
    let browser = issued.browser.expose();
    let mut stored = issued.stored.clone();
    for tries in 1..=MAX_CODE_TRIES {
        match check_link(
            Some(&stored),
            Presented::Code {
                code: "999999",
                browser,
            },
            now(),
        ) {
            LinkCheck::WrongCode(next) => stored = next,
            other => panic!("{other:?}"),
        }
        assert_eq!(stored.code_tries, tries);
    }
    let right = Presented::Code {
        code: issued.code.expose(),
        browser,
    };
    assert_eq!(check_link(Some(&stored), right, now()), LinkCheck::Refused);
}

#[test]
fn expired_unknown_and_replaced_links_are_refused_alike() {
    let issued = issue_link("ana@example.com", seed(4), now());
    let (token, browser) = (issued.token.expose(), issued.browser.expose());
    let late = Timestamp::from(now().get() + LINK_VALID);
    assert_eq!(
        check_link(Some(&issued.stored), link(token, Some(browser)), late),
        LinkCheck::Refused
    );
    assert_eq!(
        check_link(None, link(token, Some(browser)), now()),
        LinkCheck::Refused
    );
    // A newer link for the address replaces the stored one: the older token is refused.
    let newer = issue_link("ana@example.com", seed(5), now());
    assert_eq!(
        check_link(Some(&newer.stored), link(token, Some(browser)), now()),
        LinkCheck::Refused
    );
    assert!(LINK_REFUSED.contains("not valid"));
}
