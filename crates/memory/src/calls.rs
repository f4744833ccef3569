//! `CallStore` in memory: the start's read and the two commits. Each commit checks
//! everything it can refuse before it writes anything, under the store's one lock.

use std::collections::BTreeMap;

use stickycalls_domain::calls::{CallId, CallRecord};
use stickycalls_domain::credits::{
    BillingPolicy, Charge, CreditAccount, CreditChange, InsufficientCredits,
};
use stickycalls_domain::customers::{ProvisionalHistory, may_fold};
use stickycalls_domain::identity::{
    Activity, Confirmed, CustomerRef, Evidence, EvidenceKind, IdentityHints, LineType,
};
use stickycalls_domain::intents::{INTENT_EXPIRY, IntentWrite, OpenIntent};
use stickycalls_domain::ports::{
    CallStore, CommitEndError, CommitStartError, CustomerContext, EndCommit, EndReceipt,
    StartCommit, StartReceipt, StartSnapshot,
};
use stickycalls_domain::protection::SealedLinks;
use stickycalls_domain::tenant::TenantId;
use stickycalls_domain::variables::{VariableWrite, check_live_limit};
use stickycalls_domain::webhooks::{debit_events, end_events};
use stickycalls_domain::{StoreError, Timestamp};

use crate::MemoryStore;
use crate::state::{PhoneRow, Tenant};

impl Tenant {
    pub(crate) fn evidence(&self, hints: &IdentityHints) -> Evidence {
        let mut facts: Vec<(String, EvidenceKind, Timestamp)> = Vec::new();
        if let Some(phone) = hints.phone() {
            for ((e164, customer), row) in &self.phones {
                if e164 == phone.as_e164() {
                    facts.push((
                        customer.clone(),
                        EvidenceKind::Ani(row.line_type, row.confirmed),
                        row.linked_at,
                    ));
                    for ((ns, _, holder), linked_at) in &self.external_ids {
                        if holder == customer && hints.external_ids.contains_key(ns) {
                            facts.push((
                                customer.clone(),
                                EvidenceKind::Holds(ns.clone()),
                                *linked_at,
                            ));
                        }
                    }
                }
            }
        }
        for (namespace, value) in &hints.external_ids {
            for ((ns, v, customer), linked_at) in &self.external_ids {
                if ns == namespace && v == value {
                    facts.push((
                        customer.clone(),
                        EvidenceKind::External(ns.clone()),
                        *linked_at,
                    ));
                }
            }
        }
        if let Some(named) = &hints.customer_ref
            && let Some(created) = self.customers.get(named.as_str())
        {
            facts.push((named.as_str().to_owned(), EvidenceKind::Named, *created));
        }
        let mut evidence = Evidence::default();
        for (customer, kind, linked_at) in facts {
            // The latest open intent; on a tie, the first name (as the SQL stores order).
            let latest = self
                .intents
                .iter()
                .filter(|((who, _), _)| *who == customer)
                .max_by(|(a, x), (b, y)| x.last_seen.cmp(&y.last_seen).then(b.1.cmp(&a.1)));
            let activity = Activity {
                last_call_at: self
                    .calls
                    .values()
                    .filter(|c| c.customer.as_str() == customer)
                    .map(|c| c.started_at)
                    .max(),
                last_open_intent_at: latest.map(|(_, i)| i.last_seen),
                last_open_intent: latest.map(|((_, name), _)| name.clone()),
            };
            evidence.add(
                CustomerRef::from_trusted(customer),
                kind,
                linked_at,
                activity,
            );
        }
        evidence
    }

    /// Open intents untouched for less than 90 days (newest first) and live
    /// variables.
    pub(crate) fn context(&self, customer: &CustomerRef, now: Timestamp) -> CustomerContext {
        let who = customer.as_str();
        let mut open_intents: Vec<_> = self
            .intents
            .iter()
            .filter(|((c, _), i)| c == who && i.last_seen > now - INTENT_EXPIRY)
            .map(|(_, i)| i.clone())
            .collect();
        open_intents.sort_by_key(|i| std::cmp::Reverse(i.last_seen));
        let variables = self
            .variables
            .iter()
            .filter(|((c, _), v)| c == who && v.expires_at > now)
            .map(|((_, key), v)| (key.clone(), v.clone()))
            .collect::<BTreeMap<_, _>>();
        CustomerContext {
            open_intents,
            variables,
        }
    }

