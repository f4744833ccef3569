//! Who is calling: phone numbers, identity hints, attestation, and the decision: a
//! confidence, the signals behind it, the other people it could be, and the risks;
//! a tenant's settings, and what its confirmed calls say about its decisions.

mod attestation;
mod calibration;
mod confidence;
mod decision;
mod evidence;
mod hints;
mod learning;
mod number;
mod phone;
mod probability;
mod scoring;
mod settings;

pub use attestation::{Attestation, AttestationPolicy, AttestationRead, Carrier};
pub use calibration::{BINS, Bin, Calibration, JudgedCalls, ReuseQuality, Verdict, calibrate};
pub use confidence::{Confidence, Level, Recommendation};
pub use decision::{Explanation, Offer, Risk, Signal, Thresholds};
pub use evidence::{Activity, Evidence, EvidenceKind};
pub use hints::{CustomerRef, ExternalIds, IdentityHints, LineType, RawHints};
pub use learning::{Adjustment, Learned, MAX_LEARNED_WEIGHT, MIN_CONFIRMED, learn};
pub use number::{
    ATTESTED_RUN, AniLink, Confirmed, active_links, is_downgrade, remembered_line_type, strength,
    usual_attestation,
};
pub use phone::{Ani, AniPolicy, PhoneNumber};
pub use probability::{Basis, DEFAULT_TABLE, PRIOR_CALLS, ProbabilityModel};
pub use scoring::{
    Candidate, CandidateSource, IdentityDecision, IdentityPolicy, MAX_CANDIDATES, ScoringWeights,
    Telco, score,
};
pub use settings::{
    IdentitySettings, MAX_WITHHELD_ANIS, MAX_WITHHELD_LEN, RawAttestationPolicy,
    RawIdentitySettings, RawThresholds, RawWeights, regions,
};
