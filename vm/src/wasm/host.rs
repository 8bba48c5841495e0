//! The host side of a contract call: the functions of the `supervm_v1` import module, the
//! store each call runs in, and how a run ends.
//!
//! # Why a raw pointer
//!
//! wasmtime requires the data of a `Store` to be `'static`, but a call works on borrowed
//! state: the transaction's frame and its scope. [`run`] therefore keeps the borrowed parts
//! in a [`Host`] on its own stack, hands the store a pointer to it with the lifetimes erased,
//! and drops the store before returning. Host functions reach the `Host` only through
//! [`with_host`], the one place that turns the pointer back into a reference: wasmtime runs
//! host functions synchronously on this thread, one at a time, and `run` does not touch the
//! `Host` while the store exists, so that reference is the only live one.

use std::ptr::NonNull;

use alloy_primitives::{keccak256, Address, Bytes, Log, LogData, B256, U256};
use wasmtime::{Caller, Extern, InstancePre, Linker, Memory, ResourceLimiter, Store, Trap};

use super::{
    gas::{sstore_cost, words, WASM_SCHEDULE},
    limits::{
        HOST_MODULE, MAX_CALL_DEPTH, MAX_MEMORY_PAGES, MAX_TABLE_ELEMENTS, MAX_WASM_STACK,
        MEMORY_EXPORT, PAGE_SIZE,
    },
};
use crate::{
    call::{self, CallInput, CallResult, TxScope},
    halt::HaltReason,
    StateAccess, StateError,
};

/// Which export a run starts in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Entry {
    /// `call`, for every call.
    Call,
    /// `deploy`, once at creation.
    Deploy,
}

impl Entry {
    fn export(self) -> &'static str {
        match self {
            Self::Call => super::limits::CALL_EXPORT,
            Self::Deploy => super::limits::DEPLOY_EXPORT,
        }
    }
}

/// Native stack left below which a run continues on a fresh stack segment: the wasm stack
/// limit plus room for the host frames of the call (wasmtime computes each store's wasm stack
/// limit from where it is entered, so nested calls each need their own).
const STACK_RED_ZONE: usize = MAX_WASM_STACK + 512 * 1024;
/// Size of a fresh stack segment.
const STACK_SEGMENT: usize = MAX_WASM_STACK + 2 * 1024 * 1024;

/// The borrowed state a run works on (see the module docs).
struct Host<'s, 'b> {
    state: &'s mut (dyn StateAccess + 's),
    scope: &'s mut TxScope<'b>,
}

/// The data of a contract's store.
pub(crate) struct HostEnv {
    /// Points at the `Host` of the [`run`] that owns this store.
    host: NonNull<Host<'static, 'static>>,
    /// The call being run (its `to` is the contract itself).
    input: CallInput,
    /// Data returned by the last call this contract made.
    return_data: Bytes,
    /// What `return` or `revert` handed back.
    output: Bytes,
    /// Logs emitted by this call and the successful calls it made, in order.
    logs: Vec<Log>,
    /// The contract's memory export, once looked up.
    memory: Option<Memory>,
    limits: MemoryMeter,
}

/// Enforces the memory and table limits and counts the pages still to be paid for: the
/// limiter cannot charge fuel itself, so host functions and the end of the run settle it.
#[derive(Default)]
struct MemoryMeter {
    unpaid_pages: u64,
}

impl ResourceLimiter for MemoryMeter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let desired = desired as u64;
        if maximum.is_some_and(|maximum| desired > maximum as u64) {
            // Beyond the module's own maximum: `memory.grow` returns -1, nothing to pay.
            return Ok(false);
        }
        if desired > MAX_MEMORY_PAGES * PAGE_SIZE {
            return Err(halt(HaltReason::MemoryLimit {
                pages: desired / PAGE_SIZE,
            }));
        }
        self.unpaid_pages += (desired - current as u64) / PAGE_SIZE;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > MAX_TABLE_ELEMENTS {
            return Err(halt(HaltReason::TableLimit { elements: desired }));
        }
        Ok(true)
    }
}

