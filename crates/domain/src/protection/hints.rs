//! A call's hints and a customer's links in the form stores keep them. A number and an
//! external id are stored twice: as their blind index under the tenant's key (what
//! lookups, links and evidence compare, so identification decrypts nothing) and sealed
//! under the customer's key (what a read, an export or an end opens; destroyed with the
//! customer). The dialled number is kept only sealed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::customers::{CustomerLookup, ExternalIdLink, PhoneLink};
use crate::identity::{Ani, IdentityHints, PhoneNumber};
use crate::protection::cipher::is_sealed;
use crate::protection::{DataKey, Field, Scope, Tampered, blind_index, open, seal};

/// The prefix of a blind index: a stored link or hint that starts with it holds no value.
pub const INDEX_PREFIX: &str = "bi1.";

/// Whether a stored call's hints hold a value in clear (as a version before encryption
/// stored them): a number or external id that is not an index, or a dialled number.
pub fn in_clear(hints: &IdentityHints) -> bool {
    hints.phone().is_some_and(|n| !is_index(n.as_e164()))
        || hints.dnis.is_some()
        || hints.external_ids.values().any(|v| !is_index(v))
}

/// Whether a stored number or id is a blind index (else it was written before
/// encryption and is read as it is).
pub fn is_index(stored: &str) -> bool {
    stored.starts_with(INDEX_PREFIX)
}

/// The sealed copies of the links a commit writes, beside their indexes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SealedLinks {
    /// The ANI's E.164, sealed.
    pub phone: Option<String>,
    /// Each external id (`namespace:value`), sealed, by namespace.
    pub external_ids: BTreeMap<String, String>,
}

/// A number's index under the tenant's key.
pub fn index_number(tenant_key: &DataKey, number: &PhoneNumber) -> PhoneNumber {
    PhoneNumber::from_e164(blind_index(
        tenant_key,
        Field::PhoneNumber,
        number.as_e164(),
    ))
}

/// An external id's index under the tenant's key: over `namespace:value`, so the same
/// value in two namespaces indexes differently.
pub fn index_external_id(tenant_key: &DataKey, namespace: &str, value: &str) -> String {
    blind_index(
        tenant_key,
        Field::ExternalId,
        &format!("{namespace}:{value}"),
    )
}

/// `hints` as lookups, links and call rows hold them: the number and the external ids
/// replaced by their indexes, the dialled number left out (it is kept sealed only).
pub fn index_hints(tenant_key: &DataKey, hints: &IdentityHints) -> IdentityHints {
    IdentityHints {
        ani: hints.ani.as_ref().map(|ani| match ani {
            Ani::Number(n) => Ani::Number(index_number(tenant_key, n)),
            Ani::Withheld => Ani::Withheld,
        }),
        dnis: None,
        external_ids: hints
            .external_ids
            .iter()
            .map(|(ns, v)| (ns.clone(), index_external_id(tenant_key, ns, v)))
            .collect(),
        customer_ref: hints.customer_ref.clone(),
    }
}

/// A search as the store runs it: by index.
pub fn index_lookup(tenant_key: &DataKey, lookup: &CustomerLookup) -> CustomerLookup {
    match lookup {
        CustomerLookup::Ani(n) => CustomerLookup::Ani(index_number(tenant_key, n)),
        CustomerLookup::ExternalId { namespace, value } => CustomerLookup::ExternalId {
            namespace: namespace.clone(),
            value: index_external_id(tenant_key, namespace, value),
        },
    }
}

/// What a call row keeps sealed: the values its indexed hints stand for.
#[derive(Serialize, Deserialize)]
struct HintValues {
    ani: Option<String>,
    dnis: Option<String>,
    external_ids: BTreeMap<String, String>,
}

/// The call's hints sealed under its customer's key (`None` when there is nothing
/// personal to seal).
pub fn seal_hints(
    key: &DataKey, scope: &Scope, hints: &IdentityHints, nonce: [u8; 24],
) -> Option<String> {
    if hints.phone().is_none() && hints.dnis.is_none() && hints.external_ids.is_empty() {
        return None;
    }
    let values = HintValues {
        ani: hints.phone().map(|n| n.as_e164().to_owned()),
        dnis: hints.dnis.clone(),
        external_ids: hints.external_ids.clone(),
    };
    let text = serde_json::to_string(&values).expect("strings serialise");
    Some(seal(key, scope, Field::CallHints, &text, nonce))
}

