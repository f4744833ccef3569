//! What the use cases answer.

use std::collections::BTreeMap;

use crate::identity::{Confidence, CustomerRef, Explanation, Level, Recommendation};
use crate::intents::OpenIntent;
use crate::timestamp::Timestamp;
use crate::variables::StoredVariable;

use super::record::CallId;

/// The answer to `calls/start`.
#[derive(Debug, Clone, PartialEq)]
pub struct StartOutcome {
    /// The client's call id.
    pub call_id: CallId,
    /// Who we think is calling (new customers get a fresh reference).
    pub customer_ref: CustomerRef,
    /// When the call started.
    pub call_start: Timestamp,
    /// How sure we are.
    pub confidence: Confidence,
    /// The signals behind it.
    pub sources: Vec<String>,
    /// The recommendation, each signal's weight, the plausible people and the risks.
    pub explanation: Explanation,
    /// Their open intents, newest first (empty for a new caller).
    pub open_intents: Vec<OpenIntent>,
    /// Their live variables (empty for a new caller).
    pub variables: BTreeMap<String, StoredVariable>,
    /// Whether this start cost a credit.
    pub billable: bool,
    /// This is the stored answer to an earlier identical request.
    pub replayed: bool,
    /// Credits left after this start, when billing is on (not on replays).
    pub credits_remaining: Option<u64>,
}

impl StartOutcome {
    /// The confidence level.
    pub fn level(&self) -> Level {
        self.confidence.level()
    }

    /// The recommendation, after the tenant's thresholds and the policy's caps.
    pub fn recommendation(&self) -> Recommendation {
        self.explanation.recommendation
    }
}

/// The answer to `calls/end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndOutcome {
    /// The client's call id.
    pub call_id: CallId,
    /// Who the call is attributed to.
    pub customer_ref: CustomerRef,
    /// When the call started.
    pub call_start: Timestamp,
    /// When it ended.
    pub call_end: Timestamp,
    /// Whole seconds between the two.
    pub duration_seconds: i64,
    /// Intents created, counted or closed.
    pub intents_updated: u32,
    /// Variables set or deleted.
    pub variables_updated: u32,
    /// This is the stored answer to an earlier identical request.
    pub replayed: bool,
}
