//! E.164 phone numbers and the reading of a caller's ANI.

use std::fmt;
use std::sync::LazyLock;

use phonenumber::country;
use quick_cache::sync::Cache;

use crate::error::ValidationError;

/// Numbers read lately: what a text read as in a region (or as international, `None`),
/// bounded. Reading one was about a fifteenth of the server's CPU per start in a
/// profile (the phonenumber crate's regular expressions). The text alone decides the
/// result, so what is remembered is never stale; it ties no number to a customer.
static RECENT: LazyLock<Cache<Written, Result<PhoneNumber, String>>> =
    LazyLock::new(|| Cache::new(RECENT_NUMBERS));

/// A number as written: its region (`None`: international) and its text.
type Written = (Option<country::Id>, String);

/// How many texts [`RECENT`] holds.
const RECENT_NUMBERS: usize = 4096;

/// Texts longer than this are read without [`RECENT`] (no number is written this long).
const RECENT_TEXT: usize = 32;

/// A phone number in E.164 (`+14155551234`): the only form stored or compared.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Shortest and longest E.164 numbers accepted, in digits (country code included).
    const DIGITS: std::ops::RangeInclusive<usize> = 7..=15;

    /// Reads `text` as a phone number. A number starting with `+` is international;
    /// anything else is read in `default_region` (`14155551234` and `4155551234` are
    /// `+14155551234` in the US). Only shape is checked, not whether the number is
    /// assigned: test numbers such as `+19999999999` must work.
    ///
    /// What `text` and the region read as is remembered for the numbers read lately
    /// ([`RECENT`]): the same callers call again, and reading runs the phonenumber
    /// crate's regular expressions every time.
    pub fn parse(text: &str, default_region: country::Id) -> Result<Self, String> {
        let text = text.trim();
        let region = if text.starts_with('+') {
            None
        } else {
            Some(default_region)
        };
        if text.len() > RECENT_TEXT {
            return Self::read(region, text);
        }
        let key = (region, text.to_owned());
        if let Some(known) = RECENT.get(&key) {
            return known;
        }
        let read = Self::read(region, text);
        RECENT.insert(key, read.clone());
        read
    }

    fn read(region: Option<country::Id>, text: &str) -> Result<Self, String> {
        let e164 = Self::e164_of(region, text).ok_or("is not a phone number")?;
        // Some short forms read as a number whose E.164 text reads as another one
        // (`6700020` in the US is `+16700020`, read back as `+16706700020`): a number
        // is only stored in a form that reads back as itself, or two calls from the
        // same text would not match. Text already in that E.164 form (what carriers and
        // IVRs send) was just read back as itself: it is not read a second time.
        if e164 != text && Self::e164_of(None, &e164).as_deref() != Some(e164.as_str()) {
            return Err("is not a phone number".into());
        }
        let digits = e164.chars().filter(char::is_ascii_digit).count();
        if !Self::DIGITS.contains(&digits) {
            return Err(format!(
                "is not a phone number (an E.164 number has {} to {} digits)",
                Self::DIGITS.start(),
                Self::DIGITS.end()
            ));
        }
        Ok(Self(e164))
    }

    /// `text` read in `region`, written in E.164: `+`, the country code, the national
    /// number. That is all the phonenumber crate's E.164 formatting writes, but its
    /// `Display` first picks a national format with regular expressions it does not use
    /// for E.164 (phonenumber 0.3.10, `src/formatter.rs`, `impl Display for Formatter`),
    /// about a third of the time a read takes; so the text is written here, checked
    /// against the crate's own formatting in this module's tests.
    fn e164_of(region: Option<country::Id>, text: &str) -> Option<String> {
        let parsed = phonenumber::parse(region, text).ok()?;
        Some(format!("+{}{}", parsed.code().value(), parsed.national()))
    }

    /// Rebuilds a number read back from storage, where it was written in E.164.
    pub fn from_e164(e164: impl Into<String>) -> Self {
        Self(e164.into())
    }

    /// The E.164 text. Never log it: use [`PhoneNumber::masked`].
    pub fn as_e164(&self) -> &str {
        &self.0
    }

    /// A form safe for logs: country code and the last two digits only (`+1*******34`).
    pub fn masked(&self) -> String {
        let digits: Vec<char> = self.0.chars().skip(1).collect();
        let keep_tail = 2.min(digits.len());
        let head: String = digits.iter().take(1).collect();
        let tail: String = digits[digits.len() - keep_tail..].iter().collect();
        let hidden = digits.len().saturating_sub(1 + keep_tail);
        format!("+{head}{}{tail}", "*".repeat(hidden))
    }
}

