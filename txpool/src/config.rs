//! Pool limits.

/// Pool limits; the defaults follow geth's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolConfig {
    /// Maximum number of transactions in the pool (pending + queued).
    pub max_transactions: usize,
    /// Maximum transactions one sender may have in the pool.
    pub max_per_sender: usize,
    /// Largest accepted encoded transaction, in bytes (geth: 128 KiB).
    pub max_tx_size: usize,
    /// Minimum fee increase, in percent, for a replacement (geth: 10).
    pub price_bump_percent: u64,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_transactions: 5120 + 1024,
            max_per_sender: 64,
            max_tx_size: 128 * 1024,
            price_bump_percent: 10,
        }
    }
}
