//! What a number's history says about who may be calling from it: which of its links
//! still earn (a mobile whose confirmations moved to a new person was possibly
//! recycled; a person confirmed only on calls weaker than the number's usual
//! attestation was possibly a spoof), the line type it was last seen with, and the
//! attestation its genuine calls usually carry. Pure: the store reads the links.

use super::attestation::Attestation;
use super::hints::CustomerRef;
use super::hints::LineType;
use time::Duration;

use crate::error::ValidationError;
use crate::timestamp::Timestamp;

/// One customer linked to the caller's number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AniLink {
    /// The customer.
    pub customer: CustomerRef,
    /// The line type last seen for this number, remembered for calls without telco data.
    pub line_type: Option<LineType>,
    /// When the link was made.
    pub linked_at: Timestamp,
    /// The agents' confirmations of this customer on this number, if any.
    pub confirmed: Option<Confirmed>,
}

impl AniLink {
    /// The latest confirmation, or when the link was made.
    pub fn last_seen(&self) -> Timestamp {
        self.confirmed
            .map_or(self.linked_at, |c| c.last_at.max(self.linked_at))
    }
}

/// An agent's confirmation of a customer on a number, as its link keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Confirmed {
    /// The first call ended naming this customer on this number.
    pub first_at: Timestamp,
    /// The latest.
    pub last_at: Timestamp,
    /// The latest attestation a confirmed call carried (`None`: none ever did). A call
    /// without one does not erase it.
    pub attestation: Option<Attestation>,
    /// The latest confirmed call that carried no attestation (`None`: every one did).
    pub unattested_at: Option<Timestamp>,
    /// How many confirmations in a row, up to the latest, carried an attestation that
    /// vouches for the caller (A, B): the record absence is judged against.
    pub attested_run: u32,
}

/// Whether a call carried an attestation at all (`none`, `NULL`, `No-TN-Validation`
/// and a value nobody documents are read as not attested).
fn attested(attestation: Option<Attestation>) -> Option<Attestation> {
    attestation.filter(|a| *a != Attestation::None)
}

impl Confirmed {
    /// What a link keeps after a confirmation at `at` with `attestation`, when it kept
    /// `stored`: the first time stays, the latest time is replaced, the attestation is
    /// replaced when the call carried one, an unattested call is remembered, and the
    /// run of vouching confirmations grows by one or starts again from none. A store
    /// applies a plan's confirmation (made with `stored` = `None`, so its run is 1 or
    /// 0) by writing `first_at` only where none is stored, `attestation` and
    /// `unattested_at` only where the plan has them, and the run as (stored run + 1) ×
    /// the plan's.
    pub fn after(
        stored: Option<Confirmed>, at: Timestamp, attestation: Option<Attestation>,
    ) -> Self {
        let carried = attested(attestation);
        let attested_run = if vouches(carried) {
            stored.map_or(0, |s| s.attested_run) + 1
        } else {
            0
        };
        Self {
            attested_run,
            first_at: stored.map_or(at, |s| s.first_at),
            last_at: at,
            attestation: carried.or(stored.and_then(|s| s.attestation)),
            unattested_at: if carried.is_none() {
                Some(at)
            } else {
                stored.and_then(|s| s.unattested_at)
            },
        }
    }
}

impl Confirmed {
    /// Rebuilds what a store keeps (the times and the attestation's canonical name);
    /// a link never confirmed has neither time. An attestation that does not read back
    /// is an error (corruption), never ignored.
    pub fn from_stored(
        first_at: Option<Timestamp>, last_at: Option<Timestamp>, attestation: Option<&str>,
        unattested_at: Option<Timestamp>, attested_run: u32,
    ) -> Result<Option<Self>, ValidationError> {
        let (Some(first_at), Some(last_at)) = (first_at, last_at) else {
            return Ok(None);
        };
        Ok(Some(Self {
            first_at,
            last_at,
            attestation: Attestation::from_stored(attestation)?,
            unattested_at,
            attested_run,
        }))
    }
}

