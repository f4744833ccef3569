//! Which stored texts of a customer may be sealed: what a read opens, and what a data
//! key rotation looks at.

use std::collections::BTreeMap;

use crate::customers::CustomerRecord;
use crate::variables::StoredVariable;

/// The sealed texts among a customer's stored variables.
pub(crate) fn variable_texts(
    variables: &BTreeMap<String, StoredVariable>,
) -> impl Iterator<Item = &str> {
    variables
        .values()
        .flat_map(|v| std::iter::once(v.value.as_str()).chain(v.source.as_deref()))
}

/// Every stored text of a customer's record that may be sealed.
pub(crate) fn record_texts(record: &CustomerRecord) -> impl Iterator<Item = &str> {
    variable_texts(&record.variables)
        .chain(record.phones.iter().filter_map(|p| p.sealed.as_deref()))
        .chain(
            record
                .external_ids
                .iter()
                .filter_map(|x| x.sealed.as_deref()),
        )
        .chain(
            record
                .calls
                .iter()
                .filter_map(|c| c.sealed_hints.as_deref()),
        )
}
