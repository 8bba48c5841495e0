//! Why execution stopped exceptionally.

use alloy_primitives::Address;

use crate::wasm::limits::{MAX_MEMORY_PAGES, MAX_TABLE_ELEMENTS, MAX_WASM_STACK};

/// Why a call stopped exceptionally, using all its gas. Callers match on it (an estimate
/// retries with more gas only when gas was the problem); the message is what geth-style
/// clients see.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HaltReason {
    /// Gas ran out while running.
    #[error("out of gas")]
    OutOfGas,
    /// The gas left could not pay for storing and compiling a created module.
    #[error("out of gas: storing and compiling the {len}-byte module costs {deposit}")]
    CodeDepositOutOfGas {
        /// Module size in bytes.
        len: usize,
        /// The deposit it needs.
        deposit: u64,
    },
    /// A creation's address already holds code or a nonce.
    #[error("contract address collision: {0} is already in use")]
    AddressCollision(Address),
    /// The contract used more native stack than allowed.
    #[error("call stack exhausted: the contract used more than {} KiB of stack", MAX_WASM_STACK / 1024)]
    StackOverflow,
    /// `memory.grow` beyond the per-contract limit.
    #[error("memory limit exceeded: the contract asked for {pages} pages of 64 KiB, the limit is {MAX_MEMORY_PAGES} (16 MiB)")]
    MemoryLimit {
        /// Pages asked for.
        pages: u64,
    },
    /// `table.grow` beyond the per-contract limit.
    #[error("table limit exceeded: {elements} elements, the limit is {MAX_TABLE_ELEMENTS}")]
    TableLimit {
        /// Elements asked for.
        elements: usize,
    },
    /// A host function was called by a module that exports no memory.
    #[error("the contract exports no memory")]
    NoMemoryExport,
    /// A host function was given a range outside the contract's memory.
    #[error("memory access out of bounds: {len} bytes at {ptr}")]
    MemoryOutOfBounds {
        /// Start offset.
        ptr: u32,
        /// Length.
        len: usize,
    },
    /// A log with more than four topics.
    #[error("a log has at most 4 topics, the contract gave {0}")]
    TooManyTopics(usize),
    /// The stored code could not be compiled or instantiated.
    #[error("{0}")]
    InvalidCode(String),
    /// A WebAssembly trap (unreachable, division by zero, …), as wasmtime names it.
    #[error("{0}")]
    Trap(String),
    /// The run failed for another reason wasmtime reported.
    #[error("contract failed: {0}")]
    Failed(String),
}

impl HaltReason {
    /// Whether more gas could have let the call finish.
    pub fn is_out_of_gas(&self) -> bool {
        matches!(self, Self::OutOfGas | Self::CodeDepositOutOfGas { .. })
    }
}
