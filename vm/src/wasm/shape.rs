//! The shape of a module: the counts that decide how long compiling and instantiating it can
//! take. Cranelift's time grows faster than linearly with some of them (blocks nested inside
//! each other, locals live across many blocks, the size of one function), so each is capped:
//! within the caps compile time grows linearly with the module's size, and the gas charged
//! per byte at deploy covers the worst case (measured in `docs/benchmarks.md`).

use wasmtime::wasmparser::{
    DataKind, ElementItems, FunctionBody, Operator, Parser, Payload, TypeRef,
};

use super::{
    gas::{words, WASM_SCHEDULE},
    limits::{
        MAX_DATA_SEGMENTS, MAX_ELEMENT_ITEMS, MAX_FUNCTIONS, MAX_FUNCTION_SIZE, MAX_GLOBALS,
        MAX_LOCALS, MAX_NESTING,
    },
    module_error::ModuleError,
};

/// What a module holds that costs work every time it is instantiated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Shape {
    /// Functions the module defines (each compiled, and relocated when read back).
    pub(crate) functions: u64,
    /// Globals the module defines.
    pub(crate) globals: u64,
    /// Bytes copied into memory by active data segments.
    pub(crate) data_bytes: u64,
    /// Table entries written by element segments.
    pub(crate) element_items: u64,
}

impl Shape {
    /// Gas a creation pays for storing and compiling a module of `len` bytes with this shape:
    /// per byte, and per function (each function is compiled on its own, at a fixed cost).
    pub(crate) fn create_gas(&self, len: usize) -> u64 {
        let schedule = WASM_SCHEDULE;
        schedule
            .code_deposit_byte
            .saturating_add(schedule.compile_byte)
            .saturating_mul(len as u64)
            .saturating_add(self.functions.saturating_mul(schedule.compile_function))
    }

    /// Gas the first call of a transaction to a module of `len` bytes with this shape pays for
    /// bringing the compiled module into memory: per word of module, and per function.
    pub(crate) fn load_gas(&self, len: usize) -> u64 {
        let schedule = WASM_SCHEDULE;
        words(len)
            .saturating_mul(schedule.code_load_word)
            .saturating_add(self.functions.saturating_mul(schedule.load_function))
    }

    /// Gas charged every time the module is instantiated (each call of the contract): a base,
    /// plus each global initialised, each word of data copied and each table entry written.
    pub(crate) fn instantiate_gas(&self) -> u64 {
        let schedule = WASM_SCHEDULE;
        schedule
            .instantiate
            .saturating_add(self.globals.saturating_mul(schedule.instantiate_global))
            .saturating_add(
                words(self.data_bytes as usize).saturating_mul(schedule.instantiate_data_word),
            )
            .saturating_add(
                self.element_items
                    .saturating_mul(schedule.instantiate_element),
            )
    }
}

/// Reads the shape of a module that passed WebAssembly validation and checks every cap.
pub(crate) fn measure(code: &[u8]) -> Result<Shape, ModuleError> {
    let mut shape = Shape::default();
    let mut functions = 0u64;
    let mut data_segments = 0u64;
    let mut index = 0u64;
    for payload in Parser::new(0).parse_all(code) {
        match payload.map_err(invalid)? {
            Payload::ImportSection(imports) => {
                for import in imports.into_imports() {
                    if matches!(import.map_err(invalid)?.ty, TypeRef::Func(_)) {
                        functions += 1;
                    }
                }
            }
            Payload::FunctionSection(section) => {
                shape.functions = u64::from(section.count());
                functions += shape.functions;
            }
            Payload::GlobalSection(section) => shape.globals = u64::from(section.count()),
            Payload::DataSection(section) => {
                for data in section {
                    let data = data.map_err(invalid)?;
                    data_segments += 1;
                    if matches!(data.kind, DataKind::Active { .. }) {
                        shape.data_bytes += data.data.len() as u64;
                    }
                }
            }
            Payload::ElementSection(section) => {
                for element in section {
                    shape.element_items += match element.map_err(invalid)?.items {
                        ElementItems::Functions(items) => u64::from(items.count()),
                        ElementItems::Expressions(_, items) => u64::from(items.count()),
                    };
                }
            }
            Payload::CodeSectionEntry(body) => {
                check_function(index, &body)?;
                index += 1;
            }
            _ => {}
        }
    }
    cap("functions", functions, MAX_FUNCTIONS)?;
    cap("globals", shape.globals, MAX_GLOBALS)?;
    cap("data segments", data_segments, MAX_DATA_SEGMENTS)?;
    cap(
        "table entries in element segments",
        shape.element_items,
        MAX_ELEMENT_ITEMS,
    )?;
    Ok(shape)
}

