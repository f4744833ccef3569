//! Rows as stored, and their conversion to and from domain values.

use std::collections::BTreeMap;

use diesel::prelude::*;
use stickycalls_domain::Timestamp;
use stickycalls_domain::calls::{CallId, CallRecord, Fingerprint, StoredEnd};
use stickycalls_domain::identity::{
    Ani, Attestation, Confidence, Confirmed, CustomerRef, Explanation, IdentityHints, LineType,
};
use stickycalls_domain::intents::{IntentName, OpenIntent};
use stickycalls_domain::variables::{StoredVariable, Ttl};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::schema::{calls, intents, variables};

/// A row of `calls`.
#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = calls, check_for_backend(diesel::pg::Pg))]
pub(crate) struct CallRow {
    pub tenant_id: Uuid,
    pub call_id: String,
    pub customer_ref: String,
    pub started_at: OffsetDateTime,
    pub start_fingerprint: String,
    pub confidence: i16,
    pub sources: Vec<Option<String>>,
    pub billable: bool,
    pub provisional: bool,
    pub ani: Option<String>,
    pub ani_withheld: bool,
    pub dnis: Option<String>,
    pub external_ids: serde_json::Value,
    pub hint_customer_ref: Option<String>,
    pub line_type: Option<String>,
    pub ended_at: Option<OffsetDateTime>,
    pub end_fingerprint: Option<String>,
    pub intents_updated: Option<i32>,
    pub variables_updated: Option<i32>,
    pub intent: Option<String>,
    pub intent_status: Option<String>,
    pub explanation: Option<serde_json::Value>,
    pub attestation: Option<String>,
    pub verdict: Option<String>,
    pub hints_sealed: Option<String>,
}

pub(crate) fn line_type_text(line_type: Option<LineType>) -> Option<String> {
    line_type.map(|l| l.as_str().to_owned())
}

/// A phone link's stored confirmation ([`Confirmed::from_stored`]); an attestation that
/// does not read back is corruption.
pub(crate) fn confirmed_of(
    first: Option<OffsetDateTime>, last: Option<OffsetDateTime>, attestation: Option<&str>,
    unattested: Option<OffsetDateTime>, attested_run: i32,
) -> QueryResult<Option<Confirmed>> {
    Confirmed::from_stored(
        first.map(Timestamp::new),
        last.map(Timestamp::new),
        attestation,
        unattested.map(Timestamp::new),
        u32::try_from(attested_run).unwrap_or(0),
    )
    .map_err(|e| {
        diesel::result::Error::DeserializationError(
            format!("customer_phones.last_attestation: {e}").into(),
        )
    })
}

pub(crate) fn line_type_of(text: Option<&str>) -> Option<LineType> {
    text.and_then(|t| t.parse().ok())
}

