//! Pool limits.

use serde::{Deserialize, Serialize};

/// Pool limits (`[pool]` in the node's TOML); the defaults follow geth's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PoolConfig {
    /// Most minable (pending) transactions; when full, the lowest tip is evicted for a
    /// better-paying newcomer (geth: 4096 + 1024 account slots).
    pub max_pending: usize,
    /// Most transactions waiting for a nonce gap to fill (geth: 1024).
    pub max_queued: usize,
    /// Most queued transactions per sender (how far beyond its pending nonce a sender may
    /// submit).
    pub max_queued_per_sender: usize,
    /// Largest accepted encoded transaction, in bytes: 320 KiB, so a contract module of up
    /// to 256 KiB fits in one creation (geth accepts 128 KiB).
    pub max_tx_size: usize,
    /// Minimum fee increase, in percent, for a replacement (geth: 10).
    pub price_bump_percent: u64,
    /// Most bytes all pooled transactions may take, encoded: the count limits alone would
    /// let large transactions hold gigabytes (and as much journal). When full, the cheapest
    /// transactions of other senders are evicted for a better-paying newcomer.
    pub max_bytes: usize,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_pending: 5120,
            max_queued: 1024,
            max_queued_per_sender: 16,
            max_tx_size: 320 * 1024,
            price_bump_percent: 10,
            max_bytes: 64 * 1024 * 1024,
        }
    }
}
