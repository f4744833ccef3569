//! What a call tells us about its caller: ANI, DNIS, CRM ids, a customer ref.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::phone::{Ani, AniPolicy, PhoneNumber};
use crate::error::{Issue, Issues, ValidationError};
use crate::redact::{self, RedactedValues};
use crate::text::{TextKind, given, is_storable, loose_text, refusal};

/// A customer's reference, chosen by us (`cust_` + random) or by the client. Pattern
/// `[A-Za-z0-9_.:-]{1,128}`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct CustomerRef(String);

/// Debug shows the log digest: a client may choose a ref that is personal data.
impl fmt::Debug for CustomerRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CustomerRef({})", self.log_digest())
    }
}

impl CustomerRef {
    /// Longest accepted reference.
    pub const MAX_LEN: usize = 128;

    /// Validates a reference given by a client.
    pub fn parse(text: &str, path: &str) -> Result<Self, ValidationError> {
        let ok_char = |c: char| c.is_ascii_alphanumeric() || "_.:-".contains(c);
        if text.is_empty() || text.len() > Self::MAX_LEN || !text.chars().all(ok_char) {
            return Err(ValidationError::invalid(
                path,
                "must be 1 to 128 characters of A-Z, a-z, 0-9, `_`, `.`, `:` or `-`",
            ));
        }
        Ok(Self(text.to_owned()))
    }

    /// Rebuilds a reference read back from storage or made by an id generator.
    pub fn from_trusted(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The reference's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What a log line may show of it: a reference can be the client's own (a CRM
    /// number, a name), so logs carry `ref:` and 12 letters of its keyed digest
    /// ([`crate::log_key`]) instead. The same reference gives the same digest under one
    /// key, so lines about one customer can still be followed.
    pub fn log_digest(&self) -> String {
        crate::log_key::keyed_digest("ref", &self.0)
    }
}

impl fmt::Display for CustomerRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The kind of line an ANI belongs to (from telco data such as a carrier lookup).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineType {
    /// A mobile phone: personal, the strongest ANI signal.
    Mobile,
    /// A fixed line, often shared in a household.
    Landline,
    /// Voice over IP, easily spoofed.
    Voip,
    /// A toll-free number.
    TollFree,
    /// No telco data.
    Unknown,
}

impl LineType {
    /// The wire name (`toll_free`...).
    pub fn as_str(self) -> &'static str {
        match self {
            LineType::Mobile => "mobile",
            LineType::Landline => "landline",
            LineType::Voip => "voip",
            LineType::TollFree => "toll_free",
            LineType::Unknown => "unknown",
        }
    }

    /// `Unknown` says nothing: it never overrides a line type seen before.
    pub fn known(self) -> Option<LineType> {
        (self != LineType::Unknown).then_some(self)
    }

    /// What a number's link remembers after a call seen with `seen`, when it
    /// remembered `stored`: the latest known line type; `unknown` or none keeps the
    /// stored one. Stores apply it as "write `Some`, keep on `None`" through
    /// [`LineType::to_remember`].
    pub fn remembered(stored: Option<LineType>, seen: Option<LineType>) -> Option<LineType> {
        Self::to_remember(seen).or(stored)
    }

    /// The line type a call asks its number's link to store, `None` to keep what is
    /// stored (no telco data, or `unknown`).
    pub fn to_remember(seen: Option<LineType>) -> Option<LineType> {
        seen.and_then(LineType::known)
    }
}

impl FromStr for LineType {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "mobile" => LineType::Mobile,
            "landline" => LineType::Landline,
            "voip" => LineType::Voip,
            "toll_free" => LineType::TollFree,
            "unknown" => LineType::Unknown,
            _ => {
                return Err(ValidationError::invalid(
                    "telco.line_type",
                    "must be one of mobile, landline, voip, toll_free, unknown",
                ));
            }
        })
    }
}

/// CRM and other ids, namespace -> value, in a stable order.
pub type ExternalIds = BTreeMap<String, String>;

/// Identity hints as the client sent them, before validation.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
pub struct RawHints {
    /// Caller's number (Automatic Number Identification).
    pub ani: Option<String>,
    /// Dialled number (Dialled Number Identification Service).
    pub dnis: Option<String>,
    /// CRM ids, namespace -> value: text, or a number or boolean read as its text
    /// (`null` or `""`: not given).
    #[serde(default)]
    pub external_ids: BTreeMap<String, serde_json::Value>,
    /// The client's own reference for the caller (`""`: not given).
    pub customer_ref: Option<String>,
}

