//! The rule of a tenant's data key rotation for one customer: every value sealed under
//! a key of an older generation, opened and sealed again under the customer's key of
//! the new one, as a new write is (pure; [`crate::protection::Rekeying`] runs it over a
//! tenant).

use crate::calls::CallRecord;
use crate::customers::CustomerRecord;
use crate::ports::{LinkOf, ResealedLink, SealedCall, SealedVariable};
use crate::protection::{DataKey, Field, Scope, Tampered, generation_of, open, seal};

/// What re-sealing one customer writes.
#[derive(Debug, Clone, Default)]
pub struct RekeyPlan {
    /// Variables whose value and source are re-sealed (compare-and-set on the value).
    pub variables: Vec<SealedVariable>,
    /// Links whose sealed copy is re-sealed.
    pub links: Vec<ResealedLink>,
    /// Calls whose sealed hints are re-sealed (their indexes stay).
    pub calls: Vec<SealedCall>,
    /// Values that opened under no key (altered, or moved from another customer): left
    /// as they are.
    pub unreadable: usize,
}

/// Whether `stored` is sealed under a key of another generation than `target`.
fn stale(stored: &str, target: u32) -> bool {
    generation_of(stored).is_some_and(|g| g != target)
}

/// Whether any value of `record` is sealed under a key of another generation than
/// `target` (else the customer needs no key of it).
pub fn needs_rekey(record: &CustomerRecord, target: u32) -> bool {
    crate::protection::texts::record_texts(record).any(|t| stale(t, target))
}

/// `record`'s values sealed under another generation than `new`'s, opened under `old`
/// (their keys, joined) and sealed under `new` for the same customer and field, as a
/// new write is; `nonce` draws a fresh nonce per value.
pub fn rekey_record(
    record: &CustomerRecord, old: Option<&DataKey>, new: &DataKey, scope: &Scope,
    mut nonce: impl FnMut() -> [u8; 24],
) -> RekeyPlan {
    let target = new.generation();
    let mut plan = RekeyPlan::default();
    let reseal = |field: Field, stored: &str, nonce: [u8; 24]| -> Result<String, Tampered> {
        let plain = open(old.ok_or(Tampered)?, scope, field, stored)?;
        Ok(seal(new, scope, field, &plain, nonce))
    };
    for (key, variable) in &record.variables {
        if !stale(&variable.value, target) {
            continue;
        }
        let value = reseal(Field::VariableValue, &variable.value, nonce());
        let source = match &variable.source {
            Some(s) if stale(s, target) => reseal(Field::VariableSource, s, nonce()).map(Some),
            other => Ok(other.clone()),
        };
        match (value, source) {
            (Ok(value), Ok(source)) => plan.variables.push(SealedVariable {
                customer: record.customer_ref.clone(),
                key: key.clone(),
                was: variable.value.clone(),
                value,
                source,
            }),
            _ => plan.unreadable += 1,
        }
    }
    let links = record
        .phones
        .iter()
        .map(|p| {
            (
                LinkOf::Phone,
                p.e164.as_e164(),
                p.sealed.as_deref(),
                Field::PhoneNumber,
            )
        })
        .chain(record.external_ids.iter().map(|x| {
            (
                LinkOf::External(x.namespace.clone()),
                x.value.as_str(),
                x.sealed.as_deref(),
                Field::ExternalId,
            )
        }));
    for (of, index, sealed, field) in links {
        let Some(was) = sealed.filter(|s| stale(s, target)) else {
            continue;
        };
        match reseal(field, was, nonce()) {
            Ok(sealed) => plan.links.push(ResealedLink {
                customer: record.customer_ref.clone(),
                of,
                index: index.to_owned(),
                was: was.to_owned(),
                sealed,
            }),
            Err(Tampered) => plan.unreadable += 1,
        }
    }
    for call in &record.calls {
        let Some(was) = call.sealed_hints.as_deref().filter(|s| stale(s, target)) else {
            continue;
        };
        match reseal(Field::CallHints, was, nonce()) {
            Ok(sealed) => plan.calls.push(SealedCall {
                was: call.clone(),
                now: CallRecord {
                    sealed_hints: Some(sealed),
                    ..call.clone()
                },
            }),
            Err(Tampered) => plan.unreadable += 1,
        }
    }
    plan
}
