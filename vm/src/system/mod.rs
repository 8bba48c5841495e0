//! System contracts: native Rust code at fixed addresses whose data lives in that address's
//! storage slots, so `eth_getStorageAt`, `eth_call` and the state root see them like any
//! contract.
//!
//! A system contract is recognised by its code: an `0xef`-prefixed marker (EIP-3541 forbids
//! EVM code starting with `0xef`, so no deployed contract can impersonate one). Each
//! registered token carries [`TOKEN_CODE`]; the registry, the fee preference and the oracle
//! carry their own markers at fixed addresses.
//!
//! Their addresses and Solidity interfaces are not defined here but in
//! [`supervm_primitives::system`], which every caller of a system contract shares.
//!
//! Every contract starts a call with the same `prologue` (no value, calldata decoded against
//! its interface) and guards its governance functions with the same `only_governance` check,
//! so the revert messages and the gas of those steps are the same whichever contract is
//! called.

mod erc20;
pub mod fee_preference;
mod gas;
pub mod layout;
pub mod oracle;
pub mod registry;

use std::sync::LazyLock;

use alloy_primitives::{keccak256, Address, Bytes, Log, B256, U256};
use alloy_sol_types::{SolError, SolInterface};
use supervm_primitives::system::Error;

pub use gas::{GasMeter, OutOfGas, SCHEDULE};

use crate::{StateAccess, StateError};

/// Code of every registered token.
pub const TOKEN_CODE: &[u8] = b"\xefsupervm.erc20.v1";
/// Code of the token registry.
pub const REGISTRY_CODE: &[u8] = b"\xefsupervm.registry.v1";
/// Code of the fee-preference contract.
pub const FEE_PREFERENCE_CODE: &[u8] = b"\xefsupervm.fee-preference.v1";
/// Code of the oracle.
pub const ORACLE_CODE: &[u8] = b"\xefsupervm.oracle.v1";

/// Which native implementation answers a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SystemContract {
    /// A registered ERC-20 token.
    Token,
    /// The token registry.
    Registry,
    /// The fee-token preference.
    FeePreference,
    /// The oracle.
    Oracle,
}

static CODE_HASHES: LazyLock<[(B256, SystemContract); 4]> = LazyLock::new(|| {
    [
        (keccak256(TOKEN_CODE), SystemContract::Token),
        (keccak256(REGISTRY_CODE), SystemContract::Registry),
        (
            keccak256(FEE_PREFERENCE_CODE),
            SystemContract::FeePreference,
        ),
        (keccak256(ORACLE_CODE), SystemContract::Oracle),
    ]
});

impl SystemContract {
    /// The system contract whose code has this hash, if any.
    pub fn from_code_hash(hash: &B256) -> Option<Self> {
        CODE_HASHES
            .iter()
            .find(|(h, _)| h == hash)
            .map(|(_, kind)| *kind)
    }

    /// The marker code of this kind of contract.
    pub fn code(self) -> &'static [u8] {
        match self {
            Self::Token => TOKEN_CODE,
            Self::Registry => REGISTRY_CODE,
            Self::FeePreference => FEE_PREFERENCE_CODE,
            Self::Oracle => ORACLE_CODE,
        }
    }

    /// How revert messages name this contract ("… for an ERC-20 token").
    fn name(self) -> &'static str {
        match self {
            Self::Token => "an ERC-20 token",
            Self::Registry => "the token registry",
            Self::FeePreference => "the fee preference",
            Self::Oracle => "the oracle",
        }
    }
}

/// One call into a system contract.
pub struct Call<'a> {
    /// Who calls.
    pub caller: Address,
    /// The contract called.
    pub address: Address,
    /// Wei sent along (system contracts accept none).
    pub value: U256,
    /// Calldata.
    pub input: &'a [u8],
    /// Timestamp of the block the call runs in.
    pub timestamp: u64,
}

/// How a call ended, short of an error reading state.
#[derive(Debug)]
pub enum CallError {
    /// The contract reverted with this data.
    Revert(Bytes),
    /// The call ran out of gas.
    OutOfGas,
    /// State could not be read.
    State(StateError),
}

impl From<StateError> for CallError {
    fn from(err: StateError) -> Self {
        Self::State(err)
    }
}