/// How a run stopped other than by returning from its export.
#[derive(Debug, thiserror::Error)]
enum Exit {
    /// `return` was called.
    #[error("returned")]
    Return,
    /// `revert` was called.
    #[error("reverted")]
    Revert,
    /// Gas ran out in a host function.
    #[error("out of gas")]
    OutOfGas,
    /// A host function refused its arguments, or a limit was hit.
    #[error("{0}")]
    Halt(HaltReason),
    /// State could not be read: not the contract's fault, the transaction is not executed.
    #[error(transparent)]
    State(StateError),
}

fn halt(reason: HaltReason) -> wasmtime::Error {
    wasmtime::Error::new(Exit::Halt(reason))
}

fn state_error(err: StateError) -> wasmtime::Error {
    wasmtime::Error::new(Exit::State(err))
}

/// Runs `entry` of the linked module `module` for `input` over `state`, on a fresh stack
/// segment when little native stack is left.
pub(crate) fn run(
    state: &mut dyn StateAccess,
    scope: &mut TxScope<'_>,
    module: &InstancePre<HostEnv>,
    entry: Entry,
    input: CallInput,
) -> Result<CallResult, StateError> {
    stacker::maybe_grow(STACK_RED_ZONE, STACK_SEGMENT, || {
        run_here(state, scope, module, entry, input)
    })
}

fn run_here(
    state: &mut dyn StateAccess,
    scope: &mut TxScope<'_>,
    module: &InstancePre<HostEnv>,
    entry: Entry,
    input: CallInput,
) -> Result<CallResult, StateError> {
    let gas = input.gas;
    let mut host = Host { state, scope };
    let env = HostEnv {
        host: NonNull::from(&mut host).cast(),
        input,
        return_data: Bytes::new(),
        output: Bytes::new(),
        logs: Vec::new(),
        memory: None,
        limits: MemoryMeter::default(),
    };
    let mut store = Store::new(module.module().engine(), env);
    store.limiter(|env| &mut env.limits);
    let result = store.set_fuel(gas).and_then(|()| {
        let instance = module.instantiate(&mut store)?;
        instance
            .get_typed_func::<(), ()>(&mut store, entry.export())?
            .call(&mut store, ())
    });
    let fuel_left = store.get_fuel().unwrap_or(0).min(gas);
    finish(result, gas, gas - fuel_left, store.into_data())
}

/// Turns the end of a run into a call result: memory still unpaid is charged now.
fn finish(
    result: wasmtime::Result<()>,
    gas: u64,
    fuel_used: u64,
    env: HostEnv,
) -> Result<CallResult, StateError> {
    let exit = match result {
        Ok(()) => Exit::Return,
        Err(err) => match err.downcast::<Exit>() {
            Ok(exit) => exit,
            Err(err) => return Ok(CallResult::halt(trap_reason(&err), gas)),
        },
    };
    let used = fuel_used.saturating_add(
        env.limits
            .unpaid_pages
            .saturating_mul(WASM_SCHEDULE.memory_page),
    );
    Ok(match exit {
        Exit::Return | Exit::Revert if used > gas => CallResult::halt(HaltReason::OutOfGas, gas),
        Exit::Return => CallResult::success(env.output, used, env.logs),
        Exit::Revert => CallResult::revert(env.output, used),
        Exit::OutOfGas => CallResult::halt(HaltReason::OutOfGas, gas),
        Exit::Halt(reason) => CallResult::halt(reason, gas),
        Exit::State(err) => return Err(err),
    })
}

/// A clear reason for a trap or an instantiation failure.
fn trap_reason(err: &wasmtime::Error) -> HaltReason {
    match err.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => HaltReason::OutOfGas,
        Some(Trap::StackOverflow) => HaltReason::StackOverflow,
        Some(trap) => HaltReason::Trap(trap.to_string()),
        None => HaltReason::Failed(format!("{err:#}")),
    }
}

type Ctx<'a> = Caller<'a, HostEnv>;

