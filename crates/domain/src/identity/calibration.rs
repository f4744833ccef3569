//! Self-measured calibration: each end that names or confirms a customer judges its
//! start's decision ([`Verdict`]), and a window of judged calls gives how often each
//! confidence was right, the Brier score and `reuse`'s precision and recall
//! (`GET /v1/identity/calibration`).
//!
//! The event a confidence predicts is "the start's candidate is the caller". A start
//! that found nobody (a new customer) predicted nothing about a known person: its
//! confidence is 0 and it is never right, however the call ends.

use super::confidence::Confidence;

/// What an end said about its start's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Verdict {
    /// The start recommended `reuse`.
    pub reused: bool,
    /// The start's candidate (a known customer) was the caller.
    pub correct: bool,
    /// The caller was a known customer (not the new one the start created).
    pub returning: bool,
}

impl Verdict {
    /// How a store keeps it: `reuse|other`, `right|wrong`, `returning|new`.
    pub fn code(self) -> String {
        format!(
            "{}/{}/{}",
            if self.reused { "reuse" } else { "other" },
            if self.correct { "right" } else { "wrong" },
            if self.returning { "returning" } else { "new" },
        )
    }

    /// Reads a stored code back.
    pub fn from_code(code: &str) -> Result<Self, String> {
        let flag = |text: Option<&str>, yes: &str, no: &str| match text {
            Some(t) if t == yes => Ok(true),
            Some(t) if t == no => Ok(false),
            _ => Err(format!("unknown verdict `{code}`")),
        };
        let mut parts = code.split('/');
        let verdict = Self {
            reused: flag(parts.next(), "reuse", "other")?,
            correct: flag(parts.next(), "right", "wrong")?,
            returning: flag(parts.next(), "returning", "new")?,
        };
        match parts.next() {
            None => Ok(verdict),
            Some(_) => Err(format!("unknown verdict `{code}`")),
        }
    }
}

/// Calls of a window that share a start confidence, its sources and their verdict
/// (none: not confirmed), as a store counts them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JudgedCalls {
    /// The start's confidence.
    pub confidence: Confidence,
    /// The start's sources.
    pub sources: Vec<String>,
    /// What the end said, if it confirmed anyone.
    pub verdict: Option<Verdict>,
    /// How many calls.
    pub calls: u64,
}

impl JudgedCalls {
    /// A group as a store counted it: the confidence in hundredths, the sources, the
    /// verdict's code. A verdict that does not read back is corruption.
    pub fn from_stored(
        hundredths: i16, sources: Vec<String>, verdict: Option<&str>, calls: i64,
    ) -> Result<Self, String> {
        Ok(Self {
            confidence: Confidence::from_hundredths(hundredths.clamp(0, 100) as u8),
            sources,
            verdict: verdict.map(Verdict::from_code).transpose()?,
            calls: u64::try_from(calls).unwrap_or(0),
        })
    }
}

/// One tenth of the confidence scale: confirmed calls started with a confidence in
/// `[from, to)` (the last bin includes 1), and how many of them were right.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bin {
    /// Lowest confidence.
    pub from: f64,
    /// Highest confidence (excluded, except 1).
    pub to: f64,
    /// Confirmed calls.
    pub calls: u64,
    /// Of which the candidate was the caller.
    pub correct: u64,
}

/// `reuse`'s precision and recall over confirmed calls.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReuseQuality {
    /// Of the confirmed calls answered `reuse`, the share whose candidate was right
    /// (none when no confirmed call was answered `reuse`).
    pub precision: Option<f64>,
    /// Of the confirmed calls from a known customer, the share answered `reuse` with
    /// the right person (none when there was no such call).
    pub recall: Option<f64>,
}

/// The calibration of a window.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    /// Calls started in the window (standalone ends excluded: nothing was decided).
    pub calls: u64,
    /// Of which an end named or confirmed the customer.
    pub confirmed: u64,
    /// Ten bins of confidence, lowest first.
    pub bins: Vec<Bin>,
    /// The mean squared gap between confidence and outcome over confirmed calls (0 is
    /// perfect; none without confirmed calls).
    pub brier: Option<f64>,
    /// `reuse` quality.
    pub reuse: ReuseQuality,
}

/// Number of bins.
pub const BINS: u8 = 10;

fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Rounds a ratio for display (six decimals).
fn rounded(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Tallies a window's judged calls.
pub fn calibrate(groups: &[JudgedCalls]) -> Calibration {
    let mut bins: Vec<Bin> = (0..BINS)
        .map(|i| Bin {
            from: f64::from(i) / f64::from(BINS),
            to: f64::from(i + 1) / f64::from(BINS),
            calls: 0,
            correct: 0,
        })
        .collect();
    let (mut calls, mut confirmed, mut squared) = (0u64, 0u64, 0f64);
    let (mut reused, mut reused_right, mut returning) = (0u64, 0u64, 0u64);
    for group in groups {
        calls += group.calls;
        let Some(verdict) = group.verdict else {
            continue;
        };
        confirmed += group.calls;
        let c = group.confidence.as_f64();
        let index = usize::from((group.confidence.hundredths() / BINS).min(BINS - 1));
        bins[index].calls += group.calls;
        let outcome = if verdict.correct {
            bins[index].correct += group.calls;
            1.0
        } else {
            0.0
        };
        squared += (c - outcome).powi(2) * group.calls as f64;
        if verdict.reused {
            reused += group.calls;
            if verdict.correct {
                reused_right += group.calls;
            }
        }
        if verdict.returning {
            returning += group.calls;
        }
    }
    Calibration {
        calls,
        confirmed,
        bins,
        brier: (confirmed > 0).then(|| rounded(squared / confirmed as f64)),
        reuse: ReuseQuality {
            precision: share(reused_right, reused).map(rounded),
            recall: share(reused_right, returning).map(rounded),
        },
    }
}

#[cfg(test)]
#[path = "calibration/tests.rs"]
mod tests;