/// Validated identity hints.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct IdentityHints {
    /// The caller's number, if one was sent.
    pub ani: Option<Ani>,
    /// The dialled number, kept with the call record (never scored).
    pub dnis: Option<String>,
    /// CRM ids; values that were empty are dropped.
    pub external_ids: ExternalIds,
    /// The client's reference for the caller.
    pub customer_ref: Option<CustomerRef>,
}

impl fmt::Debug for RawHints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawHints")
            .field("ani", &redact::opt(&self.ani))
            .field("dnis", &redact::opt(&self.dnis))
            .field("external_ids", &RedactedValues(&self.external_ids))
            .field("customer_ref", &redact::opt(&self.customer_ref))
            .finish()
    }
}

impl fmt::Debug for IdentityHints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityHints")
            .field("ani", &self.ani)
            .field("dnis", &redact::opt(&self.dnis))
            .field("external_ids", &RedactedValues(&self.external_ids))
            .field("customer_ref", &self.customer_ref)
            .finish()
    }
}

impl IdentityHints {
    /// Most external ids one request may carry.
    pub const MAX_EXTERNAL_IDS: usize = 20;
    /// Longest namespace.
    pub const MAX_NAMESPACE_LEN: usize = 64;
    /// Longest external id value.
    pub const MAX_EXTERNAL_ID_LEN: usize = 256;
    /// Longest DNIS kept.
    pub const MAX_DNIS_LEN: usize = 64;

    /// Validates hints found at `prefix` (`identity_hints`), collecting every issue.
    pub fn parse(raw: RawHints, policy: &AniPolicy, prefix: &str) -> Result<Self, ValidationError> {
        let mut issues = Issues::default();
        let ani = raw
            .ani
            .as_deref()
            .and_then(|text| issues.take(policy.read(text, &format!("{prefix}.ani"))));
        // Limits hold for the text as sent; what is kept is trimmed.
        let sent_dnis = raw.dnis.as_deref().unwrap_or_default();
        let dnis = given(raw.dnis.as_deref()).map(|d| d.trim().to_owned());
        if sent_dnis.chars().count() > Self::MAX_DNIS_LEN {
            issues.push(ValidationError::invalid(
                &format!("{prefix}.dnis"),
                format!("must be at most {} characters", Self::MAX_DNIS_LEN),
            ));
        } else if !is_storable(sent_dnis, TextKind::Line) {
            issues.push(ValidationError::invalid(
                &format!("{prefix}.dnis"),
                refusal(TextKind::Line),
            ));
        }
        let external_ids = issues
            .take(Self::parse_external_ids(raw.external_ids, prefix))
            .unwrap_or_default();
        let customer_ref = given(raw.customer_ref.as_deref()).and_then(|text| {
            issues.take(CustomerRef::parse(text, &format!("{prefix}.customer_ref")))
        });
        issues.finish()?;
        Ok(Self {
            ani,
            dnis,
            external_ids,
            customer_ref,
        })
    }

    fn parse_external_ids(
        raw: BTreeMap<String, serde_json::Value>, prefix: &str,
    ) -> Result<ExternalIds, ValidationError> {
        let mut issues = Vec::new();
        if raw.len() > Self::MAX_EXTERNAL_IDS {
            issues.push(Issue::at(
                &format!("{prefix}.external_ids"),
                format!("at most {} external ids", Self::MAX_EXTERNAL_IDS),
            ));
        }
        let mut ids = ExternalIds::new();
        for (namespace, value) in raw {
            let path = [prefix, "external_ids", namespace.as_str()];
            if namespace.is_empty() || namespace.chars().count() > Self::MAX_NAMESPACE_LEN {
                issues.push(Issue::at_segments(
                    &path,
                    format!(
                        "namespace must be 1 to {} characters",
                        Self::MAX_NAMESPACE_LEN
                    ),
                ));
                continue;
            }
            let Some(value) = loose_text(&value) else {
                issues.push(Issue::at_segments(
                    &path,
                    "must be text, a number or a boolean",
                ));
                continue;
            };
            let value = value.as_deref().unwrap_or_default();
            if !is_storable(&namespace, TextKind::Line) || !is_storable(value, TextKind::Line) {
                issues.push(Issue::at_segments(&path, refusal(TextKind::Line)));
            } else if value.chars().count() > Self::MAX_EXTERNAL_ID_LEN {
                issues.push(Issue::at_segments(
                    &path,
                    format!("must be at most {} characters", Self::MAX_EXTERNAL_ID_LEN),
                ));
            } else if let Some(value) = given(Some(value)) {
                ids.insert(namespace, value.trim().to_owned());
            }
        }
        if issues.is_empty() {
            Ok(ids)
        } else {
            Err(ValidationError {
                kind: crate::error::RefusalKind::InvalidRequest,
                issues,
            })
        }
    }

