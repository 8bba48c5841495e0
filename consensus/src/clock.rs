//! Injected time.

use std::time::{SystemTime, UNIX_EPOCH};

/// Source of block timestamps.
pub trait Clock: Send + Sync + 'static {
    /// Seconds since the Unix epoch.
    fn now_secs(&self) -> u64;
}

/// The machine's wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_secs(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }
}
