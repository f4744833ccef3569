//! What the service tells a tenant's endpoints, and when: the six event types, the
//! payload (`{"type", "timestamp", "data"}`) and which change reports which event.
//! Data carries references and counts only: never a variable's value or a number.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::calls::{CallId, CallRecord};
use crate::identity::CustomerRef;
use crate::intents::{IntentStatus, IntentWrite, OpenIntent};
use crate::retention::Erasure;
use crate::tenant::TenantId;
use crate::timestamp::Timestamp;

/// An event type an endpoint subscribes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    /// A call's end was recorded.
    CallEnded,
    /// An end opened an intent (a new one, or one that had expired).
    IntentOpened,
    /// An end resolved or closed an open intent.
    IntentResolved,
    /// A customer was erased (proof for a privacy team: their reference only).
    CustomerErased,
    /// A start or end took the credits under 20 % of the period's allowance.
    CreditsLow,
    /// A start or end spent the last credit.
    CreditsExhausted,
}

impl EventType {
    /// Every type, in the order the documentation lists them.
    pub const ALL: [EventType; 6] = [
        EventType::CallEnded,
        EventType::IntentOpened,
        EventType::IntentResolved,
        EventType::CustomerErased,
        EventType::CreditsLow,
        EventType::CreditsExhausted,
    ];

    /// The wire name (`call.ended`).
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::CallEnded => "call.ended",
            EventType::IntentOpened => "intent.opened",
            EventType::IntentResolved => "intent.resolved",
            EventType::CustomerErased => "customer.erased",
            EventType::CreditsLow => "credits.low",
            EventType::CreditsExhausted => "credits.exhausted",
        }
    }

    /// The type of a wire name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

/// An event as the outbox keeps it: written in the transaction of the change it
/// reports, delivered afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// `msg_` and 32 hex digits (the `webhook-id` header), derived from what the event
    /// reports: the same change never makes two events.
    pub id: String,
    /// Whose.
    pub tenant: TenantId,
    /// Which.
    pub kind: EventType,
    /// When the change happened (the payload's `timestamp`).
    pub at: Timestamp,
    /// The customer it concerns: erased with them (a `customer.erased` event has none,
    /// so it outlives the erasure it proves).
    pub customer: Option<CustomerRef>,
    /// The payload, as sent.
    pub body: String,
}

impl Event {
    fn new(
        tenant: TenantId, kind: EventType, at: Timestamp, customer: Option<CustomerRef>,
        subject: &str, data: Value,
    ) -> Self {
        let mut digest = Sha256::new();
        for part in [
            tenant.account.0.to_string().as_str(),
            tenant.environment.as_str(),
            kind.as_str(),
            subject,
            &at.unix_millis().to_string(),
        ] {
            digest.update((part.len() as u64).to_be_bytes());
            digest.update(part.as_bytes());
        }
        let id = format!("msg_{}", &hex::encode(digest.finalize())[..32]);
        let body = json!({"type": kind.as_str(), "timestamp": at.to_string(), "data": data});
        Self {
            id,
            tenant,
            kind,
            at,
            customer,
            body: body.to_string(),
        }
    }

    /// `customer.erased`, with the erasure's reason (`request` or `retention`).
    pub fn customer_erased(tenant: TenantId, customer: &CustomerRef, erasure: &Erasure) -> Self {
        let data = json!({"customer_ref": customer.as_str(), "reason": erasure.reason()});
        Self::new(
            tenant,
            EventType::CustomerErased,
            erasure.at(),
            None,
            customer.as_str(),
            data,
        )
    }

    /// `credits.low` or `credits.exhausted`, reported by the start or end `call_id`.
    pub fn credits(
        tenant: TenantId, kind: EventType, remaining: u64, allowance: u64, call_id: &CallId,
        at: Timestamp,
    ) -> Self {
        let data = json!({"credits_remaining": remaining, "period_allowance": allowance});
        Self::new(tenant, kind, at, None, call_id.as_str(), data)
    }
}

/// What an end's intent write did, for its event: `intent.opened` when it created an
/// intent (none was open, or it had expired), `intent.resolved` when it closed one
/// still open.
pub fn intent_event(write: &IntentWrite, before: Option<&OpenIntent>) -> Option<EventType> {
    match write {
        IntentWrite::Touch { at, .. } => {
            (!before.is_some_and(|b| b.is_live(*at))).then_some(EventType::IntentOpened)
        }
        IntentWrite::Close { at, .. } => before
            .is_some_and(|b| b.is_live(*at))
            .then_some(EventType::IntentResolved),
    }
}

/// The events an end reports: `call.ended` always, and its intent's event if any
/// (`intent` is the write and the stored row it was decided against).
pub fn end_events(
    tenant: TenantId, call: &CallRecord, intent: Option<(&IntentWrite, Option<&OpenIntent>)>,
) -> Vec<Event> {
    let Some(end) = &call.ended else {
        return Vec::new();
    };
    let at = end.ended_at;
    let who = Some(call.customer.clone());
    let subject = call.call_id.as_str();
    let (intent_name, intent_status) = match &end.intent {
        Some((name, status)) => (Some(name.as_str()), Some(status.as_str())),
        None => (None, None),
    };
    let ended = json!({
        "call_id": subject,
        "customer_ref": call.customer.as_str(),
        "started_at": call.started_at.to_string(),
        "ended_at": at.to_string(),
        "intent": intent_name,
        "intent_status": intent_status,
        "variables_updated": end.variables_updated,
    });
    let mut events = vec![Event::new(
        tenant,
        EventType::CallEnded,
        at,
        who.clone(),
        subject,
        ended,
    )];
    if let Some((write, before)) = intent
        && let Some(kind) = intent_event(write, before)
    {
        let status = match write {
            IntentWrite::Touch { .. } => IntentStatus::Open,
            IntentWrite::Close { status, .. } => *status,
        };
        let data = json!({
            "customer_ref": call.customer.as_str(),
            "intent": write.name().as_str(),
            "status": status.as_str(),
            "call_id": subject,
        });
        events.push(Event::new(tenant, kind, at, who, subject, data));
    }
    events
}
