//! A customer's live context: what a start and a read show of a customer.

use std::collections::BTreeMap;

use crate::intents::OpenIntent;
use crate::variables::StoredVariable;

/// A customer's live context: open intents and variables.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CustomerContext {
    /// Open intents (the domain re-filters expiry and sorts them).
    pub open_intents: Vec<OpenIntent>,
    /// Variables by key (the domain re-filters expiry).
    pub variables: BTreeMap<String, StoredVariable>,
}
