//! `identity.probability`: the chance that the answer's `customer_ref` is the caller.
//! `confidence` keeps the contract's additive weights and is no probability (answers at
//! 0.5-0.6 may name the caller nearly always, at 0.4-0.5 far less often); this turns a
//! confidence and the kind of evidence behind it into one an integrator can threshold.
//!
//! The model is a table: for each kind of evidence ([`Basis`]) and each tenth of the
//! confidence scale, the share of confirmed calls whose candidate was the caller. A new
//! tenant starts from [`DEFAULT_TABLE`] (measured on the simulated contact center of
//! `make identity-sim`, docs/IDENTITY.md); its own confirmed calls then move each cell,
//! weighed against the default as [`PRIOR_CALLS`] calls, and the result is made
//! monotone in the confidence (pool adjacent violators), so a higher confidence never
//! states a lower probability. Pure.

use super::calibration::JudgedCalls;
use super::confidence::Confidence;

/// Tenths of the confidence scale.
const TENTHS: usize = 10;

/// Kinds of evidence ([`Basis`]).
const KINDS: usize = 7;

/// The kind of evidence behind a decision, by its sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// The client named the customer (`customer_ref`).
    Named,
    /// An external id matched (with or without the number).
    ExternalId,
    /// The number chose a person who holds another id than the call's in the same
    /// namespace (`conflict:external_id`): rarely the caller.
    Contradicted,
    /// The number alone, shared by several people (`ani:shared`).
    SharedNumber,
    /// The number alone, a mobile (`ani:mobile`).
    Mobile,
    /// The number alone, a landline (`ani:landline`): often a household's.
    Landline,
    /// The number alone, of unknown type, voip or toll-free.
    OtherNumber,
}

impl Basis {
    const ALL: [Basis; KINDS] = [
        Basis::Named,
        Basis::ExternalId,
        Basis::Contradicted,
        Basis::SharedNumber,
        Basis::Mobile,
        Basis::Landline,
        Basis::OtherNumber,
    ];

