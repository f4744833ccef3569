//! A tenant's identity settings as it writes them (`PUT /v1/settings/identity`): the
//! region for numbers without a country code, the values meaning "withheld", the
//! signal weights, the thresholds, the attestation policy and whether the scorer
//! learns from confirmations. One shape on the wire and in storage; every field has
//! a default (docs/IDENTITY.md sections 2 and 6), so an omitted field means the default.

use phonenumber::country;
use serde::{Deserialize, Serialize};

use super::attestation::{AttestationPolicy, Carrier};
use super::decision::Thresholds;
use super::phone::AniPolicy;
use super::scoring::{IdentityPolicy, ScoringWeights};
use crate::error::{Issues, ValidationError};
use crate::text::{TextKind, is_storable};

/// Most values in `withheld_anis`.
pub const MAX_WITHHELD_ANIS: usize = 50;

/// Longest value in `withheld_anis`, in characters.
pub const MAX_WITHHELD_LEN: usize = 64;

/// `weights` as sent: any weight left out keeps its default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct RawWeights {
    pub ani_mobile: Option<f64>,
    pub ani_unknown: Option<f64>,
    pub ani_landline: Option<f64>,
    pub ani_voip: Option<f64>,
    pub ani_toll_free: Option<f64>,
    pub external_id: Option<f64>,
    pub recency_1day: Option<f64>,
    pub recency_7day: Option<f64>,
    pub recency_30day: Option<f64>,
    pub open_intent: Option<f64>,
    pub customer_ref: Option<f64>,
}

/// `thresholds` as sent, as confidences (0.5, not 50).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawThresholds {
    /// `reuse` from this confidence.
    pub reuse: Option<f64>,
    /// `confirm` from this confidence.
    pub confirm: Option<f64>,
}

/// `attestation_policy` as sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAttestationPolicy {
    /// A full attestation lets the number alone support `reuse` (default true).
    pub a_allows_reuse_alone: Option<bool>,
    /// A partial attestation lets the number alone support `reuse` (default false).
    pub b_allows_reuse_alone: Option<bool>,
    /// The carrier the tenant's calls are verified by (`telnyx`, `bandwidth`,
    /// `twilio`), when requests do not say: what a bare `TN-Validation-Passed` means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
}

/// The settings document as sent or stored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIdentitySettings {
    /// ISO 3166 region for numbers written without a country code.
    pub default_region: Option<String>,
    /// Values meaning "no caller id" (replace the default list).
    pub withheld_anis: Option<Vec<String>>,
    /// Signal weights.
    pub weights: Option<RawWeights>,
    /// Where `reuse` and `confirm` start.
    pub thresholds: Option<RawThresholds>,
    /// What each attestation level allows.
    pub attestation_policy: Option<RawAttestationPolicy>,
    /// Whether confirmations adjust the weights (within [`super::learning`]'s bounds).
    pub learning: Option<bool>,
}

/// A tenant's validated identity settings.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentitySettings {
    /// How ANIs are read.
    pub ani: AniPolicy,
    /// Weights and thresholds as set (before any learning).
    pub weights: ScoringWeights,
    /// Where the recommendations start.
    pub thresholds: Thresholds,
    /// What each attestation level allows.
    pub attestation: AttestationPolicy,
    /// Whether confirmations adjust the weights.
    pub learning: bool,
}

impl Default for IdentitySettings {
    fn default() -> Self {
        let identity = IdentityPolicy::default();
        Self {
            ani: AniPolicy::default(),
            weights: identity.weights,
            thresholds: identity.thresholds,
            attestation: identity.attestation,
            learning: true,
        }
    }
}

fn weight(value: Option<f64>, default: f64, path: &str, issues: &mut Issues) -> f64 {
    match value {
        None => default,
        Some(w) if w.is_finite() && (0.0..=1.0).contains(&w) => w,
        Some(_) => {
            issues.push(ValidationError::invalid(path, "must be between 0 and 1"));
            default
        }
    }
}

