//! The block a transaction executes in, and how the chain rules derive the next one.

use std::sync::Arc;

use alloy_consensus::Header;
use alloy_primitives::Address;
use supervm_gas::next_block_base_fee;
use supervm_primitives::ChainSpec;

use crate::{wasm::ContractRuntime, RateSnapshot};

/// What the chain rules fix about the block after a parent: the one place the next block's
/// number, earliest timestamp, base fee and gas limit are derived, for block building, pool
/// admission and gas estimation alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NextBlock {
    /// Its number.
    pub number: u64,
    /// The earliest timestamp it may carry (one second after the parent's).
    pub earliest_timestamp: u64,
    /// Its base fee per gas (EIP-1559 from the parent).
    pub base_fee: u64,
    /// Its gas limit.
    pub gas_limit: u64,
}

impl NextBlock {
    /// The block after `parent` under `spec`.
    pub fn after(spec: &ChainSpec, parent: &Header) -> Self {
        Self {
            number: parent.number + 1,
            earliest_timestamp: parent.timestamp + 1,
            base_fee: next_block_base_fee(spec, parent),
            gas_limit: spec.gas_limit(),
        }
    }
}

/// The block a transaction executes in.
#[derive(Clone, Debug)]
pub struct BlockEnv {
    /// Block number.
    pub number: u64,
    /// Block timestamp (seconds).
    pub timestamp: u64,
    /// Receives tips.
    pub beneficiary: Address,
    /// Base fee per gas (wei).
    pub base_fee: u64,
    /// Block gas limit.
    pub gas_limit: u64,
    /// Receives base fees; `None` burns them.
    pub base_fee_recipient: Option<Address>,
    /// Fee-token rates of this block (from the parent's final state).
    pub rates: Arc<RateSnapshot>,
    /// The chain id contracts see.
    pub chain_id: u64,
    /// The engine and module cache contracts run on, shared by every block of the node.
    pub contracts: Arc<ContractRuntime>,
}

impl BlockEnv {
    /// The environment of the block after `parent`, at `timestamp` or the earliest time the
    /// rules allow, with the fee-token `rates` read from the parent's final state.
    pub fn next(
        spec: &ChainSpec,
        parent: &Header,
        timestamp: u64,
        beneficiary: Address,
        rates: Arc<RateSnapshot>,
        contracts: Arc<ContractRuntime>,
    ) -> Self {
        let next = NextBlock::after(spec, parent);
        Self {
            number: next.number,
            timestamp: timestamp.max(next.earliest_timestamp),
            beneficiary,
            base_fee: next.base_fee,
            gas_limit: next.gas_limit,
            base_fee_recipient: spec.base_fee_recipient(),
            rates,
            chain_id: spec.chain_id(),
            contracts,
        }
    }
}
