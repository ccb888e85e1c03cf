//! The simulated clock that rustls checks certificate validity against.
//!
//! `std::time::SystemTime::now()` panics on `wasm32-unknown-unknown`, and a teaching tool must
//! give the same verdict on every machine and every day: so time is a value the caller owns.

#[cfg(feature = "engine")]
use rustls::time_provider::TimeProvider;
#[cfg(feature = "engine")]
use rustls_pki_types::UnixTime;
#[cfg(feature = "engine")]
use std::time::Duration;

/// 2026-06-01T00:00:00Z, the default instant of every simulation. The test PKI is valid from
/// 2025-01-01 to 2035-01-01 around it, except the `expired` certificate (2020–2021).
pub const DEFAULT_NOW_UNIX: u64 = 1_780_272_000;

/// A fixed clock, handed to rustls through `builder_with_details`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimClock {
    /// Seconds since the Unix epoch.
    pub unix_seconds: u64,
}

impl Default for SimClock {
    fn default() -> Self {
        Self {
            unix_seconds: DEFAULT_NOW_UNIX,
        }
    }
}

#[cfg(feature = "engine")]
impl TimeProvider for SimClock {
    fn current_time(&self) -> Option<UnixTime> {
        Some(UnixTime::since_unix_epoch(Duration::from_secs(
            self.unix_seconds,
        )))
    }
}
