//! Webhooks: the service speaks first. A tenant registers endpoints (a URL and the event
//! types it wants); every change worth reporting writes an [`Event`] to an outbox in the
//! transaction of the change itself (never lost by a crash, never sent for a change that
//! rolled back); delivery workers claim due deliveries, sign them the Standard Webhooks
//! way ([`signature`]) and retry them on a schedule ([`delivery`]).
//!
//! The rules are here: which change reports which event and what it says ([`events`],
//! [`credit_events`]), where a webhook may go ([`target`]), signatures, the retry
//! schedule and what an answer means, secrets and their rotation, the endpoint's
//! fields. Stores keep endpoints, events and deliveries and claim them atomically; the
//! delivery adapter does the HTTP.

pub mod delivery;
pub mod events;
mod service;
pub mod signature;
pub mod target;
#[cfg(test)]
mod tests;
pub mod url_grammar;

use crate::calls::CallId;
use crate::credits::{BillingPolicy, CreditAccount, CreditChange, is_low};
use crate::secret::Secret;
use crate::tenant::TenantId;
use crate::timestamp::Timestamp;

pub use delivery::{Outcome, Response, RetrySchedule};
pub use events::{Event, EventType, end_events};
pub use service::{NewEndpointRequest, WebhookError, WebhookService};

/// How long a rotated-out secret still signs deliveries.
pub const PREVIOUS_SECRET_VALID: time::Duration = time::Duration::hours(24);

/// Longest endpoint description, in characters.
pub const MAX_DESCRIPTION: usize = 256;

/// Most deliveries an endpoint's listing shows (newest first).
pub const DELIVERIES_LISTED: usize = 100;

/// A registered endpoint (its secret is kept apart: shown once, read only to sign).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `wh_` and 32 hex digits.
    pub id: String,
    /// Whose.
    pub tenant: TenantId,
    /// Where deliveries go.
    pub url: String,
    /// What it is sent, in [`EventType::ALL`]'s order.
    pub events: Vec<EventType>,
    /// The tenant's note.
    pub description: String,
    /// When it was registered.
    pub created_at: Timestamp,
    /// When a 410 answer disabled it.
    pub disabled_at: Option<Timestamp>,
}

/// A delivery's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Waiting for its next attempt.
    Pending,
    /// Answered 2xx.
    Delivered,
    /// Given up after the schedule's last attempt.
    Failed,
    /// Its endpoint answered 410 and was disabled.
    Cancelled,
}

impl DeliveryStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Cancelled => "cancelled",
        }
    }

    /// The state a stored name says.
    pub fn parse(text: &str) -> Option<Self> {
        [
            DeliveryStatus::Pending,
            DeliveryStatus::Delivered,
            DeliveryStatus::Failed,
            DeliveryStatus::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    /// The state an attempt's outcome leaves.
    pub fn after(outcome: &Outcome) -> Self {
        match outcome {
            Outcome::Delivered => DeliveryStatus::Delivered,
            Outcome::Retry { .. } => DeliveryStatus::Pending,
            Outcome::Failed => DeliveryStatus::Failed,
            Outcome::Gone => DeliveryStatus::Cancelled,
        }
    }
}

/// One event's delivery to one endpoint, as the tenant sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryInfo {
    /// The event (`webhook-id`).
    pub event_id: String,
    /// Its type.
    pub event_type: EventType,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: u32,
    /// The last attempt's HTTP status, if it got one.
    pub last_response_code: Option<u16>,
    /// Why the last attempt got no status.
    pub last_error: Option<String>,
    /// When the last attempt was made.
    pub last_attempt_at: Option<Timestamp>,
    /// When the next attempt is due (pending deliveries only).
    pub next_attempt_at: Option<Timestamp>,
    /// When the event happened.
    pub created_at: Timestamp,
}

/// A delivery a worker claimed: everything its attempt needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDelivery {
    /// The store's partition of the delivery (PostgreSQL: the tenant key), handed back
    /// in its [`Attempt`] so the write finds it in one partition (one shard when the
    /// tables are distributed by tenant). Opaque to the domain.
    pub partition: String,
    /// The event (`webhook-id`).
    pub event_id: String,
    /// The endpoint.
    pub endpoint_id: String,
    /// Where to send it.
    pub url: String,
    /// The endpoint's secret.
    pub secret: Secret,
    /// The rotated-out secret and until when it signs too.
    pub previous: Option<(Secret, Timestamp)>,
    /// The payload.
    pub body: String,
    /// When the event happened (`webhook-timestamp` is the attempt's time).
    pub at: Timestamp,
    /// This attempt's number (1 for the first).
    pub attempt: u32,
}

impl DueDelivery {
    /// The secrets that sign an attempt at `now`: the current one, and the previous
    /// one while it is valid.
    pub fn signing_secrets(&self, now: Timestamp) -> Vec<&str> {
        let mut secrets = vec![self.secret.expose()];
        if let Some((previous, until)) = &self.previous
            && now < *until
        {
            secrets.push(previous.expose());
        }
        secrets
    }
}

/// What a worker records of an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The delivery's [`DueDelivery::partition`].
    pub partition: String,
    /// The event.
    pub event_id: String,
    /// The endpoint.
    pub endpoint_id: String,
    /// When it was made.
    pub at: Timestamp,
    /// What it got.
    pub response: Response,
    /// What that means.
    pub outcome: Outcome,
}

impl Attempt {
    /// The status it got, if any.
    pub fn status_code(&self) -> Option<u16> {
        match self.response {
            Response::Status(code) => Some(code),
            Response::NoAnswer(_) => None,
        }
    }

    /// Why it got none.
    pub fn error(&self) -> Option<&str> {
        match &self.response {
            Response::Status(_) => None,
            Response::NoAnswer(why) => Some(why),
        }
    }
}

/// The credit events of a debit decided at `at`: `stored` is every credit of the tenant
/// before it (blocks gathered), `change` what the debit left ([`credit_events`]).
pub fn debit_events(
    tenant: TenantId, stored: Option<&CreditAccount>, change: &CreditChange, call_id: &CallId,
    policy: &dyn BillingPolicy, at: Timestamp,
) -> Vec<Event> {
    let before = stored.map_or(0, |a| a.clone().at(policy, at).0.balance().total());
    let after = change.account.balance().total();
    credit_events(tenant, &change.account, before, after, call_id, at)
}

/// The credit events of a debit that took a tenant's credits from `before` to `after`
/// (every credit of the tenant, counted exactly: a store reports them only where it
/// holds them all): `credits.low` when they went under 20 % of the allowance,
/// `credits.exhausted` when the last one was spent (both when one debit does both).
pub fn credit_events(
    tenant: TenantId, account: &CreditAccount, before: u64, after: u64, call_id: &CallId,
    at: Timestamp,
) -> Vec<Event> {
    let allowance = account.allowance;
    let mut kinds = Vec::new();
    if !is_low(before, allowance) && is_low(after, allowance) {
        kinds.push(EventType::CreditsLow);
    }
    if before > 0 && after == 0 {
        kinds.push(EventType::CreditsExhausted);
    }
    kinds
        .into_iter()
        .map(|kind| Event::credits(tenant, kind, after, allowance, call_id, at))
        .collect()
}