/// What a tenant lets the number alone do (docs/IDENTITY.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumberPolicy {
    /// A landline alone may support `reuse` (default: no; households share them, and
    /// the next member's first call would be shown someone else's context).
    pub landline_alone_may_reuse: bool,
    /// A mobile whose link was last seen longer ago than this may have been recycled to
    /// someone else (carriers reassign numbers after 45 to 90 days): the number alone
    /// no longer supports `reuse` (default 90 days).
    pub dormant_after: Duration,
}

impl Default for NumberPolicy {
    fn default() -> Self {
        Self {
            landline_alone_may_reuse: false,
            dormant_after: Duration::days(90),
        }
    }
}

impl NumberPolicy {
    /// Whether the number alone may support `reuse` for a link last seen at
    /// `link_seen`, on a line of `line_type`, at `now`.
    pub fn number_alone_may_reuse(
        &self, line_type: LineType, link_seen: Timestamp, now: Timestamp,
    ) -> bool {
        match line_type {
            LineType::Landline => self.landline_alone_may_reuse,
            LineType::Mobile => now - link_seen <= self.dormant_after,
            _ => true,
        }
    }
}

/// How far an attestation vouches for the number: A 3, B (or a pass of unknown level) 2,
/// C 1, none (or not sent) 0, failed -1.
pub fn strength(attestation: Option<Attestation>) -> i8 {
    match attestation {
        Some(Attestation::A) => 3,
        Some(Attestation::B | Attestation::Passed) => 2,
        Some(Attestation::C) => 1,
        Some(Attestation::None) | None => 0,
        Some(Attestation::Failed) => -1,
    }
}

/// The attestation the number's genuine calls carry: the strongest one any of its
/// confirmations carried (`None` when none was confirmed with one).
pub fn usual_attestation<'a>(links: impl IntoIterator<Item = &'a AniLink>) -> Option<Attestation> {
    links
        .into_iter()
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

/// The least strength that vouches for the caller (B, or a pass of unknown level): C
/// only says where the call entered the network, the way spoofed calls arrive, so a
/// number "attested" C is not one whose absence of attestation means anything.
const VOUCHING: i8 = 2;

fn vouches(attestation: Option<Attestation>) -> bool {
    strength(attestation) >= VOUCHING
}

/// How long an unattested confirmation keeps a number from counting as consistently
/// attested.
pub const ATTESTATION_MEMORY: Duration = Duration::days(90);

/// How many confirmations in a row must have carried A or B before absence of
/// attestation on the number means anything. Absence is common on real call paths
/// (international legs, carriers and platforms that do not pass it; 15 % of genuine
/// calls on the simulator): a number that loses it on one call in seven still passes
/// two in a row three times in four, but ten only one time in five, and a number that
/// passed ten in a row loses it on fewer than one call in twelve by its own record
/// (Laplace's rule: 1 in 12). The figures with other bars: docs/IDENTITY.md §8.
pub const ATTESTED_RUN: u32 = 10;

/// Whether the number's genuine calls consistently carry an attestation: a person was
/// confirmed on it with one that vouches (A, B; with `on_record`, on the last
/// [`ATTESTED_RUN`] confirmations in a row), and no confirmation (leaving `except`
/// aside) came without one in the last [`ATTESTATION_MEMORY`].
fn consistently_attested<'a>(
    links: impl IntoIterator<Item = &'a AniLink>, except: Option<&AniLink>, on_record: bool,
    now: Timestamp,
) -> bool {
    let mut any_attested = false;
    for link in links {
        let Some(c) = link.confirmed else { continue };
        any_attested |= vouches(c.attestation) && (!on_record || c.attested_run >= ATTESTED_RUN);
        let recent_gap = c
            .unattested_at
            .is_some_and(|at| now - at <= ATTESTATION_MEMORY);
        if recent_gap && except.is_none_or(|e| !std::ptr::eq(e, link)) {
            return false;
        }
    }
    any_attested
}

