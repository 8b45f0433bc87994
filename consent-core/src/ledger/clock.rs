//! The ledger's sense of now: the system clock, or a clock that tests set.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, SubsecRound, Utc};

/// A source of the current time, so tests can control it.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        // Microseconds: the precision the ledger compares instants at.
        Utc::now().trunc_subsecs(6)
    }
}

/// A clock that reads the instant it was last set to: for tests and training ledgers that
/// keep fixed dates (the C, Python and CLI surfaces offer it in test mode only).
#[derive(Debug)]
pub struct TestClock {
    micros: AtomicI64,
}

impl TestClock {
    /// A clock that reads `at` (to the microsecond).
    pub fn new(at: DateTime<Utc>) -> TestClock {
        TestClock {
            micros: AtomicI64::new(at.timestamp_micros()),
        }
    }

    /// Sets the instant the clock reads.
    pub fn set(&self, at: DateTime<Utc>) {
        self.micros.store(at.timestamp_micros(), Ordering::Release);
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        let micros = self.micros.load(Ordering::Acquire);
        // Set only from a `DateTime`, so the value always converts back; the epoch is the
        // unreachable alternative, never a silent "now".
        DateTime::<Utc>::from_timestamp_micros(micros).unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
    }
}
