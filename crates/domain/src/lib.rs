//! The Sticky Calls domain core: every rule of the product and nothing else.
//!
//! It owns identity scoring (E.164 phone numbers, withheld ANIs, the weight table,
//! shared numbers, conflicts), intents, variables with their TTLs and limits, the
//! credit ledger's laws, and every use case: calls ([`calls::CallService`]), keys
//! ([`keys::KeyService`]), accounts and the operator's actions
//! ([`accounts::AccountService`]), customers ([`customers::CustomerService`]), usage
//! ([`usage::UsageService`]), identity settings with their calibration
//! ([`settings::SettingsService`]) and webhook endpoints ([`webhooks::WebhookService`]:
//! which change reports which event, signatures, retries, where a webhook may go), each a
//! service generic over the ports in [`ports`] and
//! [`credits::BillingPolicy`] (storage by capability, billing policy, key minter,
//! clock, id generator), each with its own error enum.
//! For nodes sharing one store it says what each must forget when another changes it
//! ([`invalidation`]), and how long a tenant's data is kept ([`retention`]) and when a node limits requests alone because the shared
//! limiter failed ([`ratelimit`]).
//!
//! It must not know how anything is stored, served or billed: no SQL, no HTTP, no
//! async runtime, no clock or randomness of its own. `make check-boundaries` proves
//! that tokio, diesel, diesel-async and actix-web are not in its dependency tree.
//!
//! # One transaction per use case
//! A use case reads through the store, decides everything in pure code (validation,
//! scoring, limits, the charge), then hands the store **one** commit command ([`ports::StartCommit`] or [`ports::EndCommit`]) that carries every write of
//! the use case, the credit debit included. An adapter applies a commit in a single
//! database transaction: the call row, the new customer, its links, the intent and
//! variable writes and the conditional debit all land together or not at all, so a
//! start is never half-recorded and never billed without being recorded. Facts that
//! only the database can settle under concurrency (the `call_id` already taken, the
//! balance reaching zero, the 100-variable limit) are re-checked inside that
//! transaction and come back as typed commit errors.

pub mod accounts;
pub mod audit;
pub mod calls;
pub mod console;
pub mod credits;
pub mod customers;
pub mod error;
pub mod export;
#[cfg(test)]
mod fuzz;
pub mod health;
pub mod idempotency;
pub mod identity;
pub mod intents;
pub mod invalidation;
pub mod keys;
pub mod log_key;
pub mod people;
pub mod ports;
pub mod protection;
pub mod ratelimit;
pub mod redact;
pub mod retention;
pub mod secret;
pub mod settings;
pub mod tenant;
pub mod text;
pub mod timestamp;
pub mod usage;
pub mod variables;
pub mod webhooks;

pub use error::{Issue, StoreError, ValidationError};
pub use secret::Secret;
pub use timestamp::Timestamp;