/// A threshold in hundredths: a confidence from 0.01 to 1, rounded to the nearest
/// hundredth (a confidence's own precision).
fn threshold(value: Option<f64>, default: u8, path: &str, issues: &mut Issues) -> u8 {
    match value {
        None => default,
        Some(v) if v.is_finite() && (0.01..=1.0).contains(&v) => (v * 100.0).round().max(1.0) as u8,
        Some(_) => {
            issues.push(ValidationError::invalid(
                path,
                "must be a confidence from 0.01 to 1",
            ));
            default
        }
    }
}

/// Every region `default_region` accepts: the two-letter codes the phone number
/// library knows, upper case.
pub fn regions() -> impl Iterator<Item = String> {
    ('A'..='Z')
        .flat_map(|a| ('A'..='Z').map(move |b| format!("{a}{b}")))
        .filter(|code| code.parse::<country::Id>().is_ok())
}

fn region(value: Option<&str>, issues: &mut Issues) -> country::Id {
    let Some(text) = value else {
        return AniPolicy::default().default_region;
    };
    let two_letters = text.len() == 2 && text.chars().all(|c| c.is_ascii_uppercase());
    match text.parse::<country::Id>() {
        Ok(id) if two_letters => id,
        _ => {
            issues.push(ValidationError::invalid(
                "default_region",
                "must be a two-letter region code in capitals, such as US or GB",
            ));
            AniPolicy::default().default_region
        }
    }
}

fn withheld(values: Option<Vec<String>>, issues: &mut Issues) -> Vec<String> {
    let Some(values) = values else {
        return AniPolicy::default().withheld;
    };
    if values.len() > MAX_WITHHELD_ANIS {
        issues.push(ValidationError::invalid(
            "withheld_anis",
            format!("at most {MAX_WITHHELD_ANIS} values"),
        ));
    }
    for (i, value) in values.iter().enumerate() {
        let len = value.chars().count();
        let blank = value.trim().is_empty();
        if blank || len > MAX_WITHHELD_LEN || !is_storable(value, TextKind::Line) {
            issues.push(ValidationError::invalid(
                &format!("withheld_anis.{i}"),
                format!(
                    "must be 1 to {MAX_WITHHELD_LEN} characters, not blank, without control \
                     characters"
                ),
            ));
        }
    }
    values.into_iter().map(|v| v.trim().to_owned()).collect()
}

fn weights(raw: Option<RawWeights>, issues: &mut Issues) -> ScoringWeights {
    let raw = raw.unwrap_or_default();
    let d = ScoringWeights::default();
    let mut w =
        |value, default, name: &str| weight(value, default, &format!("weights.{name}"), issues);
    ScoringWeights {
        ani_mobile: w(raw.ani_mobile, d.ani_mobile, "ani_mobile"),
        ani_unknown: w(raw.ani_unknown, d.ani_unknown, "ani_unknown"),
        ani_landline: w(raw.ani_landline, d.ani_landline, "ani_landline"),
        ani_voip: w(raw.ani_voip, d.ani_voip, "ani_voip"),
        ani_toll_free: w(raw.ani_toll_free, d.ani_toll_free, "ani_toll_free"),
        external_id: w(raw.external_id, d.external_id, "external_id"),
        recency_1day: w(raw.recency_1day, d.recency_1day, "recency_1day"),
        recency_7day: w(raw.recency_7day, d.recency_7day, "recency_7day"),
        recency_30day: w(raw.recency_30day, d.recency_30day, "recency_30day"),
        open_intent: w(raw.open_intent, d.open_intent, "open_intent"),
        customer_ref: w(raw.customer_ref, d.customer_ref, "customer_ref"),
    }
}

/// The tenant's carrier: one of [`Carrier::NAMES`], or none (blank or absent).
fn carrier(raw: Option<&str>, issues: &mut Issues) -> Option<Carrier> {
    let text = raw.filter(|t| !t.trim().is_empty())?;
    let carrier = Carrier::parse(text);
    if carrier.is_none() {
        issues.push(ValidationError::invalid(
            "attestation_policy.carrier",
            "must be telnyx, bandwidth or twilio (or empty)",
        ));
    }
    carrier
}

fn thresholds(raw: Option<RawThresholds>, issues: &mut Issues) -> Thresholds {
    let raw = raw.unwrap_or_default();
    let d = Thresholds::default();
    let reuse = threshold(raw.reuse, d.reuse, "thresholds.reuse", issues);
    let confirm = threshold(raw.confirm, d.confirm, "thresholds.confirm", issues);
    // A `confirm` above `reuse` is kept as sent: `reuse` is decided first, so it only
    // leaves no confirm band (a rule JSON Schema could not state for the document).
    Thresholds { reuse, confirm }
}

