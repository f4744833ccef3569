//! Personal data at rest: which fields are personal, how a value is sealed under a data
//! key (XChaCha20-Poly1305, bound to its tenant, customer and field so a ciphertext
//! moved to another row does not open), how data keys are wrapped under the operator's
//! master key, and how a value is indexed without being stored (a keyed HMAC-SHA256
//! blind index). Pure functions: keys and nonces come from the [`crate::ports::Vault`]
//! port, which also destroys a customer's key when they are erased (crypto-shredding).

mod cipher;
mod clear_links;
mod context;
mod generation;
mod hints;
#[cfg(test)]
mod hints_tests;
mod index;
mod keys;
mod migration;
mod moves;
mod rekey;
#[cfg(test)]
mod rekey_tests;
mod rotation;
mod sealer;
#[cfg(test)]
mod tests;
mod texts;

pub use cipher::{generation_of, is_sealed, open, seal};
pub use clear_links::ClearLinks;
pub use context::{any_sealed, open_context, open_variables, seal_unsealed, seal_writes};
pub use generation::Generation;
pub use hints::{
    INDEX_PREFIX, SealedLinks, in_clear, index_external_id, index_hints, index_lookup,
    index_number, is_index, open_external_ids, open_hints, open_phones, seal_hints, seal_links,
};
pub use index::blind_index;
pub use keys::{DataKey, MasterKey, MasterKeyError, Rewrap, Scope, Tampered, WRAPPED_PREFIX};
pub use migration::{Migrated, SealingMigration};
pub use moves::moved_to_index;
pub use rekey::{RekeyPlan, needs_rekey, rekey_record};
pub use rotation::{Rekeyed, Rekeying};
pub use sealer::Sealer;

/// Rows read and sealed (or links moved) per statement by the migration of rows
/// written before encryption.
pub const BATCH: usize = 500;

/// `rows` grouped by their customer (each customer's key is read once per batch).
pub(crate) fn by_customer<T>(
    rows: Vec<T>, customer: impl Fn(&T) -> &crate::identity::CustomerRef,
) -> std::collections::BTreeMap<crate::identity::CustomerRef, Vec<T>> {
    let mut grouped = std::collections::BTreeMap::<_, Vec<T>>::new();
    for row in rows {
        grouped.entry(customer(&row).clone()).or_default().push(row);
    }
    grouped
}

/// A personal field: what is sealed, and under which name its ciphertext is bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// A variable's value.
    VariableValue,
    /// A variable's `source` (free text).
    VariableSource,
    /// A phone number linked to a customer (sealed, and blind-indexed for lookups).
    PhoneNumber,
    /// An external id's value (sealed, and blind-indexed for lookups).
    ExternalId,
    /// A call's hints (its number, dialled number and external ids), sealed with the
    /// call.
    CallHints,
}

impl Field {
    /// The name bound into every ciphertext and index of this field.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::VariableValue => "variable.value",
            Field::VariableSource => "variable.source",
            Field::PhoneNumber => "phone.e164",
            Field::ExternalId => "external_id.value",
            Field::CallHints => "call.hints",
        }
    }

    /// Whether lookups by this field go through a blind index.
    pub fn is_indexed(self) -> bool {
        matches!(self, Field::PhoneNumber | Field::ExternalId)
    }
}
