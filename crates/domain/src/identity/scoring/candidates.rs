//! Who else the caller may be, and how each is offered.

use super::{Candidate, CandidateSource, IdentityPolicy, NumberView, signals_for};
use crate::identity::confidence::Confidence;
use crate::identity::decision::Offer;
use crate::identity::evidence::Evidence;
use crate::identity::hints::CustomerRef;
use crate::timestamp::Timestamp;

/// The other people the caller may be, besides `candidate`: the others on a shared
/// number when the number chose it; when external ids chose it, the others they point
/// at, and the number's people if the number does not point at it too, unless the
/// tenant trusts an external id alone (its weight reaches the `reuse` threshold, set
/// or learned). A customer the client named (`customer_ref`) has no rivals; neither
/// does an external id match on a number it shares (the id tells the household apart).
pub(super) fn plausible_others(
    candidate: &Candidate, evidence: &Evidence, number: &NumberView<'_>,
    external_id_alone_trusted: bool,
) -> Vec<CustomerRef> {
    let mut others: Vec<CustomerRef> = Vec::new();
    let on_number = || number.customers();
    match candidate.source {
        CandidateSource::CustomerRef => {}
        CandidateSource::Ani => others.extend(on_number().cloned()),
        CandidateSource::ExternalId => {
            others.extend(evidence.external_matches.iter().map(|(_, c)| c.clone()));
            if !external_id_alone_trusted && !on_number().any(|c| *c == candidate.customer) {
                others.extend(on_number().cloned());
            }
        }
    }
    others.sort();
    others.dedup();
    others.retain(|c| *c != candidate.customer);
    others
}

/// Most people offered, the candidate included.
pub const MAX_CANDIDATES: usize = 5;

/// The candidate and the others, each with the confidence it would have, best first
/// (the candidate always first), at most [`MAX_CANDIDATES`].
pub(super) fn offers(
    candidate: &Candidate, confidence: Confidence, others: Vec<CustomerRef>,
    number: &NumberView<'_>, evidence: &Evidence, policy: &IdentityPolicy, now: Timestamp,
) -> Vec<Offer> {
    let offer = |customer: &CustomerRef, confidence: Confidence| Offer {
        customer: customer.clone(),
        confidence,
        last_seen: evidence.last_seen(customer),
        hint: evidence.activity_of(customer).hint(now),
    };
    let mut rest: Vec<Offer> = others
        .iter()
        .map(|other| {
            let source = if evidence.external_matches.iter().any(|(_, c)| c == other) {
                CandidateSource::ExternalId
            } else {
                CandidateSource::Ani
            };
            let as_candidate = Candidate {
                customer: other.clone(),
                source,
            };
            let signals = signals_for(&as_candidate, number, evidence, &policy.weights, now);
            offer(
                other,
                Confidence::from_sum(signals.iter().map(|s| s.weight).sum()),
            )
        })
        .collect();
    // Most likely first: by confidence (its recency signals), then by how often the
    // person was confirmed on the number (more than once beats once), then by the
    // latest call; on a line shared by more people than the cap, the rest are left out.
    let regular = |customer: &CustomerRef| {
        number
            .active
            .iter()
            .any(|l| l.customer == *customer && l.confirmed.is_some_and(|c| c.last_at > c.first_at))
    };
    rest.sort_by(|a, b| {
        b.confidence
            .cmp(&a.confidence)
            .then(regular(&b.customer).cmp(&regular(&a.customer)))
            .then(b.last_seen.cmp(&a.last_seen))
            .then(a.customer.cmp(&b.customer))
    });
    rest.truncate(MAX_CANDIDATES - 1);
    let mut all = vec![offer(&candidate.customer, confidence)];
    all.extend(rest);
    all
}