/// A stored call's hints with their values back: `indexed` is what the row holds,
/// `sealed` its sealed copy. Without a key or a copy the values cannot be read: the
/// indexed ones are left out (a withheld ANI and the customer ref stay).
pub fn open_hints(
    key: Option<&DataKey>, scope: &Scope, indexed: IdentityHints, sealed: Option<&str>,
) -> Result<IdentityHints, Tampered> {
    let legacy = |hints: IdentityHints| IdentityHints {
        ani: hints
            .ani
            .filter(|a| !matches!(a, Ani::Number(n) if is_index(n.as_e164()))),
        external_ids: hints
            .external_ids
            .into_iter()
            .filter(|(_, v)| !is_index(v))
            .collect(),
        ..hints
    };
    let (Some(key), Some(sealed)) = (key, sealed.filter(|s| is_sealed(s))) else {
        return Ok(legacy(indexed));
    };
    let text = open(key, scope, Field::CallHints, sealed)?;
    let values: HintValues = serde_json::from_str(&text).map_err(|_| Tampered)?;
    Ok(IdentityHints {
        ani: match (values.ani, indexed.ani) {
            (Some(e164), _) => Some(Ani::Number(PhoneNumber::from_e164(e164))),
            (None, withheld) => withheld.filter(|a| matches!(a, Ani::Withheld)),
        },
        dnis: values.dnis,
        external_ids: values.external_ids,
        customer_ref: indexed.customer_ref,
    })
}

/// The sealed copies of `hints`' number and external ids, for their links to the
/// customer of `scope`.
pub fn seal_links(
    key: &DataKey, scope: &Scope, hints: &IdentityHints, mut nonce: impl FnMut() -> [u8; 24],
) -> SealedLinks {
    SealedLinks {
        phone: hints
            .phone()
            .map(|n| seal(key, scope, Field::PhoneNumber, n.as_e164(), nonce())),
        external_ids: hints
            .external_ids
            .iter()
            .map(|(ns, v)| {
                let text = format!("{ns}:{v}");
                (
                    ns.clone(),
                    seal(key, scope, Field::ExternalId, &text, nonce()),
                )
            })
            .collect(),
    }
}

/// A customer's phone links with their numbers back. A link stored as an index with
/// no copy that opens (its customer's key is gone, or it was copied from a folded
/// customer) is left out; a link written before encryption is read as it is.
pub fn open_phones(
    key: Option<&DataKey>, scope: &Scope, links: Vec<PhoneLink>,
) -> Result<Vec<PhoneLink>, Tampered> {
    let mut opened = Vec::with_capacity(links.len());
    for link in links {
        if !is_index(link.e164.as_e164()) {
            opened.push(link);
            continue;
        }
        let (Some(key), Some(sealed)) = (key, link.sealed.as_deref()) else {
            continue;
        };
        let e164 = open(key, scope, Field::PhoneNumber, sealed)?;
        opened.push(PhoneLink {
            e164: PhoneNumber::from_e164(e164),
            sealed: None,
            ..link
        });
    }
    Ok(opened)
}

/// A customer's external id links with their values back (see [`open_phones`]). A
/// sealed copy names its namespace: one moved to another namespace does not open.
pub fn open_external_ids(
    key: Option<&DataKey>, scope: &Scope, links: Vec<ExternalIdLink>,
) -> Result<Vec<ExternalIdLink>, Tampered> {
    let mut opened = Vec::with_capacity(links.len());
    for link in links {
        if !is_index(&link.value) {
            opened.push(link);
            continue;
        }
        let (Some(key), Some(sealed)) = (key, link.sealed.as_deref()) else {
            continue;
        };
        let text = open(key, scope, Field::ExternalId, sealed)?;
        let value = text
            .strip_prefix(&format!("{}:", link.namespace))
            .ok_or(Tampered)?
            .to_owned();
        opened.push(ExternalIdLink {
            value,
            sealed: None,
            ..link
        });
    }
    Ok(opened)
}
