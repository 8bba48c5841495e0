//! WebAssembly contracts on wasmtime.
//!
//! A contract is a WebAssembly module deployed by a transaction without a recipient whose
//! data is the module. It exports `memory`, `call` (run for every call) and optionally
//! `deploy` (run once at creation), and imports only the host functions of
//! [`HOST_MODULE`] (`supervm_v1`). `docs/contracts.md` is the user's reference.
//!
//! - [`validate`](validate_module): deploy-time checks of the bytes (features, imports,
//!   exports, limits), shared with pool admission.
//! - [`runtime`](ContractRuntime): the engine and the cache of compiled modules.
//! - `artifacts`: compiled modules kept on disk by code hash, so a restart does not compile.
//! - `host`: the host functions and the store a call runs in.
//! - `shape`: the counts that bound compile and instantiation time, and their caps.
//! - `imports`: the names and signatures of the host functions, read by validation and
//!   matched by the linker.
//! - [`gas`](WASM_SCHEDULE): what instructions and host functions cost.
//!
//! Modules import downwards only: `runtime` → `host`, `artifacts`, `validate` → `shape`, `imports`,
//! `limits`, `gas`, `module_error`;
//! none of them imports a module that imports it back.
//!
//! Determinism: instructions are metered with fuel fixed at compile time, NaNs are
//! canonicalised, threads and relaxed SIMD are refused, the host offers no clock or
//! randomness, and every limit is a constant of this crate.

mod artifacts;
mod gas;
mod host;
mod imports;
pub mod limits;
mod module_error;
mod runtime;
mod shape;
mod validate;

pub use gas::{WasmSchedule, WASM_SCHEDULE};
pub(crate) use host::{run, Entry};
pub use limits::HOST_MODULE;
pub use module_error::ModuleError;
pub use runtime::{CacheStats, ContractRuntime, RuntimeError, DEFAULT_CACHE_MODULES};
pub(crate) use runtime::{CompiledModule, LoadError};
pub use validate::{contract_features, validate_module, ModuleInfo, WASM_MAGIC};