impl IdentitySettings {
    /// Validates a document: every issue named by its path, nothing kept when one
    /// field is wrong.
    pub fn parse(raw: RawIdentitySettings) -> Result<Self, ValidationError> {
        let mut issues = Issues::default();
        let default_region = region(raw.default_region.as_deref(), &mut issues);
        let withheld = withheld(raw.withheld_anis, &mut issues);
        let weights = weights(raw.weights, &mut issues);
        let thresholds = thresholds(raw.thresholds, &mut issues);
        let attestation = raw.attestation_policy.unwrap_or_default();
        let defaults = AttestationPolicy::default();
        let settings = Self {
            ani: AniPolicy {
                default_region,
                withheld,
            },
            weights,
            thresholds,
            attestation: AttestationPolicy {
                a_allows_reuse_alone: attestation
                    .a_allows_reuse_alone
                    .unwrap_or(defaults.a_allows_reuse_alone),
                b_allows_reuse_alone: attestation
                    .b_allows_reuse_alone
                    .unwrap_or(defaults.b_allows_reuse_alone),
                carrier: carrier(attestation.carrier.as_deref(), &mut issues),
            },
            learning: raw.learning.unwrap_or(true),
        };
        issues.finish()?;
        Ok(settings)
    }

    /// The whole document, every field present: what `GET` answers and a store keeps.
    pub fn document(&self) -> RawIdentitySettings {
        let w = &self.weights;
        RawIdentitySettings {
            default_region: Some(self.ani.default_region.as_ref().to_owned()),
            withheld_anis: Some(self.ani.withheld.clone()),
            weights: Some(RawWeights {
                ani_mobile: Some(w.ani_mobile),
                ani_unknown: Some(w.ani_unknown),
                ani_landline: Some(w.ani_landline),
                ani_voip: Some(w.ani_voip),
                ani_toll_free: Some(w.ani_toll_free),
                external_id: Some(w.external_id),
                recency_1day: Some(w.recency_1day),
                recency_7day: Some(w.recency_7day),
                recency_30day: Some(w.recency_30day),
                open_intent: Some(w.open_intent),
                customer_ref: Some(w.customer_ref),
            }),
            thresholds: Some(RawThresholds {
                reuse: Some(f64::from(self.thresholds.reuse) / 100.0),
                confirm: Some(f64::from(self.thresholds.confirm) / 100.0),
            }),
            attestation_policy: Some(RawAttestationPolicy {
                a_allows_reuse_alone: Some(self.attestation.a_allows_reuse_alone),
                b_allows_reuse_alone: Some(self.attestation.b_allows_reuse_alone),
                carrier: self.attestation.carrier.map(|c| c.as_str().to_owned()),
            }),
            learning: Some(self.learning),
        }
    }

    /// The document as JSON, for a store.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self.document()).unwrap_or_default()
    }

    /// The document as JSON text, for a store that keeps text.
    pub fn to_json(&self) -> String {
        self.to_value().to_string()
    }

    /// Reads back a stored document (validated again: a document written by an older
    /// version still has to make sense).
    pub fn from_value(value: serde_json::Value) -> Result<Self, String> {
        let raw: RawIdentitySettings =
            serde_json::from_value(value).map_err(|e| format!("stored identity settings: {e}"))?;
        Self::parse(raw).map_err(|e| format!("stored identity settings: {e}"))
    }

    /// Reads back a document stored as JSON text.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let value =
            serde_json::from_str(text).map_err(|e| format!("stored identity settings: {e}"))?;
        Self::from_value(value)
    }

    /// The scoring policy these settings give, with `weights` (the settings' own, or
    /// learned from them).
    pub fn identity_policy(&self, weights: ScoringWeights) -> IdentityPolicy {
        IdentityPolicy {
            weights,
            thresholds: self.thresholds,
            attestation: self.attestation,
            ..IdentityPolicy::default()
        }
    }
}

#[cfg(test)]
#[path = "settings/tests.rs"]
mod tests;
