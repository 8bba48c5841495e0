//! The wasmtime engine every contract runs on, and the cache of compiled modules.
//!
//! Compiling a module with cranelift costs milliseconds; instantiating a compiled one costs
//! microseconds. Modules are compiled once, when the contract is deployed, and kept by code
//! hash in a bounded LRU cache shared by every thread, transaction and block (and by
//! `eth_call`). A node with a data directory also keeps every compiled module on disk
//! ([`ArtifactStore`]), so a restart or a module evicted from memory costs reading its
//! artifact back, not compiling it again. Whether a module was cached changes only how long a
//! call takes, never its result or its gas.

use std::{
    fmt,
    num::NonZeroUsize,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
};

use alloy_primitives::B256;
use lru::LruCache;
use parking_lot::Mutex;
use wasmtime::{Config, Engine, InstancePre, Linker, Module, OptLevel};

use super::{
    artifacts::ArtifactStore,
    host::{define_host_functions, HostEnv},
    limits::{MAX_MEMORY_PAGES, MAX_WASM_STACK, PAGE_SIZE},
    validate::{validate_module, ModuleInfo},
};
use crate::{StateAccess, StateError};

/// Modules kept compiled when the configuration does not say otherwise.
pub const DEFAULT_CACHE_MODULES: usize = 256;

/// A module compiled and linked against the host functions, ready to instantiate.
pub(crate) struct CompiledModule {
    pub(crate) pre: InstancePre<HostEnv>,
    /// What validation learnt of it: its `deploy` export and its instantiation gas.
    pub(crate) info: ModuleInfo,
}

/// Why a contract's module could not be made ready to run.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LoadError {
    /// State could not be read.
    #[error(transparent)]
    State(#[from] StateError),
    /// The account's code hash names code the store does not hold.
    #[error("contract code {0} is missing from the store")]
    MissingCode(B256),
    /// The code is not a module this node can run.
    #[error("contract code cannot run: {0}")]
    Unusable(String),
    /// The gas left does not pay for loading or compiling the module; it was not.
    #[error("out of gas: {needed} needed")]
    OutOfGas {
        /// The gas the module's price came to.
        needed: u64,
    },
}

/// The engine could not be created for this machine.
#[derive(Debug, thiserror::Error)]
#[error("cannot start the WebAssembly engine: {0}")]
pub struct RuntimeError(String);

/// How the module cache has been doing since the runtime started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups the memory cache could not answer.
    pub misses: u64,
    /// Misses answered by compiling the module.
    pub compiled: u64,
    /// Misses answered by reading the module's compiled artifact from disk.
    pub restored: u64,
    /// Modules held now.
    pub modules: usize,
    /// Most modules held at once.
    pub capacity: usize,
}

/// The engine, the host functions and the module cache; one per node, shared through
/// [`crate::BlockEnv`].
pub struct ContractRuntime {
    engine: Engine,
    linker: Linker<HostEnv>,
    cache: Mutex<LruCache<B256, Arc<CompiledModule>>>,
    artifacts: Option<ArtifactStore>,
    hits: AtomicU64,
    misses: AtomicU64,
    compiled: AtomicU64,
    restored: AtomicU64,
}

impl fmt::Debug for ContractRuntime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContractRuntime")
            .field("cache", &self.cache_stats())
            .finish_non_exhaustive()
    }
}

/// The engine settings that make execution deterministic and bounded: fuel metering, NaN
/// canonicalisation, no relaxed SIMD (threads are compiled out of wasmtime here), a
/// fixed 16 MiB memory reservation so memory never moves, and a bounded wasm stack.
fn engine_config() -> Config {
    let mut config = Config::new();
    config
        .consume_fuel(true)
        .cranelift_nan_canonicalization(true)
        .cranelift_opt_level(OptLevel::Speed)
        .wasm_relaxed_simd(false)
        .wasm_multi_memory(false)
        .wasm_memory64(false)
        .wasm_tail_call(false)
        .max_wasm_stack(MAX_WASM_STACK)
        .memory_reservation(MAX_MEMORY_PAGES * PAGE_SIZE)
        .memory_guard_size(PAGE_SIZE)
        .memory_reservation_for_growth(0);
    config
}

impl ContractRuntime {
    /// A runtime keeping up to `cache_modules` compiled modules in memory, and every compiled
    /// module in `artifacts` (a directory it creates) when one is given.
    pub fn with_artifacts(
        cache_modules: NonZeroUsize,
        artifacts: &std::path::Path,
    ) -> Result<Self, RuntimeError> {
        let store = ArtifactStore::open(artifacts).map_err(|err| {
            RuntimeError(format!(
                "cannot use {} for compiled contracts: {err}",
                artifacts.display()
            ))
        })?;
        let mut runtime = Self::new(cache_modules)?;
        runtime.artifacts = Some(store);
        Ok(runtime)
    }

    /// A runtime keeping up to `cache_modules` compiled modules, in memory only.
    pub fn new(cache_modules: NonZeroUsize) -> Result<Self, RuntimeError> {
        let engine = Engine::new(&engine_config()).map_err(|err| RuntimeError(err.to_string()))?;
        let mut linker = Linker::new(&engine);
        define_host_functions(&mut linker).map_err(|err| RuntimeError(err.to_string()))?;
        Ok(Self {
            engine,
            linker,
            cache: Mutex::new(LruCache::new(cache_modules)),
            artifacts: None,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            compiled: AtomicU64::new(0),
            restored: AtomicU64::new(0),
        })
    }

