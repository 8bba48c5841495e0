//! Deploy-time checks of a contract module: everything that can be decided from the bytes
//! alone, so a bad module is refused before it costs anyone gas, with a message that names
//! the problem.

use wasmtime::wasmparser::{
    types::{CoreTypeId, EntityType, TypesRef},
    CompositeInnerType, FuncType, ValType, Validator, WasmFeatures,
};

use super::{
    imports::host_function_type,
    limits::{
        CALL_EXPORT, DEPLOY_EXPORT, HOST_MODULE, MAX_CODE_SIZE, MAX_MEMORY_PAGES,
        MAX_TABLE_ELEMENTS, MEMORY_EXPORT,
    },
    module_error::ModuleError,
    shape::measure,
};

/// The WebAssembly magic number every module starts with.
pub const WASM_MAGIC: &[u8; 4] = b"\0asm";

/// The language a contract may use: WebAssembly 2.0 (bulk memory, reference types, sign
/// extension, saturating conversions, multi-value, SIMD). Threads, relaxed SIMD, memory64,
/// multiple memories, exceptions, GC and tail calls are refused: threads and relaxed SIMD are
/// not deterministic, the others are not needed and widen what must be metered.
pub fn contract_features() -> WasmFeatures {
    WasmFeatures::WASM2
}

/// What deploying needs to know about a valid module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModuleInfo {
    /// Whether it exports `deploy`, run once at creation.
    pub has_deploy: bool,
    /// Gas a creation of this module pays before it is compiled: storing and compiling it.
    pub create_gas: u64,
    /// Gas the first call of a transaction to this module pays for loading it.
    pub load_gas: u64,
    /// Gas charged each time the module is instantiated, for what instantiation does
    /// besides creating memory (charged per page): globals, data and table entries.
    pub instantiate_gas: u64,
}

/// Checks that `code` is a module a contract may be: WebAssembly 2.0 within the size, memory,
/// table and shape limits (functions, function size, locals, nesting, globals, segments: what
/// bounds compile time), importing only host functions with their exact types, exporting `call`
/// and `memory` (and optionally `deploy`).
pub fn validate_module(code: &[u8]) -> Result<ModuleInfo, ModuleError> {
    if !code.starts_with(WASM_MAGIC) {
        return Err(ModuleError::NotWasm);
    }
    if code.len() > MAX_CODE_SIZE {
        return Err(ModuleError::TooLarge { size: code.len() });
    }
    let types = Validator::new_with_features(contract_features())
        .validate_all(code)
        .map_err(|err| ModuleError::Invalid(err.to_string()))?;
    let types = types.as_ref();
    let shape = measure(code)?;
    check_imports(&types)?;
    for index in 0..types.memory_count() {
        let memory = types.memory_at(index);
        if memory.initial > MAX_MEMORY_PAGES {
            return Err(ModuleError::MemoryTooLarge {
                pages: memory.initial,
            });
        }
    }
    for index in 0..types.table_count() {
        let table = types.table_at(index);
        if table.initial > MAX_TABLE_ELEMENTS as u64 {
            return Err(ModuleError::TableTooLarge {
                elements: table.initial,
            });
        }
    }
    let has_deploy = check_exports(&types)?;
    Ok(ModuleInfo {
        has_deploy,
        create_gas: shape.create_gas(code.len()),
        load_gas: shape.load_gas(code.len()),
        instantiate_gas: shape.instantiate_gas(),
    })
}

fn check_imports(types: &TypesRef<'_>) -> Result<(), ModuleError> {
    for (module, name, entity) in types.core_imports().into_iter().flatten() {
        let forbidden = || ModuleError::ForbiddenImport {
            module: module.to_owned(),
            name: name.to_owned(),
        };
        let expected = match (module == HOST_MODULE, host_function_type(name)) {
            (true, Some(expected)) => expected,
            _ => return Err(forbidden()),
        };
        let EntityType::Func(id) = entity else {
            return Err(forbidden());
        };
        let found = func_type(types, id)?;
        if found.params() != expected.0 || found.results() != expected.1 {
            return Err(ModuleError::ImportType {
                name: name.to_owned(),
                found: signature(found.params(), found.results()),
                expected: signature(expected.0, expected.1),
            });
        }
    }
    Ok(())
}

/// Checks the exports; whether the module has a `deploy` export.
fn check_exports(types: &TypesRef<'_>) -> Result<bool, ModuleError> {
    let mut has_call = false;
    let mut has_deploy = false;
    let mut has_memory = false;
    for (name, entity) in types.core_exports().into_iter().flatten() {
        match (name, entity) {
            (MEMORY_EXPORT, EntityType::Memory(_)) => has_memory = true,
            (CALL_EXPORT | DEPLOY_EXPORT, EntityType::Func(id)) => {
                let func = func_type(types, id)?;
                if !func.params().is_empty() || !func.results().is_empty() {
                    return Err(ModuleError::ExportType {
                        name: name.to_owned(),
                        found: signature(func.params(), func.results()),
                    });
                }
                has_call |= name == CALL_EXPORT;
                has_deploy |= name == DEPLOY_EXPORT;
            }
            (CALL_EXPORT | DEPLOY_EXPORT, _) => {
                return Err(ModuleError::ExportType {
                    name: name.to_owned(),
                    found: "not a function".into(),
                })
            }
            _ => {}
        }
    }
    if !has_memory {
        return Err(ModuleError::MissingExport {
            what: "its linear memory as \"memory\"",
        });
    }
    if !has_call {
        return Err(ModuleError::MissingExport {
            what: "a function \"call\" (no parameters, no results)",
        });
    }
    Ok(has_deploy)
}

/// The type of a function that a module imports or exports. The validator has already checked
/// that a function's type index names a function type, and without the GC proposal (refused by
/// [`contract_features`]) there is no other kind of type, so the error cannot happen for a
/// module that passed validation; it is there so that deploy input can never make this panic.
fn func_type<'t>(types: &'t TypesRef<'_>, id: CoreTypeId) -> Result<&'t FuncType, ModuleError> {
    match &types[id].composite_type.inner {
        CompositeInnerType::Func(func) => Ok(func),
        _ => Err(ModuleError::Invalid(
            "a function's type is not a function type".into(),
        )),
    }
}

/// A function type as WAT writes it: `(param i32 i32) (result i64)`.
fn signature(params: &[ValType], results: &[ValType]) -> String {
    let list = |types: &[ValType]| {
        types
            .iter()
            .map(|ty| ty.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    format!("(param {}) (result {})", list(params), list(results))
}
