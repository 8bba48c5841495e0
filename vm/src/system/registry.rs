//! The token registry: the list of tokens, whether each may pay for gas, and the governance
//! account allowed to change that.
//!
//! Layout: slot 0 `governance`, slot 1 `address[] tokens`, slot 2
//! `mapping(address => uint256) flags` (bit 0 registered, bit 1 enabled).

use alloy_primitives::{keccak256, Address, Bytes, Log, B256, U256};
use alloy_sol_types::{SolCall, SolEvent};
use supervm_primitives::system::{
    ITokenRegistry::{self, ITokenRegistryCalls},
    IERC20, TOKEN_REGISTRY,
};

use super::{
    emit,
    layout::{
        balance_slot, decode_short_string, encode_short_string, mapping_slot, DECIMALS_SLOT,
        NAME_SLOT, SYMBOL_SLOT, TOTAL_SUPPLY_SLOT,
    },
    only_governance, prologue, revert, sload, sstore, Call, CallError, CallResult, GasMeter,
    SystemContract, SCHEDULE,
};
use crate::{StateAccess, StateError};

const GOVERNANCE_SLOT: B256 = B256::ZERO;
const TOKENS_SLOT: B256 = B256::with_last_byte(1);
const FLAGS_SLOT: B256 = B256::with_last_byte(2);
const REGISTERED: U256 = U256::from_limbs([1, 0, 0, 0]);
const ENABLED: U256 = U256::from_limbs([2, 0, 0, 0]);
/// Upper bound on registered tokens, so that reading the list stays cheap.
pub const MAX_TOKENS: u64 = 256;

fn flags_slot(token: Address) -> B256 {
    mapping_slot(token, FLAGS_SLOT)
}

fn element_slot(index: u64) -> B256 {
    let base = U256::from_be_bytes(keccak256(TOKENS_SLOT).0);
    B256::from(base.wrapping_add(U256::from(index)))
}

fn word_to_address(word: U256) -> Address {
    Address::from_word(B256::from(word))
}

fn address_to_word(address: Address) -> U256 {
    U256::from_be_bytes(address.into_word().0)
}

/// The governance account.
pub fn governance(state: &mut impl StateAccess) -> Result<Address, StateError> {
    Ok(word_to_address(
        state.storage(TOKEN_REGISTRY, GOVERNANCE_SLOT)?,
    ))
}

/// Sets the governance account (genesis).
pub fn set_governance(state: &mut impl StateAccess, governance: Address) {
    state.set_storage(TOKEN_REGISTRY, GOVERNANCE_SLOT, address_to_word(governance));
}

/// Every registered token, in registration order.
pub fn tokens(state: &mut impl StateAccess) -> Result<Vec<Address>, StateError> {
    let count = state
        .storage(TOKEN_REGISTRY, TOKENS_SLOT)?
        .saturating_to::<u64>()
        .min(MAX_TOKENS);
    (0..count)
        .map(|i| {
            Ok(word_to_address(
                state.storage(TOKEN_REGISTRY, element_slot(i))?,
            ))
        })
        .collect()
}

/// Whether `token` is registered, and whether it is enabled for fee payment.
pub fn status(state: &mut impl StateAccess, token: Address) -> Result<(bool, bool), StateError> {
    let flags = state.storage(TOKEN_REGISTRY, flags_slot(token))?;
    Ok((
        flags & REGISTERED != U256::ZERO,
        flags & ENABLED != U256::ZERO,
    ))
}

/// Whether `token` is registered, charged as one storage read: the check other system
/// contracts make before they accept a token.
pub(super) fn registered(
    state: &mut impl StateAccess,
    gas: &mut GasMeter,
    token: Address,
) -> Result<bool, CallError> {
    gas.charge(SCHEDULE.sload)?;
    Ok(status(state, token)?.0)
}

