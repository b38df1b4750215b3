//! Time limits as a caller-supplied budget, so the algorithms never read the clock themselves.
//!
//! A solver polls [`Budget::exhausted`] between units of work. With [`Unlimited`] the result
//! depends only on the input (same input, same tree); with [`WallClockDeadline`] it is the best
//! found before the deadline, which can depend on machine speed only when the deadline is hit.

use std::time::{Duration, Instant};

/// Something a long computation polls to know whether it must stop and return its best result.
pub trait Budget {
    /// True once the computation should stop.
    fn exhausted(&self) -> bool;
}

/// A budget that never runs out: the result is a pure function of the input.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unlimited;

impl Budget for Unlimited {
    fn exhausted(&self) -> bool {
        false
    }
}

/// A wall-clock deadline, created at the edge of the program (CLI, benchmark, test).
#[derive(Debug, Clone, Copy)]
pub struct WallClockDeadline {
    until: Instant,
}

impl WallClockDeadline {
    /// A deadline `limit` from now.
    pub fn after(limit: Duration) -> Self {
        Self {
            until: Instant::now() + limit,
        }
    }

    /// A deadline at the given instant.
    pub fn at(until: Instant) -> Self {
        Self { until }
    }
}

impl Budget for WallClockDeadline {
    fn exhausted(&self) -> bool {
        Instant::now() >= self.until
    }
}

impl<B: Budget + ?Sized> Budget for &B {
    fn exhausted(&self) -> bool {
        (**self).exhausted()
    }
}
