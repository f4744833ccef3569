//! The text a webhook URL may be, as one grammar: `parse_target` refuses what it does not
//! match, and the served OpenAPI document states the same pattern, so the document
//! accepts exactly what the server does. Everything the grammar allows, the `url`
//! crate's WHATWG parser reads (a property test draws URLs from it); what a parser
//! would accept beyond it (a `*` in a host, non-ASCII text to percent-encode) is
//! refused, never guessed at.

use std::sync::LazyLock;

use regex::Regex;

/// The grammar, as a regular expression (ECMA-262 and Rust's `regex` read it alike):
/// `http` or `https`; a host: a DNS name whose last label starts with a letter (else
/// the parser reads it as an IPv4 number) and no label `xn--`, a dotted IPv4 address, or
/// an IPv6 address in brackets (RFC 3986 section 3.2.2's `IPv6address`); an optional
/// port up to 65535; then path and query in RFC 3986's unreserved characters,
/// sub-delims, `:`, `@`, `/` and `%`. No user, no fragment.
pub fn pattern() -> String {
    grammar(Repeats::UNBOUNDED)
}

/// How often the grammar's open-ended parts repeat (bounded only to draw examples).
struct Repeats {
    hyphens: &'static str,
    some_hyphens: &'static str,
    groups: &'static str,
    text: &'static str,
}

impl Repeats {
    const UNBOUNDED: Self = Self {
        hyphens: "*",
        some_hyphens: "+",
        groups: "*",
        text: "*",
    };
}

fn grammar(r: Repeats) -> String {
    let Repeats {
        hyphens,
        some_hyphens,
        groups,
        text,
    } = r;
    // Labels start and end with a letter or digit; none starts with `xn--` (IDNA's
    // prefix: the parser decodes such a label as punycode and refuses most).
    let tail = format!("(-{hyphens}[A-Za-z0-9]){groups}");
    let x = format!(
        "[Xx]([A-MO-Za-mo-z0-9]{tail}|-{some_hyphens}[A-Za-z0-9]{tail})?|[Xx][Nn](-?[A-Za-z0-9]{tail})?"
    );
    let label = format!("([A-WYZa-wyz0-9]{tail}|{x})");
    let last = format!("([A-WYZa-wyz]{tail}|{x})");
    let octet = "(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";
    let ipv4 = format!("{octet}(\\.{octet}){{3}}");
    let h = "[0-9A-Fa-f]{1,4}";
    let ls32 = format!("({h}:{h}|{ipv4})");
    let before = |n: usize| format!("(({h}:){{0,{n}}}{h})?");
    let ipv6 = [
        format!("({h}:){{6}}{ls32}"),
        format!("::({h}:){{5}}{ls32}"),
        format!("({h})?::({h}:){{4}}{ls32}"),
        format!("{}::({h}:){{3}}{ls32}", before(1)),
        format!("{}::({h}:){{2}}{ls32}", before(2)),
        format!("{}::{h}:{ls32}", before(3)),
        format!("{}::{ls32}", before(4)),
        format!("{}::{h}", before(5)),
        format!("{}::", before(6)),
    ]
    .join("|");
    let port = "([0-9]{1,4}|[0-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])";
    // A leading `-` is itself in a class, in every engine.
    let chars = "-A-Za-z0-9._~!$&'()*+,;=:@%";
    format!(
        "^[Hh][Tt][Tt][Pp][Ss]?://(({label}\\.){groups}{last}|{ipv4}|\\[({ipv6})\\])(:{port})?\
         (/[{chars}/]{text})?(\\?[{chars}/?]{text})?$"
    )
}

static GRAMMAR: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(&pattern()).ok());

/// Whether `text` is written as the grammar says (nothing matches if it failed to
/// compile, which a test rules out).
pub fn matches(text: &str) -> bool {
    GRAMMAR.as_ref().is_some_and(|g| g.is_match(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webhooks::target::MAX_URL_LEN;

    /// The grammar without its anchors (the generator does not take them), its
    /// open-ended repeats bounded so that most drawn URLs fit the 2048 characters.
    fn unanchored_url_pattern() -> String {
        let pattern = grammar(Repeats {
            hyphens: "{0,3}",
            some_hyphens: "{1,3}",
            groups: "{0,6}",
            text: "{0,40}",
        });
        pattern[1..pattern.len() - 1].to_owned()
    }

    proptest::proptest! {
        /// Any URL the document's pattern allows, the server reads as a webhook target.
        #[test]
        fn every_url_the_pattern_allows_is_read(
            url in proptest::string::string_regex(&unanchored_url_pattern()).unwrap()
        ) {
            // The document's `maxLength` too.
            proptest::prop_assume!(url.chars().count() <= MAX_URL_LEN);
            let read = crate::webhooks::target::parse_target(&url, true);
            proptest::prop_assert!(read.is_ok(), "{url}: {read:?}");
        }
    }

    #[test]
    fn the_grammar_compiles_and_the_server_refuses_what_it_does_not_allow() {
        assert!(GRAMMAR.is_some());
        // Read by the URL parser, but not written as the grammar says: refused.
        for text in [
            "http://a*/",
            "http://a/caf\u{e9}",
            "http://a/ b",
            "HTTP://A_B/",
        ] {
            assert!(!matches(text), "{text}");
            let refused = crate::webhooks::target::parse_target(text, true).unwrap_err();
            assert_eq!(refused.issues[0].path, ["url"], "{text}");
        }
    }

    #[test]
    fn the_webhook_url_pattern_refuses_what_is_not_a_url() {
        let pattern = Regex::new(&pattern()).unwrap();
        for url in [
            "https://hooks.example.com/in?x=1",
            "http://10.0.0.9:8080/",
            "http://[::1]:9/",
        ] {
            assert!(pattern.is_match(url), "{url}");
        }
        for text in [
            "",
            "0",
            "ftp://a/",
            "http://a#b",
            "http://u@a/",
            "http://1.2.3.999/",
            "http://a:99999/",
            "http://xn--0.a/",
        ] {
            assert!(!pattern.is_match(text), "{text}");
        }
    }
}
