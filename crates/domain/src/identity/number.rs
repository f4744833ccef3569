//! What a number's history says about who may be calling from it: which of its links
//! still earn (a mobile whose confirmations moved to a new person was possibly
//! recycled; a person confirmed only on calls weaker than the number's usual
//! attestation was possibly a spoof), the line type it was last seen with, and the
//! attestation its genuine calls usually carry. Pure: the store reads the links.

use super::attestation::Attestation;
use super::hints::LineType;
use super::scoring::AniLink;
use crate::error::ValidationError;
use crate::timestamp::Timestamp;

/// An agent's confirmation of a customer on a number, as its link keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Confirmed {
    /// The first call ended naming this customer on this number.
    pub first_at: Timestamp,
    /// The latest.
    pub last_at: Timestamp,
    /// The attestation that latest call carried (`None`: none was sent).
    pub attestation: Option<Attestation>,
}

impl Confirmed {
    /// What a link keeps after a confirmation at `at` with `attestation`, when it kept
    /// `stored`: the first time stays, the latest time and attestation are replaced.
    /// Stores write `first_at` only where none is stored.
    pub fn after(
        stored: Option<Confirmed>, at: Timestamp, attestation: Option<Attestation>,
    ) -> Self {
        Self {
            first_at: stored.map_or(at, |s| s.first_at),
            last_at: at,
            attestation,
        }
    }
}

impl Confirmed {
    /// Rebuilds what a store keeps (two times and the attestation's canonical name);
    /// a link never confirmed has neither time. An attestation that does not read back
    /// is an error (corruption), never ignored.
    pub fn from_stored(
        first_at: Option<Timestamp>, last_at: Option<Timestamp>, attestation: Option<&str>,
    ) -> Result<Option<Self>, ValidationError> {
        let (Some(first_at), Some(last_at)) = (first_at, last_at) else {
            return Ok(None);
        };
        Ok(Some(Self {
            first_at,
            last_at,
            attestation: attestation.map(Attestation::parse).transpose()?,
        }))
    }
}

/// How far an attestation vouches for the number: A 3, B 2, C 1, none (or not sent) 0,
/// failed -1.
pub fn strength(attestation: Option<Attestation>) -> i8 {
    match attestation {
        Some(Attestation::A) => 3,
        Some(Attestation::B) => 2,
        Some(Attestation::C) => 1,
        Some(Attestation::None) | None => 0,
        Some(Attestation::Failed) => -1,
    }
}

/// The attestation the number's genuine calls carry: the strongest one any of its
/// confirmations carried (`None` when none was confirmed with one).
pub fn usual_attestation(links: &[AniLink]) -> Option<Attestation> {
    links
        .iter()
        .filter_map(|l| l.confirmed.map(|c| c.attestation))
        .max_by_key(|a| strength(*a))
        .flatten()
}

/// The line type last seen for the number, on any of its links: the link confirmed or
/// made most recently that remembers one.
pub fn remembered_line_type(links: &[AniLink]) -> Option<LineType> {
    links
        .iter()
        .filter(|l| l.line_type.and_then(LineType::known).is_some())
        .max_by_key(|l| l.last_seen())
        .and_then(|l| l.line_type)
}

/// A link confirmed only on calls weaker than the number usually carries: a person
/// who called with someone else's number, most likely.
fn is_weak(link: &AniLink, usual: Option<Attestation>) -> bool {
    link.confirmed
        .is_some_and(|c| strength(c.attestation) < strength(usual))
}

/// The links that still earn. Weak links never do (while any link is not weak). On a
/// personal line (mobile), a link whose last confirmation (or making) came before
/// another person's first confirmation was superseded: the number moved to them.
/// Shared lines (landlines, voip, toll-free) keep every link: households and offices
/// add people without removing anyone.
pub fn active_links(links: &[AniLink], line_type: Option<LineType>) -> Vec<&AniLink> {
    let usual = usual_attestation(links);
    let strong: Vec<&AniLink> = links.iter().filter(|l| !is_weak(l, usual)).collect();
    let kept = if strong.is_empty() {
        links.iter().collect()
    } else {
        strong
    };
    if line_type != Some(LineType::Mobile) {
        return kept;
    }
    let newest_owner = kept
        .iter()
        .filter_map(|l| l.confirmed.map(|c| (c.first_at, &l.customer)))
        .max();
    match newest_owner {
        None => kept,
        Some((since, owner)) => kept
            .into_iter()
            .filter(|l| l.customer == *owner || l.last_seen() >= since)
            .collect(),
    }
}

/// Whether a call arriving with `attestation` is weaker than the number's usual one:
/// its number is then weaker evidence than its history suggests.
pub fn is_downgrade(links: &[AniLink], attestation: Option<Attestation>) -> bool {
    strength(attestation) < strength(usual_attestation(links))
}

#[cfg(test)]
mod tests;