/// Runs `f` with the `Host` of the run that owns `caller`'s store, beside `caller` itself.
///
/// The reference exists only while `f` runs and `f` is generic over its lifetimes, so nothing
/// borrowed from the `Host` can outlive the host function. The `Host` is not part of the
/// store's data, so it never aliases what `caller` reaches.
#[allow(unsafe_code)] // The host pointer above; see the SAFETY comment.
fn with_host<R>(caller: &mut Ctx<'_>, f: impl FnOnce(&mut Ctx<'_>, &mut Host<'_, '_>) -> R) -> R {
    let host = caller.data().host;
    // SAFETY: `host` points at the `Host` on the stack of the `run` that owns this store. It
    // outlives the store, `run` does not touch it while the store exists, and wasmtime runs
    // host functions synchronously on this thread, one at a time, each calling `with_host` at
    // most once at a time: this is the only live reference to it (module docs).
    let host = unsafe { &mut *host.as_ptr() };
    f(caller, host)
}

/// Takes `gas` from what is left, or stops the run out of gas.
fn charge(caller: &mut Ctx<'_>, gas: u64) -> wasmtime::Result<()> {
    let left = caller.get_fuel()?;
    match left.checked_sub(gas) {
        Some(rest) => caller.set_fuel(rest),
        None => {
            caller.set_fuel(0)?;
            Err(wasmtime::Error::new(Exit::OutOfGas))
        }
    }
}

/// The start of every host function: pays for memory grown since the last one, the host
/// call itself and `cost`.
fn enter(caller: &mut Ctx<'_>, cost: u64) -> wasmtime::Result<()> {
    let pages = std::mem::take(&mut caller.data_mut().limits.unpaid_pages);
    let memory = pages.saturating_mul(WASM_SCHEDULE.memory_page);
    charge(
        caller,
        WASM_SCHEDULE
            .host_call
            .saturating_add(memory)
            .saturating_add(cost),
    )
}

fn memory(caller: &mut Ctx<'_>) -> wasmtime::Result<Memory> {
    if let Some(memory) = caller.data().memory {
        return Ok(memory);
    }
    match caller.get_export(MEMORY_EXPORT) {
        Some(Extern::Memory(memory)) => {
            caller.data_mut().memory = Some(memory);
            Ok(memory)
        }
        _ => Err(halt(HaltReason::NoMemoryExport)),
    }
}

/// The memory range `[ptr, ptr + len)`, pointers being unsigned 32-bit offsets.
fn range(ptr: i32, len: usize) -> Option<std::ops::Range<usize>> {
    let start = ptr as u32 as usize;
    Some(start..start.checked_add(len)?)
}

fn out_of_bounds(ptr: i32, len: usize) -> wasmtime::Error {
    halt(HaltReason::MemoryOutOfBounds {
        ptr: ptr as u32,
        len,
    })
}

fn read(caller: &mut Ctx<'_>, ptr: i32, len: usize) -> wasmtime::Result<Vec<u8>> {
    let memory = memory(caller)?;
    range(ptr, len)
        .and_then(|range| memory.data(&caller).get(range))
        .map(<[u8]>::to_vec)
        .ok_or_else(|| out_of_bounds(ptr, len))
}

fn read_word(caller: &mut Ctx<'_>, ptr: i32) -> wasmtime::Result<B256> {
    Ok(B256::from_slice(&read(caller, ptr, 32)?))
}

fn read_address(caller: &mut Ctx<'_>, ptr: i32) -> wasmtime::Result<Address> {
    Ok(Address::from_slice(&read(caller, ptr, 20)?))
}

fn write(caller: &mut Ctx<'_>, ptr: i32, bytes: &[u8]) -> wasmtime::Result<()> {
    let memory = memory(caller)?;
    let target = range(ptr, bytes.len())
        .and_then(|range| memory.data_mut(&mut *caller).get_mut(range))
        .ok_or_else(|| out_of_bounds(ptr, bytes.len()))?;
    target.copy_from_slice(bytes);
    Ok(())
}

