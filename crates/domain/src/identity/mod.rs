//! Who is calling: phone numbers, identity hints, attestation, and the decision: a
//! confidence, the signals behind it, the other people it could be, and the risks.

mod attestation;
mod confidence;
mod decision;
mod evidence;
mod hints;
mod number;
mod phone;
mod scoring;

pub use attestation::{Attestation, AttestationPolicy};
pub use confidence::{Confidence, Level, Recommendation};
pub use decision::{Explanation, Offer, Risk, Signal, Thresholds};
pub use evidence::{Activity, AniLink, Evidence, EvidenceKind};
pub use hints::{CustomerRef, ExternalIds, IdentityHints, LineType, RawHints};
pub use number::{
    Confirmed, active_links, is_downgrade, remembered_line_type, strength, usual_attestation,
};
pub use phone::{Ani, AniPolicy, PhoneNumber};
pub use scoring::{
    Candidate, CandidateSource, IdentityDecision, IdentityPolicy, MAX_CANDIDATES, ScoringWeights,
    Telco, score,
};
