//! Counting round trips to the database: queries sent while none is in flight start a
//! new round trip; queries sent while others are in flight are pipelined with them.

use std::sync::{Arc, Mutex};

use diesel::connection::{Instrumentation, InstrumentationEvent};

#[derive(Debug, Default)]
struct Counts {
    in_flight: usize,
    round_trips: usize,
    queries: usize,
}

/// A shared counter, installed on every connection of a test pool.
#[doc(hidden)]
#[derive(Debug, Clone, Default)]
pub struct RoundTrips(Arc<Mutex<Counts>>);

impl RoundTrips {
    /// (round trips, queries) since the last reset.
    pub fn take(&self) -> (usize, usize) {
        let mut counts = self.0.lock().expect("counter");
        let seen = (counts.round_trips, counts.queries);
        counts.round_trips = 0;
        counts.queries = 0;
        seen
    }
}

impl Instrumentation for RoundTrips {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        let mut counts = self.0.lock().expect("counter");
        match event {
            InstrumentationEvent::StartQuery { .. } => {
                if counts.in_flight == 0 {
                    counts.round_trips += 1;
                }
                counts.in_flight += 1;
                counts.queries += 1;
            }
            InstrumentationEvent::FinishQuery { .. } => {
                counts.in_flight = counts.in_flight.saturating_sub(1);
            }
            _ => {}
        }
    }
}
