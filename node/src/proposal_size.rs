//! How many transactions a validator's proposal may hold. A leader that takes longer to
//! build its block than the other validators wait for it loses its view, its transactions
//! stay in the pool, and the next leader finds an even larger backlog: under load the
//! network would stop making blocks. So a proposal holds what this node executes within a
//! time budget, at the rate it measured on its last blocks (built or verified).
//!
//! Only the proposer's choice depends on it; verification never does, so it does not affect
//! determinism.

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

/// Transactions a proposal may always hold, whatever the measured rate.
const MIN_TXS: usize = 64;
/// Blocks with fewer transactions say too little about the rate to be measured.
const MIN_SAMPLE: usize = 32;

/// A proposal's size limit from the measured execution rate.
#[derive(Debug)]
pub struct ProposalSize {
    /// Execution time a proposal may take; `None` = no limit (the dev sealer).
    budget: Option<Duration>,
    /// Smoothed transactions executed per second; 0 until measured.
    rate: AtomicU64,
}

impl ProposalSize {
    /// No limit.
    pub fn unlimited() -> Self {
        Self {
            budget: None,
            rate: AtomicU64::new(0),
        }
    }

    /// Proposals sized to execute within `budget`.
    pub fn within(budget: Duration) -> Self {
        Self {
            budget: Some(budget),
            rate: AtomicU64::new(0),
        }
    }

    /// The most transactions the next proposal may hold.
    pub fn max_txs(&self) -> usize {
        let Some(budget) = self.budget else {
            return usize::MAX;
        };
        match self.rate.load(Ordering::Relaxed) {
            0 => 1000,
            rate => ((rate as f64 * budget.as_secs_f64()) as usize).max(MIN_TXS),
        }
    }

    /// Records that `txs` transactions executed in `elapsed`.
    pub fn observe(&self, txs: usize, elapsed: Duration) {
        if txs < MIN_SAMPLE || elapsed.is_zero() {
            return;
        }
        let measured = (txs as f64 / elapsed.as_secs_f64()) as u64;
        let previous = self.rate.load(Ordering::Relaxed);
        let smoothed = match previous {
            0 => measured,
            previous => (previous * 3 + measured) / 4,
        };
        self.rate.store(smoothed.max(1), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_follows_the_measured_rate() {
        assert_eq!(ProposalSize::unlimited().max_txs(), usize::MAX);
        let size = ProposalSize::within(Duration::from_millis(500));
        assert_eq!(size.max_txs(), 1000);
        size.observe(2000, Duration::from_secs(1));
        assert_eq!(size.max_txs(), 1000);
        size.observe(10, Duration::from_millis(1));
        assert_eq!(size.max_txs(), 1000, "small blocks are not measured");
        size.observe(100, Duration::from_secs(10));
        assert_eq!(size.max_txs(), (1502.0 * 0.5) as usize);
        size.observe(40, Duration::from_secs(100));
        assert!(size.max_txs() >= MIN_TXS);
    }
}
