//! The wire types, exactly as the hosted product's documents show them (new fields may
//! be added, none renamed). They convert to and from domain values and carry the
//! OpenAPI schema.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use stickycalls_domain::calls::{EndOutcome, RawEndCall, RawStartCall, RawTelco, StartOutcome};
use stickycalls_domain::identity::{Confidence, Explanation, RawHints};
use stickycalls_domain::intents::OpenIntent;
use stickycalls_domain::variables::StoredVariable;
use utoipa::{PartialSchema, ToSchema};

use crate::body::object_only;
use crate::field_schema::{
    AniText, AttestationText, CallIdText, DnisText, ExternalIdsMap, IntentStatusText, IntentText,
    LineTypeText, OptionalCustomerRef, VariablesMap,
};

/// What is known of the caller.
#[derive(Default, Deserialize, ToSchema)]
pub struct IdentityHintsDto {
    /// Caller's number, E.164 preferred (`+14155551234`); a national number is read
    /// in the tenant's region; withheld values (`anonymous`...) are accepted.
    #[schema(schema_with = AniText::schema)]
    pub ani: Option<String>,
    /// Dialled number.
    #[schema(schema_with = DnisText::schema)]
    pub dnis: Option<String>,
    /// CRM ids, namespace -> value. A number or boolean is read as its text; `""` or
    /// `null` means not given.
    #[schema(schema_with = ExternalIdsMap::schema)]
    pub external_ids: Option<BTreeMap<String, Value>>,
    /// Your own reference for the caller (`""`: not given).
    #[schema(schema_with = OptionalCustomerRef::schema)]
    pub customer_ref: Option<String>,
}

impl From<IdentityHintsDto> for RawHints {
    fn from(h: IdentityHintsDto) -> Self {
        RawHints {
            ani: h.ani,
            dnis: h.dnis,
            external_ids: h.external_ids.unwrap_or_default(),
            customer_ref: h.customer_ref,
        }
    }
}

/// Telco data about the caller's line.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct TelcoDto {
    /// `mobile`, `landline`, `voip`, `toll_free` or `unknown`.
    #[schema(schema_with = LineTypeText::schema)]
    pub line_type: Option<String>,
    /// STIR/SHAKEN attestation: `A`, `B`, `C`, `failed`, `none` or a platform's
    /// verstat (`TN-Validation-Passed-A`...). Never refuses a call.
    #[schema(schema_with = AttestationText::schema)]
    pub attestation: Option<String>,
    /// Bandwidth's `attestationIndicator` (`A`, `B` or `C`): the level of a bare
    /// `TN-Validation-Passed` (also accepted as `attestationIndicator`).
    #[serde(alias = "attestationIndicator")]
    pub attestation_indicator: Option<String>,
    /// The carrier that verified the call: `telnyx` (a bare `TN-Validation-Passed` is
    /// then A), `bandwidth`, `twilio`; any other is ignored. Defaults to the tenant's
    /// `attestation_policy.carrier`.
    pub carrier: Option<String>,
}

/// `POST /v1/calls/start`.
#[derive(Deserialize, ToSchema)]
pub struct StartRequest {
    /// Your id for the call (1 to 128 characters).
    #[schema(required = true, schema_with = CallIdText::schema)]
    pub call_id: Option<String>,
    /// What is known of the caller.
    #[serde(default, deserialize_with = "object_only")]
    pub identity_hints: Option<IdentityHintsDto>,
    /// Telco data.
    #[serde(default, deserialize_with = "object_only")]
    pub telco: Option<TelcoDto>,
}

impl From<StartRequest> for RawStartCall {
    fn from(r: StartRequest) -> Self {
        RawStartCall {
            call_id: r.call_id,
            identity_hints: r.identity_hints.map(Into::into),
            telco: r.telco.map(Into::into),
        }
    }
}

