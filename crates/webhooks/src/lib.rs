//! Webhook delivery, the outbound HTTP adapter: a worker claims due deliveries from the
//! store (leased: several workers and processes never share one), signs each the
//! Standard Webhooks way, posts it with a time-out, without following redirects, and
//! records what the domain makes of the answer (delivered, retried on the schedule,
//! given up, or the endpoint disabled on 410).
//!
//! It owns the HTTP client and the address check at delivery time: every address a
//! host resolves to must be public (the domain's rule, `webhooks::target`) unless the
//! operator allows private targets, and the connection goes to the addresses checked.
//! It must not know how deliveries are stored or which change made an event.

mod resolver;
mod worker;

pub use worker::{Deliverer, DeliverySettings, SystemResolver};
