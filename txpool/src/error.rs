//! Why a transaction was not admitted. Messages are geth's where geth has the same error.

use supervm_vm::InvalidTx;

/// Admission failure.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    /// The same transaction is already in the pool.
    #[error("already known")]
    AlreadyKnown,
    /// Same sender and nonce, without the required fee bump.
    #[error("replacement transaction underpriced")]
    ReplacementUnderpriced,
    /// Encoded transaction larger than the limit.
    #[error("oversized data: transaction size {size}, limit {limit}")]
    Oversized {
        /// Size of the transaction.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The pool is full and the transaction pays no more than the cheapest one in it.
    #[error("transaction underpriced")]
    Underpriced,
    /// With the sender's pooled transactions of lower nonce, the maximum cost (fees in each
    /// token and values) exceeds what the sender holds (geth's `ErrOverdraft`).
    #[error("transaction would cause overdraft")]
    Overdraft,
    /// The transaction is invalid against the chain rules or the head state.
    #[error(transparent)]
    Invalid(#[from] InvalidTx),
}
