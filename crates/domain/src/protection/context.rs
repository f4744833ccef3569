//! Sealing a customer's variable writes before they are stored, and opening their
//! context after it is read. Values stored before encryption (no `sc1.` prefix) are
//! read as they are until the migration seals them.

use std::collections::BTreeMap;

use crate::customers::CustomerContext;
use crate::ports::{SealedVariable, UnsealedVariable};
use crate::protection::cipher::is_sealed;
use crate::protection::{DataKey, Field, Scope, Tampered, open, seal};
use crate::variables::{StoredVariable, VariableWrite};

/// `writes` with each value and source sealed under the customer's `key`; `nonce`
/// draws a fresh 24-byte nonce per value.
pub fn seal_writes(
    key: &DataKey, scope: &Scope, writes: Vec<VariableWrite>, mut nonce: impl FnMut() -> [u8; 24],
) -> Vec<VariableWrite> {
    writes
        .into_iter()
        .map(|write| match write {
            VariableWrite::Set {
                key: name,
                variable,
            } => VariableWrite::Set {
                key: name,
                variable: StoredVariable {
                    value: seal(key, scope, Field::VariableValue, &variable.value, nonce()),
                    source: variable
                        .source
                        .map(|s| seal(key, scope, Field::VariableSource, &s, nonce())),
                    ..variable
                },
            },
            delete @ VariableWrite::Delete { .. } => delete,
        })
        .collect()
}

/// The context with every sealed value opened: see [`open_variables`].
pub fn open_context(
    key: Option<&DataKey>, scope: &Scope, context: CustomerContext,
) -> Result<CustomerContext, (String, Tampered)> {
    Ok(CustomerContext {
        variables: open_variables(key, scope, context.variables)?,
        ..context
    })
}

/// Whether any of `variables` is sealed (else no key is needed to read them).
pub fn any_sealed(variables: &BTreeMap<String, StoredVariable>) -> bool {
    variables.values().any(|v| is_sealed(&v.value))
}

/// `variables` with every sealed value opened under the customer's `key`. Without a key
/// (the customer's key was destroyed: they were erased, and these rows come from
/// before), sealed variables are left out: they can no longer be read. A value that
/// does not open under the key it should is [`Tampered`], with the variable's key.
pub fn open_variables(
    key: Option<&DataKey>, scope: &Scope, stored: BTreeMap<String, StoredVariable>,
) -> Result<BTreeMap<String, StoredVariable>, (String, Tampered)> {
    let mut variables = BTreeMap::new();
    for (name, variable) in stored {
        let sealed = is_sealed(&variable.value);
        let Some(key) = key.filter(|_| sealed) else {
            if !sealed {
                variables.insert(name, variable);
            }
            continue;
        };
        let value = match open(key, scope, Field::VariableValue, &variable.value) {
            Ok(value) => value,
            Err(e) => return Err((name, e)),
        };
        let source = match variable.source {
            Some(s) if is_sealed(&s) => match open(key, scope, Field::VariableSource, &s) {
                Ok(s) => Some(s),
                Err(e) => return Err((name, e)),
            },
            other => other,
        };
        variables.insert(
            name,
            StoredVariable {
                value,
                source,
                ..variable
            },
        );
    }
    Ok(variables)
}

/// `rows` of one customer sealed under their `key`, each value and source bound to the
/// customer and field as a new write's are; `nonce` draws a fresh nonce per value.
pub fn seal_unsealed(
    key: &DataKey, scope: &Scope, rows: Vec<UnsealedVariable>, mut nonce: impl FnMut() -> [u8; 24],
) -> Vec<SealedVariable> {
    rows.into_iter()
        .map(|row| SealedVariable {
            value: seal(key, scope, Field::VariableValue, &row.value, nonce()),
            source: row
                .source
                .map(|s| seal(key, scope, Field::VariableSource, &s, nonce())),
            was: row.value,
            customer: row.customer,
            key: row.key,
        })
        .collect()
}
