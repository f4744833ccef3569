//! Who is calling: phone numbers, identity hints, and the confidence score.

mod confidence;
mod hints;
mod phone;
mod scoring;

pub use confidence::{Confidence, Level, Recommendation};
pub use hints::{CustomerRef, ExternalIds, IdentityHints, LineType, RawHints};
pub use phone::{Ani, AniPolicy, PhoneNumber};
pub use scoring::{
    Activity, AniLink, Candidate, CandidateSource, Evidence, EvidenceKind, IdentityDecision,
    ScoringWeights, score,
};