/// What explorers and fee-token listings show of a registered token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenInfo {
    /// Its address.
    pub address: Address,
    /// ERC-20 name.
    pub name: String,
    /// ERC-20 symbol.
    pub symbol: String,
    /// ERC-20 decimals.
    pub decimals: u8,
    /// Whether governance lets it pay for gas.
    pub enabled: bool,
    /// Total supply in base units.
    pub total_supply: U256,
}

/// Every registered token with its metadata, in registration order.
pub fn token_infos(state: &mut impl StateAccess) -> Result<Vec<TokenInfo>, StateError> {
    let mut infos = Vec::new();
    for token in tokens(state)? {
        let (_, enabled) = status(state, token)?;
        infos.push(TokenInfo {
            address: token,
            name: decode_short_string(state.storage(token, NAME_SLOT)?),
            symbol: decode_short_string(state.storage(token, SYMBOL_SLOT)?),
            decimals: state.storage(token, DECIMALS_SLOT)?.saturating_to(),
            enabled,
            total_supply: state.storage(token, TOTAL_SUPPLY_SLOT)?,
        });
    }
    Ok(infos)
}

/// A token to register.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewToken<'a> {
    /// Its address (must hold nothing yet).
    pub address: Address,
    /// ERC-20 name (at most 31 bytes).
    pub name: &'a str,
    /// ERC-20 symbol (at most 31 bytes).
    pub symbol: &'a str,
    /// ERC-20 decimals.
    pub decimals: u8,
    /// Initial balances; their sum is the total supply.
    pub balances: Vec<(Address, U256)>,
    /// Whether it may pay for gas from the start.
    pub enabled: bool,
}

/// Registers a token: installs its code, name, symbol, decimals and balances, and lists it.
/// Metered when called by transaction; genesis passes an unlimited meter.
pub fn register(
    state: &mut impl StateAccess,
    gas: &mut GasMeter,
    logs: &mut Vec<Log>,
    token: &NewToken<'_>,
) -> Result<(), CallError> {
    let (Some(name), Some(symbol)) = (
        encode_short_string(token.name),
        encode_short_string(token.symbol),
    ) else {
        return Err(revert("token name and symbol must be at most 31 bytes"));
    };
    if token.address == Address::ZERO
        || SystemContract::from_code_hash(&state.account(token.address)?.code_hash)
            .is_some_and(|k| k != SystemContract::Token)
    {
        return Err(revert("token address is reserved"));
    }
    let (registered, _) = status(state, token.address)?;
    let account = state.account(token.address)?;
    if registered || account.has_code() || account.nonce != 0 {
        return Err(revert("token address is already in use"));
    }
    let count = sload(state, gas, TOKEN_REGISTRY, TOKENS_SLOT)?.saturating_to::<u64>();
    if count >= MAX_TOKENS {
        return Err(revert("token registry is full"));
    }
    let mut supply = U256::ZERO;
    for (holder, amount) in &token.balances {
        supply = supply
            .checked_add(*amount)
            .ok_or_else(|| revert("total supply overflows uint256"))?;
        let slot = balance_slot(*holder);
        let current = sload(state, gas, token.address, slot)?;
        sstore(state, gas, token.address, slot, current + *amount)?;
        let event = IERC20::Transfer {
            from: Address::ZERO,
            to: *holder,
            value: *amount,
        };
        emit(
            logs,
            gas,
            Log {
                address: token.address,
                data: event.encode_log_data(),
            },
        )?;
    }
    sstore(state, gas, token.address, TOTAL_SUPPLY_SLOT, supply)?;
    sstore(state, gas, token.address, NAME_SLOT, name)?;
    sstore(state, gas, token.address, SYMBOL_SLOT, symbol)?;
    sstore(
        state,
        gas,
        token.address,
        DECIMALS_SLOT,
        U256::from(token.decimals),
    )?;
    let code_hash = keccak256(SystemContract::Token.code());
    state.set_account(
        token.address,
        supervm_primitives::Account {
            code_hash,
            ..account
        },
    );
    sstore(
        state,
        gas,
        TOKEN_REGISTRY,
        element_slot(count),
        address_to_word(token.address),
    )?;
    sstore(
        state,
        gas,
        TOKEN_REGISTRY,
        TOKENS_SLOT,
        U256::from(count + 1),
    )?;
    let flags = if token.enabled {
        REGISTERED | ENABLED
    } else {
        REGISTERED
    };
    sstore(state, gas, TOKEN_REGISTRY, flags_slot(token.address), flags)?;
    let event = ITokenRegistry::TokenRegistered {
        token: token.address,
        symbol: token.symbol.to_string(),
        decimals: token.decimals,
    };
    emit(
        logs,
        gas,
        Log {
            address: TOKEN_REGISTRY,
            data: event.encode_log_data(),
        },
    )
}

