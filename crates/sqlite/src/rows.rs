//! Rows as SQLite holds them, and their conversion to and from domain values.

use diesel::QueryResult;
use std::collections::BTreeMap;

use diesel::{Insertable, Queryable, Selectable};
use stickycalls_domain::Timestamp;
use stickycalls_domain::calls::{CallId, CallRecord, Fingerprint, StoredEnd};
use stickycalls_domain::identity::{
    Ani, Attestation, Confidence, Confirmed, CustomerRef, Explanation, IdentityHints, LineType,
};

pub(crate) fn ms(at: Timestamp) -> i64 {
    at.unix_millis()
}

/// A phone link's stored confirmation ([`Confirmed::from_stored`]); an attestation that
/// does not read back is corruption.
pub(crate) fn confirmed_of(
    first: Option<i64>, last: Option<i64>, attestation: Option<&str>, unattested: Option<i64>,
    attested_run: i32,
) -> QueryResult<Option<Confirmed>> {
    let run = u32::try_from(attested_run).unwrap_or(0);
    Confirmed::from_stored(
        first.map(at),
        last.map(at),
        attestation,
        unattested.map(at),
        run,
    )
    .map_err(|e| {
        diesel::result::Error::DeserializationError(
            format!("customer_phones.last_attestation: {e}").into(),
        )
    })
}

pub(crate) fn at(millis: i64) -> Timestamp {
    Timestamp::from_unix_millis(millis)
        .unwrap_or_else(|| Timestamp::new(time::OffsetDateTime::UNIX_EPOCH))
}

/// A stored value that does not read back: corruption, reported with where it is.
pub(crate) fn corrupt(column: &str, row: &str, e: impl std::fmt::Display) -> diesel::result::Error {
    diesel::result::Error::DeserializationError(format!("{column} of `{row}`: {e}").into())
}

pub(crate) fn line_type_of(text: Option<&str>) -> Option<LineType> {
    text.and_then(|t| t.parse().ok())
}

/// A row of `calls` (its tenant aside).
#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::schema::calls, check_for_backend(diesel::sqlite::Sqlite))]
pub(crate) struct CallRow {
    pub call_id: String,
    pub customer_ref: String,
    pub started_at: i64,
    pub start_fingerprint: String,
    pub confidence: i16,
    pub sources: String,
    pub billable: bool,
    pub provisional: bool,
    pub ani: Option<String>,
    pub ani_withheld: bool,
    pub dnis: Option<String>,
    pub external_ids: String,
    pub hint_customer_ref: Option<String>,
    pub line_type: Option<String>,
    pub ended_at: Option<i64>,
    pub end_fingerprint: Option<String>,
    pub intents_updated: Option<i32>,
    pub variables_updated: Option<i32>,
    pub intent: Option<String>,
    pub intent_status: Option<String>,
    pub explanation: Option<String>,
    pub attestation: Option<String>,
    pub verdict: Option<String>,
    pub hints_sealed: Option<String>,
}

impl CallRow {
    pub fn new(call: &CallRecord) -> Self {
        let hints = &call.hints;
        let ended = call.ended.as_ref();
        Self {
            call_id: call.call_id.as_str().to_owned(),
            customer_ref: call.customer.as_str().to_owned(),
            started_at: ms(call.started_at),
            start_fingerprint: call.start_fingerprint.as_str().to_owned(),
            confidence: i16::from(call.confidence.hundredths()),
            sources: serde_json::to_string(&call.sources).unwrap_or_else(|_| "[]".into()),
            billable: call.billable,
            provisional: call.provisional,
            ani: hints.phone().map(|p| p.as_e164().to_owned()),
            ani_withheld: matches!(hints.ani, Some(Ani::Withheld)),
            dnis: hints.dnis.clone(),
            external_ids: serde_json::to_string(&hints.external_ids)
                .unwrap_or_else(|_| "{}".into()),
            hint_customer_ref: hints.customer_ref.as_ref().map(|c| c.as_str().to_owned()),
            line_type: call.line_type.map(|l| l.as_str().to_owned()),
            ended_at: ended.map(|e| ms(e.ended_at)),
            end_fingerprint: ended.map(|e| e.fingerprint.as_str().to_owned()),
            intents_updated: ended.map(|e| e.intents_updated as i32),
            variables_updated: ended.map(|e| e.variables_updated as i32),
            intent: ended.and_then(|e| e.intent.as_ref().map(|(n, _)| n.clone())),
            intent_status: ended.and_then(|e| e.intent.as_ref().map(|(_, s)| s.clone())),
            explanation: serde_json::to_string(&call.explanation).ok(),
            attestation: call.attestation.map(|a| a.as_str().to_owned()),
            verdict: ended.and_then(|e| e.verdict).map(|v| v.code()),
            hints_sealed: call.sealed_hints.clone(),
        }
    }

    /// The call as the domain knows it. Stored external ids or sources that do not
    /// read back are corruption: an error, never an empty value.
    pub fn into_record(self) -> QueryResult<CallRecord> {
        let ani = Ani::from_stored(self.ani, self.ani_withheld);
        let corrupt = |column: &str, e: serde_json::Error| {
            diesel::result::Error::DeserializationError(
                format!("calls.{column} of `{}`: {e}", self.call_id).into(),
            )
        };
        let external_ids: BTreeMap<String, String> =
            serde_json::from_str(&self.external_ids).map_err(|e| corrupt("external_ids", e))?;
        let sources: Vec<String> =
            serde_json::from_str(&self.sources).map_err(|e| corrupt("sources", e))?;
        let confidence = Confidence::from_hundredths(self.confidence.clamp(0, 100) as u8);
        let explanation = match self.explanation.as_deref() {
            None => Explanation::recorded_without(confidence),
            Some(text) => serde_json::from_str(text).map_err(|e| corrupt("explanation", e))?,
        };
        let attestation = Attestation::from_stored(self.attestation.as_deref()).map_err(|e| {
            diesel::result::Error::DeserializationError(
                format!("calls.attestation of `{}`: {e}", self.call_id).into(),
            )
        })?;
        let ended = StoredEnd {
            ended_at: self.ended_at.map(at),
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
            started_at: at(self.started_at),
            start_fingerprint: Fingerprint::from_trusted(self.start_fingerprint),
            confidence,
            sources,
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

/// The row of a query whose filter names a unique key, if any. Not diesel's `.first()`:
/// its `LIMIT` is a bound parameter, and SQLite reads a bound `LIMIT` while planning, so
/// a statement with one is planned again every time it runs (diesel binds it anew):
/// 14 % of the server's CPU per start in a profile.
pub(crate) fn unique<'q, T, Q>(query: Q, c: &mut diesel::SqliteConnection) -> QueryResult<Option<T>>
where
    Q: diesel::query_dsl::LoadQuery<'q, diesel::SqliteConnection, T>,
{
    let mut rows = diesel::RunQueryDsl::load_iter(query, c)?;
    rows.next().transpose()
}
