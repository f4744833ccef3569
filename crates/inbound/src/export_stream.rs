//! A whole environment as NDJSON (`GET /v1/account/export`, the console's export, the
//! CLI's), streamed a page at a time: a `tenant` line, the `identity_settings` and
//! `retention_settings`, each `webhook_endpoint` (never its secret), each `customer` (the
//! same record as the customer's own export), each `ledger_entry`, and an `end` line
//! with the counts. A stream without its `end` line was cut short (the server logs why).
//! One export per environment at a time on a server: a second gets 429 while the first
//! runs.

use std::collections::HashSet;
use std::sync::{LazyLock, Mutex};

use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use serde_json::{Value, json};
use stickycalls_domain::credits::LedgerEntry;
use stickycalls_domain::customers::CustomerRecord;
use stickycalls_domain::export::{Cursor, ExportHead, ExportPage};
use stickycalls_domain::tenant::TenantId;

use crate::customer_dto::CustomerExport;
use crate::error::ApiError;
use crate::retention_dto::RetentionResponse;
use crate::settings_dto::IdentitySettingsDto;
use crate::webhook_dto::WebhookDto;
use crate::{AppState, Backend};

/// Environments being exported on this server.
static EXPORTING: LazyLock<Mutex<HashSet<TenantId>>> = LazyLock::new(Mutex::default);

/// The export's claim on its environment, given back when the stream ends or drops.
struct Exporting(TenantId);

impl Exporting {
    fn claim(tenant: TenantId) -> Option<Self> {
        let mut running = EXPORTING.lock().unwrap_or_else(|p| p.into_inner());
        running.insert(tenant).then_some(Self(tenant))
    }
}

impl Drop for Exporting {
    fn drop(&mut self) {
        EXPORTING
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.0);
    }
}

/// One NDJSON line: `{"type": kind, ...fields}`.
pub fn line(kind: &str, fields: impl Serialize) -> Result<String, serde_json::Error> {
    let mut value = json!({ "type": kind });
    if let (Value::Object(out), Value::Object(more)) = (&mut value, serde_json::to_value(fields)?) {
        out.extend(more);
    }
    let mut text = value.to_string();
    text.push('\n');
    Ok(text)
}

/// A `ledger_entry` line.
pub fn ledger_line(e: LedgerEntry) -> Result<String, serde_json::Error> {
    line(
        "ledger_entry",
        json!({
            "at": e.at.to_string(), "kind": e.kind.as_str(), "credits": e.credits,
            "from_allowance": e.spent.from_allowance, "from_top_up": e.spent.from_top_up,
            "period_start": e.period_start.to_string(),
            "call_id": e.call_id.as_ref().map(|c| c.as_str()), "note": e.note,
        }),
    )
}

/// The lines before the customers: `tenant`, the settings, each `webhook_endpoint`.
pub fn head_lines(head: ExportHead) -> Result<String, serde_json::Error> {
    let mut text = line(
        "tenant",
        json!({
            "account_id": head.tenant.account.to_string(),
            "environment": head.tenant.environment.as_str(),
            "exported_at": head.exported_at.to_string(),
        }),
    )?;
    text += &line(
        "identity_settings",
        IdentitySettingsDto::from(&head.identity),
    )?;
    text += &line(
        "retention_settings",
        RetentionResponse::from(head.retention),
    )?;
    for endpoint in head.webhooks {
        text += &line("webhook_endpoint", WebhookDto::from(endpoint))?;
    }
    Ok(text)
}

/// A `customer` line: the record as the customer's own export shows it.
pub fn customer_line(
    record: CustomerRecord, exported_at: &str,
) -> Result<String, serde_json::Error> {
    line(
        "customer",
        CustomerExport::new(record, exported_at.to_owned()),
    )
}

/// The `end` line, with the counts.
pub fn end_line(customers: usize, ledger_entries: usize) -> Result<String, serde_json::Error> {
    line(
        "end",
        json!({"customers": customers, "ledger_entries": ledger_entries}),
    )
}

/// Where the stream is.
struct Walk<B: Backend> {
    state: web::Data<AppState<B>>,
    tenant: TenantId,
    exported_at: String,
    next: Option<Cursor>,
    customers: usize,
    ledger_entries: usize,
    _claim: Exporting,
}

impl<B: Backend> Walk<B> {
    /// The next chunk of lines; `None` after the `end` line.
    async fn chunk(&mut self) -> Option<Result<Bytes, actix_web::Error>> {
        let cursor = self.next.take()?;
        let text = match self.state.export.page(&self.tenant, cursor).await {
            Ok(Some((ExportPage::Customers(people), next))) => {
                self.next = Some(next);
                self.customers += people.len();
                people
                    .into_iter()
                    .map(|p| customer_line(p, &self.exported_at))
                    .collect::<Result<String, _>>()
            }
            Ok(Some((ExportPage::Ledger(lines), next))) => {
                self.next = Some(next);
                self.ledger_entries += lines.len();
                lines.into_iter().map(ledger_line).collect()
            }
            Ok(None) => end_line(self.customers, self.ledger_entries),
            Err(e) => {
                tracing::error!("the export stopped: {e:#}");
                return Some(Err(actix_web::error::ErrorInternalServerError(
                    "export stopped",
                )));
            }
        };
        Some(
            text.map(Bytes::from)
                .map_err(actix_web::error::ErrorInternalServerError),
        )
    }
}

/// The environment's export as a streamed NDJSON answer; 429 while another export of
/// it runs on this server.
pub async fn ndjson<B: Backend>(
    state: web::Data<AppState<B>>, tenant: TenantId,
) -> Result<HttpResponse, ApiError> {
    let claim = Exporting::claim(tenant).ok_or_else(|| {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "An export of this environment is running; try again once it has finished",
        )
        .retry_after(60)
    })?;
    let (head, cursor) = state.export.begin(&tenant).await?;
    let exported_at = head.exported_at.to_string();
    let first = head_lines(head).map_err(|e| ApiError::internal(e.into()))?;
    tracing::info!("account export started");
    let walk = Walk::<B> {
        state,
        tenant,
        exported_at,
        next: Some(cursor),
        customers: 0,
        ledger_entries: 0,
        _claim: claim,
    };
    let rest = futures_util::stream::unfold(walk, |mut walk| async move {
        walk.chunk().await.map(|chunk| (chunk, walk))
    });
    let stream = futures_util::StreamExt::chain(
        futures_util::stream::once(async move { Ok::<_, actix_web::Error>(Bytes::from(first)) }),
        rest,
    );
    Ok(HttpResponse::Ok()
        .content_type("application/x-ndjson")
        .insert_header(("Cache-Control", "no-store"))
        .streaming(stream))
}