/// `len` bytes of `source` from `offset`, zero beyond its end (as EVM `CALLDATACOPY` does).
fn padded(source: &[u8], offset: u32, len: usize) -> Vec<u8> {
    let mut out = vec![0; len];
    let start = (offset as usize).min(source.len());
    let available = &source[start..];
    let n = available.len().min(len);
    out[..n].copy_from_slice(&available[..n]);
    out
}

/// Copies part of `source` (calldata or return data) into the contract's memory.
fn copy_out(
    caller: &mut Ctx<'_>,
    source: fn(&HostEnv) -> &Bytes,
    dest: i32,
    offset: i32,
    len: i32,
) -> wasmtime::Result<()> {
    let len = len as u32 as usize;
    enter(caller, WASM_SCHEDULE.copy_word.saturating_mul(words(len)))?;
    let bytes = padded(source(caller.data()), offset as u32, len);
    write(caller, dest, &bytes)
}

/// Ends the run with `len` bytes at `ptr` as return or revert data.
fn exit_with(caller: &mut Ctx<'_>, ptr: i32, len: i32, exit: Exit) -> wasmtime::Result<()> {
    let len = len as u32 as usize;
    enter(caller, WASM_SCHEDULE.copy_word.saturating_mul(words(len)))?;
    let output = read(caller, ptr, len)?;
    caller.data_mut().output = output.into();
    Err(wasmtime::Error::new(exit))
}

/// Writes one of the 20-byte addresses of the call context to `dest`.
fn write_address(
    caller: &mut Ctx<'_>,
    dest: i32,
    pick: fn(&HostEnv, Address) -> Address,
) -> wasmtime::Result<()> {
    enter(caller, 0)?;
    let origin = with_host(caller, |_, host| host.scope.origin);
    let address = pick(caller.data(), origin);
    write(caller, dest, address.as_slice())
}

/// A block value as the `i64` a contract receives.
fn block_value(caller: &mut Ctx<'_>, pick: fn(&crate::BlockEnv) -> u64) -> wasmtime::Result<i64> {
    enter(caller, 0)?;
    Ok(with_host(caller, |_, host| pick(host.scope.block)) as i64)
}

fn storage_read(caller: &mut Ctx<'_>, key_ptr: i32, dest: i32) -> wasmtime::Result<()> {
    enter(caller, 0)?;
    let key = read_word(caller, key_ptr)?;
    let address = caller.data().input.to;
    let value = with_host(caller, |caller, host| {
        let cold = host.scope.access.touch_slot(address, key);
        let value = host.state.storage(address, key).map_err(state_error)?;
        host.scope.access.original(address, key, value);
        charge(
            caller,
            if cold {
                WASM_SCHEDULE.cold_slot
            } else {
                WASM_SCHEDULE.warm_access
            },
        )?;
        Ok::<_, wasmtime::Error>(value)
    })?;
    write(caller, dest, &value.to_be_bytes::<32>())
}

fn storage_write(caller: &mut Ctx<'_>, key_ptr: i32, value_ptr: i32) -> wasmtime::Result<()> {
    enter(caller, 0)?;
    let key = read_word(caller, key_ptr)?;
    let new = U256::from_be_bytes(read_word(caller, value_ptr)?.0);
    let address = caller.data().input.to;
    with_host(caller, |caller, host| {
        let cold = host.scope.access.touch_slot(address, key);
        let current = host.state.storage(address, key).map_err(state_error)?;
        let original = host.scope.access.original(address, key, current);
        charge(caller, sstore_cost(original, current, new, cold))?;
        host.state.set_storage(address, key, new);
        Ok(())
    })
}

fn balance(caller: &mut Ctx<'_>, address_ptr: i32, dest: i32) -> wasmtime::Result<()> {
    enter(caller, 0)?;
    let address = read_address(caller, address_ptr)?;
    let balance = with_host(caller, |caller, host| {
        let cold = host.scope.access.touch_account(address);
        let balance = host.state.account(address).map_err(state_error)?.balance;
        charge(
            caller,
            if cold {
                WASM_SCHEDULE.cold_account
            } else {
                WASM_SCHEDULE.warm_access
            },
        )?;
        Ok::<_, wasmtime::Error>(balance)
    })?;
    write(caller, dest, &balance.to_be_bytes::<32>())
}

