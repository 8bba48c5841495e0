//! Why a module cannot be a contract: the deploy-time errors, each naming the problem.

use super::limits::{HOST_MODULE, MAX_CODE_SIZE, MAX_MEMORY_PAGES, MAX_TABLE_ELEMENTS};

/// Why a module cannot be a contract.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ModuleError {
    /// The code does not start with `\0asm`.
    #[error("contract code is not a WebAssembly module: it must start with \\0asm")]
    NotWasm,
    /// The module is larger than [`MAX_CODE_SIZE`].
    #[error("contract module is {size} bytes, the limit is {MAX_CODE_SIZE}")]
    TooLarge {
        /// Its size.
        size: usize,
    },
    /// The module is malformed or uses a feature contracts may not use.
    #[error("invalid WebAssembly module: {0}")]
    Invalid(String),
    /// An import that is not one of the host functions.
    #[error("forbidden import {module}.{name}: contracts may only import the functions of {HOST_MODULE} (see docs/contracts.md)")]
    ForbiddenImport {
        /// The module imported from.
        module: String,
        /// The name imported.
        name: String,
    },
    /// A host function imported with the wrong signature.
    #[error("import {HOST_MODULE}.{name} has type {found}, the host function is {expected}")]
    ImportType {
        /// The host function.
        name: String,
        /// The type the module declares.
        found: String,
        /// The host function's type.
        expected: String,
    },
    /// A required export is missing or has the wrong type.
    #[error("contract must export {what}")]
    MissingExport {
        /// What is missing.
        what: &'static str,
    },
    /// An export the host runs has the wrong type.
    #[error("export {name} must be a function without parameters or results, found {found}")]
    ExportType {
        /// The export.
        name: String,
        /// Its type.
        found: String,
    },
    /// The memory starts beyond the limit (growing beyond it halts at run time).
    #[error("contract memory starts at {pages} pages of 64 KiB, the limit is {MAX_MEMORY_PAGES} (16 MiB)")]
    MemoryTooLarge {
        /// Initial pages.
        pages: u64,
    },
    /// A module larger in one dimension than compiling it in bounded time allows.
    #[error("contract module has {found} {what}, the limit is {limit}")]
    Limit {
        /// What was counted.
        what: String,
        /// How many the module has.
        found: u64,
        /// The cap.
        limit: u64,
    },
    /// A table starts beyond the limit.
    #[error("contract table starts at {elements} elements, the limit is {MAX_TABLE_ELEMENTS}")]
    TableTooLarge {
        /// Initial elements.
        elements: u64,
    },
}
