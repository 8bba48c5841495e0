//! Each account's preferred fee token: `setFeeToken(address)` / `feeTokenOf(address)`, zero
//! meaning "automatic". Works with any wallet: it is an ordinary contract call.
//!
//! Layout: slot 0 `mapping(address => address) preference`.

use alloy_primitives::{Address, Bytes, Log, B256, U256};
use alloy_sol_types::{SolCall, SolEvent, SolInterface};
use supervm_primitives::system::{
    IFeePreference::{self, IFeePreferenceCalls},
    FEE_PREFERENCE,
};

use super::{
    emit, layout::mapping_slot, prologue, registry, revert, sload, sstore, Call, CallResult,
    GasMeter, SystemContract,
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

/// The token a call with this calldata chooses: `Some(token)` for `setFeeToken(token)` with a
/// non-zero token, `None` for clearing (`setFeeToken(0x0)`), any other function and calldata
/// that does not decode. Fee resolution uses it to let a `setFeeToken` call pay in the token
/// it chooses, so an account holding only that token can choose it. The calldata is decoded as
/// [`call`] decodes it (`IFeePreferenceCalls::abi_decode`, through [`super::prologue`]), so the
/// token a `setFeeToken` call pays its fee in (rule 3 of [`crate::fee_token`]) is exactly the
/// token the call stores.
pub(crate) fn chosen_token(input: &[u8]) -> Option<Address> {
    match IFeePreferenceCalls::abi_decode(input).ok()? {
        IFeePreferenceCalls::setFeeToken(c) if c.token != Address::ZERO => Some(c.token),
        _ => None,
    }
}

pub(super) fn call(
    call: &Call<'_>,
    state: &mut impl StateAccess,
    gas: &mut GasMeter,
    logs: &mut Vec<Log>,
) -> CallResult {
    let decoded: IFeePreferenceCalls = prologue(SystemContract::FeePreference, call)?;
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
            if c.token != Address::ZERO && !registry::registered(state, gas, c.token)? {
                return Err(revert("fee token is not a registered token"));
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
