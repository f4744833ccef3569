//! `UnsealedStore` in memory: variables and calls' hints in clear, and their sealed
//! replacement by compare-and-set; links in clear, moved to their indexes (folded into
//! a link already there), as the SQL stores do it.

use std::collections::btree_map::Entry;
use stickycalls_domain::StoreError;
use stickycalls_domain::calls::CallRecord;

use stickycalls_domain::identity::{CustomerRef, IdentityHints};
use stickycalls_domain::ports::{
    ClearLink, LinkOf, MovedLink, ResealedLink, SealedCall, SealedVariable, UnsealedStore,
    UnsealedVariable,
};
use stickycalls_domain::protection::{in_clear, is_index, is_sealed};
use stickycalls_domain::tenant::TenantId;

use crate::MemoryStore;
use crate::state::PhoneRow;

impl UnsealedStore for MemoryStore {
    async fn unsealed_variables(
        &self, tenant: &TenantId, limit: usize,
    ) -> Result<Vec<UnsealedVariable>, StoreError> {
        let mut state = self.lock();
        Ok(state
            .tenant(tenant)
            .variables
            .iter()
            .filter(|(_, v)| !is_sealed(&v.value))
            .take(limit)
            .map(|((customer, key), v)| UnsealedVariable {
                customer: CustomerRef::from_trusted(customer.clone()),
                key: key.clone(),
                value: v.value.clone(),
                source: v.source.clone(),
            })
            .collect())
    }

    async fn seal_variables(
        &self, tenant: &TenantId, sealed: Vec<SealedVariable>,
    ) -> Result<usize, StoreError> {
        let mut state = self.lock();
        let variables = &mut state.tenant(tenant).variables;
        let mut replaced = 0;
        for row in sealed {
            let at = (row.customer.as_str().to_owned(), row.key);
            if let Some(v) = variables.get_mut(&at).filter(|v| v.value == row.was) {
                v.value = row.value;
                v.source = row.source;
                replaced += 1;
            }
        }
        Ok(replaced)
    }

    async fn unsealed_calls(
        &self, tenant: &TenantId, limit: usize,
    ) -> Result<Vec<CallRecord>, StoreError> {
        let mut state = self.lock();
        Ok(state
            .tenant(tenant)
            .calls
            .values()
            .filter(|c| in_clear(&c.hints))
            .take(limit)
            .cloned()
            .collect())
    }

    async fn seal_calls(
        &self, tenant: &TenantId, sealed: Vec<SealedCall>,
    ) -> Result<usize, StoreError> {
        let mut state = self.lock();
        let calls = &mut state.tenant(tenant).calls;
        let mut replaced = 0;
        for SealedCall { was, now } in sealed {
            if let Some(call) = calls
                .get_mut(was.call_id.as_str())
                .filter(|c| c.hints == was.hints && c.sealed_hints == was.sealed_hints)
            {
                call.hints = now.hints;
                call.sealed_hints = now.sealed_hints;
                replaced += 1;
            }
        }
        Ok(replaced)
    }

    async fn links_in_clear(
        &self, tenant: &TenantId, limit: usize,
    ) -> Result<Vec<ClearLink>, StoreError> {
        let mut state = self.lock();
        let t = state.tenant(tenant);
        let phones = t
            .phones
            .keys()
            .filter(|(e164, _)| !is_index(e164))
            .map(|(e164, c)| clear(c, LinkOf::Phone, e164));
        let ids = t
            .external_ids
            .keys()
            .filter(|(_, value, _)| !is_index(value))
            .map(|(ns, value, c)| clear(c, LinkOf::External(ns.clone()), value));
        Ok(phones.chain(ids).take(limit).collect())
    }