impl From<TelcoDto> for RawTelco {
    fn from(t: TelcoDto) -> Self {
        RawTelco {
            line_type: t.line_type,
            attestation: t.attestation,
            attestation_indicator: t.attestation_indicator,
            carrier: t.carrier,
        }
    }
}

/// `POST /v1/calls/end`.
#[derive(Deserialize, ToSchema)]
pub struct EndRequest {
    /// The call's id, as sent at its start.
    #[schema(required = true, schema_with = CallIdText::schema)]
    pub call_id: Option<String>,
    /// Who the call was with; defaults to the start's `customer_ref`.
    #[schema(schema_with = OptionalCustomerRef::schema)]
    pub customer_ref: Option<String>,
    /// What the call was about.
    #[schema(schema_with = IntentText::schema)]
    pub intent: Option<String>,
    /// `open`, `resolved`, `closed` or `abandoned`.
    #[schema(schema_with = IntentStatusText::schema)]
    pub intent_status: Option<String>,
    /// Alias: `true` = `open`, `false` = `resolved`.
    pub intent_is_open: Option<bool>,
    /// Variables: `"key": "value"`, a number or boolean, `null` (delete), or
    /// `{"value": ..., "ttl_seconds": N, "source": "..."}`.
    #[schema(schema_with = VariablesMap::schema)]
    pub variables: Option<Map<String, Value>>,
    /// Hints learnt during the call; for an end without a start, the caller's hints.
    #[serde(default, deserialize_with = "object_only")]
    pub identity_hints: Option<IdentityHintsDto>,
    /// Telco data.
    #[serde(default, deserialize_with = "object_only")]
    pub telco: Option<TelcoDto>,
}

impl From<EndRequest> for RawEndCall {
    fn from(r: EndRequest) -> Self {
        RawEndCall {
            call_id: r.call_id,
            customer_ref: r.customer_ref,
            intent: r.intent,
            intent_status: r.intent_status,
            intent_is_open: r.intent_is_open,
            variables: r.variables,
            identity_hints: r.identity_hints.map(Into::into),
            telco: r.telco.map(Into::into),
        }
    }
}

/// The identity decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct IdentityDto {
    /// 0 to 1, two decimals.
    pub confidence: f64,
    /// `very_high`, `high`, `medium` or `low`.
    pub level: &'static str,
    /// The signals that counted (`ani:mobile`, `external_id`, `recency:1day`...).
    pub sources: Vec<String>,
    /// `reuse`, `confirm` or `ignore`.
    pub recommendation: &'static str,
    /// Each source's weight; the weights add up to the confidence before the cap at 1
    /// and the rounding to two decimals. A conflict weighs 0.
    pub signals: Vec<SignalDto>,
    /// When more than one person is plausible: up to 5, best first, `customer_ref`
    /// first; the recommendation is then `confirm`. Empty otherwise.
    pub candidates: Vec<CandidateDto>,
    /// Risks seen: `spoof_suspected` (the attestation failed), `attestation_downgrade`
    /// (weaker than the number's usual attestation), `possibly_recycled` (a mobile
    /// dormant past the tenant's limit), `external_id_mismatch` (an external id other
    /// than the one the number's known person holds in that namespace).
    pub risk: Vec<&'static str>,
    /// The chance, 0 to 1, that `customer_ref` is the caller: calibrated from the
    /// tenant's own confirmed calls once it has them, from a documented default table
    /// before; 0 when nobody known matched. Threshold this, not `confidence`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// Present when the number is shared by more known people than `candidates` can
    /// hold: ask the caller for an identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared_line: Option<SharedLineDto>,
}

/// A number shared by more known people than can be offered.
#[derive(Debug, Serialize, ToSchema)]
pub struct SharedLineDto {
    /// Known people on the number.
    pub known_people: u32,
    /// Of whom offered in `candidates` (the most likely, by recency and frequency).
    pub offered: u32,
}

