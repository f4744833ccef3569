//! A call as stored: what the start decided and, once ended, what the end said.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::error::ValidationError;
use crate::identity::{
    Attestation, Confidence, CustomerRef, Explanation, IdentityHints, JudgedCalls, LineType,
    Verdict,
};
use crate::timestamp::Timestamp;

/// The client's id for a call: 1 to 128 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CallId(String);

impl CallId {
    /// Longest id.
    pub const MAX_LEN: usize = 128;

    /// Validates a client's call id.
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let len = text.chars().count();
        if len == 0 || len > Self::MAX_LEN || text.chars().any(char::is_control) {
            return Err(ValidationError::invalid(
                "call_id",
                "must be 1 to 128 characters, without control characters",
            ));
        }
        Ok(Self(text.to_owned()))
    }

    /// Rebuilds an id read back from storage.
    pub fn from_trusted(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `value` as JSON text with every object's keys sorted (byte order), whatever order the
/// value holds them in: serde_json keeps insertion order when any crate of the build
/// turns on its `preserve_order` feature (rmcp-actix-web does), and a digest of a
/// request must not change with that, nor with the order a client wrote its keys in.
pub fn canonical_json(value: &serde_json::Value) -> String {
    fn sorted(value: &serde_json::Value) -> serde_json::Value {
        match value {
            serde_json::Value::Object(map) => {
                let mut entries: Vec<(&String, &serde_json::Value)> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                serde_json::Value::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k.clone(), sorted(v)))
                        .collect(),
                )
            }
            serde_json::Value::Array(items) => {
                serde_json::Value::Array(items.iter().map(sorted).collect())
            }
            other => other.clone(),
        }
    }
    sorted(value).to_string()
}

/// A digest of a request's meaning (after normalisation), to tell a retry of the same
/// request from a different request that reuses its id. `Debug` does not show it: it
/// is an unkeyed hash of a body that may hold a phone number.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint(String);

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Fingerprint(..)")
    }
}

impl Fingerprint {
    /// The digest of a canonical text.
    pub fn of(canonical: &str) -> Self {
        Self(hex::encode(Sha256::digest(canonical.as_bytes())))
    }

    /// The digest of a JSON value written with its keys sorted ([`canonical_json`]).
    pub fn of_json(value: &serde_json::Value) -> Self {
        Self::of(&canonical_json(value))
    }

    /// The start fingerprint of a call recorded by a standalone end: no start
    /// request matches it, so a later start with its id is a reuse.
    pub fn standalone() -> Self {
        Self("standalone".to_owned())
    }

    /// Rebuilds a fingerprint read back from storage.
    pub fn from_trusted(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The digest as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A recorded call.
#[derive(Debug, Clone, PartialEq)]
pub struct CallRecord {
    /// The client's id, unique in the tenant.
    pub call_id: CallId,
    /// Who the call is attributed to: the start's choice, then the end's.
    pub customer: CustomerRef,
    /// When it started (for a standalone end: when it ended).
    pub started_at: Timestamp,
    /// The start request's fingerprint.
    pub start_fingerprint: Fingerprint,
    /// The start's identity decision.
    pub confidence: Confidence,
    /// The signals behind it.
    pub sources: Vec<String>,
    /// The start's recommendation, signals' weights, candidates and risks.
    pub explanation: Explanation,
    /// Whether the start was billed.
    pub billable: bool,
    /// The start created `customer` for this call (it may be folded at the end).
    pub provisional: bool,
    /// The start's hints, normalised (linked to the customer at the end). As stored:
    /// the number and external ids are their blind indexes, and `sealed_hints` holds
    /// their values.
    pub hints: IdentityHints,
    /// As stored: the hints' values sealed under the customer's key
    /// ([`crate::protection::seal_hints`]); `None` once opened.
    pub sealed_hints: Option<String>,
    /// The line type the start reported.
    pub line_type: Option<LineType>,
    /// The attestation the start reported.
    pub attestation: Option<Attestation>,
    /// The end, once it happened.
    pub ended: Option<EndRecord>,
}

/// What a call's end recorded, kept to answer its retries identically.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndRecord {
    /// When it ended.
    pub ended_at: Timestamp,
    /// The end request's fingerprint.
    pub fingerprint: Fingerprint,
    /// Intents changed.
    pub intents_updated: u32,
    /// Variables set or deleted.
    pub variables_updated: u32,
    /// The intent named by the end and its status (`open`, `resolved`...), for usage
    /// statistics.
    pub intent: Option<(String, String)>,
    /// What the end said about the start's decision, when it named or confirmed the
    /// customer (for calibration).
    pub verdict: Option<Verdict>,
}

/// A call's end as a store keeps it: every column may be empty (a call not ended yet).
#[derive(Debug, Clone, Default)]
pub struct StoredEnd {
    /// `ended_at`.
    pub ended_at: Option<Timestamp>,
    /// `end_fingerprint`.
    pub fingerprint: Option<String>,
    /// `intents_updated`.
    pub intents_updated: Option<i32>,
    /// `variables_updated`.
    pub variables_updated: Option<i32>,
    /// `intent`.
    pub intent: Option<String>,
    /// `intent_status`.
    pub intent_status: Option<String>,
    /// `verdict` ([`Verdict::code`]).
    pub verdict: Option<String>,
}

impl StoredEnd {
    /// The end, when the call has one (an end instant and its fingerprint).
    pub fn into_end(self) -> Option<EndRecord> {
        let count = |n: Option<i32>| u32::try_from(n.unwrap_or(0)).unwrap_or(0);
        match (self.ended_at, self.fingerprint) {
            (Some(ended_at), Some(fingerprint)) => Some(EndRecord {
                ended_at,
                fingerprint: Fingerprint::from_trusted(fingerprint),
                intents_updated: count(self.intents_updated),
                variables_updated: count(self.variables_updated),
                intent: self.intent.zip(self.intent_status),
                verdict: self.verdict.and_then(|code| Verdict::from_code(&code).ok()),
            }),
            _ => None,
        }
    }
}

/// Counts calls started at or after `since` (and before `until`, if given) by start
/// confidence, sources and verdict, as [`crate::ports::IdentityStore::judged_calls`]
/// answers (for a store that reads whole records). Standalone ends decided nothing and are left out.
pub fn judge_calls<'a>(
    records: impl IntoIterator<Item = &'a CallRecord>, since: Timestamp, until: Option<Timestamp>,
) -> Vec<JudgedCalls> {
    let standalone = Fingerprint::standalone();
    let judged = records.into_iter().filter(|call| {
        let after = until.is_some_and(|until| call.started_at >= until);
        call.started_at >= since && !after && call.start_fingerprint != standalone
    });
    crate::usage::rollup::regroup(judged.map(|call| JudgedCalls {
        confidence: call.confidence,
        sources: call.sources.clone(),
        verdict: call.ended.as_ref().and_then(|e| e.verdict),
        calls: 1,
    }))
}
