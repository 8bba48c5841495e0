//! What the BFT engine needs from the execution side, implemented by the node's chain. The
//! engine never executes anything itself: it asks for a block, a verdict, or a commit.

use alloy_primitives::B256;
use supervm_primitives::SealedBlock;

/// Why the execution side could not do what the engine asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecutionError {
    /// The block can never be valid on its parent; the message says why.
    #[error("invalid block: {0}")]
    Invalid(String),
    /// The parent has not been executed yet: execute the ancestors first.
    #[error("parent {0} is not executed")]
    UnknownParent(B256),
    /// The store or the node failed; the engine cannot go on safely.
    #[error("{0}")]
    Fatal(String),
}

/// Building, checking and committing blocks (the node's `Chain`).
pub trait BlockExecution: Send + Sync + 'static {
    /// Builds this node's proposal on `parent` (the finalized head or an executed block) at
    /// `timestamp`, from its own pool under its own miner policy.
    fn build_on(&self, parent: B256, timestamp: u64) -> Result<SealedBlock, ExecutionError>;

    /// Re-executes `block` on its parent; `Ok` when it is valid (or already final).
    fn validate(&self, block: &SealedBlock) -> Result<(), ExecutionError>;

    /// Commits a finalized block as the new head; blocks arrive in height order, and one
    /// already committed is accepted again without effect.
    fn finalize(&self, block: &SealedBlock) -> Result<(), ExecutionError>;

    /// The genesis block, the first block of every chain the engine runs.
    fn genesis(&self) -> SealedBlock;
}
