//! The wire shapes of `GET`/`PUT /v1/settings/identity` and
//! `GET /v1/identity/calibration`. A settings document is the same both ways: `PUT`
//! takes any subset (an omitted field takes its default), `GET` and `PUT` answer the
//! whole.

use serde::{Deserialize, Serialize};
use stickycalls_domain::identity::{
    Adjustment, Bin, IdentitySettings, MAX_WITHHELD_ANIS, MAX_WITHHELD_LEN, RawAttestationPolicy,
    RawIdentitySettings, RawThresholds, RawWeights, regions,
};
use stickycalls_domain::settings::CalibrationReport;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{AllOfBuilder, ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::field_schema::{LINE, not_blank};

/// A number from `min` to `max`, or null.
fn number_in(min: f64, max: f64) -> RefOr<Schema> {
    nullable(
        ObjectBuilder::new()
            .schema_type(Type::Number)
            .minimum(Some(min))
            .maximum(Some(max))
            .into(),
    )
}

/// A weight: from 0 to 1.
struct WeightNumber;

impl PartialSchema for WeightNumber {
    fn schema() -> RefOr<Schema> {
        number_in(0.0, 1.0)
    }
}

/// A threshold: a confidence from 0.01 to 1 (rounded to a hundredth).
struct ThresholdNumber;

impl PartialSchema for ThresholdNumber {
    fn schema() -> RefOr<Schema> {
        number_in(0.01, 1.0)
    }
}

/// A region code the phone number library knows.
struct RegionCode;

impl PartialSchema for RegionCode {
    fn schema() -> RefOr<Schema> {
        nullable(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(regions()))
                .into(),
        )
    }
}

/// The withheld markers.
struct WithheldList;

impl PartialSchema for WithheldList {
    fn schema() -> RefOr<Schema> {
        let item: Schema = AllOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .max_length(Some(MAX_WITHHELD_LEN))
                    .pattern(Some(LINE)),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(not_blank())),
            )
            .into();
        nullable(
            ArrayBuilder::new()
                .items(RefOr::T(item))
                .max_items(Some(MAX_WITHHELD_ANIS))
                .into(),
        )
    }
}

fn nullable(schema: Schema) -> RefOr<Schema> {
    RefOr::T(
        utoipa::openapi::schema::OneOfBuilder::new()
            .item(schema)
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .into(),
    )
}

/// Signal weights (docs/IDENTITY.md section 2); an omitted weight keeps its default.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WeightsDto {
    /// ANI matches, mobile (0.5).
    #[schema(schema_with = WeightNumber::schema)]
    pub ani_mobile: Option<f64>,
    /// ANI matches, line type unknown (0.45).
    #[schema(schema_with = WeightNumber::schema)]
    pub ani_unknown: Option<f64>,
    /// ANI matches, landline (0.4).
    #[schema(schema_with = WeightNumber::schema)]
    pub ani_landline: Option<f64>,
    /// ANI matches, VoIP (0.3).
    #[schema(schema_with = WeightNumber::schema)]
    pub ani_voip: Option<f64>,
    /// ANI matches, toll-free (0.2).
    #[schema(schema_with = WeightNumber::schema)]
    pub ani_toll_free: Option<f64>,
    /// A CRM id matches (0.4).
    #[schema(schema_with = WeightNumber::schema)]
    pub external_id: Option<f64>,
    /// Last call within a day (0.05).
    #[schema(schema_with = WeightNumber::schema)]
    pub recency_1day: Option<f64>,
    /// Last call within 7 days (0.03).
    #[schema(schema_with = WeightNumber::schema)]
    pub recency_7day: Option<f64>,
    /// Last call within 30 days (0.01).
    #[schema(schema_with = WeightNumber::schema)]
    pub recency_30day: Option<f64>,
    /// An open intent seen within 7 days (0.05).
    #[schema(schema_with = WeightNumber::schema)]
    pub open_intent: Option<f64>,
    /// `identity_hints.customer_ref` names a known customer (0.9).
    #[schema(schema_with = WeightNumber::schema)]
    pub customer_ref: Option<f64>,
}

/// Where the recommendations start, as confidences.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThresholdsDto {
    /// `reuse` from this confidence (0.5).
    #[schema(schema_with = ThresholdNumber::schema)]
    pub reuse: Option<f64>,
    /// `confirm` from this confidence (0.3); above `reuse`, there is no confirm band.
    #[schema(schema_with = ThresholdNumber::schema)]
    pub confirm: Option<f64>,
}

/// What each STIR/SHAKEN level allows when the number is the only identifier.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttestationPolicyDto {
    /// Attestation A lets the number alone support `reuse` (true).
    pub a_allows_reuse_alone: Option<bool>,
    /// Attestation B (or a pass of unknown level) lets the number alone support
    /// `reuse` (false).
    pub b_allows_reuse_alone: Option<bool>,
    /// The carrier that verifies the tenant's calls when a start does not say (`telnyx`,
    /// `bandwidth`, `twilio`; null: none).
    #[schema(schema_with = crate::field_schema::CarrierText::schema)]
    pub carrier: Option<String>,
}