    async fn clear_links_to(
        &self, tenant: &TenantId, hints: &IdentityHints,
    ) -> Result<Vec<ClearLink>, StoreError> {
        let mut state = self.lock();
        let t = state.tenant(tenant);
        let mut found = Vec::new();
        if let Some(phone) = hints.phone().map(|p| p.as_e164().to_owned()) {
            found.extend(
                t.phones
                    .range((phone.clone(), String::new())..)
                    .take_while(|((e164, _), _)| *e164 == phone)
                    .map(|((e164, c), _)| clear(c, LinkOf::Phone, e164)),
            );
        }
        for (ns, value) in &hints.external_ids {
            found.extend(
                t.external_ids
                    .range((ns.clone(), value.clone(), String::new())..)
                    .take_while(|((n, v, _), _)| n == ns && v == value)
                    .map(|((n, v, c), _)| clear(c, LinkOf::External(n.clone()), v)),
            );
        }
        found.retain(|link| !is_index(&link.value));
        Ok(found)
    }

    async fn move_links(
        &self, tenant: &TenantId, moves: Vec<MovedLink>,
    ) -> Result<usize, StoreError> {
        let mut state = self.lock();
        let t = state.tenant(tenant);
        let mut moved = 0;
        for m in moves {
            let customer = m.customer.as_str().to_owned();
            match m.of {
                LinkOf::Phone => {
                    let Some(row) = t.phones.remove(&(m.from, customer.clone())) else {
                        continue;
                    };
                    let row = PhoneRow {
                        sealed: m.sealed,
                        ..row
                    };
                    match t.phones.entry((m.to, customer)) {
                        Entry::Occupied(mut at) => fold(at.get_mut(), row),
                        Entry::Vacant(at) => {
                            at.insert(row);
                        }
                    }
                }
                LinkOf::External(ns) => {
                    let from = (ns.clone(), m.from, customer.clone());
                    let Some(linked_at) = t.external_ids.remove(&from) else {
                        continue;
                    };
                    t.external_id_copies.remove(&from);
                    let to = (ns, m.to, customer);
                    let at = t.external_ids.entry(to.clone()).or_insert(linked_at);
                    *at = (*at).min(linked_at);
                    if let (Entry::Vacant(copy), Some(sealed)) =
                        (t.external_id_copies.entry(to), m.sealed)
                    {
                        copy.insert(sealed);
                    }
                }
            }
            moved += 1;
        }
        Ok(moved)
    }

    async fn reseal_links(
        &self, tenant: &TenantId, links: Vec<ResealedLink>,
    ) -> Result<usize, StoreError> {
        let mut state = self.lock();
        let t = state.tenant(tenant);
        let mut replaced = 0;
        for link in links {
            let customer = link.customer.as_str().to_owned();
            let copy = match link.of {
                LinkOf::Phone => t
                    .phones
                    .get_mut(&(link.index, customer))
                    .and_then(|row| row.sealed.as_mut()),
                LinkOf::External(ns) => t.external_id_copies.get_mut(&(ns, link.index, customer)),
            };
            if let Some(copy) = copy.filter(|c| **c == link.was) {
                *copy = link.sealed;
                replaced += 1;
            }
        }
        Ok(replaced)
    }
}

fn clear(customer: &str, of: LinkOf, value: &str) -> ClearLink {
    ClearLink {
        customer: CustomerRef::from_trusted(customer.to_owned()),
        of,
        value: value.to_owned(),
    }
}

/// A moved link folded into the customer's link already at its index: the earliest
/// `linked_at` and first confirmation; the rest as the link there has it (its
/// confirmations if it has any, else the moved one's).
fn fold(at: &mut PhoneRow, moved: PhoneRow) {
    at.linked_at = at.linked_at.min(moved.linked_at);
    at.line_type = at.line_type.or(moved.line_type);
    at.confirmed = match (at.confirmed.take(), moved.confirmed) {
        (Some(mut kept), Some(old)) => {
            kept.first_at = kept.first_at.min(old.first_at);
            Some(kept)
        }
        (kept, old) => kept.or(old),
    };
    at.sealed = at.sealed.take().or(moved.sealed);
}
