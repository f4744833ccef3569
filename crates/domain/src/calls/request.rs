//! The two requests, as sent and as validated. Validation collects every issue and
//! happens before any port is called.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::record::{CallId, Fingerprint};
use crate::error::{Issues, ValidationError};
use crate::identity::{
    Ani, Attestation, Carrier, CustomerRef, IdentityHints, LineType, RawHints, Telco,
};
use crate::intents::{IntentName, IntentStatus};
use crate::tenant::TenantPolicy;
use crate::text::given;
use crate::timestamp::Timestamp;
use crate::variables::{VariableWrite, parse_variables};

/// `telco` as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct RawTelco {
    /// `mobile`, `landline`, `voip`, `toll_free` or `unknown`.
    pub line_type: Option<String>,
    /// STIR/SHAKEN: `A`, `B`, `C`, `failed`, `none` or a platform's verstat.
    pub attestation: Option<String>,
    /// Bandwidth's `attestationIndicator` (A, B or C): the level of a bare
    /// `TN-Validation-Passed`.
    pub attestation_indicator: Option<String>,
    /// The carrier that verified the call (`telnyx`, `bandwidth`, `twilio`; others are
    /// ignored): decides what a bare `TN-Validation-Passed` means.
    pub carrier: Option<String>,
}

/// A `calls/start` body as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct RawStartCall {
    /// Required.
    pub call_id: Option<String>,
    /// What we know of the caller.
    pub identity_hints: Option<RawHints>,
    /// Telco data.
    pub telco: Option<RawTelco>,
}

/// A validated `calls/start`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartCall {
    /// The client's id for the call.
    pub call_id: CallId,
    /// Validated hints.
    pub hints: IdentityHints,
    /// Telco data, if sent.
    pub telco: Telco,
}

fn parse_call_id(raw: Option<&str>, issues: &mut Issues) -> Option<CallId> {
    match raw {
        Some(text) => issues.take(CallId::parse(text)),
        None => {
            issues.push(ValidationError::invalid("call_id", "is required"));
            None
        }
    }
}

/// Reads `telco`. The line type is validated; the attestation never refuses a call (a
/// value nobody documents reads as not attested). The carrier is the request's, else
/// the tenant's.
fn parse_telco(raw: Option<RawTelco>, policy: &TenantPolicy, issues: &mut Issues) -> Telco {
    let raw = raw.unwrap_or_default();
    let carrier = given(raw.carrier.as_deref())
        .and_then(Carrier::parse)
        .or(policy.identity.attestation.carrier);
    let read = Attestation::read(
        raw.attestation.as_deref(),
        raw.attestation_indicator.as_deref(),
        carrier,
    );
    Telco {
        line_type: raw
            .line_type
            .and_then(|text| issues.take(text.parse::<LineType>())),
        attestation: read.level,
        attestation_unrecognized: read.unrecognized,
    }
}

/// What makes two requests' telco data the same: the line type, and the attestation
/// level read (only when sent, so calls started before attestation was read keep
/// their fingerprints), flagged when it was not a documented value.
fn canonical_telco(canonical: &mut Value, telco: &Telco) {
    canonical["line_type"] = json!(telco.line_type.map(LineType::as_str));
    if let Some(attestation) = telco.attestation {
        canonical["attestation"] = json!(attestation.as_str());
    }
    if telco.attestation_unrecognized {
        canonical["attestation_unrecognized"] = json!(true);
    }
}

impl StartCall {
    /// Validates a start.
    pub fn parse(raw: RawStartCall, policy: &TenantPolicy) -> Result<Self, ValidationError> {
        let mut issues = Issues::default();
        let call_id = parse_call_id(raw.call_id.as_deref(), &mut issues);
        let hints = issues.take(IdentityHints::parse(
            raw.identity_hints.unwrap_or_default(),
            &policy.ani,
            "identity_hints",
        ));
        let telco = parse_telco(raw.telco, policy, &mut issues);
        issues.finish()?;
        let (Some(call_id), Some(hints)) = (call_id, hints) else {
            return Err(ValidationError::invalid("call_id", "is required"));
        };
        Ok(Self {
            call_id,
            hints,
            telco,
        })
    }

    /// What makes two starts the same request.
    pub fn fingerprint(&self) -> Fingerprint {
        let mut canonical = json!({
            "call_id": self.call_id.as_str(),
            "hints": canonical_hints(&self.hints),
        });
        canonical_telco(&mut canonical, &self.telco);
        Fingerprint::of_json(&canonical)
    }
}