fn hash(caller: &mut Ctx<'_>, ptr: i32, len: i32, dest: i32) -> wasmtime::Result<()> {
    let len = len as u32 as usize;
    enter(
        caller,
        WASM_SCHEDULE
            .keccak
            .saturating_add(WASM_SCHEDULE.keccak_word.saturating_mul(words(len))),
    )?;
    let data = read(caller, ptr, len)?;
    write(caller, dest, keccak256(data).as_slice())
}

fn log(
    caller: &mut Ctx<'_>,
    topics_ptr: i32,
    topic_count: i32,
    data_ptr: i32,
    data_len: i32,
) -> wasmtime::Result<()> {
    let count = topic_count as u32 as usize;
    if count > 4 {
        return Err(halt(HaltReason::TooManyTopics(count)));
    }
    let len = data_len as u32 as usize;
    enter(
        caller,
        WASM_SCHEDULE
            .log
            .saturating_add(WASM_SCHEDULE.log_topic * count as u64)
            .saturating_add(WASM_SCHEDULE.log_data_byte.saturating_mul(len as u64)),
    )?;
    let topics = read(caller, topics_ptr, 32 * count)?
        .chunks_exact(32)
        .map(B256::from_slice)
        .collect();
    let data = read(caller, data_ptr, len)?;
    let address = caller.data().input.to;
    caller.data_mut().logs.push(Log {
        address,
        data: LogData::new_unchecked(topics, data.into()),
    });
    Ok(())
}

/// `call_contract`: calls another account. Returns 0 when the call succeeded and 1 when it
/// failed; its return or revert data is then available through `return_data_*`. (Not named
/// `call`, which is the export every contract has: in Rust an import and an export of one
/// name would be one symbol.)
fn call_out(
    caller: &mut Ctx<'_>,
    [to_ptr, value_ptr, input_ptr, input_len]: [i32; 4],
    gas: i64,
) -> wasmtime::Result<i32> {
    let input_len = input_len as u32 as usize;
    enter(
        caller,
        WASM_SCHEDULE.copy_word.saturating_mul(words(input_len)),
    )?;
    let to = read_address(caller, to_ptr)?;
    let value = U256::from_be_bytes(read_word(caller, value_ptr)?.0);
    let input = read(caller, input_ptr, input_len)?;
    let (address, depth) = (caller.data().input.to, caller.data().input.depth);
    with_host(caller, |caller, host| {
        let cold = host.scope.access.touch_account(to);
        let mut cost = if cold {
            WASM_SCHEDULE.cold_account
        } else {
            WASM_SCHEDULE.warm_access
        };
        if !value.is_zero() {
            cost += WASM_SCHEDULE.call_value;
        }
        charge(caller, cost)?;
        if depth >= MAX_CALL_DEPTH {
            caller.data_mut().return_data = crate::system::revert_data(format!(
                "call depth limit reached: contracts nest at most {MAX_CALL_DEPTH} calls"
            ));
            return Ok(1);
        }
        // EIP-150: a call gets at most all but one 64th of the gas left.
        let left = caller.get_fuel()?;
        let forwarded = (gas as u64).min(left - left / 64);
        caller.set_fuel(left - forwarded)?;
        let result = call::call(
            &mut *host.state,
            &mut *host.scope,
            CallInput {
                caller: address,
                to,
                value,
                input: input.into(),
                gas: forwarded,
                depth: depth + 1,
            },
        )
        .map_err(state_error)?;
        let unused = forwarded.saturating_sub(result.gas_used);
        let left = caller.get_fuel()?;
        caller.set_fuel(left + unused)?;
        let success = result.is_success();
        let env = caller.data_mut();
        env.return_data = result.output;
        if success {
            env.logs.extend(result.logs);
            Ok(0)
        } else {
            Ok(1)
        }
    })
}

