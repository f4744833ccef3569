//! `calls/start`: identify the caller, return their context, bill new callers.

use super::errors::StartCallError;
use super::outcome::StartOutcome;
use super::record::{CallRecord, Fingerprint};
use super::request::{RawStartCall, StartCall};
use super::service::CallService;
use crate::credits::is_billable;
use crate::error::StoreError;
use crate::identity::{IdentityDecision, Recommendation, score};
use crate::intents::live_newest_first;
use crate::ports::{
    CallStore, Clock, CommitStartError, CreditLedger, CustomerContext, IdGenerator, StartCommit,
};
use crate::protection::{DataKey, SealedLinks};
use crate::tenant::Tenant;
use crate::timestamp::Timestamp;
use crate::variables::live_at;

impl<S: CallStore, L: CreditLedger, C: Clock, I: IdGenerator> CallService<S, L, C, I> {
    /// Identifies a caller. Retrying with the same `call_id` and body answers the same
    /// customer and decision and is never billed twice; the same `call_id` with another
    /// body is [`StartCallError::CallIdReused`].
    pub async fn start(
        &self, tenant: &Tenant, raw: RawStartCall,
    ) -> Result<StartOutcome, StartCallError> {
        let request = StartCall::parse(raw, &tenant.policy)?;
        let fingerprint = request.fingerprint();
        let now = self.clock.now();
        // Stores compare numbers and external ids by their blind index only.
        let indexed = self.sealer.index(&tenant.id, &request.hints).await?;
        let (snapshot, tx) = self
            .store
            .load_start(&tenant.id, &request.call_id, &indexed)
            .await?;
        if let Some(call) = snapshot.call {
            // A retry writes nothing: end the start's transaction before reading more.
            drop(tx);
            return self.replay_start(tenant, call, &fingerprint, now).await;
        }

        let decision = score(
            &request.hints,
            request.telco,
            &snapshot.evidence,
            &tenant.policy.identity,
            now,
        );
        let recommendation = decision.recommendation();
        let billable = is_billable(recommendation);
        // The price is known without I/O (billing on or off); a match pays nothing.
        let price = self.ledger.start_charge(&tenant.id).await?;
        let charge = price.filter(|_| billable);
        let (customer, is_new) = match &decision.candidate {
            Some(c) if recommendation != Recommendation::Ignore => (c.customer.clone(), false),
            _ => (
                request
                    .hints
                    .customer_ref
                    .clone()
                    .unwrap_or_else(|| self.ids.new_customer_ref()),
                true,
            ),
        };
        let IdentityDecision {
            candidate,
            confidence,
            sources,
            explanation,
        } = decision;
        let call = CallRecord {
            call_id: request.call_id,
            customer,
            started_at: now,
            start_fingerprint: fingerprint.clone(),
            confidence,
            sources,
            explanation,
            billable,
            provisional: is_new,
            hints: request.hints,
            sealed_hints: None,
            line_type: request.telco.line_type,
            attestation: request.telco.attestation,
            ended: None,
        };
        let mut commit = StartCommit {
            call: call.clone(),
            create_customer: is_new,
            link_hints: is_new && candidate.is_none(),
            sealed_links: SealedLinks::default(),
            charge,
            read_context: !is_new,
            report_balance: price.is_some(),
        };
        // The customer's key sealing the call also opens the context read back.
        let key = self
            .sealer
            .seal_start(&tenant.id, &mut commit, indexed)
            .await?;
        match self.store.commit_start(&tenant.id, tx, commit).await {
            Ok(receipt) => {
                let context = self
                    .open(tenant, &call, receipt.context, key.as_ref())
                    .await?;
                Ok(outcome(
                    call,
                    context,
                    now,
                    false,
                    receipt.credits_remaining,
                ))
            }
            Err(CommitStartError::CallIdTaken) => {
                // A concurrent request with this call_id won: answer as its retry.
                match self.store.find_call(&tenant.id, &call.call_id).await? {
                    Some(winner) => self.replay_start(tenant, winner, &fingerprint, now).await,
                    None => Err(StartCallError::CallIdReused),
                }
            }
            Err(CommitStartError::InsufficientCredits(e)) => Err(e.into()),
            Err(CommitStartError::Store(e)) => Err(e.into()),
        }
    }

    async fn replay_start(
        &self, tenant: &Tenant, call: CallRecord, fingerprint: &Fingerprint, now: Timestamp,
    ) -> Result<StartOutcome, StartCallError> {
        if call.start_fingerprint != *fingerprint {
            return Err(StartCallError::CallIdReused);
        }
        let context = self
            .store
            .customer_context(&tenant.id, &call.customer, now)
            .await?;
        let context = self.open(tenant, &call, context, None).await?;
        Ok(outcome(call, context, now, true, None))
    }

    async fn open(
        &self, tenant: &Tenant, call: &CallRecord, mut context: CustomerContext,
        known: Option<&DataKey>,
    ) -> Result<CustomerContext, StoreError> {
        let variables = std::mem::take(&mut context.variables);
        context.variables = self
            .sealer
            .open_with(&tenant.id, &call.customer, variables, known)
            .await?;
        Ok(context)
    }
}

fn outcome(
    call: CallRecord, context: CustomerContext, now: Timestamp, replayed: bool,
    credits_remaining: Option<u64>,
) -> StartOutcome {
    StartOutcome {
        call_id: call.call_id,
        customer_ref: call.customer,
        call_start: call.started_at,
        confidence: call.confidence,
        sources: call.sources,
        explanation: call.explanation,
        open_intents: live_newest_first(context.open_intents, now),
        variables: live_at(context.variables, now),
        billable: call.billable,
        replayed,
        credits_remaining,
    }
}