    fn ensure_customer(&mut self, customer: &CustomerRef, at: Timestamp) {
        self.customers
            .entry(customer.as_str().to_owned())
            .or_insert(at);
    }

    /// Links the hints (idempotent); the line type to remember replaces the stored one.
    fn link_hints(
        &mut self, customer: &CustomerRef, hints: &IdentityHints, sealed: &SealedLinks,
        line_type: Option<LineType>, at: Timestamp,
    ) {
        let who = customer.as_str().to_owned();
        if let Some(phone) = hints.phone() {
            let remember = LineType::to_remember(line_type);
            let row = self
                .phones
                .entry((phone.as_e164().to_owned(), who.clone()))
                .or_insert(PhoneRow {
                    line_type: None,
                    confirmed: None,
                    linked_at: at,
                    sealed: None,
                });
            row.line_type = remember.or(row.line_type);
            row.sealed = sealed.phone.clone().or(row.sealed.take());
        }
        for (namespace, value) in &hints.external_ids {
            let key = (namespace.clone(), value.clone(), who.clone());
            if let Some(copy) = sealed.external_ids.get(namespace) {
                self.external_id_copies.insert(key.clone(), copy.clone());
            }
            self.external_ids.entry(key).or_insert(at);
        }
    }

    fn live_keys(&self, customer: &str, at: Timestamp) -> Vec<&str> {
        self.variables
            .iter()
            .filter(|((c, _), v)| c == customer && v.expires_at > at)
            .map(|((_, key), _)| key.as_str())
            .collect()
    }

    /// Applies variable writes (the live limit already checked); rows changed.
    pub(crate) fn apply_variables(&mut self, customer: &str, writes: &[VariableWrite]) -> usize {
        let mut changed = 0;
        for write in writes {
            match write {
                VariableWrite::Delete { key } => {
                    changed += usize::from(
                        self.variables
                            .remove(&(customer.to_owned(), key.clone()))
                            .is_some(),
                    );
                }
                VariableWrite::Set { key, variable } => {
                    self.variables
                        .insert((customer.to_owned(), key.clone()), variable.clone());
                    changed += 1;
                }
            }
        }
        changed
    }

    /// Refuses writes that would break the live-variable limit.
    pub(crate) fn check_variables(
        &self, customer: &str, writes: &[VariableWrite], at: Timestamp,
    ) -> Result<(), stickycalls_domain::ValidationError> {
        if writes.is_empty() {
            return Ok(());
        }
        check_live_limit(self.live_keys(customer, at), writes)
    }

    /// Folds the provisional customer into `into` when the domain allows it.
    fn fold(&mut self, provisional: &CustomerRef, into: &CustomerRef, this_call: &CallId) {
        let p = provisional.as_str();
        let history = ProvisionalHistory {
            other_calls: self
                .calls
                .values()
                .any(|c| c.customer.as_str() == p && c.call_id != *this_call),
            variables: self.variables.keys().any(|(c, _)| c == p),
            intents: self.intents.keys().any(|(c, _)| c == p),
        };
        if !may_fold(provisional, into, history) || !self.has_customer(p) {
            return;
        }
        let target = into.as_str().to_owned();
        let phones: Vec<_> = self
            .phones
            .iter()
            .filter(|((_, c), _)| c == p)
            .map(|((e164, _), row)| (e164.clone(), row.clone()))
            .collect();
        // Sealed copies are bound to their customer: the moved links keep their
        // indexes only, and the end's links write their copies again.
        for (e164, row) in phones {
            self.phones.remove(&(e164.clone(), p.to_owned()));
            self.phones
                .entry((e164, target.clone()))
                .or_insert(PhoneRow {
                    sealed: None,
                    ..row
                });
        }
        self.external_id_copies.retain(|(_, _, c), _| c != p);
        let ids: Vec<_> = self
            .external_ids
            .iter()
            .filter(|((_, _, c), _)| c == p)
            .map(|((ns, v, _), at)| (ns.clone(), v.clone(), *at))
            .collect();
        for (ns, v, at) in ids {
            self.external_ids
                .remove(&(ns.clone(), v.clone(), p.to_owned()));
            self.external_ids
                .entry((ns, v, target.clone()))
                .or_insert(at);
        }
        for claim in self.claims.values_mut() {
            if let Some(response) = &mut claim.response
                && response.customer.as_ref() == Some(provisional)
            {
                response.customer = Some(into.clone());
            }
        }
        self.customers.remove(p);
    }

