//! The audit trail's rules: what one line records (who, what, which object, from
//! where, when, with which result), the actions it names, how a listing is filtered and
//! paged, and how long lines are kept. Lines hold no personal data of callers: a
//! customer is named by its keyed digest, as in logs. How lines are stored (append
//! only) is a store's; this module says what they are.

mod entry;
mod listing;
mod stored;
#[cfg(test)]
mod tests;

pub use entry::{Actor, AuditAction, AuditEntry, AuditObject, Outcome};
pub use listing::{AUDIT_KEPT_DAYS, AuditCursor, AuditFilter, audit_cutoff};
pub use stored::StoredAudit;
