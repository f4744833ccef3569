//! What the store knows that bears on a call's hints: who is linked to its number and
//! external ids, each link's memory, and each person's latest call and open intent.
//! Every store builds it with [`Evidence::add`].

use std::collections::BTreeMap;

use super::hints::{CustomerRef, IdentityHints, LineType};
use super::number::{AniLink, Confirmed};
use crate::intents::INTENT_EXPIRY;
use crate::timestamp::Timestamp;

/// What the store knows of a candidate customer's history.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Activity {
    /// Start of the customer's most recent call.
    pub last_call_at: Option<Timestamp>,
    /// `last_seen` of the customer's most recently touched open intent.
    pub last_open_intent_at: Option<Timestamp>,
    /// That intent's name.
    pub last_open_intent: Option<String>,
}

impl Activity {
    /// What an agent may ask this customer about: their latest open intent, while it
    /// is live.
    pub fn hint(&self, now: Timestamp) -> Option<String> {
        let seen = self.last_open_intent_at?;
        (now - seen <= INTENT_EXPIRY)
            .then(|| self.last_open_intent.clone())
            .flatten()
    }
}

/// Everything stored that bears on the hints, read in one go by the store.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Evidence {
    /// Customers linked to the ANI (empty without a usable ANI).
    pub ani_links: Vec<AniLink>,
    /// (namespace, customer) for every external id of the hints that is linked.
    pub external_matches: Vec<(String, CustomerRef)>,
    /// The hints' `customer_ref`, when it names an existing customer.
    pub named_customer: Option<CustomerRef>,
    /// Activity of every customer named above.
    pub activity: BTreeMap<CustomerRef, Activity>,
    /// When each customer was last linked to one of the hints.
    pub linked: BTreeMap<CustomerRef, Timestamp>,
    /// For customers on the ANI: the namespaces, among the hints' external ids', in
    /// which they hold ids (the same one or another), with when each was linked.
    pub held: BTreeMap<CustomerRef, BTreeMap<String, Vec<Timestamp>>>,
}

/// Why a stored row is evidence for the hints: the kinds the SQL stores' evidence
/// query returns (`ani`, `external`, `named`, `holds`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvidenceKind {
    /// The customer is linked to the ANI, with the line type the link remembers and
    /// its confirmations.
    Ani(Option<LineType>, Option<Confirmed>),
    /// The customer is linked to an external id of this namespace.
    External(String),
    /// The customer is the one the hints name.
    Named,
    /// The customer, on the ANI, holds an external id in this namespace of the hints.
    Holds(String),
}

impl EvidenceKind {
    /// Reads a stored row's kind (`ani`, `external`, `holds`, anything else is `named`).
    pub fn from_row(
        kind: &str, namespace: Option<String>, line_type: Option<LineType>,
        confirmed: Option<Confirmed>,
    ) -> Self {
        match kind {
            "ani" => EvidenceKind::Ani(line_type, confirmed),
            "external" => EvidenceKind::External(namespace.unwrap_or_default()),
            "holds" => EvidenceKind::Holds(namespace.unwrap_or_default()),
            _ => EvidenceKind::Named,
        }
    }
}

impl Evidence {
    /// Whether `hints`' external ids contradict `customer`: in a namespace where the
    /// customer holds one id that identifies them, the hints give another (a new owner of
    /// a recycled number giving their own CRM id, say). An id identifies them when it is
    /// their only one in its namespace and they have called since it was linked: a
    /// namespace that takes a new value on every call (a platform's call id sent as an
    /// external id) never contradicts anyone.
    pub fn contradicts(&self, customer: &CustomerRef, hints: &IdentityHints) -> bool {
        let Some(held) = self.held.get(customer) else {
            return false;
        };
        let last_call = self.activity_of(customer).last_call_at;
        held.iter().any(|(namespace, linked)| {
            hints.external_ids.contains_key(namespace)
                && linked.len() == 1
                && last_call.is_some_and(|call| linked[0] < call)
                && !self
                    .external_matches
                    .iter()
                    .any(|(ns, c)| ns == namespace && c == customer)
        })
    }

    /// What is known of a customer's history (nothing, for one not in the evidence).
    pub fn activity_of(&self, customer: &CustomerRef) -> Activity {
        self.activity.get(customer).cloned().unwrap_or_default()
    }

    /// A customer's latest call, else the latest time a hint was linked to them.
    pub fn last_seen(&self, customer: &CustomerRef) -> Timestamp {
        let linked = self.linked.get(customer).copied();
        self.activity_of(customer)
            .last_call_at
            .into_iter()
            .chain(linked)
            .max()
            .unwrap_or_else(|| Timestamp::new(time::OffsetDateTime::UNIX_EPOCH))
    }

    /// Adds one stored fact: a customer, why it bears on the hints, when it was linked,
    /// and its activity (ignored for [`EvidenceKind::Holds`]: stores need not read it). Every store builds its evidence with this.
    pub fn add(
        &mut self, customer: CustomerRef, kind: EvidenceKind, linked_at: Timestamp,
        activity: Activity,
    ) {
        // A held id's row carries no activity: its customer's comes with its `ani` row.
        if let EvidenceKind::Holds(namespace) = kind {
            let held = self.held.entry(customer).or_default();
            held.entry(namespace).or_default().push(linked_at);
            return;
        }
        self.activity.insert(customer.clone(), activity);
        let latest = self.linked.entry(customer.clone()).or_insert(linked_at);
        *latest = (*latest).max(linked_at);
        match kind {
            EvidenceKind::Ani(line_type, confirmed) => self.ani_links.push(AniLink {
                customer,
                line_type,
                linked_at,
                confirmed,
            }),
            EvidenceKind::External(namespace) => self.external_matches.push((namespace, customer)),
            EvidenceKind::Named => self.named_customer = Some(customer),
            EvidenceKind::Holds(_) => {}
        }
    }
}