    /// Applies an intent change as the domain decides it; intents changed.
    fn apply_intent(
        &mut self, customer: &CustomerRef, write: &IntentWrite,
    ) -> (u32, Option<OpenIntent>) {
        let key = (
            customer.as_str().to_owned(),
            write.name().as_str().to_owned(),
        );
        let before = self.intents.get(&key).cloned();
        let change = write.decide(before.clone());
        match change.after {
            Some(intent) => {
                self.intents.insert(key, intent);
            }
            None => {
                self.intents.remove(&key);
            }
        }
        (change.updated, before)
    }

    fn commit_start(
        &mut self, tenant: TenantId, commit: StartCommit, policy: &dyn BillingPolicy,
    ) -> Result<StartReceipt, CommitStartError> {
        let call = &commit.call;
        if self.calls.contains_key(call.call_id.as_str()) {
            return Err(CommitStartError::CallIdTaken);
        }
        let debit = self.debit(commit.charge, &call.call_id, policy, call.started_at)?;
        if commit.create_customer {
            self.ensure_customer(&call.customer, call.started_at);
        }
        if !self.has_customer(call.customer.as_str()) {
            return Err(CommitStartError::Store(StoreError::Unknown(
                std::io::Error::other("a start names a customer that does not exist").into(),
            )));
        }
        self.calls
            .insert(call.call_id.as_str().to_owned(), call.clone());
        if commit.link_hints {
            self.link_hints(
                &call.customer,
                &call.hints,
                &commit.sealed_links,
                call.line_type,
                call.started_at,
            );
        }
        let context = if commit.read_context {
            self.context(&call.customer, call.started_at)
        } else {
            CustomerContext::default()
        };
        let credits_remaining = match debit {
            Some(change) => {
                let events = debit_events(
                    tenant,
                    self.credits.as_ref(),
                    &change,
                    &call.call_id,
                    policy,
                    call.started_at,
                );
                self.webhooks.write(events);
                Some(self.save_credits(change).balance().total())
            }
            None if commit.report_balance => Some(
                self.credits
                    .clone()
                    .map(|a| a.at(policy, call.started_at).0.balance().total())
                    .unwrap_or(0),
            ),
            None => None,
        };
        Ok(StartReceipt {
            context,
            credits_remaining,
        })
    }

    /// The decided debit of `charge`, not saved yet; refused when it cannot be paid.
    fn debit(
        &self, charge: Option<Charge>, call_id: &CallId, policy: &dyn BillingPolicy, at: Timestamp,
    ) -> Result<Option<CreditChange>, InsufficientCredits> {
        let Some(charge) = charge else {
            return Ok(None);
        };
        CreditAccount::debit_stored(self.credits.clone(), charge, call_id, policy, at).map(Some)
    }