/// One source's part of the confidence.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignalDto {
    /// As in `sources` (`ani:mobile`...).
    pub source: String,
    /// Its weight.
    pub weight: f64,
}

/// A person the caller may be.
#[derive(Debug, Serialize, ToSchema)]
pub struct CandidateDto {
    /// Who.
    pub customer_ref: String,
    /// How sure we would be if it were them.
    pub confidence: f64,
    /// Their latest call, or when they were linked to the hint (RFC 3339).
    pub last_seen: String,
    /// Something to ask them about (their latest open intent), or null.
    pub hint: Option<String>,
}

impl IdentityDto {
    fn of(confidence: Confidence, sources: Vec<String>, explanation: Explanation) -> Self {
        let candidates_offered = explanation.candidates.len();
        Self {
            confidence: confidence.as_f64(),
            level: confidence.level().as_str(),
            sources,
            recommendation: explanation.recommendation.as_str(),
            signals: explanation
                .signals
                .into_iter()
                .map(|s| SignalDto {
                    source: s.source,
                    weight: s.weight,
                })
                .collect(),
            candidates: explanation
                .candidates
                .into_iter()
                .map(|o| CandidateDto {
                    customer_ref: o.customer.to_string(),
                    confidence: o.confidence.as_f64(),
                    last_seen: o.last_seen.to_string(),
                    hint: o.hint,
                })
                .collect(),
            risk: explanation.risk.iter().map(|r| r.as_str()).collect(),
            probability: explanation.probability,
            shared_line: explanation.shared_line.map(|people| SharedLineDto {
                known_people: people,
                offered: u32::try_from(candidates_offered).unwrap_or(u32::MAX),
            }),
        }
    }
}

/// An open intent.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpenIntentDto {
    /// Its name.
    pub intent: String,
    /// Always `open`.
    pub status: &'static str,
    /// Calls about it so far.
    pub attempt_count: u32,
    /// First call about it.
    pub first_seen: String,
    /// Latest call about it.
    pub last_seen: String,
}

impl From<OpenIntent> for OpenIntentDto {
    fn from(i: OpenIntent) -> Self {
        Self {
            intent: i.name.as_str().to_owned(),
            status: "open",
            attempt_count: i.attempt_count,
            first_seen: i.first_seen.to_string(),
            last_seen: i.last_seen.to_string(),
        }
    }
}

/// A saved variable.
#[derive(Serialize, ToSchema)]
pub struct VariableDto {
    /// Its value, as text.
    pub value: String,
    /// Who wrote it.
    pub source: Option<String>,
    /// The TTL it was written with.
    pub ttl_seconds: u32,
    /// When it stops being returned.
    pub expires_at: String,
}

impl From<StoredVariable> for VariableDto {
    fn from(v: StoredVariable) -> Self {
        Self {
            value: v.value,
            source: v.source,
            ttl_seconds: v.ttl.seconds(),
            expires_at: v.expires_at.to_string(),
        }
    }
}

/// The answer to `POST /v1/calls/start`.
#[derive(Serialize, ToSchema)]
pub struct StartResponse {
    /// Your id for the call.
    pub call_id: String,
    /// Who we think is calling (a new caller gets a new reference).
    pub customer_ref: String,
    /// When the call started (RFC 3339, UTC, milliseconds).
    pub call_start: String,
    /// The identity decision.
    pub identity: IdentityDto,
    /// Open intents, newest first.
    pub open_intents: Vec<OpenIntentDto>,
    /// Live variables by key.
    pub variables: BTreeMap<String, VariableDto>,
    /// Whether this start cost a credit.
    pub billable: bool,
}

impl From<StartOutcome> for StartResponse {
    fn from(o: StartOutcome) -> Self {
        Self {
            identity: IdentityDto::of(o.confidence, o.sources, o.explanation),
            call_id: o.call_id.to_string(),
            customer_ref: o.customer_ref.to_string(),
            call_start: o.call_start.to_string(),
            open_intents: o.open_intents.into_iter().map(Into::into).collect(),
            variables: o
                .variables
                .into_iter()
                .map(|(k, v)| (k, v.into()))
                .collect(),
            billable: o.billable,
        }
    }
}