fn canonical_hints(hints: &IdentityHints) -> Value {
    json!({
        "ani": match &hints.ani {
            None => Value::Null,
            Some(Ani::Withheld) => json!("withheld"),
            Some(Ani::Number(n)) => json!(n.as_e164()),
        },
        "dnis": hints.dnis,
        "external_ids": hints.external_ids,
        "customer_ref": hints.customer_ref.as_ref().map(CustomerRef::as_str),
    })
}

/// A `calls/end` body as sent. `Debug` shows variable keys, not their values.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
pub struct RawEndCall {
    /// Required.
    pub call_id: Option<String>,
    /// Who the call was with; defaults to the start's customer.
    pub customer_ref: Option<String>,
    /// What the call was about.
    pub intent: Option<String>,
    /// `open`, `resolved`, `closed` or `abandoned`.
    pub intent_status: Option<String>,
    /// Alias of `intent_status` from the best-practices guide.
    pub intent_is_open: Option<bool>,
    /// Variables to set (`null` deletes).
    pub variables: Option<Map<String, Value>>,
    /// Hints learnt during the call (or, for a standalone end, the only ones).
    pub identity_hints: Option<RawHints>,
    /// Telco data.
    pub telco: Option<RawTelco>,
}

impl std::fmt::Debug for RawEndCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let variables = self
            .variables
            .as_ref()
            .map(|v| v.keys().collect::<Vec<_>>());
        f.debug_struct("RawEndCall")
            .field("call_id", &self.call_id)
            .field("customer_ref", &crate::redact::opt(&self.customer_ref))
            .field("intent", &self.intent)
            .field("intent_status", &self.intent_status)
            .field("intent_is_open", &self.intent_is_open)
            .field("variable_keys", &variables)
            .field("identity_hints", &self.identity_hints)
            .field("telco", &self.telco)
            .finish()
    }
}

/// A validated `calls/end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndCall {
    /// The client's id for the call.
    pub call_id: CallId,
    /// The customer the client names, if any.
    pub customer_ref: Option<CustomerRef>,
    /// The intent and what became of it.
    pub intent: Option<(IntentName, IntentStatus)>,
    /// Variable writes, in key order.
    pub variables: Vec<VariableWrite>,
    /// Hints sent with the end.
    pub hints: Option<IdentityHints>,
    /// Telco data, if sent.
    pub telco: Telco,
    /// What makes two ends the same request.
    pub fingerprint: Fingerprint,
}

impl EndCall {
    /// Validates an end whose variables are written at `now`.
    pub fn parse(
        raw: RawEndCall, policy: &TenantPolicy, now: Timestamp,
    ) -> Result<Self, ValidationError> {
        let mut issues = Issues::default();
        let call_id = parse_call_id(raw.call_id.as_deref(), &mut issues);
        let customer_ref = given(raw.customer_ref.as_deref())
            .and_then(|text| issues.take(CustomerRef::parse(text, "customer_ref")));
        let intent_status = given(raw.intent_status.as_deref());
        let status = issues.take(IntentStatus::from_request(
            intent_status,
            raw.intent_is_open,
        ));
        let intent = match given(raw.intent.as_deref()) {
            Some(text) => issues.take(IntentName::parse(text, "intent")).zip(status),
            None => {
                if intent_status.is_some() || raw.intent_is_open.is_some() {
                    issues.push(ValidationError::invalid(
                        "intent",
                        "is required with intent_status or intent_is_open",
                    ));
                }
                None
            }
        };
        let empty = Map::new();
        let variables = issues
            .take(parse_variables(
                raw.variables.as_ref().unwrap_or(&empty),
                now,
            ))
            .unwrap_or_default();
        let hints = raw
            .identity_hints
            .clone()
            .and_then(|h| issues.take(IdentityHints::parse(h, &policy.ani, "identity_hints")));
        let telco = parse_telco(raw.telco, policy, &mut issues);
        issues.finish()?;
        let Some(call_id) = call_id else {
            return Err(ValidationError::invalid("call_id", "is required"));
        };
        let mut canonical = json!({
            "call_id": call_id.as_str(),
            "customer_ref": customer_ref.as_ref().map(CustomerRef::as_str),
            "intent": intent.as_ref().map(|(name, status)| json!([name.as_str(), status.as_str()])),
            "variables": raw.variables,
            "hints": hints.as_ref().map(canonical_hints),
        });
        canonical_telco(&mut canonical, &telco);
        Ok(Self {
            call_id,
            customer_ref,
            intent,
            variables,
            hints,
            telco,
            fingerprint: Fingerprint::of_json(&canonical),
        })
    }
}
