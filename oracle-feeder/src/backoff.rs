//! Exponential backoff between attempts to submit a report.
//!
//! Bounded per round: after the last attempt the round gives up and the next poll round tries
//! again with a fresh price, rather than pushing an ever older one.
//!
//! No jitter: one feeder talks to one node, so there is no herd of clients retrying in lockstep
//! to spread out, and deterministic delays keep the behaviour easy to read in logs and to test.

use std::time::Duration;

/// Attempts and delays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// Attempts per round, including the first.
    pub attempts: u32,
    /// Delay after the first failed attempt.
    pub base: Duration,
    /// Largest delay.
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            attempts: 5,
            base: Duration::from_millis(500),
            cap: Duration::from_secs(30),
        }
    }
}

impl Backoff {
    /// Delay after failed attempt number `failed` (0-based): `min(base · 2^failed, cap)`.
    pub fn delay(&self, failed: u32) -> Duration {
        let factor = 1u32.checked_shl(failed).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap() {
        let backoff = Backoff::default();
        let delays: Vec<u64> = (0..8)
            .map(|i| backoff.delay(i).as_millis() as u64)
            .collect();
        assert_eq!(
            delays,
            [500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]
        );
        assert_eq!(backoff.delay(40), Duration::from_secs(30));
        assert_eq!(backoff.delay(u32::MAX), Duration::from_secs(30));
    }
}
