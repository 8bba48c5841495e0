//! Registered tokens: the ERC-20 standard answered natively over the Solidity storage layout.
//! Revert messages are OpenZeppelin's, which wallets and explorers already display.

use alloy_primitives::{Address, Bytes, Log, U256};
use alloy_sol_types::{SolCall, SolEvent};
use supervm_primitives::system::IERC20::{self, IERC20Calls};

use super::{
    emit,
    layout::{
        allowance_slot, balance_slot, decode_short_string, DECIMALS_SLOT, NAME_SLOT, SYMBOL_SLOT,
        TOTAL_SUPPLY_SLOT,
    },
    prologue, revert, sload, sstore, Call, CallError, CallResult, GasMeter, SystemContract,
};
use crate::StateAccess;

pub(super) fn call(
    call: &Call<'_>,
    state: &mut impl StateAccess,
    gas: &mut GasMeter,
    logs: &mut Vec<Log>,
) -> CallResult {
    let token = call.address;
    let decoded: IERC20Calls = prologue(SystemContract::Token, call)?;
    let output: Bytes = match decoded {
        IERC20Calls::name(_) => {
            let name = decode_short_string(sload(state, gas, token, NAME_SLOT)?);
            IERC20::nameCall::abi_encode_returns(&name).into()
        }
        IERC20Calls::symbol(_) => {
            let symbol = decode_short_string(sload(state, gas, token, SYMBOL_SLOT)?);
            IERC20::symbolCall::abi_encode_returns(&symbol).into()
        }
        IERC20Calls::decimals(_) => {
            let decimals = sload(state, gas, token, DECIMALS_SLOT)?.saturating_to::<u8>();
            IERC20::decimalsCall::abi_encode_returns(&decimals).into()
        }
        IERC20Calls::totalSupply(_) => {
            let supply = sload(state, gas, token, TOTAL_SUPPLY_SLOT)?;
            IERC20::totalSupplyCall::abi_encode_returns(&supply).into()
        }
        IERC20Calls::balanceOf(c) => {
            let balance = sload(state, gas, token, balance_slot(c.owner))?;
            IERC20::balanceOfCall::abi_encode_returns(&balance).into()
        }
        IERC20Calls::allowance(c) => {
            let allowance = sload(state, gas, token, allowance_slot(c.owner, c.spender))?;
            IERC20::allowanceCall::abi_encode_returns(&allowance).into()
        }
        IERC20Calls::transfer(c) => {
            move_tokens(state, gas, logs, token, call.caller, c.to, c.value)?;
            IERC20::transferCall::abi_encode_returns(&true).into()
        }
        IERC20Calls::approve(c) => {
            if c.spender == Address::ZERO {
                return Err(revert("ERC20: approve to the zero address"));
            }
            sstore(
                state,
                gas,
                token,
                allowance_slot(call.caller, c.spender),
                c.value,
            )?;
            let event = IERC20::Approval {
                owner: call.caller,
                spender: c.spender,
                value: c.value,
            };
            emit(
                logs,
                gas,
                Log {
                    address: token,
                    data: event.encode_log_data(),
                },
            )?;
            IERC20::approveCall::abi_encode_returns(&true).into()
        }
        IERC20Calls::transferFrom(c) => {
            let slot = allowance_slot(c.from, call.caller);
            let allowance = sload(state, gas, token, slot)?;
            if allowance < c.value {
                return Err(revert("ERC20: insufficient allowance"));
            }
            if allowance != U256::MAX {
                sstore(state, gas, token, slot, allowance - c.value)?;
            }
            move_tokens(state, gas, logs, token, c.from, c.to, c.value)?;
            IERC20::transferFromCall::abi_encode_returns(&true).into()
        }
    };
    Ok(output)
}

/// Moves `value` of `token` from `from` to `to` and logs `Transfer`.
fn move_tokens(
    state: &mut impl StateAccess,
    gas: &mut GasMeter,
    logs: &mut Vec<Log>,
    token: Address,
    from: Address,
    to: Address,
    value: U256,
) -> Result<(), CallError> {
    if to == Address::ZERO {
        return Err(revert("ERC20: transfer to the zero address"));
    }
    let from_slot = balance_slot(from);
    let from_balance = sload(state, gas, token, from_slot)?;
    if from_balance < value {
        return Err(revert("ERC20: transfer amount exceeds balance"));
    }
    sstore(state, gas, token, from_slot, from_balance - value)?;
    let to_slot = balance_slot(to);
    let to_balance = sload(state, gas, token, to_slot)?;
    sstore(state, gas, token, to_slot, to_balance.saturating_add(value))?;
    let event = IERC20::Transfer { from, to, value };
    emit(
        logs,
        gas,
        Log {
            address: token,
            data: event.encode_log_data(),
        },
    )
}