/// Debug never shows the number.
impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.masked())
    }
}

/// What a caller's ANI turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ani {
    /// A usable number.
    Number(PhoneNumber),
    /// Caller id withheld (`anonymous`, `restricted`, a carrier sentinel...): no ANI
    /// signal, the call goes on.
    Withheld,
}

impl Ani {
    /// Reads back a stored ANI: the E.164 number, or none with a "withheld" flag.
    pub fn from_stored(e164: Option<String>, withheld: bool) -> Option<Ani> {
        match (e164, withheld) {
            (Some(e164), _) => Some(Ani::Number(PhoneNumber::from_e164(e164))),
            (None, true) => Some(Ani::Withheld),
            (None, false) => None,
        }
    }
}

/// How a tenant reads ANIs: its default region and its list of withheld values.
#[derive(Debug, Clone, PartialEq)]
pub struct AniPolicy {
    /// Region for numbers written without a country code (default `US`).
    pub default_region: country::Id,
    /// Values meaning "no caller id", compared case-insensitively; values made of
    /// digits (carriers' keypad spellings such as `+266696687`, ANONYMOUS) are compared
    /// by their digits.
    pub withheld: Vec<String>,
}

impl AniPolicy {
    /// The withheld values docs/IDENTITY.md lists by default.
    pub const DEFAULT_WITHHELD: &'static [&'static str] = &[
        "anonymous",
        "restricted",
        "private",
        "unavailable",
        "unknown",
        "blocked",
        "withheld",
        "+266696687",
        "+7378742833",
        "+86282452253",
    ];

    /// Reads an ANI. Empty and listed values are [`Ani::Withheld`]; anything else
    /// must be a phone number, or the request is refused (400 on `path`).
    pub fn read(&self, raw: &str, path: &str) -> Result<Ani, ValidationError> {
        if self.is_withheld(raw) {
            return Ok(Ani::Withheld);
        }
        PhoneNumber::parse(raw, self.default_region)
            .map(Ani::Number)
            .map_err(|why| ValidationError::invalid(path, why))
    }

    fn is_withheld(&self, raw: &str) -> bool {
        let text = raw.trim();
        if text.is_empty() {
            return true;
        }
        let digits = digits_of(text);
        self.withheld.iter().any(|value| {
            let value = value.trim();
            let numeric = value.starts_with('+') || value.starts_with(|c: char| c.is_ascii_digit());
            if numeric {
                !digits.is_empty() && digits_of(value) == digits && !has_letters(text)
            } else {
                value.eq_ignore_ascii_case(text)
            }
        })
    }
}

