//! Each account's preferred fee token: `setFeeToken(address)` / `feeTokenOf(address)`, zero
//! meaning "automatic". Works with any wallet: it is an ordinary contract call.
//!
//! Layout: slot 0 `mapping(address => address) preference`.

use alloy_primitives::{Address, Bytes, Log, B256, U256};
use alloy_sol_types::{SolCall, SolEvent, SolInterface};

use super::{
    abi::IFeePreference::{self, IFeePreferenceCalls},
    emit,
    layout::mapping_slot,
    registry, revert, sload, sstore, Call, CallResult, GasMeter, FEE_PREFERENCE,
};
use crate::{StateAccess, StateError};

/// The stored preference of `account` (`None` = automatic).
pub fn preference(
    state: &mut impl StateAccess,
    account: Address,
) -> Result<Option<Address>, StateError> {
    let word = state.storage(FEE_PREFERENCE, mapping_slot(account, B256::ZERO))?;
    let token = Address::from_word(B256::from(word));
    Ok((token != Address::ZERO).then_some(token))
}

pub(super) fn call(
    call: &Call<'_>,
    state: &mut impl StateAccess,
    gas: &mut GasMeter,
    logs: &mut Vec<Log>,
) -> CallResult {
    let decoded = IFeePreferenceCalls::abi_decode(call.input)
        .map_err(|_| revert("unknown function or malformed calldata for the fee preference"))?;
    let output: Bytes = match decoded {
        IFeePreferenceCalls::feeTokenOf(c) => {
            let word = sload(
                state,
                gas,
                FEE_PREFERENCE,
                mapping_slot(c.account, B256::ZERO),
            )?;
            IFeePreference::feeTokenOfCall::abi_encode_returns(&Address::from_word(B256::from(
                word,
            )))
            .into()
        }
        IFeePreferenceCalls::setFeeToken(c) => {
            if c.token != Address::ZERO {
                gas.charge(super::SCHEDULE.sload)?;
                if !registry::status(state, c.token)?.0 {
                    return Err(revert("fee token is not a registered token"));
                }
            }
            let word = U256::from_be_bytes(c.token.into_word().0);
            sstore(
                state,
                gas,
                FEE_PREFERENCE,
                mapping_slot(call.caller, B256::ZERO),
                word,
            )?;
            let event = IFeePreference::FeeTokenSet {
                account: call.caller,
                token: c.token,
            };
            emit(
                logs,
                gas,
                Log {
                    address: FEE_PREFERENCE,
                    data: event.encode_log_data(),
                },
            )?;
            Bytes::new()
        }
    };
    Ok(output)
}