fn count(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

impl CallRow {
    pub fn new(tenant: Uuid, call: &CallRecord) -> Self {
        let hints = &call.hints;
        let ended = call.ended.as_ref();
        Self {
            tenant_id: tenant,
            call_id: call.call_id.as_str().to_owned(),
            customer_ref: call.customer.as_str().to_owned(),
            started_at: call.started_at.get(),
            start_fingerprint: call.start_fingerprint.as_str().to_owned(),
            confidence: i16::from(call.confidence.hundredths()),
            sources: call.sources.iter().cloned().map(Some).collect(),
            billable: call.billable,
            provisional: call.provisional,
            ani: hints.phone().map(|p| p.as_e164().to_owned()),
            ani_withheld: matches!(hints.ani, Some(Ani::Withheld)),
            dnis: hints.dnis.clone(),
            external_ids: serde_json::to_value(&hints.external_ids).unwrap_or_default(),
            hint_customer_ref: hints.customer_ref.as_ref().map(|c| c.as_str().to_owned()),
            line_type: line_type_text(call.line_type),
            ended_at: ended.map(|e| e.ended_at.get()),
            end_fingerprint: ended.map(|e| e.fingerprint.as_str().to_owned()),
            intents_updated: ended.map(|e| count(e.intents_updated)),
            variables_updated: ended.map(|e| count(e.variables_updated)),
            intent: ended.and_then(|e| e.intent.as_ref().map(|(name, _)| name.clone())),
            intent_status: ended.and_then(|e| e.intent.as_ref().map(|(_, status)| status.clone())),
            explanation: serde_json::to_value(&call.explanation).ok(),
            attestation: call.attestation.map(|a| a.as_str().to_owned()),
            verdict: ended.and_then(|e| e.verdict).map(|v| v.code()),
            hints_sealed: call.sealed_hints.clone(),
        }
    }

    /// The call as the domain knows it. Stored external ids that do not read back as
    /// a map of strings are corruption: an error, never an empty map.
    pub fn into_record(self) -> QueryResult<CallRecord> {
        let ani = Ani::from_stored(self.ani, self.ani_withheld);
        let external_ids: BTreeMap<String, String> = serde_json::from_value(self.external_ids)
            .map_err(|e| {
                diesel::result::Error::DeserializationError(
                    format!("calls.external_ids of `{}`: {e}", self.call_id).into(),
                )
            })?;
        let confidence = Confidence::from_hundredths(self.confidence.clamp(0, 100) as u8);
        let explanation = match self.explanation {
            None => Explanation::recorded_without(confidence),
            Some(value) => serde_json::from_value(value).map_err(|e| {
                diesel::result::Error::DeserializationError(
                    format!("calls.explanation of `{}`: {e}", self.call_id).into(),
                )
            })?,
        };
        let attestation = Attestation::from_stored(self.attestation.as_deref()).map_err(|e| {
            diesel::result::Error::DeserializationError(
                format!("calls.attestation of `{}`: {e}", self.call_id).into(),
            )
        })?;
        let ended = StoredEnd {
            ended_at: self.ended_at.map(Timestamp::new),
            fingerprint: self.end_fingerprint,
            intents_updated: self.intents_updated,
            variables_updated: self.variables_updated,
            intent: self.intent,
            intent_status: self.intent_status,
            verdict: self.verdict,
        }
        .into_end();
        Ok(CallRecord {
            call_id: CallId::from_trusted(self.call_id),
            customer: CustomerRef::from_trusted(self.customer_ref),
            started_at: Timestamp::new(self.started_at),
            start_fingerprint: Fingerprint::from_trusted(self.start_fingerprint),
            confidence,
            sources: self.sources.into_iter().flatten().collect(),
            explanation,
            billable: self.billable,
            provisional: self.provisional,
            hints: IdentityHints {
                ani,
                dnis: self.dnis,
                external_ids,
                customer_ref: self.hint_customer_ref.map(CustomerRef::from_trusted),
            },
            sealed_hints: self.hints_sealed,
            line_type: line_type_of(self.line_type.as_deref()),
            attestation,
            ended,
        })
    }
}

/// A row of `intents` (open intents only).
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = intents, check_for_backend(diesel::pg::Pg))]
pub(crate) struct IntentRow {
    pub name: String,
    pub attempt_count: i32,
    pub first_seen: OffsetDateTime,
    pub last_seen: OffsetDateTime,
}

impl IntentRow {
    pub fn into_domain(self) -> OpenIntent {
        OpenIntent {
            name: IntentName::from_trusted(self.name),
            attempt_count: self.attempt_count.max(1) as u32,
            first_seen: Timestamp::new(self.first_seen),
            last_seen: Timestamp::new(self.last_seen),
        }
    }
}

/// A row of `variables`.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = variables, check_for_backend(diesel::pg::Pg))]
pub(crate) struct VariableRow {
    pub key: String,
    pub value: String,
    pub source: Option<String>,
    pub ttl_seconds: i32,
    pub expires_at: OffsetDateTime,
}

impl VariableRow {
    pub fn into_domain(self) -> (String, StoredVariable) {
        let ttl = Ttl::from_seconds(self.ttl_seconds.max(0) as u64).unwrap_or(Ttl::DEFAULT);
        (
            self.key,
            StoredVariable {
                value: self.value,
                source: self.source,
                ttl,
                expires_at: Timestamp::new(self.expires_at),
            },
        )
    }
}