    /// The usable phone number, if any.
    pub fn phone(&self) -> Option<&PhoneNumber> {
        match &self.ani {
            Some(Ani::Number(n)) => Some(n),
            _ => None,
        }
    }

    /// Whether these hints can identify anyone at all.
    pub fn is_empty(&self) -> bool {
        self.phone().is_none() && self.external_ids.is_empty() && self.customer_ref.is_none()
    }

    /// These hints with `other`'s added (other's values win on the same namespace).
    pub fn merged_with(&self, other: &IdentityHints) -> IdentityHints {
        let mut external_ids = self.external_ids.clone();
        external_ids.extend(other.external_ids.clone());
        IdentityHints {
            ani: match (&other.ani, &self.ani) {
                (Some(Ani::Number(n)), _) => Some(Ani::Number(n.clone())),
                (_, mine) => mine.clone(),
            },
            dnis: other.dnis.clone().or_else(|| self.dnis.clone()),
            external_ids,
            customer_ref: other
                .customer_ref
                .clone()
                .or_else(|| self.customer_ref.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_logged_reference_is_a_stable_digest() {
        let client = CustomerRef::from_trusted("CRM-4242-Smith");
        let shown = client.log_digest();
        assert!(
            !shown.contains("4242") && !shown.contains("Smith"),
            "{shown}"
        );
        assert_eq!(
            shown,
            CustomerRef::from_trusted("CRM-4242-Smith").log_digest()
        );
        assert_ne!(
            shown,
            CustomerRef::from_trusted("CRM-4243-Smith").log_digest()
        );
        assert_eq!(shown.len(), "ref:".len() + 12);
        assert!(!shown.chars().any(|c| c.is_ascii_digit()), "{shown}");
    }

    #[test]
    fn the_latest_known_line_type_is_remembered() {
        use LineType::*;
        assert_eq!(
            LineType::remembered(Some(Landline), Some(Mobile)),
            Some(Mobile)
        );
        assert_eq!(
            LineType::remembered(Some(Landline), Some(Unknown)),
            Some(Landline)
        );
        assert_eq!(LineType::remembered(Some(Voip), None), Some(Voip));
        assert_eq!(LineType::remembered(None, Some(Unknown)), None);
        assert_eq!(LineType::to_remember(Some(Unknown)), None);
        assert_eq!(LineType::to_remember(Some(TollFree)), Some(TollFree));
    }

    #[test]
    fn customer_ref_pattern() {
        for ok in ["cust_a1b2c3d4", "a", "CRM:123-4.5_x", &"x".repeat(128)] {
            assert!(CustomerRef::parse(ok, "customer_ref").is_ok(), "{ok}");
        }
        for bad in ["", "has space", "é", "a/b", &"x".repeat(129)] {
            let err = CustomerRef::parse(bad, "customer_ref").unwrap_err();
            assert_eq!(err.issues[0].path, ["customer_ref"]);
        }
    }

    #[test]
    fn hints_collect_every_issue_with_paths() {
        let raw = RawHints {
            ani: Some("not a number".into()),
            dnis: None,
            external_ids: [("".to_owned(), "x".into())].into(),
            customer_ref: Some("bad ref".into()),
        };
        let err = IdentityHints::parse(raw, &AniPolicy::default(), "identity_hints").unwrap_err();
        let paths: Vec<String> = err.issues.iter().map(|i| i.path.join(".")).collect();
        assert_eq!(
            paths,
            [
                "identity_hints.ani",
                "identity_hints.external_ids.",
                "identity_hints.customer_ref"
            ]
        );
    }

    #[test]
    fn empty_external_id_values_are_dropped() {
        let raw = RawHints {
            external_ids: [("crm".to_owned(), " ".into())].into(),
            ..RawHints::default()
        };
        let hints = IdentityHints::parse(raw, &AniPolicy::default(), "identity_hints").unwrap();
        assert!(hints.external_ids.is_empty());
        assert!(hints.is_empty());
    }

    #[test]
    fn line_type_names() {
        for name in ["mobile", "landline", "voip", "toll_free", "unknown"] {
            assert_eq!(name.parse::<LineType>().unwrap().as_str(), name);
        }
        assert!("cell".parse::<LineType>().is_err());
    }
}