    /// Counters of the module cache.
    pub fn cache_stats(&self) -> CacheStats {
        let cache = self.cache.lock();
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            compiled: self.compiled.load(Ordering::Relaxed),
            restored: self.restored.load(Ordering::Relaxed),
            modules: cache.len(),
            capacity: cache.cap().get(),
        }
    }

    /// Drops every compiled module held in memory, so the next call of each contract restores
    /// or compiles it again. For benchmarks and tools measuring the cold path; results never
    /// depend on the cache.
    pub fn clear_cache(&self) {
        self.cache.lock().clear();
    }

    /// The compiled module of the code with hash `code_hash`, reading the code from `state`
    /// only when the cache does not hold it. `price` is what the caller must pay for it, out of
    /// `gas`: when the gas does not cover it, the module is not read back or compiled.
    pub(crate) fn load(
        &self,
        code_hash: B256,
        state: &mut dyn StateAccess,
        price: impl Fn(&ModuleInfo) -> u64,
        gas: u64,
    ) -> Result<Arc<CompiledModule>, LoadError> {
        if let Some(module) = self.cached(&code_hash) {
            return afford(&module.info, &price, gas).map(|()| module);
        }
        let code = state
            .code(code_hash)?
            .ok_or(LoadError::MissingCode(code_hash))?;
        self.prepare(code_hash, &code, &price, gas)
    }

    /// The compiled module of `code` (whose hash is `code_hash`), compiling it if needed;
    /// `price` and `gas` as for [`Self::load`].
    pub(crate) fn compile(
        &self,
        code_hash: B256,
        code: &[u8],
        price: impl Fn(&ModuleInfo) -> u64,
        gas: u64,
    ) -> Result<Arc<CompiledModule>, LoadError> {
        match self.cached(&code_hash) {
            Some(module) => afford(&module.info, &price, gas).map(|()| module),
            None => self.prepare(code_hash, code, &price, gas),
        }
    }

    fn cached(&self, code_hash: &B256) -> Option<Arc<CompiledModule>> {
        let module = self.cache.lock().get(code_hash).cloned();
        if module.is_some() {
            self.hits.fetch_add(1, Ordering::Relaxed);
        }
        module
    }

    /// Validates `code`, restores its compiled artifact or compiles it (keeping the artifact),
    /// links it, then caches it. Runs without the cache lock: two threads missing the same
    /// module at once both prepare it, and both results are the same module.
    fn prepare(
        &self,
        code_hash: B256,
        code: &[u8],
        price: &impl Fn(&ModuleInfo) -> u64,
        gas: u64,
    ) -> Result<Arc<CompiledModule>, LoadError> {
        self.misses.fetch_add(1, Ordering::Relaxed);
        let unusable = |err: String| LoadError::Unusable(err);
        let info = validate_module(code).map_err(|err| unusable(err.to_string()))?;
        afford(&info, price, gas)?;
        let restored = self
            .artifacts
            .as_ref()
            .and_then(|store| store.restore(&self.engine, &code_hash));
        let module = match restored {
            Some(module) => {
                self.restored.fetch_add(1, Ordering::Relaxed);
                module
            }
            None => {
                let module =
                    Module::new(&self.engine, code).map_err(|err| unusable(err.to_string()))?;
                self.compiled.fetch_add(1, Ordering::Relaxed);
                if let Some(store) = &self.artifacts {
                    store.keep(&code_hash, &module);
                }
                module
            }
        };
        let pre = self
            .linker
            .instantiate_pre(&module)
            .map_err(|err| unusable(err.to_string()))?;
        let compiled = Arc::new(CompiledModule { pre, info });
        self.cache.lock().put(code_hash, compiled.clone());
        Ok(compiled)
    }
}

/// Whether `gas` pays `price` for a module.
fn afford(
    info: &ModuleInfo,
    price: &impl Fn(&ModuleInfo) -> u64,
    gas: u64,
) -> Result<(), LoadError> {
    let needed = price(info);
    match needed <= gas {
        true => Ok(()),
        false => Err(LoadError::OutOfGas { needed }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wasm::{imports::HOST_FUNCTIONS, HOST_MODULE};

    /// The linker defines every host function of the import table with the table's type: a
    /// module importing all of them, as the table declares them, links.
    #[test]
    fn the_linker_defines_every_host_function_with_its_type() {
        let list = |types: &[wasmtime::wasmparser::ValType]| {
            types
                .iter()
                .map(|ty| ty.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let imports: String = HOST_FUNCTIONS
            .iter()
            .map(|(name, params, results)| {
                format!(
                    "(import \"{HOST_MODULE}\" \"{name}\" (func (param {}) (result {})))",
                    list(params),
                    list(results)
                )
            })
            .collect();
        let code = wat::parse_str(format!(
            "(module {imports} (memory (export \"memory\") 1) (func (export \"call\")))"
        ))
        .expect("valid WAT");
        let runtime = ContractRuntime::new(NonZeroUsize::MIN).expect("engine");
        runtime
            .compile(B256::ZERO, &code, |_| 0, 0)
            .expect("every host function links");
    }
}