    /// The kind of evidence a decision's sources show (`None`: nobody was named).
    pub fn of<S: AsRef<str>>(sources: &[S]) -> Option<Self> {
        let has = |name: &str| sources.iter().any(|s| s.as_ref() == name);
        if has("customer_ref") {
            Some(Basis::Named)
        } else if has("external_id") {
            Some(Basis::ExternalId)
        } else if has("conflict:external_id") {
            Some(Basis::Contradicted)
        } else if has("ani:shared") {
            Some(Basis::SharedNumber)
        } else if has("ani:mobile") {
            Some(Basis::Mobile)
        } else if has("ani:landline") {
            Some(Basis::Landline)
        } else if sources.iter().any(|s| s.as_ref().starts_with("ani:")) {
            Some(Basis::OtherNumber)
        } else {
            None
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The default table, before a tenant has confirmed calls of its own: per kind of
/// evidence (in [`Basis`]'s order), per tenth of confidence (0-0.1 first), the share of
/// calls whose candidate was the caller on `make identity-sim` (seeds 1 to 3, default
/// settings, 2,500 calls from empty and 2,500 after 2,500 of history, weeks passing:
/// 12,028 calls with a candidate), made monotone (`tests/identity-sim/table.py`). The
/// simulator never names a customer (`customer_ref` hints): that row, and the cells the
/// simulation never reached, are set by judgement (docs/IDENTITY.md), and no cell
/// states certainty either way (0.02 to 0.99).
pub const DEFAULT_TABLE: [[f64; TENTHS]; KINDS] = [
    // Named by the client: its own claim, rarely wrong (judgement).
    [0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95],
    // An external id matched: 0.4-1.0 measured (3,032 calls, all right); below, judgement.
    [0.9, 0.9, 0.9, 0.9, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99],
    // The number's person holds another id than the call's: 0-0.6 measured (175 calls,
    // none right).
    [0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02],
    // The number alone, shared: 0-0.4 measured (1,867 calls); above, not reached.
    [0.08, 0.25, 0.41, 0.41, 0.41, 0.41, 0.41, 0.41, 0.41, 0.41],
    // A mobile alone: 0.5-0.6 measured (6,108 calls); above, not reached; below (a
    // weight learning halved because it was often wrong), judgement.
    [0.3, 0.3, 0.3, 0.3, 0.3, 0.98, 0.98, 0.98, 0.98, 0.98],
    // A landline alone: 0.4-0.5 measured (598 calls: often another member of the
    // household); elsewhere, not reached.
    [0.3, 0.3, 0.3, 0.3, 0.59, 0.59, 0.59, 0.59, 0.59, 0.59],
    // A line of unknown type, voip or toll-free alone: 0.3-0.6 measured (248 calls).
    [0.3, 0.3, 0.3, 0.3, 0.53, 0.53, 0.53, 0.53, 0.53, 0.53],
];

/// How many calls the default table weighs in each cell against a tenant's own.
pub const PRIOR_CALLS: f64 = 20.0;

/// A tenant's probability table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProbabilityModel {
    table: [[f64; TENTHS]; KINDS],
}

impl Default for ProbabilityModel {
    fn default() -> Self {
        Self {
            table: DEFAULT_TABLE,
        }
    }
}

fn tenth(confidence: Confidence) -> usize {
    usize::from(confidence.hundredths() / 10).min(TENTHS - 1)
}

impl ProbabilityModel {
    /// The table fitted to a tenant's judged calls: each cell the default weighed as
    /// [`PRIOR_CALLS`] calls plus the tenant's confirmed ones, then made non-decreasing
    /// in the confidence within each kind of evidence.
    pub fn fit(groups: &[JudgedCalls]) -> Self {
        let mut calls = [[0f64; TENTHS]; KINDS];
        let mut right = [[0f64; TENTHS]; KINDS];
        for group in groups {
            let (Some(verdict), Some(kind)) = (group.verdict, Basis::of(&group.sources)) else {
                continue;
            };
            let (k, t) = (kind.index(), tenth(group.confidence));
            calls[k][t] += group.calls as f64;
            if verdict.correct {
                right[k][t] += group.calls as f64;
            }
        }
        let mut table = DEFAULT_TABLE;
        for kind in Basis::ALL {
            let k = kind.index();
            if calls[k].iter().all(|c| *c == 0.0) {
                continue;
            }
            let mut cells: Vec<(f64, f64)> = (0..TENTHS)
                .map(|t| {
                    let weight = PRIOR_CALLS + calls[k][t];
                    (
                        (PRIOR_CALLS * DEFAULT_TABLE[k][t] + right[k][t]) / weight,
                        weight,
                    )
                })
                .collect();
            monotone(&mut cells);
            for (t, (p, _)) in cells.into_iter().enumerate() {
                table[k][t] = (p * 10_000.0).round() / 10_000.0;
            }
        }
        Self { table }
    }

    /// The chance that the candidate of a decision with `confidence` and `sources` is
    /// the caller (0 when the sources name nobody), rounded to two decimals.
    pub fn probability<S: AsRef<str>>(&self, confidence: Confidence, sources: &[S]) -> f64 {
        let Some(kind) = Basis::of(sources) else {
            return 0.0;
        };
        (self.table[kind.index()][tenth(confidence)] * 100.0).round() / 100.0
    }
}

/// Pool adjacent violators: the weighted least-squares non-decreasing fit, in place.
fn monotone(cells: &mut [(f64, f64)]) {
    // Blocks of (mean, weight, length).
    let mut blocks: Vec<(f64, f64, usize)> = Vec::with_capacity(cells.len());
    for &(value, weight) in cells.iter() {
        blocks.push((value, weight, 1));
        while blocks.len() > 1 && blocks[blocks.len() - 2].0 > blocks[blocks.len() - 1].0 {
            let (v2, w2, n2) = blocks.pop().unwrap_or_default();
            let (v1, w1, n1) = blocks.pop().unwrap_or_default();
            blocks.push(((v1 * w1 + v2 * w2) / (w1 + w2), w1 + w2, n1 + n2));
        }
    }
    let mut i = 0;
    for (value, _, length) in blocks {
        for cell in &mut cells[i..i + length] {
            cell.0 = value;
        }
        i += length;
    }
}

#[cfg(test)]
#[path = "probability/tests.rs"]
mod tests;