/// Checks one function body: its size, its locals and how deeply its blocks nest.
fn check_function(index: u64, body: &FunctionBody<'_>) -> Result<(), ModuleError> {
    let what = |part: &str| format!("{part} in function {index}");
    cap(&what("bytes"), body.range().len() as u64, MAX_FUNCTION_SIZE)?;
    let mut locals = 0u64;
    for group in body.get_locals_reader().map_err(invalid)? {
        let (count, _) = group.map_err(invalid)?;
        locals = locals.saturating_add(u64::from(count));
    }
    cap(&what("locals"), locals, MAX_LOCALS)?;
    let mut depth = 0u64;
    let mut deepest = 0u64;
    for operator in body.get_operators_reader().map_err(invalid)? {
        match operator.map_err(invalid)? {
            Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::TryTable { .. } => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            Operator::End => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    cap(&what("levels of nested blocks"), deepest, MAX_NESTING)
}

fn cap(what: &str, found: u64, limit: u64) -> Result<(), ModuleError> {
    if found > limit {
        return Err(ModuleError::Limit {
            what: what.to_owned(),
            found,
            limit,
        });
    }
    Ok(())
}

fn invalid(err: wasmtime::wasmparser::BinaryReaderError) -> ModuleError {
    ModuleError::Invalid(err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape_of(wat: &str) -> Result<Shape, ModuleError> {
        measure(&wat::parse_str(wat).expect("valid WAT"))
    }

    #[test]
    fn instantiation_gas_counts_globals_data_words_and_table_entries() {
        let shape = shape_of(
            r#"(module (memory 1) (table 4 funcref) (func $f)
                 (global i32 (i32.const 1)) (global (mut i64) (i64.const 2))
                 (data (i32.const 0) "0123456789012345678901234567890123")
                 (data "passive data is not copied at instantiation")
                 (elem (i32.const 0) func $f $f $f))"#,
        )
        .expect("within the limits");
        assert_eq!(
            shape,
            Shape {
                functions: 1,
                globals: 2,
                data_bytes: 34,
                element_items: 3,
            }
        );
        let schedule = WASM_SCHEDULE;
        assert_eq!(
            shape.instantiate_gas(),
            schedule.instantiate
                + 2 * schedule.instantiate_global
                + 2 * schedule.instantiate_data_word
                + 3 * schedule.instantiate_element
        );
    }

    #[test]
    fn each_cap_is_named_with_the_count_found() {
        let nested = |depth| {
            format!(
                "(module (func) (func {}{}))",
                "(loop ".repeat(depth),
                ")".repeat(depth)
            )
        };
        assert!(shape_of(&nested(MAX_NESTING as usize)).is_ok());
        assert_eq!(
            shape_of(&nested(MAX_NESTING as usize + 1))
                .expect_err("too deep")
                .to_string(),
            format!(
                "contract module has {} levels of nested blocks in function 1, the limit is {MAX_NESTING}",
                MAX_NESTING + 1
            )
        );
        let locals = format!(
            "(module (func {}))",
            "(local i32 i64)".repeat(MAX_LOCALS as usize / 2 + 1)
        );
        assert!(shape_of(&locals)
            .expect_err("too many locals")
            .to_string()
            .starts_with("contract module has 1026 locals in function 0"));
        let functions = format!("(module {})", "(func)".repeat(MAX_FUNCTIONS as usize + 1));
        assert!(shape_of(&functions)
            .expect_err("too many functions")
            .to_string()
            .ends_with("functions, the limit is 8192"));
    }
}
