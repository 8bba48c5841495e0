//! The host functions a contract may import: their names and WebAssembly signatures.
//!
//! A table of its own, apart from their implementations in `host`, because two sides read it:
//! deploy-time validation checks a module's imports against it without running anything, and
//! the runtime links the implementations that must match it. Neither side imports the other.

use wasmtime::wasmparser::ValType::{self, I32, I64};

/// Every host function: name, parameter types, result types. Deploy-time validation refuses
/// any import that is not in this table or not of its type; a test checks that the linker
/// defines every entry with that type.
pub(crate) const HOST_FUNCTIONS: &[(&str, &[ValType], &[ValType])] = &[
    ("calldata_size", &[], &[I32]),
    ("calldata_copy", &[I32, I32, I32], &[]),
    ("return_data_size", &[], &[I32]),
    ("return_data_copy", &[I32, I32, I32], &[]),
    ("return", &[I32, I32], &[]),
    ("revert", &[I32, I32], &[]),
    ("storage_read", &[I32, I32], &[]),
    ("storage_write", &[I32, I32], &[]),
    ("caller", &[I32], &[]),
    ("origin", &[I32], &[]),
    ("address", &[I32], &[]),
    ("value", &[I32], &[]),
    ("balance", &[I32, I32], &[]),
    ("block_number", &[], &[I64]),
    ("block_timestamp", &[], &[I64]),
    ("chain_id", &[], &[I64]),
    ("base_fee", &[], &[I64]),
    ("gas_left", &[], &[I64]),
    ("keccak256", &[I32, I32, I32], &[]),
    ("log", &[I32, I32, I32, I32], &[]),
    ("call_contract", &[I32, I32, I32, I32, I64], &[I32]),
];

/// The parameter and result types of host function `name`, if there is one.
pub(crate) fn host_function_type(name: &str) -> Option<(&'static [ValType], &'static [ValType])> {
    HOST_FUNCTIONS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, params, results)| (*params, *results))
}
