//! The wire types of `/v1/customers`: a customer's view, its export, a search result.

use std::collections::BTreeMap;

use serde::Serialize;
use stickycalls_domain::calls::CallRecord;
use stickycalls_domain::customers::{CustomerRecord, CustomerView, ExternalIdLink, PhoneLink};
use stickycalls_domain::identity::Ani;
use utoipa::ToSchema;

use crate::dto::{OpenIntentDto, VariableDto};

/// A phone number linked to a customer.
#[derive(Serialize, ToSchema)]
pub struct PhoneDto {
    /// E.164.
    pub number: String,
    /// `mobile`, `landline`, `voip`, `toll_free`, `unknown`, or null.
    pub line_type: Option<&'static str>,
    /// When it was linked.
    pub linked_at: String,
    /// The first time an agent confirmed them on this number, or null.
    pub first_confirmed_at: Option<String>,
    /// The latest time, or null.
    pub last_confirmed_at: Option<String>,
    /// The latest STIR/SHAKEN attestation a confirmed call carried (a call without one
    /// does not erase it), or null.
    pub last_attestation: Option<&'static str>,
}

impl From<PhoneLink> for PhoneDto {
    fn from(p: PhoneLink) -> Self {
        Self {
            number: p.e164.as_e164().to_owned(),
            line_type: p.line_type.map(|l| l.as_str()),
            linked_at: p.linked_at.to_string(),
            first_confirmed_at: p.confirmed.map(|c| c.first_at.to_string()),
            last_confirmed_at: p.confirmed.map(|c| c.last_at.to_string()),
            last_attestation: p.confirmed.and_then(|c| c.attestation).map(|a| a.as_str()),
        }
    }
}

/// An external id linked to a customer.
#[derive(Serialize, ToSchema)]
pub struct ExternalIdDto {
    /// Namespace (`crm`).
    pub namespace: String,
    /// Value.
    pub value: String,
    /// When it was linked.
    pub linked_at: String,
}

impl From<ExternalIdLink> for ExternalIdDto {
    fn from(x: ExternalIdLink) -> Self {
        Self {
            namespace: x.namespace,
            value: x.value,
            linked_at: x.linked_at.to_string(),
        }
    }
}

/// `GET /v1/customers/{customer_ref}`: who they are and their live context. No call is
/// recorded and nothing is charged.
#[derive(Serialize, ToSchema)]
pub struct CustomerDto {
    /// The customer.
    pub customer_ref: String,
    /// When they were first seen.
    pub created_at: String,
    /// Their latest call's start, or null.
    pub last_call_at: Option<String>,
    /// Calls recorded.
    pub total_calls: usize,
    /// Their numbers.
    pub phones: Vec<PhoneDto>,
    /// Their external ids.
    pub external_ids: Vec<ExternalIdDto>,
    /// Open intents, newest first.
    pub open_intents: Vec<OpenIntentDto>,
    /// Live variables by key.
    pub variables: BTreeMap<String, VariableDto>,
}

impl From<CustomerView> for CustomerDto {
    fn from(v: CustomerView) -> Self {
        Self {
            customer_ref: v.customer_ref.as_str().to_owned(),
            created_at: v.created_at.to_string(),
            last_call_at: v.last_call_at.map(|t| t.to_string()),
            total_calls: v.total_calls,
            phones: v.phones.into_iter().map(PhoneDto::from).collect(),
            external_ids: v
                .external_ids
                .into_iter()
                .map(ExternalIdDto::from)
                .collect(),
            open_intents: v
                .context
                .open_intents
                .into_iter()
                .map(OpenIntentDto::from)
                .collect(),
            variables: v
                .context
                .variables
                .into_iter()
                .map(|(k, var)| (k, var.into()))
                .collect(),
        }
    }
}

/// `GET /v1/customers?ani=...` or `?external_id=ns:value`.
#[derive(Serialize, ToSchema)]
pub struct CustomerSearchResponse {
    /// Matching customers, most recently linked first (at most 20).
    pub customers: Vec<CustomerDto>,
}

