//! What contract execution costs. WebAssembly instructions are metered with wasmtime fuel, one
//! unit of fuel per instruction (wasmtime's default costs: control-flow markers such as
//! `nop`, `block`, `loop`, `end` and `drop` are free), and one unit of fuel is one unit of gas.
//! Host functions charge what Ethereum charges for the same work. Documented in
//! `docs/contracts.md`.

/// Costs of host functions and resources, in gas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WasmSchedule {
    /// Every host function call, on top of its own cost.
    pub host_call: u64,
    /// Per 32-byte word copied between the contract's memory and the host (calldata, return
    /// data, call input, revert and return data).
    pub copy_word: u64,
    /// Per 64 KiB page of linear memory an instance holds (initial pages included), charged
    /// when the memory is created or grows.
    pub memory_page: u64,
    /// Reading or writing a slot or an account already accessed in this transaction
    /// (EIP-2929 warm access).
    pub warm_access: u64,
    /// First access to a storage slot in this transaction (EIP-2929 cold SLOAD).
    pub cold_slot: u64,
    /// First access to an account in this transaction (EIP-2929 cold account access).
    pub cold_account: u64,
    /// Writing a non-zero value to a slot that was zero at the start of the transaction.
    pub sstore_set: u64,
    /// Changing a slot that was non-zero at the start of the transaction.
    pub sstore_reset: u64,
    /// Base cost of `keccak256`.
    pub keccak: u64,
    /// Per 32-byte word hashed.
    pub keccak_word: u64,
    /// Base cost of a log.
    pub log: u64,
    /// Per log topic.
    pub log_topic: u64,
    /// Per byte of log data.
    pub log_data_byte: u64,
    /// A call that transfers value.
    pub call_value: u64,
    /// Per byte of module stored by a contract creation.
    pub code_deposit_byte: u64,
    /// Per byte of module compiled by a contract creation, charged with the deposit before
    /// compiling: with `compile_function`, covers the compiler's worst case within the shape
    /// limits of `limits` (docs/benchmarks.md).
    pub compile_byte: u64,
    /// Per function a created module defines: each is compiled on its own, at a fixed cost.
    pub compile_function: u64,
    /// Per 32-byte word of a contract's module, the first time a transaction calls that code:
    /// covers loading the compiled module when it is not in memory (its artifact read from
    /// disk), whether or not this node has it cached, so gas never depends on a cache.
    pub code_load_word: u64,
    /// Per function of a contract's module, with `code_load_word`: reading an artifact back
    /// relocates each function.
    pub load_function: u64,
    /// Every instantiation (every call of a contract), on top of memory pages.
    pub instantiate: u64,
    /// Per global a module defines, at every instantiation.
    pub instantiate_global: u64,
    /// Per 32-byte word copied into memory by active data segments, at every instantiation.
    pub instantiate_data_word: u64,
    /// Per table entry written by element segments, at every instantiation.
    pub instantiate_element: u64,
}

/// The schedule in force.
pub const WASM_SCHEDULE: WasmSchedule = WasmSchedule {
    host_call: 20,
    copy_word: 3,
    memory_page: 1_024,
    warm_access: 100,
    cold_slot: 2_100,
    cold_account: 2_600,
    sstore_set: 20_000,
    sstore_reset: 2_900,
    keccak: 30,
    keccak_word: 6,
    log: 375,
    log_topic: 375,
    log_data_byte: 8,
    call_value: 9_000,
    code_deposit_byte: 50,
    compile_byte: 300,
    compile_function: 7_500,
    code_load_word: 64,
    load_function: 250,
    instantiate: 2_000,
    instantiate_global: 20,
    instantiate_data_word: 3,
    instantiate_element: 10,
};

/// Number of 32-byte words needed for `len` bytes.
pub(crate) fn words(len: usize) -> u64 {
    (len as u64).div_ceil(32)
}

/// What an `SSTORE` of `new` costs given the slot's value at the start of the transaction
/// (`original`) and now (`current`), after EIP-2200 and EIP-2929 without refunds: writing the
/// current value again or a slot already written in this transaction costs a warm access;
/// the first change costs a set (from zero) or a reset. `cold` adds the cold surcharge.
pub(crate) fn sstore_cost(
    original: alloy_primitives::U256,
    current: alloy_primitives::U256,
    new: alloy_primitives::U256,
    cold: bool,
) -> u64 {
    let schedule = WASM_SCHEDULE;
    let base = if new == current || original != current {
        schedule.warm_access
    } else if original.is_zero() {
        schedule.sstore_set
    } else {
        schedule.sstore_reset
    };
    if cold {
        base + schedule.cold_slot
    } else {
        base
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::U256;

    use super::*;

    #[test]
    fn sstore_follows_eip_2200_and_2929() {
        let (zero, one, two) = (U256::ZERO, U256::from(1), U256::from(2));
        assert_eq!(sstore_cost(zero, zero, one, true), 22_100, "cold set");
        assert_eq!(sstore_cost(zero, zero, one, false), 20_000, "warm set");
        assert_eq!(sstore_cost(one, one, two, true), 5_000, "cold reset");
        assert_eq!(sstore_cost(one, one, one, false), 100, "no-op write");
        assert_eq!(sstore_cost(zero, one, two, false), 100, "already dirty");
        assert_eq!(words(0), 0);
        assert_eq!(words(33), 2);
    }
}
