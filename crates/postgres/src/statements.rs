//! Counting the statements a pool's connections send to PostgreSQL (the
//! `db_statements` metric; `make bench` divides it by the requests of a phase). One
//! atomic add per statement, on diesel's instrumentation hook.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use diesel::connection::{Instrumentation, InstrumentationEvent};

use crate::round_trips::RoundTrips;

/// Installed on every connection of a pool: counts each statement into the pool's
/// total, and forwards every event to a test's round-trip counter when there is one.
pub(crate) struct Counted {
    pub(crate) statements: Arc<AtomicU64>,
    pub(crate) round_trips: Option<RoundTrips>,
}

impl Instrumentation for Counted {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if matches!(event, InstrumentationEvent::StartQuery { .. }) {
            self.statements.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(round_trips) = &mut self.round_trips {
            round_trips.on_connection_event(event);
        }
    }
}