/// Defines every host function in `linker`.
pub(crate) fn define_host_functions(linker: &mut Linker<HostEnv>) -> wasmtime::Result<()> {
    let m = HOST_MODULE;
    linker.func_wrap(m, "calldata_size", |mut c: Ctx<'_>| {
        enter(&mut c, 0)?;
        Ok(c.data().input.input.len() as i32)
    })?;
    linker.func_wrap(m, "calldata_copy", |mut c: Ctx<'_>, dest, offset, len| {
        copy_out(&mut c, |env| &env.input.input, dest, offset, len)
    })?;
    linker.func_wrap(m, "return_data_size", |mut c: Ctx<'_>| {
        enter(&mut c, 0)?;
        Ok(c.data().return_data.len() as i32)
    })?;
    linker.func_wrap(
        m,
        "return_data_copy",
        |mut c: Ctx<'_>, dest, offset, len| {
            copy_out(&mut c, |env| &env.return_data, dest, offset, len)
        },
    )?;
    linker.func_wrap(m, "return", |mut c: Ctx<'_>, ptr, len| {
        exit_with(&mut c, ptr, len, Exit::Return)
    })?;
    linker.func_wrap(m, "revert", |mut c: Ctx<'_>, ptr, len| {
        exit_with(&mut c, ptr, len, Exit::Revert)
    })?;
    linker.func_wrap(m, "storage_read", |mut c: Ctx<'_>, key, dest| {
        storage_read(&mut c, key, dest)
    })?;
    linker.func_wrap(m, "storage_write", |mut c: Ctx<'_>, key, value| {
        storage_write(&mut c, key, value)
    })?;
    linker.func_wrap(m, "caller", |mut c: Ctx<'_>, dest| {
        write_address(&mut c, dest, |env, _| env.input.caller)
    })?;
    linker.func_wrap(m, "origin", |mut c: Ctx<'_>, dest| {
        write_address(&mut c, dest, |_, origin| origin)
    })?;
    linker.func_wrap(m, "address", |mut c: Ctx<'_>, dest| {
        write_address(&mut c, dest, |env, _| env.input.to)
    })?;
    linker.func_wrap(m, "value", |mut c: Ctx<'_>, dest: i32| {
        enter(&mut c, 0)?;
        let value = c.data().input.value.to_be_bytes::<32>();
        write(&mut c, dest, &value)
    })?;
    linker.func_wrap(m, "balance", |mut c: Ctx<'_>, address, dest| {
        balance(&mut c, address, dest)
    })?;
    linker.func_wrap(m, "block_number", |mut c: Ctx<'_>| {
        block_value(&mut c, |block| block.number)
    })?;
    linker.func_wrap(m, "block_timestamp", |mut c: Ctx<'_>| {
        block_value(&mut c, |block| block.timestamp)
    })?;
    linker.func_wrap(m, "chain_id", |mut c: Ctx<'_>| {
        block_value(&mut c, |block| block.chain_id)
    })?;
    linker.func_wrap(m, "base_fee", |mut c: Ctx<'_>| {
        block_value(&mut c, |block| block.base_fee)
    })?;
    linker.func_wrap(m, "gas_left", |mut c: Ctx<'_>| {
        enter(&mut c, 0)?;
        Ok(c.get_fuel()? as i64)
    })?;
    linker.func_wrap(m, "keccak256", |mut c: Ctx<'_>, ptr, len, dest| {
        hash(&mut c, ptr, len, dest)
    })?;
    linker.func_wrap(m, "log", |mut c: Ctx<'_>, topics, count, data, len| {
        log(&mut c, topics, count, data, len)
    })?;
    linker.func_wrap(
        m,
        "call_contract",
        |mut c: Ctx<'_>, to, value, input, len, gas: i64| {
            call_out(&mut c, [to, value, input, len], gas)
        },
    )?;
    Ok(())
}
