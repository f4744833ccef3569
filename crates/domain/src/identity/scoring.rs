//! The confidence score: which known customer is most likely calling, and how sure
//! we are. Pure: the store supplies the [`Evidence`], the caller supplies `now`.

use std::collections::BTreeMap;

use time::Duration;

use super::attestation::{Attestation, AttestationPolicy};
use super::confidence::{Confidence, Level, Recommendation};
use super::decision::{Explanation, Risk, Signal, Thresholds};
use super::evidence::Evidence;
use super::hints::{CustomerRef, IdentityHints, LineType};
use super::number::AniLink;
use super::number::{self, NumberPolicy};
use super::probability::ProbabilityModel;
use crate::timestamp::Timestamp;

/// Signal weights. The defaults are docs/IDENTITY.md section 2's; a tenant may change them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoringWeights {
    /// ANI matches, mobile line.
    pub ani_mobile: f64,
    /// ANI matches, line type never seen.
    pub ani_unknown: f64,
    /// ANI matches, landline.
    pub ani_landline: f64,
    /// ANI matches, voip.
    pub ani_voip: f64,
    /// ANI matches, toll-free.
    pub ani_toll_free: f64,
    /// Any external id matches.
    pub external_id: f64,
    /// Last call at most a day ago.
    pub recency_1day: f64,
    /// Last call at most 7 days ago.
    pub recency_7day: f64,
    /// Last call at most 30 days ago.
    pub recency_30day: f64,
    /// An open intent seen in the last 7 days.
    pub open_intent: f64,
    /// `identity_hints.customer_ref` names an existing customer.
    pub customer_ref: f64,
}

impl Default for ScoringWeights {
    fn default() -> Self {
        Self {
            ani_mobile: 0.50,
            ani_unknown: 0.45,
            ani_landline: 0.40,
            ani_voip: 0.30,
            ani_toll_free: 0.20,
            external_id: 0.40,
            recency_1day: 0.05,
            recency_7day: 0.03,
            recency_30day: 0.01,
            open_intent: 0.05,
            customer_ref: 0.90,
        }
    }
}

impl ScoringWeights {
    /// The ANI weight for a line type.
    pub fn ani(&self, line_type: LineType) -> f64 {
        match line_type {
            LineType::Mobile => self.ani_mobile,
            LineType::Unknown => self.ani_unknown,
            LineType::Landline => self.ani_landline,
            LineType::Voip => self.ani_voip,
            LineType::TollFree => self.ani_toll_free,
        }
    }
}

/// How the candidate was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CandidateSource {
    /// The client named it in `identity_hints.customer_ref`.
    CustomerRef,
    /// An external id points at it.
    ExternalId,
    /// The ANI points at it.
    Ani,
}

/// The known customer most likely calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Who.
    pub customer: CustomerRef,
    /// Chosen by which hint.
    pub source: CandidateSource,
}

/// What the carrier said about the call's line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Telco {
    /// The line type, when sent.
    pub line_type: Option<LineType>,
    /// The STIR/SHAKEN attestation, when sent.
    pub attestation: Option<Attestation>,
    /// The attestation sent was no documented value (read as none): the answer's
    /// signals say so (`attestation:unrecognized`, weight 0).
    pub attestation_unrecognized: bool,
}

/// A tenant's identity rules: weights, thresholds and what attestation may do.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct IdentityPolicy {
    /// Signal weights.
    pub weights: ScoringWeights,
    /// Where `reuse` and `confirm` start.
    pub thresholds: Thresholds,
    /// What each attestation level allows.
    pub attestation: AttestationPolicy,
    /// What the number alone allows, by line type and age.
    pub number: NumberPolicy,
    /// How a decision's confidence and sources become `identity.probability`.
    pub probability: ProbabilityModel,
}

/// The outcome of scoring.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentityDecision {
    /// The best known customer, if any hint matched one.
    pub candidate: Option<Candidate>,
    /// How sure we are that the candidate is calling.
    pub confidence: Confidence,
    /// The signals that counted (`ani:mobile`, `external_id`...), and the conflicts.
    pub sources: Vec<String>,
    /// The recommendation, signals' weights, other plausible people and risks.
    pub explanation: Explanation,
}

impl IdentityDecision {
    /// Nobody matched.
    pub fn unknown_caller(risk: Vec<Risk>) -> Self {
        Self {
            candidate: None,
            confidence: Confidence::ZERO,
            sources: Vec::new(),
            explanation: Explanation {
                recommendation: Recommendation::Ignore,
                signals: Vec::new(),
                candidates: Vec::new(),
                risk,
                shared_line: None,
                probability: Some(0.0),
            },
        }
    }

    /// The level of the confidence.
    pub fn level(&self) -> Level {
        self.confidence.level()
    }

    /// What to do with the match, after the policy's caps.
    pub fn recommendation(&self) -> Recommendation {
        self.explanation.recommendation
    }
}