/// The answer to `POST /v1/calls/end`.
#[derive(Serialize, ToSchema)]
pub struct EndResponse {
    /// Your id for the call.
    pub call_id: String,
    /// Who the call is attributed to.
    pub customer_ref: String,
    /// When it ended.
    pub call_end: String,
    /// When it started.
    pub call_start: String,
    /// Whole seconds between the two.
    pub duration_seconds: i64,
    /// Intents created, counted or closed.
    pub intents_updated: u32,
    /// Variables set or deleted.
    pub variables_updated: u32,
}

impl From<EndOutcome> for EndResponse {
    fn from(o: EndOutcome) -> Self {
        Self {
            call_id: o.call_id.to_string(),
            customer_ref: o.customer_ref.to_string(),
            call_end: o.call_end.to_string(),
            call_start: o.call_start.to_string(),
            duration_seconds: o.duration_seconds,
            intents_updated: o.intents_updated,
            variables_updated: o.variables_updated,
        }
    }
}

/// `GET /v1/health`.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    /// `healthy` or `unhealthy`.
    pub status: &'static str,
}

/// `GET /v1/account`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountResponse {
    /// The account.
    pub account_id: String,
    /// `test` or `prod` (the key's).
    pub environment: &'static str,
    /// `free`, `starter`, `growth`, `scale` or `enterprise`.
    pub plan: String,
    /// False when the operator switched billing off.
    pub billing_enabled: bool,
    /// Credits per monthly period.
    pub allowance: u64,
    /// Used this period.
    pub allowance_used: u64,
    /// Left this period (reset at `period_end`, no rollover).
    pub allowance_left: u64,
    /// Purchased credits left (never expire, spent after the allowance).
    pub top_up_balance: u64,
    /// `allowance_left + top_up_balance`.
    pub credits_remaining: u64,
    /// This period's start.
    pub period_start: String,
    /// This period's end (the next one's start).
    pub period_end: String,
}

/// One day of usage.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayUsageDto {
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    /// Calls started.
    pub calls_started: u64,
    /// Starts answered `reuse`.
    pub matches: u64,
    /// Billable starts.
    pub billable: u64,
    /// Credits spent.
    pub credits_used: u64,
    /// `matches / calls_started`.
    pub match_rate: f64,
    /// Mean confidence of the day's starts.
    pub average_confidence: f64,
    /// Ends that opened an intent or counted an attempt.
    pub intents_opened: u64,
    /// Ends that resolved or closed an intent.
    pub intents_resolved: u64,
}

impl From<stickycalls_domain::credits::DailyUsage> for DayUsageDto {
    fn from(d: stickycalls_domain::credits::DailyUsage) -> Self {
        Self {
            date: d.day.to_string(),
            match_rate: (d.match_rate() * 100.0).round() / 100.0,
            calls_started: d.calls_started,
            matches: d.matches,
            billable: d.billable,
            credits_used: d.credits_used,
            average_confidence: d.average_confidence,
            intents_opened: d.intents_opened,
            intents_resolved: d.intents_resolved,
        }
    }
}

/// `GET /v1/usage?from=YYYY-MM-DD&to=YYYY-MM-DD` (default: the last 30 days).
#[derive(Debug, Serialize, ToSchema)]
pub struct UsageResponse {
    /// `test` or `prod`.
    pub environment: &'static str,
    /// First day.
    pub from: String,
    /// Last day.
    pub to: String,
    /// Days with activity, oldest first.
    pub days: Vec<DayUsageDto>,
}

crate::redact::opaque_debug!(
    IdentityHintsDto,
    StartRequest,
    EndRequest,
    VariableDto,
    StartResponse,
    EndResponse
);
