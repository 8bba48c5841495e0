//! Message calls and contract creation: moving value, then running whatever code the callee
//! holds — nothing for a plain account, native Rust for a system contract, WebAssembly for a
//! deployed contract. A transaction's call and every call a contract makes go through
//! [`call`], each in its own [`Frame`] that is dropped when the call fails.

use std::collections::{HashMap, HashSet};

use alloy_eips::eip2930::AccessList;
use alloy_primitives::{keccak256, Address, Bytes, Log, B256, KECCAK256_EMPTY, U256};
use supervm_primitives::Account;

use crate::{
    halt::HaltReason,
    system::{self, CallError, GasMeter, SystemContract},
    wasm::{self, CompiledModule, Entry, LoadError, ModuleInfo},
    BlockEnv, Frame, StateAccess, StateError,
};

/// What one transaction's calls share: the block, the sender, and the slots and accounts
/// already accessed (EIP-2929), which make later accesses cheaper.
pub(crate) struct TxScope<'a> {
    /// The block the transaction runs in.
    pub(crate) block: &'a BlockEnv,
    /// The transaction's sender.
    pub(crate) origin: Address,
    /// Accounts and slots accessed so far.
    pub(crate) access: AccessSet,
}

/// Accounts and storage slots a transaction has accessed, with each slot's value at the start
/// of the transaction. Unlike Ethereum, the sets are not rolled back when a call reverts: a
/// reverted access stays warm (cheaper, never more expensive).
#[derive(Default)]
pub(crate) struct AccessSet {
    accounts: HashSet<Address>,
    codes: HashSet<B256>,
    slots: HashSet<(Address, B256)>,
    originals: HashMap<(Address, B256), U256>,
}

impl AccessSet {
    /// Marks `address` accessed; returns whether this was the first access (cold).
    pub(crate) fn touch_account(&mut self, address: Address) -> bool {
        self.accounts.insert(address)
    }

    /// Marks the code with hash `code_hash` called; returns whether this was its first call
    /// in the transaction (its module must be loaded).
    pub(crate) fn touch_code(&mut self, code_hash: B256) -> bool {
        self.codes.insert(code_hash)
    }

    /// Marks a slot accessed; returns whether this was the first access (cold).
    pub(crate) fn touch_slot(&mut self, address: Address, slot: B256) -> bool {
        self.slots.insert((address, slot))
    }

    /// The value of a slot at the start of the transaction, `current` being its value now.
    /// Contract storage is written only by the contract's own `storage_write`, which asks
    /// this first, so the first `current` seen is the original.
    pub(crate) fn original(&mut self, address: Address, slot: B256, current: U256) -> U256 {
        *self.originals.entry((address, slot)).or_insert(current)
    }

    /// Warms the accounts and slots of an EIP-2930 access list, as Ethereum does.
    pub(crate) fn warm_list(&mut self, list: &AccessList) {
        for item in list.iter() {
            self.accounts.insert(item.address);
            for key in &item.storage_keys {
                self.slots.insert((item.address, *key));
            }
        }
    }
}

/// One message call.
pub(crate) struct CallInput {
    /// Who calls: the sender, or the calling contract.
    pub(crate) caller: Address,
    /// The account called.
    pub(crate) to: Address,
    /// Wei moved from `caller` to `to`.
    pub(crate) value: U256,
    /// Calldata.
    pub(crate) input: Bytes,
    /// Gas the call may use.
    pub(crate) gas: u64,
    /// Nesting depth of the called frame: 1 for a transaction's own call.
    pub(crate) depth: usize,
}

/// How a call ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    /// It succeeded; its changes stand.
    Success,
    /// The code reverted (with data); unused gas is returned.
    Revert,
    /// Execution stopped exceptionally (out of gas, a trap, a limit): all gas is used.
    Halt(HaltReason),
}

/// The result of a call.
#[derive(Debug)]
pub(crate) struct CallResult {
    pub(crate) status: Status,
    /// Return data, or revert data.
    pub(crate) output: Bytes,
    pub(crate) gas_used: u64,
    /// Logs, in order, when the call succeeded.
    pub(crate) logs: Vec<Log>,
}

impl CallResult {
    pub(crate) fn success(output: Bytes, gas_used: u64, logs: Vec<Log>) -> Self {
        Self {
            status: Status::Success,
            output,
            gas_used,
            logs,
        }
    }

    pub(crate) fn revert(output: Bytes, gas_used: u64) -> Self {
        Self {
            status: Status::Revert,
            output,
            gas_used,
            logs: Vec::new(),
        }
    }

    /// An exceptional halt using all of `gas`.
    pub(crate) fn halt(reason: HaltReason, gas: u64) -> Self {
        Self {
            status: Status::Halt(reason),
            output: Bytes::new(),
            gas_used: gas,
            logs: Vec::new(),
        }
    }

    pub(crate) fn is_success(&self) -> bool {
        self.status == Status::Success
    }
}