/// Scores the hints against the evidence.
///
/// The candidate is the customer named by `customer_ref` if it exists, else the one
/// most external ids point at (ties: most recent call), else the most recent customer
/// on the ANI. Signals then count for that candidate only: an ANI or external id that
/// points elsewhere is dropped and reported as `conflict:ani` / `conflict:external_id`;
/// a number shared by n customers weighs 1/n of its line type (`ani:shared`). A
/// `customer_ref` hint naming nobody yields no candidate: that customer is new.
///
/// The thresholds give the recommendation, then the policy caps it: when other people
/// are plausible (`candidates::plausible_others`) it is `confirm` and they are offered; a failed
/// attestation never allows `reuse` (risk `spoof_suspected`), nor does an attestation
/// the policy does not trust when the number is the only identifier.
pub fn score(
    hints: &IdentityHints, telco: Telco, evidence: &Evidence, policy: &IdentityPolicy,
    now: Timestamp,
) -> IdentityDecision {
    let mut risk = if telco.attestation == Some(Attestation::Failed) && hints.phone().is_some() {
        vec![Risk::SpoofSuspected]
    } else {
        Vec::new()
    };
    let number = NumberView::of(evidence, telco, &policy.number, now);
    if number.downgrade && risk.is_empty() {
        risk.push(Risk::AttestationDowngrade);
    }
    let Some(candidate) = choose_candidate(hints, evidence, &number) else {
        let mut unknown = IdentityDecision::unknown_caller(risk);
        if telco.attestation_unrecognized {
            unknown
                .explanation
                .signals
                .push(Signal::unrecognized_attestation());
            unknown
                .sources
                .push(Signal::UNRECOGNIZED_ATTESTATION.to_owned());
        }
        return unknown;
    };
    let mut signals = signals_for(&candidate, &number, evidence, &policy.weights, now);
    if telco.attestation_unrecognized {
        signals.push(Signal::unrecognized_attestation());
    }
    let confidence = Confidence::from_sum(signals.iter().map(|s| s.weight).sum());
    let mut recommendation = policy.thresholds.recommend(confidence);
    let external_id_alone_trusted = policy
        .thresholds
        .recommend(Confidence::from_sum(policy.weights.external_id))
        == Recommendation::Reuse;
    let others = plausible_others(&candidate, evidence, &number, external_id_alone_trusted);
    // A line shared by more known people than can be offered: the answer says how many,
    // and the most likely are offered.
    let people = 1 + others.len();
    let shared_line = (candidate.source == CandidateSource::Ani && people > MAX_CANDIDATES)
        .then(|| u32::try_from(people).unwrap_or(u32::MAX));
    let candidates = if others.is_empty() {
        Vec::new()
    } else {
        recommendation = Recommendation::Confirm;
        offers(
            &candidate, confidence, others, &number, evidence, policy, now,
        )
    };
    // The hints give an id, in a namespace where the number's person holds another: not
    // them, most likely (a recycled number's new owner), whatever the number says.
    if candidate.source == CandidateSource::Ani && evidence.contradicts(&candidate.customer, hints)
    {
        risk.push(Risk::ExternalIdMismatch);
        signals.push(Signal {
            source: "conflict:external_id".to_owned(),
            weight: 0.0,
        });
    }
    // When the candidate was last seen on the number: its link's latest confirmation;
    // a link never confirmed, its latest call (from any number: stores keep no
    // per-number call time). A confirmed link is not kept fresh by calls from the
    // person's other numbers: a recycled mobile's old owner calls from their new one.
    let link_seen = number
        .active
        .iter()
        .find(|l| l.customer == candidate.customer)
        .map(|l| match l.confirmed {
            Some(_) => l.last_seen(),
            None => l.last_seen().max(
                evidence
                    .activity_of(&l.customer)
                    .last_call_at
                    .unwrap_or(l.linked_at),
            ),
        });
    let line_allows = link_seen.is_none_or(|seen| {
        policy
            .number
            .number_alone_may_reuse(number.line_type, seen, now)
    });
    // On a mobile, the line refuses only for dormancy.
    if number.line_type == LineType::Mobile && !line_allows {
        risk.push(Risk::PossiblyRecycled);
    }
    let number_alone_may_reuse = !number.downgrade
        && policy
            .attestation
            .number_alone_may_reuse(telco.attestation, number.usual)
        && line_allows;
    let capped = risk.contains(&Risk::SpoofSuspected)
        || risk.contains(&Risk::ExternalIdMismatch)
        || (candidate.source == CandidateSource::Ani && !number_alone_may_reuse);
    if capped && recommendation == Recommendation::Reuse {
        recommendation = Recommendation::Confirm;
    }
    let sources: Vec<String> = signals.iter().map(|s| s.source.clone()).collect();
    let probability = policy.probability.probability(confidence, &sources);
    IdentityDecision {
        candidate: Some(candidate),
        confidence,
        sources,
        explanation: Explanation {
            recommendation,
            signals,
            candidates,
            risk,
            shared_line,
            probability: Some(probability),
        },
    }
}