/// A tenant's identity settings (per environment). `PUT` replaces them: an omitted
/// field takes its default.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentitySettingsDto {
    /// Region for numbers without a country code (`US`).
    #[schema(schema_with = RegionCode::schema)]
    pub default_region: Option<String>,
    /// Values meaning "no caller id", compared case-insensitively (replace the default
    /// list: anonymous, restricted, private, unavailable, unknown...).
    #[schema(schema_with = WithheldList::schema)]
    pub withheld_anis: Option<Vec<String>>,
    /// Signal weights.
    #[serde(default, deserialize_with = "crate::body::object_only")]
    pub weights: Option<WeightsDto>,
    /// Thresholds.
    #[serde(default, deserialize_with = "crate::body::object_only")]
    pub thresholds: Option<ThresholdsDto>,
    /// Attestation policy.
    #[serde(default, deserialize_with = "crate::body::object_only")]
    pub attestation_policy: Option<AttestationPolicyDto>,
    /// Adjust weights from confirmed calls, within bounds (true).
    pub learning: Option<bool>,
}

/// `From` both ways between a wire type and the domain's type of the same fields.
macro_rules! same_fields {
    ($wire:ident, $domain:ident { $($field:ident),* $(,)? }) => {
        impl From<$wire> for $domain {
            fn from(w: $wire) -> Self {
                Self { $($field: w.$field),* }
            }
        }
        impl From<$domain> for $wire {
            fn from(d: $domain) -> Self {
                Self { $($field: d.$field),* }
            }
        }
    };
}

same_fields!(
    WeightsDto,
    RawWeights {
        ani_mobile,
        ani_unknown,
        ani_landline,
        ani_voip,
        ani_toll_free,
        external_id,
        recency_1day,
        recency_7day,
        recency_30day,
        open_intent,
        customer_ref,
    }
);
same_fields!(ThresholdsDto, RawThresholds { reuse, confirm });
same_fields!(
    AttestationPolicyDto,
    RawAttestationPolicy {
        a_allows_reuse_alone,
        b_allows_reuse_alone,
        carrier,
    }
);

impl From<IdentitySettingsDto> for RawIdentitySettings {
    fn from(d: IdentitySettingsDto) -> Self {
        Self {
            default_region: d.default_region,
            withheld_anis: d.withheld_anis,
            weights: d.weights.map(Into::into),
            thresholds: d.thresholds.map(Into::into),
            attestation_policy: d.attestation_policy.map(Into::into),
            learning: d.learning,
        }
    }
}

impl From<&IdentitySettings> for IdentitySettingsDto {
    fn from(settings: &IdentitySettings) -> Self {
        let raw = settings.document();
        Self {
            default_region: raw.default_region,
            withheld_anis: raw.withheld_anis,
            weights: raw.weights.map(Into::into),
            thresholds: raw.thresholds.map(Into::into),
            attestation_policy: raw.attestation_policy.map(Into::into),
            learning: raw.learning,
        }
    }
}

/// Confirmed calls whose start confidence was in `[from, to)` (the last bin includes
/// 1).
#[derive(Debug, Serialize, ToSchema)]
pub struct BinDto {
    /// Lowest confidence.
    pub from: f64,
    /// Highest confidence.
    pub to: f64,
    /// Confirmed calls.
    pub calls: u64,
    /// Of which the start's candidate was the caller.
    pub correct: u64,
}

/// `reuse` judged by the ends.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReuseQualityDto {
    /// Share of confirmed `reuse` answers that named the caller (null: none).
    pub precision: Option<f64>,
    /// Share of confirmed calls from known customers answered `reuse` with the right
    /// person (null: none).
    pub recall: Option<f64>,
}

/// A weight learning moves.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdjustmentDto {
    /// The weight's name in the settings.
    pub weight: &'static str,
    /// As set.
    pub from: f64,
    /// As learned.
    pub to: f64,
    /// Confirmed calls with this signal.
    pub confirmed: u64,
    /// Of which right.
    pub correct: u64,
}

/// What learning does with this window (applied only when `learning` is on).
#[derive(Debug, Serialize, ToSchema)]
pub struct LearningDto {
    /// The tenant's `learning` setting.
    pub enabled: bool,
    /// The weights learning moves, and why.
    pub adjustments: Vec<AdjustmentDto>,
}

/// `GET /v1/identity/calibration?days=30`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalibrationResponse {
    /// The window, in days up to now.
    pub days: u32,
    /// Calls started in the window (standalone ends excluded).
    pub calls: u64,
    /// Of which an end named or confirmed the customer.
    pub confirmed: u64,
    /// Ten bins of confidence, lowest first.
    pub bins: Vec<BinDto>,
    /// Mean squared gap between confidence and outcome over confirmed calls (0 is
    /// perfect; null without confirmed calls).
    pub brier: Option<f64>,
    /// `reuse` precision and recall.
    pub reuse: ReuseQualityDto,
    /// Learning on this window.
    pub learning: LearningDto,
}

fn bin(b: &Bin) -> BinDto {
    BinDto {
        from: b.from,
        to: b.to,
        calls: b.calls,
        correct: b.correct,
    }
}

fn adjustment(a: &Adjustment) -> AdjustmentDto {
    AdjustmentDto {
        weight: a.weight,
        from: a.from,
        to: a.to,
        confirmed: a.confirmed,
        correct: a.correct,
    }
}

impl From<CalibrationReport> for CalibrationResponse {
    fn from(r: CalibrationReport) -> Self {
        let c = r.calibration;
        Self {
            days: r.days,
            calls: c.calls,
            confirmed: c.confirmed,
            bins: c.bins.iter().map(bin).collect(),
            brier: c.brier,
            reuse: ReuseQualityDto {
                precision: c.reuse.precision,
                recall: c.reuse.recall,
            },
            learning: LearningDto {
                enabled: r.learning,
                adjustments: r.learned.adjustments.iter().map(adjustment).collect(),
            },
        }
    }
}
