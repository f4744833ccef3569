//! `calls/end`: record what happened, attribute the call, save intents and variables.

use super::errors::EndCallError;
use super::outcome::EndOutcome;
use super::record::{CallRecord, EndRecord, Fingerprint};
use super::request::{EndCall, RawEndCall};
use super::service::CallService;
use crate::credits::is_billable;
use crate::identity::{Attestation, Confirmed, IdentityHints, Recommendation, Verdict, score};
use crate::intents::IntentWrite;
use crate::ports::{CallStore, Clock, CommitEndError, CreditLedger, EndCommit, IdGenerator};
use crate::protection::SealedLinks;
use crate::tenant::Tenant;
use crate::timestamp::Timestamp;

impl<S: CallStore, L: CreditLedger, C: Clock, I: IdGenerator> CallService<S, L, C, I> {
    /// Ends a call. Retrying the same end answers the original response; a different
    /// end of an ended call is [`EndCallError::CallAlreadyEnded`]. An end whose call was
    /// never started is recorded whole when it identifies a caller (standalone end).
    pub async fn end(&self, tenant: &Tenant, raw: RawEndCall) -> Result<EndOutcome, EndCallError> {
        let now = self.clock.now();
        let request = EndCall::parse(raw, &tenant.policy, now)?;
        // A standalone end that loses a race to a start of the same call_id ends that
        // call instead (one more pass); a customer changed since the read is read again,
        // and the pass after that reads it under the store's lock (no `seen`), so the
        // passes are bounded.
        let intent = request.intent.as_ref().map(|(name, _)| name.clone());
        let mut decide_on_read = true;
        for _ in 0..4 {
            let snapshot = self
                .store
                .load_end(
                    &tenant.id,
                    &request.call_id,
                    request.customer_ref.clone(),
                    intent.clone(),
                    now,
                )
                .await?;
            let mut commit = match snapshot.call {
                Some(call) => match &call.ended {
                    Some(_) => return replay_end(call, &request.fingerprint),
                    None => {
                        let call = self.sealer.open_call(&tenant.id, call).await?;
                        end_started(call, &request, now)
                    }
                },
                None => self.end_standalone(tenant, &request, now).await?,
            };
            commit.seen = snapshot
                .customer
                .filter(|seen| decide_on_read && seen.customer == commit.call.customer);
            let standalone = commit.standalone;
            let call = commit.call.clone();
            let writes = std::mem::take(&mut commit.variables);
            commit.variables = self
                .sealer
                .seal(&tenant.id, &commit.call.customer, writes)
                .await?;
            self.sealer.seal_end(&tenant.id, &mut commit).await?;
            match self.store.commit_end(&tenant.id, commit).await {
                Ok(receipt) => {
                    let mut call = call;
                    if let Some(end) = call.ended.as_mut() {
                        end.intents_updated = receipt.intents_updated;
                    }
                    return Ok(end_outcome(call, false));
                }
                Err(CommitEndError::AlreadyEnded) => {
                    return match self.store.find_call(&tenant.id, &request.call_id).await? {
                        Some(call) => replay_end(call, &request.fingerprint),
                        None => Err(EndCallError::CallNotFound),
                    };
                }
                Err(CommitEndError::Stale) => decide_on_read = false,
                Err(CommitEndError::CallIdTaken) if standalone => continue,
                Err(CommitEndError::CallIdTaken) => return Err(EndCallError::CallAlreadyEnded),
                Err(CommitEndError::Refused(e)) => return Err(e.into()),
                Err(CommitEndError::InsufficientCredits(e)) => return Err(e.into()),
                Err(CommitEndError::Store(e)) => return Err(e.into()),
            }
        }
        Err(EndCallError::CallAlreadyEnded)
    }

    /// A call never started: resolve the caller as a start would, then record it whole.
    async fn end_standalone(
        &self, tenant: &Tenant, request: &EndCall, now: Timestamp,
    ) -> Result<EndCommit, EndCallError> {
        let mut hints = request.hints.clone().unwrap_or_default();
        if hints.customer_ref.is_none() {
            hints.customer_ref = request.customer_ref.clone();
        }
        if hints.is_empty() {
            return Err(EndCallError::CallNotFound);
        }
        let indexed = self.sealer.index(&tenant.id, &hints).await?;
        let evidence = self.store.gather_evidence(&tenant.id, &indexed).await?;
        let decision = score(
            &hints,
            request.telco,
            &evidence,
            &tenant.policy.identity,
            now,
        );
        let recommendation = decision.recommendation();
        let matched = decision
            .candidate
            .as_ref()
            .filter(|_| recommendation == Recommendation::Reuse)
            .map(|c| c.customer.clone());
        // Billed like a start: a caller the end does not match is a new customer.
        let billable = is_billable(recommendation);
        let charge = if billable {
            self.ledger.start_charge(&tenant.id).await?
        } else {
            None
        };
        let customer = request
            .customer_ref
            .clone()
            .or(matched)
            .unwrap_or_else(|| self.ids.new_customer_ref());
        let call = CallRecord {
            call_id: request.call_id.clone(),
            customer,
            started_at: now,
            start_fingerprint: Fingerprint::standalone(),
            confidence: decision.confidence,
            sources: decision.sources,
            explanation: decision.explanation,
            billable,
            provisional: false,
            hints: hints.clone(),
            sealed_hints: None,
            line_type: request.telco.line_type,
            attestation: request.telco.attestation,
            ended: Some(end_record(request, now)),
        };
        Ok(EndCommit {
            call,
            standalone: true,
            charge,
            create_customer: true,
            fold_provisional: None,
            link: hints,
            sealed_links: SealedLinks::default(),
            line_type: request.telco.line_type,
            confirmation: confirmation(request, false, None, now),
            intent: intent_write(request, now),
            variables: request.variables.clone(),
            seen: None,
        })
    }
}

