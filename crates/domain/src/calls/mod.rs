//! The two use cases of a phone call: `calls/start` (who is this?) and `calls/end`
//! (what happened?), as a service generic over the ports.

pub mod commit;
mod errors;
mod outcome;
mod record;
mod request;
mod service;

mod end;
mod start;

#[cfg(test)]
mod tests;

pub use errors::{EndCallError, StartCallError};
pub use outcome::{EndOutcome, StartOutcome};
pub use record::{
    CallId, CallRecord, EndRecord, Fingerprint, StoredEnd, canonical_json, judge_calls,
};
pub use request::{EndCall, RawEndCall, RawStartCall, RawTelco, StartCall};
pub use service::CallService;
