//! A tenant's settled day as rolled up: the figures a read of that day found (usage,
//! ledger, judged calls), kept as one document so a later read takes them as they are
//! instead of counting the day's calls again. The document's form is written here
//! once, for every store.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::credits::{DailyUsage, LedgerDay};
use crate::identity::{Confidence, JudgedCalls, Verdict};

/// One tenant's figures of one settled day.
#[derive(Debug, Clone, PartialEq)]
pub struct RolledDay {
    /// The day (UTC).
    pub day: Date,
    /// Its usage, if it had any activity.
    pub usage: Option<DailyUsage>,
    /// Its ledger, if it had any line.
    pub ledger: Option<LedgerDay>,
    /// Its starts grouped by confidence, sources and verdict.
    pub judged: Vec<JudgedCalls>,
}

#[derive(Serialize, Deserialize)]
struct Document {
    usage: Option<UsageDoc>,
    ledger: Option<LedgerDoc>,
    /// `[confidence in hundredths, sources, verdict code, calls]`.
    judged: Vec<(u8, Vec<String>, Option<String>, u64)>,
}

#[derive(Serialize, Deserialize)]
struct UsageDoc {
    calls_started: u64,
    matches: u64,
    billable: u64,
    confident: u64,
    credits_used: u64,
    average_confidence: f64,
    intents_opened: u64,
    intents_resolved: u64,
}

#[derive(Serialize, Deserialize)]
struct LedgerDoc {
    granted: u64,
    topped_up: u64,
    debited: u64,
    debits: u64,
}

impl RolledDay {
    /// The document a store keeps for the day.
    pub fn to_json(&self) -> String {
        let document = Document {
            usage: self.usage.as_ref().map(|u| UsageDoc {
                calls_started: u.calls_started,
                matches: u.matches,
                billable: u.billable,
                confident: u.confident,
                credits_used: u.credits_used,
                average_confidence: u.average_confidence,
                intents_opened: u.intents_opened,
                intents_resolved: u.intents_resolved,
            }),
            ledger: self.ledger.map(|l| LedgerDoc {
                granted: l.granted,
                topped_up: l.topped_up,
                debited: l.debited,
                debits: l.debits,
            }),
            judged: self
                .judged
                .iter()
                .map(|g| {
                    (
                        g.confidence.hundredths(),
                        g.sources.clone(),
                        g.verdict.map(Verdict::code),
                        g.calls,
                    )
                })
                .collect(),
        };
        serde_json::to_string(&document).unwrap_or_default()
    }

    /// Reads back the document stored for `day`; one that does not read is corruption.
    pub fn from_json(day: Date, text: &str) -> Result<Self, String> {
        let document: Document =
            serde_json::from_str(text).map_err(|e| format!("rolled day {day}: {e}"))?;
        let judged = document
            .judged
            .into_iter()
            .map(|(hundredths, sources, verdict, calls)| {
                Ok(JudgedCalls {
                    confidence: Confidence::from_hundredths(hundredths.min(100)),
                    sources,
                    verdict: verdict.as_deref().map(Verdict::from_code).transpose()?,
                    calls,
                })
            })
            .collect::<Result<Vec<_>, String>>()
            .map_err(|e| format!("rolled day {day}: {e}"))?;
        Ok(Self {
            day,
            usage: document.usage.map(|u| DailyUsage {
                day,
                calls_started: u.calls_started,
                matches: u.matches,
                billable: u.billable,
                confident: u.confident,
                credits_used: u.credits_used,
                average_confidence: u.average_confidence,
                intents_opened: u.intents_opened,
                intents_resolved: u.intents_resolved,
            }),
            ledger: document.ledger.map(|l| LedgerDay {
                day,
                granted: l.granted,
                topped_up: l.topped_up,
                debited: l.debited,
                debits: l.debits,
            }),
            judged,
        })
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn sample() -> RolledDay {
        let day = date!(2026 - 11 - 30);
        RolledDay {
            day,
            usage: Some(DailyUsage {
                calls_started: 7,
                matches: 5,
                billable: 2,
                confident: 4,
                credits_used: 2,
                average_confidence: 0.73,
                intents_opened: 3,
                intents_resolved: 1,
                ..DailyUsage::quiet(day)
            }),
            ledger: Some(LedgerDay {
                debited: 2,
                debits: 2,
                ..LedgerDay::quiet(day)
            }),
            judged: vec![
                JudgedCalls {
                    confidence: Confidence::from_hundredths(85),
                    sources: vec!["ani:mobile".into(), "crm".into()],
                    verdict: Some(Verdict {
                        reused: true,
                        correct: true,
                        returning: true,
                    }),
                    calls: 4,
                },
                JudgedCalls {
                    confidence: Confidence::from_hundredths(0),
                    sources: vec![],
                    verdict: None,
                    calls: 3,
                },
            ],
        }
    }

    /// What a store keeps reads back as the same figures, day included.
    #[test]
    fn a_rolled_day_reads_back_as_it_was_kept() {
        let rolled = sample();
        let text = rolled.to_json();
        assert_eq!(RolledDay::from_json(rolled.day, &text), Ok(rolled));
        let quiet = RolledDay {
            day: date!(2026 - 12 - 01),
            usage: None,
            ledger: None,
            judged: vec![],
        };
        assert_eq!(RolledDay::from_json(quiet.day, &quiet.to_json()), Ok(quiet));
    }

    /// A document altered in the store is refused with the day it belongs to.
    #[test]
    fn a_document_that_does_not_read_is_refused() {
        let day = date!(2026 - 11 - 30);
        let bad = sample().to_json().replace("reuse/right/returning", "maybe");
        let e = RolledDay::from_json(day, &bad).unwrap_err();
        assert!(e.contains("2026-11-30") && e.contains("maybe"), "{e}");
        assert!(RolledDay::from_json(day, "{").is_err());
    }
}
