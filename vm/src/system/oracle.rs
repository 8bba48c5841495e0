//! Exchange rates of fee tokens, as the oracle writes them: token base units per native base
//! unit, an exact fraction. Until reporters feed it, the rates are seeded by the genesis.
//!
//! Layout: slot 0 `mapping(address => Rate)` where `Rate` is two consecutive slots
//! (numerator, denominator).

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_sol_types::{SolCall, SolInterface};
use supervm_gas::Rate;

use super::{
    abi::IOracle::{self, IOracleCalls},
    layout::mapping_slot,
    revert, sload, Call, CallResult, GasMeter, ORACLE,
};
use crate::{StateAccess, StateError};

fn rate_slots(token: Address) -> (B256, B256) {
    let numerator = mapping_slot(token, B256::ZERO);
    let denominator = B256::from(U256::from_be_bytes(numerator.0).wrapping_add(U256::from(1)));
    (numerator, denominator)
}

/// The stored rate of `token`, if it has a valid one.
pub fn rate(state: &mut impl StateAccess, token: Address) -> Result<Option<Rate>, StateError> {
    let (n, d) = rate_slots(token);
    Ok(Rate::new(
        state.storage(ORACLE, n)?,
        state.storage(ORACLE, d)?,
    ))
}

/// Writes the rate of `token` (genesis seeding).
pub fn set_rate(state: &mut impl StateAccess, token: Address, rate: Rate) {
    let (n, d) = rate_slots(token);
    state.set_storage(ORACLE, n, rate.numerator());
    state.set_storage(ORACLE, d, rate.denominator());
}

pub(super) fn call(
    call: &Call<'_>,
    state: &mut impl StateAccess,
    gas: &mut GasMeter,
) -> CallResult {
    let decoded = IOracleCalls::abi_decode(call.input)
        .map_err(|_| revert("unknown function or malformed calldata for the oracle"))?;
    let output: Bytes = match decoded {
        IOracleCalls::rateOf(c) => {
            let (n, d) = rate_slots(c.token);
            let numerator = sload(state, gas, ORACLE, n)?;
            let denominator = sload(state, gas, ORACLE, d)?;
            IOracle::rateOfCall::abi_encode_returns(&IOracle::rateOfReturn {
                numerator,
                denominator,
            })
            .into()
        }
    };
    Ok(output)
}