/// The caller's number as scoring sees it: its links that still earn
/// ([`number::active_links`]), its line type (the call's, else the one remembered for
/// the number, else unknown), and whether the call's attestation is weaker than usual.
pub(super) struct NumberView<'a> {
    linked: bool,
    usual: Option<Attestation>,
    active: Vec<&'a AniLink>,
    line_type: LineType,
    downgrade: bool,
}

impl<'a> NumberView<'a> {
    fn of(evidence: &'a Evidence, telco: Telco, policy: &NumberPolicy, now: Timestamp) -> Self {
        let links = &evidence.ani_links;
        let known = telco
            .line_type
            .and_then(LineType::known)
            .or(number::remembered_line_type(links));
        let active = number::active_links(links, known, telco.attestation, now, policy);
        Self {
            linked: !links.is_empty(),
            usual: number::usual_attestation(active.iter().copied()),
            downgrade: number::is_downgrade(active.iter().copied(), telco.attestation, now),
            active,
            line_type: known.unwrap_or(LineType::Unknown),
        }
    }

    pub(super) fn customers(&self) -> impl Iterator<Item = &'a CustomerRef> + '_ {
        self.active.iter().map(|l| &l.customer)
    }
}

/// The signals for `candidate`, in the order docs/IDENTITY.md section 2 lists them.
pub(super) fn signals_for(
    candidate: &Candidate, number: &NumberView<'_>, evidence: &Evidence, weights: &ScoringWeights,
    now: Timestamp,
) -> Vec<Signal> {
    let mut signals = Vec::new();
    let mut add = |weight: f64, source: &str| {
        signals.push(Signal {
            source: source.to_owned(),
            weight,
        });
    };
    if number.linked {
        if number.customers().any(|c| *c == candidate.customer) {
            let sharing = distinct_customers(number.customers());
            if sharing > 1 {
                add(weights.ani(number.line_type) / sharing as f64, "ani:shared");
            } else {
                add(
                    weights.ani(number.line_type),
                    &format!("ani:{}", number.line_type.as_str()),
                );
            }
        } else {
            add(0.0, "conflict:ani");
        }
    }
    if !evidence.external_matches.is_empty() {
        if evidence
            .external_matches
            .iter()
            .any(|(_, c)| *c == candidate.customer)
        {
            add(weights.external_id, "external_id");
        } else {
            add(0.0, "conflict:external_id");
        }
    }
    if candidate.source == CandidateSource::CustomerRef {
        add(weights.customer_ref, "customer_ref");
    }
    let activity = evidence.activity_of(&candidate.customer);
    if let Some(last) = activity.last_call_at {
        let age = now - last;
        if age <= Duration::days(1) {
            add(weights.recency_1day, "recency:1day");
        } else if age <= Duration::days(7) {
            add(weights.recency_7day, "recency:7day");
        } else if age <= Duration::days(30) {
            add(weights.recency_30day, "recency:30day");
        }
    }
    if activity
        .last_open_intent_at
        .is_some_and(|seen| now - seen <= Duration::days(7))
    {
        add(weights.open_intent, "intent:open");
    }
    signals
}

fn choose_candidate(
    hints: &IdentityHints, evidence: &Evidence, number: &NumberView<'_>,
) -> Option<Candidate> {
    if let Some(wanted) = &hints.customer_ref {
        return (evidence.named_customer.as_ref() == Some(wanted)).then(|| Candidate {
            customer: wanted.clone(),
            source: CandidateSource::CustomerRef,
        });
    }
    let recency = |c: &CustomerRef| evidence.activity.get(c).and_then(|a| a.last_call_at);
    if !evidence.external_matches.is_empty() {
        let mut votes: BTreeMap<&CustomerRef, usize> = BTreeMap::new();
        for (_, customer) in &evidence.external_matches {
            *votes.entry(customer).or_default() += 1;
        }
        let best = votes
            .into_iter()
            .max_by(|(a, va), (b, vb)| va.cmp(vb).then(recency(a).cmp(&recency(b))).then(b.cmp(a)))
            .map(|(c, _)| c.clone())?;
        return Some(Candidate {
            customer: best,
            source: CandidateSource::ExternalId,
        });
    }
    number
        .active
        .iter()
        .max_by(|a, b| {
            let seen = |l: &AniLink| recency(&l.customer).max(Some(l.last_seen()));
            seen(a).cmp(&seen(b)).then(b.customer.cmp(&a.customer))
        })
        .map(|link| Candidate {
            customer: link.customer.clone(),
            source: CandidateSource::Ani,
        })
}

fn distinct_customers<'a>(customers: impl Iterator<Item = &'a CustomerRef>) -> usize {
    let mut all: Vec<&CustomerRef> = customers.collect();
    all.sort();
    all.dedup();
    all.len()
}

mod candidates;

pub use candidates::MAX_CANDIDATES;
use candidates::{offers, plausible_others};

#[cfg(test)]
mod tests;

#[cfg(test)]
mod explained_tests;