/// A link confirmed only on calls weaker than the number usually carries (`stored`,
/// from its confirmations) or than this call (`call`): a person who called with
/// someone else's number, most likely. A link never confirmed with any attestation is
/// weak only on a mobile whose other links are consistently attested A or B: a tenant that
/// starts sending attestations, a number whose calls sometimes arrive without one, and
/// every line that may be shared (a household's landline, a line of unknown type) keep
/// the people they know.
fn is_weak(
    link: &AniLink, links: &[&AniLink], line_type: Option<LineType>, stored: Option<Attestation>,
    call: Option<Attestation>, now: Timestamp,
) -> bool {
    link.confirmed
        .is_some_and(|c| match attested(c.attestation) {
            Some(_) => strength(c.attestation) < strength(stored).max(strength(call)),
            None => {
                line_type == Some(LineType::Mobile)
                    && vouches(stored)
                    && consistently_attested(links.iter().copied(), Some(link), false, now)
            }
        })
}

/// The links that still earn for a call arriving with `attestation` at `now`. Weak
/// links never do (see `is_weak`: a fully attested call is the subscriber; someone
/// seen only with less was not). Shared lines (landlines, voip, toll-free) keep every
/// other link: households and offices add people without removing anyone.
///
/// A mobile is personal: its owner is the link most recently confirmed within the
/// dormancy (`policy.dormant_after`), preferring one confirmed more than once, then one
/// confirmed with an attestation (a spoof usually comes without one). Another link is
/// superseded when it lies dormant, or, where the owner has been confirmed more than
/// once, when it was last seen before the owner's first confirmation (the number moved:
/// recycled) or was confirmed once and the owner has been confirmed since (a one-off: a
/// borrowed phone, a spoof). A dormant link's attestations say nothing of who uses the
/// mobile now: they make nobody weak.
pub fn active_links<'a>(
    links: &'a [AniLink], line_type: Option<LineType>, attestation: Option<Attestation>,
    now: Timestamp, policy: &NumberPolicy,
) -> Vec<&'a AniLink> {
    let mobile = line_type == Some(LineType::Mobile);
    let fresh = |l: &AniLink| now - l.last_seen() <= policy.dormant_after;
    let vouching: Vec<&AniLink> = links.iter().filter(|l| !mobile || fresh(l)).collect();
    let stored = usual_attestation(vouching.iter().copied());
    let kept: Vec<&AniLink> = links
        .iter()
        .filter(|l| !is_weak(l, &vouching, line_type, stored, attestation, now))
        .collect();
    if !mobile {
        return kept;
    }
    let established = |l: &AniLink| l.confirmed.is_some_and(|c| c.last_at > c.first_at);
    let owner = kept
        .iter()
        .copied()
        .filter_map(|l| l.confirmed.filter(|_| fresh(l)).map(|c| (l, c)))
        .max_by_key(|(l, c)| (established(l), attested(c.attestation).is_some(), c.last_at));
    let Some((owner, owned)) = owner else {
        return kept;
    };
    // Only an owner confirmed more than once pushes others aside: of two people each
    // confirmed once (the owner and a borrower, a spoof, or a new owner's first call),
    // the later is no likelier to be the owner, and both stay.
    let superseded = |l: &AniLink| {
        !fresh(l)
            || (established(owner)
                && (l.last_seen() < owned.first_at
                    || (!established(l) && l.last_seen() < owned.last_at)))
    };
    kept.into_iter()
        .filter(|l| l.customer == owner.customer || !superseded(l))
        .collect()
}

/// Whether a call arriving with `attestation` is weaker than the usual one of the
/// number's `links` that still earn: its number is then weaker evidence than its
/// history suggests. A weaker level (C or failed after A) always is; a call without any
/// attestation is only where the number is consistently attested A or B.
pub fn is_downgrade<'a>(
    links: impl IntoIterator<Item = &'a AniLink> + Clone, attestation: Option<Attestation>,
    now: Timestamp,
) -> bool {
    let usual = strength(usual_attestation(links.clone()));
    match attested(attestation) {
        Some(_) => strength(attestation) < usual,
        None => usual >= VOUCHING && consistently_attested(links, None, true, now),
    }
}

#[cfg(test)]
mod tests;
