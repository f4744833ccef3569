//! Customers as a tenant manages them: found by phone or external id, read, exported
//! whole, and erased (GDPR). The rules of what a read shows live here; how a customer
//! is stored belongs to the adapters.

mod context;
mod service;
#[cfg(test)]
mod service_tests;

pub use context::CustomerContext;
pub use service::{CustomerError, CustomerService, MAX_SEARCH_RESULTS};

use crate::text::{TextKind, is_storable, refusal};
use std::collections::BTreeMap;

use crate::calls::CallRecord;
use crate::error::ValidationError;
use crate::identity::{AniPolicy, Confirmed, CustomerRef, LineType, PhoneNumber};
use crate::intents::OpenIntent;
use crate::timestamp::Timestamp;
use crate::variables::{StoredVariable, live_at};

/// How a search names customers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerLookup {
    /// Customers seen on this number.
    Ani(PhoneNumber),
    /// Customers linked to this external id.
    ExternalId {
        /// `crm`, `account`...
        namespace: String,
        /// The id in that namespace.
        value: String,
    },
}

impl CustomerLookup {
    /// Reads a number the way a call's ANI is read (E.164, or national in the tenant's
    /// default region).
    pub fn ani(text: &str, policy: &AniPolicy) -> Result<Self, ValidationError> {
        PhoneNumber::parse(text, policy.default_region)
            .map(CustomerLookup::Ani)
            .map_err(|message| ValidationError::invalid("ani", message))
    }

    /// Reads `ns:value` (the namespace is everything before the first `:`).
    pub fn external_id(text: &str) -> Result<Self, ValidationError> {
        match text.split_once(':') {
            _ if !is_storable(text, TextKind::Line) => Err(ValidationError::invalid(
                "external_id",
                refusal(TextKind::Line),
            )),
            Some((namespace, value)) if !namespace.is_empty() && !value.is_empty() => {
                Ok(CustomerLookup::ExternalId {
                    namespace: namespace.to_owned(),
                    value: value.to_owned(),
                })
            }
            _ => Err(ValidationError::invalid(
                "external_id",
                "must be `namespace:value`, e.g. `crm:C-1042`",
            )),
        }
    }
}

/// A phone number linked to a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneLink {
    /// The number, E.164.
    pub e164: PhoneNumber,
    /// Its line type, when known.
    pub line_type: Option<LineType>,
    /// When it was linked.
    pub linked_at: Timestamp,
    /// The agents' confirmations of the customer on this number, if any.
    pub confirmed: Option<Confirmed>,
    /// As stored: the number sealed under the customer's key, `e164` being its blind
    /// index. `None` once opened (or for a link written before encryption).
    pub sealed: Option<String>,
}

/// An external id linked to a customer. `Debug` shows the value's size only.
#[derive(Clone, PartialEq, Eq)]
pub struct ExternalIdLink {
    /// Namespace (`crm`).
    pub namespace: String,
    /// Value.
    pub value: String,
    /// When it was linked.
    pub linked_at: Timestamp,
    /// As stored: `namespace:value` sealed under the customer's key, `value` being its
    /// blind index. `None` once opened (or for a link written before encryption).
    pub sealed: Option<String>,
}

impl std::fmt::Debug for ExternalIdLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExternalIdLink")
            .field("namespace", &self.namespace)
            .field("value", &crate::redact::Redacted(&self.value))
            .field("linked_at", &self.linked_at)
            .finish()
    }
}

/// Everything held on one customer, as stored (expired rows not yet purged included).
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerRecord {
    /// The customer.
    pub customer_ref: CustomerRef,
    /// When they were first seen.
    pub created_at: Timestamp,
    /// Their phone numbers.
    pub phones: Vec<PhoneLink>,
    /// Their external ids.
    pub external_ids: Vec<ExternalIdLink>,
    /// Every variable row, by key.
    pub variables: BTreeMap<String, StoredVariable>,
    /// Every intent row.
    pub intents: Vec<OpenIntent>,
    /// Every call recorded for them, oldest first.
    pub calls: Vec<CallRecord>,
}

/// What `GET /v1/customers/{ref}` shows: links, call count and live context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerView {
    /// The customer.
    pub customer_ref: CustomerRef,
    /// When they were first seen.
    pub created_at: Timestamp,
    /// Their latest call's start.
    pub last_call_at: Option<Timestamp>,
    /// Calls recorded.
    pub total_calls: usize,
    /// Their phone numbers.
    pub phones: Vec<PhoneLink>,
    /// Their external ids.
    pub external_ids: Vec<ExternalIdLink>,
    /// Open intents and live variables at the time of the read.
    pub context: CustomerContext,
}