    fn commit_end(
        &mut self, tenant: TenantId, commit: EndCommit, policy: &dyn BillingPolicy,
    ) -> Result<EndReceipt, CommitEndError> {
        let call = &commit.call;
        let customer = &call.customer;
        let at = call.ended.as_ref().map_or(call.started_at, |e| e.ended_at);
        // Everything that can refuse, first.
        match self.calls.get(call.call_id.as_str()) {
            Some(_) if commit.standalone => return Err(CommitEndError::CallIdTaken),
            Some(stored) if stored.ended.is_some() => return Err(CommitEndError::AlreadyEnded),
            None if !commit.standalone => return Err(CommitEndError::AlreadyEnded),
            _ => {}
        }
        if !commit.create_customer && !self.has_customer(customer.as_str()) {
            return Err(CommitEndError::Store(StoreError::Unknown(
                std::io::Error::other("an end names a customer that does not exist").into(),
            )));
        }
        self.check_variables(customer.as_str(), &commit.variables, at)?;
        let debit = self.debit(commit.charge, &call.call_id, policy, at)?;
        // Then the writes.
        let mut events = Vec::new();
        if let Some(change) = debit {
            events = debit_events(
                tenant,
                self.credits.as_ref(),
                &change,
                &call.call_id,
                policy,
                at,
            );
            self.save_credits(change);
        }
        if commit.create_customer {
            self.ensure_customer(customer, at);
        }
        let mut ended = call.clone();
        if !commit.standalone
            && let Some(stored) = self.calls.get(call.call_id.as_str())
        {
            ended = CallRecord {
                customer: customer.clone(),
                ended: call.ended.clone(),
                sealed_hints: call.sealed_hints.clone(),
                ..stored.clone()
            };
        }
        self.calls.insert(call.call_id.as_str().to_owned(), ended);
        if let Some(provisional) = &commit.fold_provisional {
            self.fold(provisional, customer, &call.call_id);
        }
        self.link_hints(
            customer,
            &commit.link,
            &commit.sealed_links,
            commit.line_type,
            at,
        );
        if let (Some(confirmed), Some(phone)) = (commit.confirmation, commit.link.phone()) {
            let key = (phone.as_e164().to_owned(), customer.as_str().to_owned());
            if let Some(row) = self.phones.get_mut(&key) {
                row.confirmed = Some(Confirmed::after(
                    row.confirmed,
                    confirmed.last_at,
                    confirmed.attestation,
                ));
            }
        }
        let (intents_updated, before) = match &commit.intent {
            Some(write) => self.apply_intent(customer, write),
            None => (0, None),
        };
        let intent = commit.intent.as_ref().map(|w| (w, before.as_ref()));
        events.extend(end_events(tenant, call, intent));
        self.webhooks.write(events);
        self.apply_variables(customer.as_str(), &commit.variables);
        if let Some(end) = self
            .calls
            .get_mut(call.call_id.as_str())
            .and_then(|c| c.ended.as_mut())
        {
            end.intents_updated = intents_updated;
        }
        Ok(EndReceipt { intents_updated })
    }
}

impl CallStore for MemoryStore {
    /// The commit is one step under the lock: nothing to hold.
    type StartTx = ();

    async fn load_start(
        &self, tenant: &TenantId, call_id: &CallId, hints: &IdentityHints,
    ) -> Result<(StartSnapshot, ()), StoreError> {
        let mut state = self.lock();
        let t = state.tenant(tenant);
        let snapshot = StartSnapshot {
            call: t.calls.get(call_id.as_str()).cloned(),
            evidence: t.evidence(hints),
        };
        Ok((snapshot, ()))
    }

    async fn find_call(
        &self, tenant: &TenantId, call_id: &CallId,
    ) -> Result<Option<CallRecord>, StoreError> {
        Ok(self
            .lock()
            .tenant(tenant)
            .calls
            .get(call_id.as_str())
            .cloned())
    }

    async fn gather_evidence(
        &self, tenant: &TenantId, hints: &IdentityHints,
    ) -> Result<Evidence, StoreError> {
        Ok(self.lock().tenant(tenant).evidence(hints))
    }

    async fn customer_context(
        &self, tenant: &TenantId, customer: &CustomerRef, now: Timestamp,
    ) -> Result<CustomerContext, StoreError> {
        Ok(self.lock().tenant(tenant).context(customer, now))
    }

    async fn commit_start(
        &self, tenant: &TenantId, _tx: (), commit: StartCommit,
    ) -> Result<StartReceipt, CommitStartError> {
        let policy = self.policy.clone();
        self.lock()
            .tenant(tenant)
            .commit_start(*tenant, commit, policy.as_ref())
    }

    async fn commit_end(
        &self, tenant: &TenantId, commit: EndCommit,
    ) -> Result<EndReceipt, CommitEndError> {
        let policy = self.policy.clone();
        self.lock()
            .tenant(tenant)
            .commit_end(*tenant, commit, policy.as_ref())
    }
}