/// Runs a message call in a new frame over `state`: moves the value, then runs the callee's
/// code. The frame's changes reach `state` only if the call succeeds.
pub(crate) fn call(
    state: &mut dyn StateAccess,
    scope: &mut TxScope<'_>,
    input: CallInput,
) -> Result<CallResult, StateError> {
    let mut frame = Frame::new(state);
    // A call without value touches no balance: in particular every call to a token
    // contract would otherwise leave a zero credit on the contract's account.
    if !input.value.is_zero() {
        let mut sender = frame.account(input.caller)?;
        if sender.balance < input.value {
            return Ok(CallResult::revert(
                system::revert_data("insufficient balance for value transfer"),
                0,
            ));
        }
        sender.balance -= input.value;
        frame.set_account(input.caller, sender);
        frame.credit(input.to, input.value)?;
    }
    let code_hash = frame.code_hash(input.to)?;
    let result = if code_hash == KECCAK256_EMPTY {
        CallResult::success(Bytes::new(), 0, Vec::new())
    } else if let Some(kind) = SystemContract::from_code_hash(&code_hash) {
        call_system(&mut frame, scope, kind, &input)?
    } else {
        let contracts = scope.block.contracts.clone();
        let first_call = scope.access.touch_code(code_hash);
        let load_gas = |info: &ModuleInfo| match first_call {
            true => info.load_gas,
            false => 0,
        };
        match contracts.load(code_hash, &mut frame, load_gas, input.gas) {
            Ok(module) => {
                let upfront = load_gas(&module.info);
                run_module(&mut frame, scope, &module, Entry::Call, input, upfront)?
            }
            Err(LoadError::State(err)) => return Err(err),
            Err(LoadError::OutOfGas { .. }) => CallResult::halt(HaltReason::OutOfGas, input.gas),
            Err(err) => CallResult::halt(HaltReason::InvalidCode(err.to_string()), input.gas),
        }
    };
    if result.is_success() {
        frame.commit()?;
    }
    Ok(result)
}

/// Runs `entry` of `module` after charging `upfront` gas (loading the module) and the module's
/// instantiation gas; a call that cannot pay them halts out of gas without running.
fn run_module(
    state: &mut dyn StateAccess,
    scope: &mut TxScope<'_>,
    module: &CompiledModule,
    entry: Entry,
    mut input: CallInput,
    upfront: u64,
) -> Result<CallResult, StateError> {
    let upfront = upfront.saturating_add(module.info.instantiate_gas);
    let gas = input.gas;
    let Some(left) = gas.checked_sub(upfront) else {
        return Ok(CallResult::halt(HaltReason::OutOfGas, gas));
    };
    input.gas = left;
    let mut result = wasm::run(state, scope, &module.pre, entry, input)?;
    result.gas_used = result.gas_used.saturating_add(upfront).min(gas);
    Ok(result)
}

/// Runs a native system contract.
fn call_system(
    frame: &mut Frame<'_, dyn StateAccess + '_>,
    scope: &TxScope<'_>,
    kind: SystemContract,
    input: &CallInput,
) -> Result<CallResult, StateError> {
    let mut gas = GasMeter::new(input.gas);
    let mut logs = Vec::new();
    let call = system::Call {
        caller: input.caller,
        address: input.to,
        value: input.value,
        input: &input.input,
        timestamp: scope.block.timestamp,
    };
    Ok(
        match system::call(kind, &call, frame, &mut gas, &mut logs) {
            Ok(output) => CallResult::success(output, gas.used(), logs),
            Err(CallError::Revert(data)) => CallResult::revert(data, gas.used()),
            Err(CallError::OutOfGas) => CallResult::halt(HaltReason::OutOfGas, input.gas),
            Err(CallError::State(err)) => return Err(err),
        },
    )
}

/// Creates a contract at `address` holding `code` (a module already validated), moving
/// `value` to it and running its `deploy` export if it has one. Fails, using all gas, when the
/// address is taken, the deposit is not covered or the module does not compile.
pub(crate) fn create(
    state: &mut dyn StateAccess,
    scope: &mut TxScope<'_>,
    caller: Address,
    address: Address,
    value: U256,
    code: Bytes,
    gas: u64,
) -> Result<CallResult, StateError> {
    let mut frame = Frame::new(state);
    let existing = frame.account(address)?;
    if existing.code_hash != KECCAK256_EMPTY || existing.nonce != 0 {
        return Ok(CallResult::halt(HaltReason::AddressCollision(address), gas));
    }
    let mut sender = frame.account(caller)?;
    let Some(balance) = sender.balance.checked_sub(value) else {
        return Ok(CallResult::revert(
            system::revert_data("insufficient balance for value transfer"),
            0,
        ));
    };
    // Priced before anything is compiled: a creation that cannot pay compiles nothing.
    let code_hash = keccak256(&code);
    let module = match scope
        .block
        .contracts
        .compile(code_hash, &code, |info| info.create_gas, gas)
    {
        Ok(module) => module,
        Err(LoadError::State(err)) => return Err(err),
        Err(LoadError::OutOfGas { needed }) => {
            return Ok(CallResult::halt(
                HaltReason::CodeDepositOutOfGas {
                    len: code.len(),
                    deposit: needed,
                },
                gas,
            ))
        }
        Err(err) => {
            return Ok(CallResult::halt(
                HaltReason::InvalidCode(err.to_string()),
                gas,
            ))
        }
    };
    let deposit = module.info.create_gas;
    sender.balance = balance;
    frame.set_account(caller, sender);
    frame.set_account(
        address,
        Account {
            nonce: 1,
            balance: existing.balance.saturating_add(value),
            code_hash,
        },
    );
    frame.set_code(code_hash, code);
    let mut result = if module.info.has_deploy {
        let input = CallInput {
            caller,
            to: address,
            value,
            input: Bytes::new(),
            gas: gas - deposit,
            depth: 1,
        };
        run_module(&mut frame, scope, &module, Entry::Deploy, input, 0)?
    } else {
        CallResult::success(Bytes::new(), 0, Vec::new())
    };
    result.gas_used = result.gas_used.saturating_add(deposit).min(gas);
    if result.is_success() {
        frame.commit()?;
    }
    Ok(result)
}