/// The commit that ends a started call. The client's `customer_ref` wins; a provisional
/// customer the start created is folded into it, a customer with history never is.
fn end_started(call: CallRecord, request: &EndCall, now: Timestamp) -> EndCommit {
    let customer = request
        .customer_ref
        .clone()
        .unwrap_or_else(|| call.customer.clone());
    let moved = customer != call.customer;
    let fold_provisional = (moved && call.provisional).then(|| call.customer.clone());
    let link = match &request.hints {
        Some(end_hints) => call.hints.merged_with(end_hints),
        None => call.hints.clone(),
    };
    let link = IdentityHints {
        customer_ref: None,
        ..link
    };
    let line_type = request.telco.line_type.or(call.line_type);
    let accepted = call.explanation.recommendation == Recommendation::Reuse;
    let confirmation = confirmation(request, accepted, call.attestation, now);
    let verdict = confirmation.map(|_| judge(&call, accepted, moved));
    EndCommit {
        call: CallRecord {
            customer,
            ended: Some(EndRecord {
                verdict,
                ..end_record(request, now)
            }),
            ..call
        },
        standalone: false,
        charge: None,
        create_customer: moved,
        fold_provisional,
        link,
        sealed_links: SealedLinks::default(),
        line_type,
        confirmation,
        intent: intent_write(request, now),
        variables: request.variables.clone(),
        seen: None,
    }
}

/// An end that names its customer is an agent's confirmation, and so is an end that
/// leaves a `reuse` start's customer as it was (the context was used, not corrected):
/// the number's link keeps when, and the attestation the call carried (the end's, else
/// the start's).
fn confirmation(
    request: &EndCall, accepted: bool, started_with: Option<Attestation>, now: Timestamp,
) -> Option<Confirmed> {
    if request.customer_ref.is_none() && !accepted {
        return None;
    }
    Some(Confirmed::after(
        None,
        now,
        request.telco.attestation.or(started_with),
    ))
}

/// What a confirming end says of its start: the start's candidate (a known customer,
/// not one it created or one a `customer_ref` hint named for the first time) was the
/// caller when the end kept it; the caller was a known customer unless the end kept
/// the new one the start made.
fn judge(call: &CallRecord, reused: bool, moved: bool) -> Verdict {
    let known = !call.provisional && !call.sources.is_empty();
    Verdict {
        reused,
        correct: known && !moved,
        returning: known || moved,
    }
}

fn intent_write(request: &EndCall, now: Timestamp) -> Option<IntentWrite> {
    request
        .intent
        .clone()
        .map(|(name, status)| IntentWrite::new(name, status, now))
}

fn end_record(request: &EndCall, now: Timestamp) -> EndRecord {
    EndRecord {
        ended_at: now,
        fingerprint: request.fingerprint.clone(),
        intents_updated: 0,
        variables_updated: u32::try_from(request.variables.len()).unwrap_or(u32::MAX),
        intent: request
            .intent
            .as_ref()
            .map(|(name, status)| (name.as_str().to_owned(), status.as_str().to_owned())),
        verdict: None,
    }
}

fn replay_end(call: CallRecord, fingerprint: &Fingerprint) -> Result<EndOutcome, EndCallError> {
    match &call.ended {
        Some(end) if end.fingerprint == *fingerprint => Ok(end_outcome(call, true)),
        _ => Err(EndCallError::CallAlreadyEnded),
    }
}

fn end_outcome(call: CallRecord, replayed: bool) -> EndOutcome {
    let (ended_at, intents_updated, variables_updated) = call
        .ended
        .as_ref()
        .map(|e| (e.ended_at, e.intents_updated, e.variables_updated))
        .unwrap_or((call.started_at, 0, 0));
    EndOutcome {
        call_id: call.call_id,
        customer_ref: call.customer,
        call_start: call.started_at,
        call_end: ended_at,
        duration_seconds: (ended_at - call.started_at).whole_seconds(),
        intents_updated,
        variables_updated,
        replayed,
    }
}