impl From<OutOfGas> for CallError {
    fn from(_: OutOfGas) -> Self {
        Self::OutOfGas
    }
}

/// Reads a slot, charging a cold SLOAD.
pub(crate) fn sload(
    state: &mut impl StateAccess,
    gas: &mut GasMeter,
    address: Address,
    slot: B256,
) -> Result<U256, CallError> {
    gas.charge(SCHEDULE.sload)?;
    Ok(state.storage(address, slot)?)
}

/// Writes a slot, charging SSTORE (set or reset).
pub(crate) fn sstore(
    state: &mut impl StateAccess,
    gas: &mut GasMeter,
    address: Address,
    slot: B256,
    value: U256,
) -> Result<(), CallError> {
    let current = state.storage(address, slot)?;
    let cost = if current.is_zero() && !value.is_zero() {
        SCHEDULE.sstore_set
    } else {
        SCHEDULE.sstore_reset
    };
    gas.charge(cost)?;
    state.set_storage(address, slot, value);
    Ok(())
}

/// The start of every system-contract call, before any gas is spent: refuses value (system
/// contracts hold no native coin) and decodes the calldata as one of the functions of `kind`'s
/// interface `C`. Both failures revert with the messages `docs/fee-tokens.md` lists.
pub(crate) fn prologue<C: SolInterface>(
    kind: SystemContract,
    call: &Call<'_>,
) -> Result<C, CallError> {
    if !call.value.is_zero() {
        return Err(revert("system contracts do not accept value"));
    }
    C::abi_decode(call.input).map_err(|_| {
        revert(format!(
            "unknown function or malformed calldata for {}",
            kind.name()
        ))
    })
}

/// Reverts unless the caller is the governance account, which the registry stores for every
/// system contract. Reading it is charged as one storage read, like any other read of a system
/// contract, before the read happens.
pub(crate) fn only_governance(
    kind: SystemContract,
    call: &Call<'_>,
    state: &mut impl StateAccess,
    gas: &mut GasMeter,
) -> Result<(), CallError> {
    gas.charge(SCHEDULE.sload)?;
    if call.caller != registry::governance(state)? {
        return Err(revert(format!(
            "only the governance account can change {}",
            kind.name()
        )));
    }
    Ok(())
}

/// Emits a log, charging for its topics and data.
pub(crate) fn emit(logs: &mut Vec<Log>, gas: &mut GasMeter, log: Log) -> Result<(), CallError> {
    let cost = SCHEDULE.log
        + SCHEDULE.log_topic * log.topics().len() as u64
        + SCHEDULE.log_data_byte * log.data.data.len() as u64;
    gas.charge(cost)?;
    logs.push(log);
    Ok(())
}

/// A revert with Solidity's `Error(string)` data.
pub fn revert(message: impl Into<String>) -> CallError {
    CallError::Revert(revert_data(message))
}

/// Solidity's `Error(string)` revert data for `message`.
pub fn revert_data(message: impl Into<String>) -> Bytes {
    Error {
        message: message.into(),
    }
    .abi_encode()
    .into()
}

/// The message of `Error(string)` revert data, or the data in hex when it is something else.
pub fn revert_reason(data: &[u8]) -> String {
    decode_revert_message(data).unwrap_or_else(|| alloy_primitives::hex::encode_prefixed(data))
}

/// The message of `Error(string)` revert data, if that is what `data` is.
pub fn decode_revert_message(data: &[u8]) -> Option<String> {
    Error::abi_decode(data).ok().map(|error| error.message)
}

/// The successful result of a call: return data; logs go to `logs`.
pub type CallResult = Result<Bytes, CallError>;

/// Runs a call to a system contract of kind `kind`. Each contract starts with `prologue`.
pub fn call(
    kind: SystemContract,
    call: &Call<'_>,
    state: &mut impl StateAccess,
    gas: &mut GasMeter,
    logs: &mut Vec<Log>,
) -> CallResult {
    match kind {
        SystemContract::Token => erc20::call(call, state, gas, logs),
        SystemContract::Registry => registry::call(call, state, gas, logs),
        SystemContract::FeePreference => fee_preference::call(call, state, gas, logs),
        SystemContract::Oracle => oracle::call(call, state, gas, logs),
    }
}
