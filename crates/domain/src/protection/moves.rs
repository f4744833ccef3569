//! Where a link written in clear moves: the index a new link to the same value has, and
//! the value sealed beside it as a new link's copy is.

use crate::identity::PhoneNumber;
use crate::ports::{ClearLink, LinkOf, MovedLink};
use crate::protection::{DataKey, Field, Scope, index_external_id, index_number, seal};

/// Where `link` moves: its blind index under the tenant's key, with its value sealed
/// under the customer's key (`scope`) as a new link's would be.
pub fn moved_to_index(
    tenant_key: &DataKey, customer_key: &DataKey, scope: &Scope, link: ClearLink, nonce: [u8; 24],
) -> MovedLink {
    let (to, sealed) = match &link.of {
        LinkOf::Phone => (
            index_number(tenant_key, &PhoneNumber::from_e164(link.value.clone()))
                .as_e164()
                .to_owned(),
            seal(customer_key, scope, Field::PhoneNumber, &link.value, nonce),
        ),
        LinkOf::External(namespace) => (
            index_external_id(tenant_key, namespace, &link.value),
            seal(
                customer_key,
                scope,
                Field::ExternalId,
                &format!("{namespace}:{}", link.value),
                nonce,
            ),
        ),
    };
    MovedLink {
        customer: link.customer,
        of: link.of,
        from: link.value,
        to,
        sealed: Some(sealed),
    }
}
