//! The limits every contract runs under. They are consensus rules: a module that breaks one at
//! deploy is refused, and one that reaches one while running fails the same way on every node.
//! Documented in `docs/contracts.md`.

/// The import module every host function lives in. The version is part of the name so a
/// future incompatible API can sit beside this one without breaking deployed contracts.
pub const HOST_MODULE: &str = "supervm_v1";

/// Largest contract module, in bytes.
pub const MAX_CODE_SIZE: usize = 256 * 1024;

/// Most functions in a module, imported and defined.
pub const MAX_FUNCTIONS: u64 = 8_192;

/// Largest body of one function, in bytes: one function is compiled as a whole, and the time
/// that takes grows faster than its size.
pub const MAX_FUNCTION_SIZE: u64 = 32 * 1024;

/// Most locals one function declares (parameters not counted).
pub const MAX_LOCALS: u64 = 1_024;

/// Deepest nesting of `block`, `loop` and `if` inside one function.
pub const MAX_NESTING: u64 = 128;

/// Most globals a module defines: each is initialised at every instantiation.
pub const MAX_GLOBALS: u64 = 1_024;

/// Most data segments in a module.
pub const MAX_DATA_SEGMENTS: u64 = 1_024;

/// Most table entries written by a module's element segments.
pub const MAX_ELEMENT_ITEMS: u64 = 16_384;

/// Bytes in a WebAssembly memory page.
pub const PAGE_SIZE: u64 = 64 * 1024;

/// Largest linear memory of one contract instance, in pages (16 MiB).
pub const MAX_MEMORY_PAGES: u64 = 256;

/// Largest table of one contract instance, in elements.
pub const MAX_TABLE_ELEMENTS: usize = 65_536;

/// Deepest nesting of contract calls (the transaction's own call is depth 1). Each level can
/// hold an instance with up to 16 MiB of memory, so this also bounds a transaction's memory.
pub const MAX_CALL_DEPTH: usize = 64;

/// Native stack that the WebAssembly code of one call may use before it traps with "call
/// stack exhausted": this is what bounds recursion inside a contract.
pub const MAX_WASM_STACK: usize = 512 * 1024;

/// The export run for every call.
pub const CALL_EXPORT: &str = "call";

/// The export run once when the contract is created, if the module has it.
pub const DEPLOY_EXPORT: &str = "deploy";

/// The memory export host functions read and write.
pub const MEMORY_EXPORT: &str = "memory";
