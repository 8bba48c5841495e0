//! # supervm-consensus
//!
//! What decides the next block. The engine never builds or executes blocks itself; it drives
//! an [`ExecutionClient`] through *propose* (build a candidate on the head) and *decide*
//! (commit it), the boundary a multi-validator BFT engine will use too.
//!
//! ## Data flow
//!
//! ```text
//!            ┌──────── SealerHandle::mine (evm_mine) ────────┐
//! TxPool ──pending_added──► DevSealer ──propose(timestamp)──► ExecutionClient (node)
//! interval tick ────────────┘        └──decide(proposal)──► new head
//! ```
//!
//! ## Invariants
//!
//! - One sealing task: blocks are proposed and decided strictly one after another.
//! - Automine commits only blocks with transactions; a pending transaction the builder leaves
//!   out waits for a new transaction or a policy change ([`TxPool::wake_if_pending`]).
//!
//! [`TxPool::wake_if_pending`]: supervm_txpool::TxPool::wake_if_pending
//! - Time comes from a [`Clock`], so tests can drive the sealer deterministically.

pub mod bft;
mod clock;
mod dev;

pub use clock::{Clock, SystemClock};
pub use dev::{DevSealer, MiningMode, SealerError, SealerHandle};

/// The execution side of block production, as seen by a consensus engine.
pub trait ExecutionClient: Send + Sync + 'static {
    /// A built, not yet committed block.
    type Proposal: Send + 'static;
    /// Why building or committing failed.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Builds a block on the current head at `timestamp` (seconds) from pending transactions.
    fn propose(&self, timestamp: u64) -> Result<Self::Proposal, Self::Error>;

    /// How many transactions a proposal holds: automine commits no empty block when every
    /// pending transaction was left out (by the miner policy, say).
    fn transaction_count(proposal: &Self::Proposal) -> usize;

    /// Commits a proposal as the new head.
    fn decide(&self, proposal: Self::Proposal) -> Result<Decided, Self::Error>;
}

/// What a decided block committed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decided {
    /// Number of the new head.
    pub number: u64,
    /// Transactions it included.
    pub transactions: usize,
}