/// A call as held.
#[derive(Serialize, ToSchema)]
pub struct CallExportDto {
    /// Your id for the call.
    pub call_id: String,
    /// When it started.
    pub started_at: String,
    /// When it ended, or null.
    pub ended_at: Option<String>,
    /// The identity confidence at start.
    pub confidence: f64,
    /// The signals that counted.
    pub sources: Vec<String>,
    /// Whether it cost a credit.
    pub billable: bool,
    /// The caller's number as given (E.164), `withheld`, or null.
    pub ani: Option<String>,
    /// The dialled number.
    pub dnis: Option<String>,
    /// External ids given with the call.
    pub external_ids: BTreeMap<String, String>,
    /// The line type seen.
    pub line_type: Option<&'static str>,
    /// The STIR/SHAKEN attestation the start carried.
    pub attestation: Option<&'static str>,
    /// What the start recommended (`reuse`, `confirm`, `ignore`).
    pub recommendation: &'static str,
    /// The risks the start saw.
    pub risk: Vec<&'static str>,
    /// The intent the end named, with its status.
    pub intent: Option<String>,
    /// `open` or `resolved`.
    pub intent_status: Option<String>,
}

impl From<CallRecord> for CallExportDto {
    fn from(c: CallRecord) -> Self {
        let ended = c.ended.as_ref();
        Self {
            call_id: c.call_id.as_str().to_owned(),
            started_at: c.started_at.to_string(),
            ended_at: ended.map(|e| e.ended_at.to_string()),
            confidence: c.confidence.as_f64(),
            sources: c.sources,
            billable: c.billable,
            ani: match &c.hints.ani {
                Some(Ani::Number(n)) => Some(n.as_e164().to_owned()),
                Some(Ani::Withheld) => Some("withheld".to_owned()),
                None => None,
            },
            dnis: c.hints.dnis,
            external_ids: c.hints.external_ids,
            line_type: c.line_type.map(|l| l.as_str()),
            attestation: c.attestation.map(|a| a.as_str()),
            recommendation: c.explanation.recommendation.as_str(),
            risk: c.explanation.risk.iter().map(|r| r.as_str()).collect(),
            intent: ended.and_then(|e| e.intent.as_ref().map(|(n, _)| n.clone())),
            intent_status: ended.and_then(|e| e.intent.as_ref().map(|(_, s)| s.clone())),
        }
    }
}

/// `GET /v1/customers/{customer_ref}/export`: everything held on the customer,
/// expired variables and intents not yet purged included.
#[derive(Serialize, ToSchema)]
pub struct CustomerExport {
    /// The customer.
    pub customer_ref: String,
    /// When this export was made.
    pub exported_at: String,
    /// When they were first seen.
    pub created_at: String,
    /// Their numbers.
    pub phones: Vec<PhoneDto>,
    /// Their external ids.
    pub external_ids: Vec<ExternalIdDto>,
    /// Every variable held, live or expired.
    pub variables: BTreeMap<String, VariableDto>,
    /// Every intent held.
    pub intents: Vec<OpenIntentDto>,
    /// Every call, oldest first.
    pub calls: Vec<CallExportDto>,
}

impl CustomerExport {
    /// The export of `record`, made at `exported_at`.
    pub fn new(record: CustomerRecord, exported_at: String) -> Self {
        Self {
            customer_ref: record.customer_ref.as_str().to_owned(),
            exported_at,
            created_at: record.created_at.to_string(),
            phones: record.phones.into_iter().map(PhoneDto::from).collect(),
            external_ids: record
                .external_ids
                .into_iter()
                .map(ExternalIdDto::from)
                .collect(),
            variables: record
                .variables
                .into_iter()
                .map(|(k, v)| (k, v.into()))
                .collect(),
            intents: record
                .intents
                .into_iter()
                .map(OpenIntentDto::from)
                .collect(),
            calls: record.calls.into_iter().map(CallExportDto::from).collect(),
        }
    }
}

/// The answer to `PUT /v1/customers/{customer_ref}/variables/{key}`.
#[derive(Serialize, ToSchema)]
pub struct VariableWritten {
    /// The key.
    pub key: String,
    /// The variable as stored.
    #[serde(flatten)]
    pub variable: VariableDto,
}

crate::redact::opaque_debug!(
    PhoneDto,
    ExternalIdDto,
    CustomerDto,
    CustomerSearchResponse,
    CallExportDto,
    CustomerExport,
    VariableWritten
);