pub(super) fn call(
    call: &Call<'_>,
    state: &mut impl StateAccess,
    gas: &mut GasMeter,
    logs: &mut Vec<Log>,
) -> CallResult {
    let decoded: ITokenRegistryCalls = prologue(SystemContract::Registry, call)?;
    let output: Bytes = match decoded {
        ITokenRegistryCalls::governance(_) => {
            let governance = word_to_address(sload(state, gas, TOKEN_REGISTRY, GOVERNANCE_SLOT)?);
            ITokenRegistry::governanceCall::abi_encode_returns(&governance).into()
        }
        ITokenRegistryCalls::tokens(_) => {
            let count = sload(state, gas, TOKEN_REGISTRY, TOKENS_SLOT)?
                .saturating_to::<u64>()
                .min(MAX_TOKENS);
            let list = (0..count)
                .map(|i| {
                    Ok(word_to_address(sload(
                        state,
                        gas,
                        TOKEN_REGISTRY,
                        element_slot(i),
                    )?))
                })
                .collect::<Result<Vec<_>, CallError>>()?;
            ITokenRegistry::tokensCall::abi_encode_returns(&list).into()
        }
        ITokenRegistryCalls::isRegistered(c) => {
            let flags = sload(state, gas, TOKEN_REGISTRY, flags_slot(c.token))?;
            ITokenRegistry::isRegisteredCall::abi_encode_returns(
                &(flags & REGISTERED != U256::ZERO),
            )
            .into()
        }
        ITokenRegistryCalls::isEnabled(c) => {
            let flags = sload(state, gas, TOKEN_REGISTRY, flags_slot(c.token))?;
            ITokenRegistry::isEnabledCall::abi_encode_returns(&(flags & ENABLED != U256::ZERO))
                .into()
        }
        ITokenRegistryCalls::registerToken(c) => {
            only_governance(SystemContract::Registry, call, state, gas)?;
            let token = NewToken {
                address: c.token,
                name: &c.name,
                symbol: &c.symbol,
                decimals: c.decimals,
                balances: vec![(c.holder, c.supply)],
                enabled: true,
            };
            register(state, gas, logs, &token)?;
            Bytes::new()
        }
        ITokenRegistryCalls::setEnabled(c) => {
            only_governance(SystemContract::Registry, call, state, gas)?;
            let slot = flags_slot(c.token);
            let flags = sload(state, gas, TOKEN_REGISTRY, slot)?;
            if flags & REGISTERED == U256::ZERO {
                return Err(revert("token is not registered"));
            }
            let flags = if c.enabled {
                flags | ENABLED
            } else {
                flags & !ENABLED
            };
            sstore(state, gas, TOKEN_REGISTRY, slot, flags)?;
            let event = ITokenRegistry::TokenEnabled {
                token: c.token,
                enabled: c.enabled,
            };
            emit(
                logs,
                gas,
                Log {
                    address: TOKEN_REGISTRY,
                    data: event.encode_log_data(),
                },
            )?;
            Bytes::new()
        }
    };
    Ok(output)
}
