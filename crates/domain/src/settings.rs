//! A tenant's identity settings and their measured effect: reading and replacing the
//! settings (`GET`/`PUT /v1/settings/identity`), the policy a start scores with (the
//! settings, with weights learned from the last [`LEARNING_DAYS`] days of confirmed
//! calls when `learning` is on), and the calibration report
//! (`GET /v1/identity/calibration`).

use time::Duration;

use crate::error::{StoreError, ValidationError};
use crate::identity::{
    Calibration, IdentitySettings, JudgedCalls, Learned, ProbabilityModel, RawIdentitySettings,
    calibrate, learn,
};
use crate::ports::{Clock, IdentityStore, RollupStore};
use crate::tenant::{TenantId, TenantPolicy};

/// The window learning reads.
pub const LEARNING_DAYS: u32 = 30;

/// The calibration window when no `days` is given.
pub const DEFAULT_CALIBRATION_DAYS: u32 = 30;

/// The longest calibration window.
pub const MAX_CALIBRATION_DAYS: u32 = 366;

/// Why a settings use case did nothing.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// Refused input.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A calibration report and what learning makes of the same window.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationReport {
    /// The window, in days up to now.
    pub days: u32,
    /// The figures.
    pub calibration: Calibration,
    /// Whether the tenant's setting `learning` is on.
    pub learning: bool,
    /// The weights learning would score with, and what moved (computed even when
    /// `learning` is off, so a tenant sees what turning it on would do).
    pub learned: Learned,
}

/// Reads `days`: a whole number from 1 to [`MAX_CALIBRATION_DAYS`].
pub fn calibration_days(text: Option<&str>) -> Result<u32, ValidationError> {
    let Some(text) = text else {
        return Ok(DEFAULT_CALIBRATION_DAYS);
    };
    match text.trim().parse::<u32>() {
        Ok(days) if (1..=MAX_CALIBRATION_DAYS).contains(&days) => Ok(days),
        _ => Err(ValidationError::invalid(
            "days",
            format!("must be a whole number of days from 1 to {MAX_CALIBRATION_DAYS}"),
        )),
    }
}

/// The settings use cases, generic over their store and clock.
#[derive(Debug, Clone)]
pub struct SettingsService<S, C> {
    store: S,
    clock: C,
}

impl<S: IdentityStore + RollupStore, C: Clock> SettingsService<S, C> {
    /// Wires the service.
    pub fn new(store: S, clock: C) -> Self {
        Self { store, clock }
    }

    /// The tenant's settings (the defaults until it saves some).
    pub async fn settings(&self, tenant: &TenantId) -> Result<IdentitySettings, StoreError> {
        Ok(self
            .store
            .identity_settings(tenant)
            .await?
            .unwrap_or_default())
    }

    /// Validates and saves a whole document (omitted fields take their defaults);
    /// nothing is saved when a field is wrong.
    pub async fn replace(
        &self, tenant: &TenantId, raw: RawIdentitySettings,
    ) -> Result<IdentitySettings, SettingsError> {
        let settings = IdentitySettings::parse(raw)?;
        self.store
            .save_identity_settings(tenant, &settings, self.clock.now())
            .await?;
        Ok(settings)
    }

    /// The policy the tenant's starts and ends use now.
    /// Its probabilities are fitted to the confirmed calls of the last
    /// [`LEARNING_DAYS`] days, whether or not learning moves its weights.
    pub async fn policy(&self, tenant: &TenantId) -> Result<TenantPolicy, StoreError> {
        let settings = self.settings(tenant).await?;
        let groups = self.judged(tenant, LEARNING_DAYS).await?;
        let weights = if settings.learning {
            learn(settings.weights, settings.thresholds, &groups).weights
        } else {
            settings.weights
        };
        let mut policy = TenantPolicy::from_settings(&settings, weights);
        policy.identity.probability = ProbabilityModel::fit(&groups);
        Ok(policy)
    }

    /// How the tenant's decisions of the last `days` turned out.
    pub async fn calibration(
        &self, tenant: &TenantId, days: Option<&str>,
    ) -> Result<CalibrationReport, SettingsError> {
        let days = calibration_days(days)?;
        let settings = self.settings(tenant).await?;
        let (calibration, learned) = self.learned(tenant, &settings, days).await?;
        Ok(CalibrationReport {
            days,
            calibration,
            learning: settings.learning,
            learned,
        })
    }

    /// The tenant's judged calls of the last `days`.
    async fn judged(&self, tenant: &TenantId, days: u32) -> Result<Vec<JudgedCalls>, StoreError> {
        let now = self.clock.now();
        let since = now - Duration::days(i64::from(days));
        crate::usage::judged_since(&self.store, tenant, since, now).await
    }

    async fn learned(
        &self, tenant: &TenantId, settings: &IdentitySettings, days: u32,
    ) -> Result<(Calibration, Learned), StoreError> {
        let groups = self.judged(tenant, days).await?;
        Ok((
            calibrate(&groups),
            learn(settings.weights, settings.thresholds, &groups),
        ))
    }
}

#[cfg(test)]
#[path = "settings/tests.rs"]
mod tests;
