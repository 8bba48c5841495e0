//! The pool's view of the next block: computed once per new head, read lock-free by every
//! admission.

use std::sync::Arc;

use supervm_primitives::ChainSpec;
use supervm_storage::{Reader, StorageError};
use supervm_vm::{NextBlock, PendingState, RateSnapshot, StateError, StoreState};

/// What admission checks a transaction against: the chain and the block after the head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolEnv {
    /// The chain id signatures must commit to.
    pub chain_id: u64,
    /// Number of the next block.
    pub number: u64,
    /// Earliest timestamp the next block may carry (one second after the head's).
    pub timestamp: u64,
    /// The block gas limit.
    pub block_gas_limit: u64,
    /// Base fee of the next block.
    pub base_fee: u64,
    /// Fee-token rates of the next block.
    pub rates: Arc<RateSnapshot>,
}

impl PoolEnv {
    /// The environment of the block after the head of `reader`'s snapshot: its number,
    /// earliest timestamp and base fee, and the rates read from the head state.
    pub fn next_block(spec: &ChainSpec, reader: &Reader) -> Result<Self, StateError> {
        let head = reader.head_number();
        let parent = reader.header(head)?.ok_or_else(|| StorageError::Corrupt {
            table: "headers",
            reason: format!("head block {head} is missing"),
        })?;
        let rates = RateSnapshot::read(&mut PendingState::new(StoreState::new(reader, head)))?;
        let next = NextBlock::after(spec, &parent);
        Ok(Self {
            chain_id: spec.chain_id(),
            number: next.number,
            timestamp: next.earliest_timestamp,
            block_gas_limit: next.gas_limit,
            base_fee: next.base_fee,
            rates: Arc::new(rates),
        })
    }
}