impl CustomerRecord {
    /// A customer with nothing linked or held yet (stores fill it in).
    pub fn empty(customer_ref: CustomerRef, created_at: Timestamp) -> Self {
        Self {
            customer_ref,
            created_at,
            phones: Vec::new(),
            external_ids: Vec::new(),
            variables: BTreeMap::new(),
            intents: Vec::new(),
            calls: Vec::new(),
        }
    }

    /// The view at `now`: expired variables and intents are left out, as they would be
    /// from a call's context.
    pub fn view(self, now: Timestamp) -> CustomerView {
        let mut open_intents: Vec<OpenIntent> = self
            .intents
            .into_iter()
            .filter(|i| i.is_live(now))
            .collect();
        open_intents.sort_by_key(|i| std::cmp::Reverse(i.last_seen));
        CustomerView {
            last_call_at: self.calls.iter().map(|c| c.started_at).max(),
            total_calls: self.calls.len(),
            customer_ref: self.customer_ref,
            created_at: self.created_at,
            phones: self.phones,
            external_ids: self.external_ids,
            context: CustomerContext {
                open_intents,
                variables: live_at(self.variables, now),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use time::Duration;
    use time::macros::datetime;

    use super::*;
    use crate::intents::IntentName;
    use crate::variables::Ttl;

    fn at(days: i64) -> Timestamp {
        Timestamp::new(datetime!(2026-01-01 00:00 UTC)) + Duration::days(days)
    }

    #[test]
    fn external_ids_need_a_namespace_and_a_value() {
        assert_eq!(
            CustomerLookup::external_id("crm:C:1").unwrap(),
            CustomerLookup::ExternalId {
                namespace: "crm".into(),
                value: "C:1".into()
            }
        );
        for bad in ["crm", ":C1", "crm:", ""] {
            let e = CustomerLookup::external_id(bad).unwrap_err();
            assert_eq!(e.issues[0].path, vec!["external_id".to_owned()], "{bad}");
        }
    }

    #[test]
    fn the_view_hides_what_expired_and_puts_the_latest_intent_first() {
        let intent = |name: &str, last: i64| OpenIntent {
            name: IntentName::parse(name, "intent").unwrap(),
            attempt_count: 1,
            first_seen: at(0),
            last_seen: at(last),
        };
        let variable = |expires: i64| StoredVariable {
            value: "v".into(),
            source: None,
            ttl: Ttl::DEFAULT,
            expires_at: at(expires),
        };
        let record = CustomerRecord {
            customer_ref: CustomerRef::parse("cust_a", "customer_ref").unwrap(),
            created_at: at(0),
            phones: vec![],
            external_ids: vec![],
            variables: BTreeMap::from([
                ("live".into(), variable(200)),
                ("old".into(), variable(50)),
            ]),
            intents: vec![intent("stale", 1), intent("older", 95), intent("newer", 99)],
            calls: vec![],
        };
        let view = record.view(at(100));
        assert_eq!(view.context.variables.keys().collect::<Vec<_>>(), ["live"]);
        let names: Vec<&str> = view
            .context
            .open_intents
            .iter()
            .map(|i| i.name.as_str())
            .collect();
        assert_eq!(names, ["newer", "older"]);
        assert_eq!((view.total_calls, view.last_call_at), (0, None));
    }
}

/// What a store reads of a start's provisional customer before folding it into the
/// customer its end names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProvisionalHistory {
    /// It has calls other than the one being ended.
    pub other_calls: bool,
    /// It has variables.
    pub variables: bool,
    /// It has intents.
    pub intents: bool,
}

/// Whether a provisional customer may be folded into `into`: only when it is another
/// customer and still empty (no other call, no variable, no intent). Its links then
/// move to `into` and it is deleted; otherwise it stays as it is.
pub fn may_fold(
    provisional: &CustomerRef, into: &CustomerRef, history: ProvisionalHistory,
) -> bool {
    provisional != into && !(history.other_calls || history.variables || history.intents)
}

#[cfg(test)]
mod fold_tests {
    use super::*;

    #[test]
    fn only_an_empty_other_customer_is_folded() {
        let (p, q) = (
            CustomerRef::from_trusted("cust_p"),
            CustomerRef::from_trusted("cust_q"),
        );
        assert!(may_fold(&p, &q, ProvisionalHistory::default()));
        assert!(
            !may_fold(&p, &p, ProvisionalHistory::default()),
            "never into itself"
        );
        for history in [
            ProvisionalHistory {
                other_calls: true,
                ..Default::default()
            },
            ProvisionalHistory {
                variables: true,
                ..Default::default()
            },
            ProvisionalHistory {
                intents: true,
                ..Default::default()
            },
        ] {
            assert!(!may_fold(&p, &q, history), "{history:?}");
        }
    }
}
