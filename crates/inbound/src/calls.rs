//! The one path from a JSON body to the call use cases, which the REST routes and the
//! MCP tools share: the body read as the wire contract says, the use case run, the
//! start counted, both logged (the customer reference only as a digest).

use serde_json::Value;
use stickycalls_domain::calls::{EndOutcome, StartOutcome};
use stickycalls_domain::tenant::Tenant;

use crate::body::typed;
use crate::dto::{EndRequest, StartRequest};
use crate::error::ApiError;
use crate::{AppState, Backend};

/// A start from its JSON body: validated as the wire contract says, run, counted and
/// logged (the number and customer reference only as digests).
pub async fn start_call<B: Backend>(
    state: &AppState<B>, tenant: &Tenant, body: &Value,
) -> Result<StartOutcome, ApiError> {
    let request: StartRequest = typed(body)?;
    crate::telco_log::note(request.telco.as_ref());
    let outcome = state.calls.start(tenant, request.into()).await?;
    state.metrics.started(&outcome);
    tracing::info!(
        target: "access",
        call_id = %outcome.call_id,
        customer = %outcome.customer_ref.log_digest(),
        confidence = outcome.confidence.as_f64(),
        billable = outcome.billable,
        replayed = outcome.replayed,
        "call started"
    );
    Ok(outcome)
}

/// An end from its JSON body, run and logged.
pub async fn end_call<B: Backend>(
    state: &AppState<B>, tenant: &Tenant, body: &Value,
) -> Result<EndOutcome, ApiError> {
    let request: EndRequest = typed(body)?;
    crate::telco_log::note(request.telco.as_ref());
    let outcome = state.calls.end(tenant, request.into()).await?;
    tracing::info!(
        target: "access",
        call_id = %outcome.call_id,
        customer = %outcome.customer_ref.log_digest(),
        intents_updated = outcome.intents_updated,
        variables_updated = outcome.variables_updated,
        replayed = outcome.replayed,
        "call ended"
    );
    Ok(outcome)
}