fn digits_of(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

fn has_letters(text: &str) -> bool {
    text.chars().any(char::is_alphabetic)
}

impl Default for AniPolicy {
    fn default() -> Self {
        Self {
            default_region: country::Id::US,
            withheld: Self::DEFAULT_WITHHELD
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(raw: &str) -> Result<Ani, ValidationError> {
        AniPolicy::default().read(raw, "identity_hints.ani")
    }

    fn e164(raw: &str) -> String {
        match read(raw).unwrap() {
            Ani::Number(n) => n.as_e164().to_owned(),
            Ani::Withheld => panic!("{raw} read as withheld"),
        }
    }

    #[test]
    fn a_number_read_again_reads_the_same_in_its_own_region() {
        // National text depends on the region: remembered per region, never across.
        let us = PhoneNumber::parse("2079460000", country::Id::US);
        let gb = PhoneNumber::parse("2079460000", country::Id::GB);
        assert_eq!(us.clone().unwrap().as_e164(), "+12079460000");
        assert_eq!(gb.clone().unwrap().as_e164(), "+442079460000");
        for _ in 0..3 {
            assert_eq!(PhoneNumber::parse("2079460000", country::Id::US), us);
            assert_eq!(PhoneNumber::parse("2079460000", country::Id::GB), gb);
        }
        // A refusal is remembered as a refusal.
        let bad = PhoneNumber::parse("12", country::Id::US);
        assert!(bad.is_err());
        assert_eq!(PhoneNumber::parse("12", country::Id::US), bad);
    }

    #[test]
    fn same_number_in_every_written_form() {
        for raw in [
            "+14155551234",
            "14155551234",
            "4155551234",
            "(415) 555-1234",
            " +1 415 555 1234 ",
        ] {
            assert_eq!(e164(raw), "+14155551234", "{raw}");
        }
    }

    /// Found by `make fuzz`: a number is kept only in a form that reads back as itself.
    #[test]
    fn a_number_whose_e164_reads_as_another_is_refused() {
        assert!(read("67000a0").is_err());
    }

    /// The E.164 text written here is the phonenumber crate's own E.164 formatting, for
    /// numbers of one region and of shared country codes, national texts with a trunk
    /// prefix, and Italian numbers whose national number keeps its leading zero.
    #[test]
    fn e164_is_written_as_the_phonenumber_crate_formats_it() {
        use phonenumber::Mode;
        let crates_own = |region: Option<country::Id>, text: &str| {
            phonenumber::parse(region, text)
                .ok()
                .map(|n| n.format().mode(Mode::E164).to_string())
        };
        let regions = [
            None,
            Some(country::Id::US),
            Some(country::Id::GB),
            Some(country::Id::IT),
        ];
        let texts = [
            "+12120000123",
            "+14165550199",
            "+12682345678",
            "+442079460000",
            "+4402079460000",
            "+44 (0)20 7946 0000",
            "+390612345678",
            "+39 347 123 4567",
            "+8613812345678",
            "02079460000",
            "0612345678",
            "3471234567",
            "(415) 555-1234",
            "6700020",
            "12",
        ];
        for region in regions {
            for text in texts {
                assert_eq!(
                    PhoneNumber::e164_of(region, text),
                    crates_own(region, text),
                    "{text} in {region:?}"
                );
            }
        }
        proptest::proptest!(|(code in 1u16..999, national in "[0-9]{4,13}")| {
            let text = format!("+{code}{national}");
            proptest::prop_assert_eq!(PhoneNumber::e164_of(None, &text), crates_own(None, &text));
        });
    }

    #[test]
    fn unassigned_test_numbers_are_accepted() {
        assert_eq!(e164("+19999999999"), "+19999999999");
    }

    #[test]
    fn international_numbers_keep_their_country() {
        assert_eq!(e164("+8613812345678"), "+8613812345678");
        assert_eq!(e164("+447911123456"), "+447911123456");
    }

    #[test]
    fn default_region_is_per_tenant() {
        let policy = AniPolicy {
            default_region: country::Id::GB,
            ..AniPolicy::default()
        };
        match policy.read("07911 123456", "ani").unwrap() {
            Ani::Number(n) => assert_eq!(n.as_e164(), "+447911123456"),
            Ani::Withheld => panic!("withheld"),
        }
    }

    #[test]
    fn withheld_values_are_not_errors() {
        for raw in [
            "",
            "  ",
            "anonymous",
            "Anonymous",
            "RESTRICTED",
            "private",
            "unavailable",
            "unknown",
            "blocked",
            "withheld",
            "+266696687",
            "266696687",
            "+7378742833",
            "+86282452253",
        ] {
            assert_eq!(read(raw), Ok(Ani::Withheld), "{raw:?}");
        }
    }

    #[test]
    fn withheld_list_is_per_tenant() {
        let policy = AniPolicy {
            withheld: vec!["nocallerid".into(), "+10000000000".into()],
            ..AniPolicy::default()
        };
        assert_eq!(policy.read("NoCallerId", "ani"), Ok(Ani::Withheld));
        assert_eq!(policy.read("+1 000 000 0000", "ani"), Ok(Ani::Withheld));
        assert!(policy.read("anonymous", "ani").is_err());
    }

    #[test]
    fn not_a_phone_number_is_refused_with_its_path() {
        for raw in [
            "abc",
            "sip:alice@example.com",
            "123",
            "+",
            "+1415555123456789",
        ] {
            let err = read(raw).unwrap_err();
            assert_eq!(err.issues[0].path, ["identity_hints", "ani"], "{raw}");
            assert!(err.issues[0].message.contains("phone number"), "{raw}");
        }
    }

    #[test]
    fn masked_and_debug_hide_the_digits() {
        let n = PhoneNumber::parse("+14155551234", country::Id::US).unwrap();
        assert_eq!(n.masked(), "+1********34");
        assert!(!format!("{n:?}").contains("555"));
    }
}
