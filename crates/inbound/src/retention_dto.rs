//! The wire shape of `GET`/`PUT /v1/settings/retention`: the same both ways; `PUT`
//! takes any subset (an omitted `calls_days` takes its default, an omitted or null
//! `customers_days` is off), `GET` and `PUT` answer the whole.

use serde::{Deserialize, Serialize};
use stickycalls_domain::retention::{RetentionSettings, WEBHOOK_EVENT_DAYS};
use utoipa::ToSchema;

/// A tenant's retention settings (per environment).
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionSettingsDto {
    /// Calls started more than this many days ago are deleted (400).
    #[schema(minimum = 30, maximum = 3650)]
    pub calls_days: Option<i64>,
    /// Customers with no call, no intent seen and no live variable for this many days
    /// are erased, each with a `customer.erased` event whose reason is `retention`
    /// (null: never, the default). At most `calls_days`.
    #[schema(minimum = 30, maximum = 3650)]
    pub customers_days: Option<i64>,
}

/// The settings as answered: both periods, and the fixed one of webhook events.
#[derive(Debug, Serialize, ToSchema)]
pub struct RetentionResponse {
    /// Calls started more than this many days ago are deleted.
    pub calls_days: u32,
    /// Customers idle this many days are erased; null: never.
    pub customers_days: Option<u32>,
    /// Delivered, failed or cancelled webhook events are deleted this many days after
    /// they were written (30, not a setting).
    pub webhook_events_days: u32,
}

impl From<RetentionSettings> for RetentionResponse {
    fn from(s: RetentionSettings) -> Self {
        Self {
            calls_days: s.calls_days,
            customers_days: s.customers_days,
            webhook_events_days: WEBHOOK_EVENT_DAYS,
        }
    }
}
