//! The complete genesis state: the allocation, the system contracts, and the tokens of the
//! chain spec with their seeded rates.

use std::collections::BTreeMap;

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use supervm_gas::Rate;
use supervm_primitives::{Account, ChainSpec, StateChanges};

use crate::{
    system::{self, oracle, registry, CallError, GasMeter, SystemContract},
    PendingState, StateAccess, StateError, StateReader,
};

/// The genesis cannot be built from this chain spec.
#[derive(Debug, thiserror::Error)]
#[error("invalid genesis token {symbol}: {reason}")]
pub struct GenesisError {
    /// The token at fault.
    pub symbol: String,
    /// What is wrong.
    pub reason: String,
}

/// Nothing: the state before genesis.
struct Empty;

impl StateReader for Empty {
    fn account(&self, _: Address) -> Result<Option<Account>, StateError> {
        Ok(None)
    }

    fn storage(&self, _: Address, _: B256) -> Result<U256, StateError> {
        Ok(U256::ZERO)
    }
}

/// Builds the genesis state of `spec`.
pub fn genesis_state(spec: &ChainSpec) -> Result<StateChanges, GenesisError> {
    let plain = spec.genesis_state();
    let mut state = PendingState::new(Empty);
    for (address, account) in &plain.accounts {
        if let Some(account) = account {
            state.set_account(*address, *account);
        }
    }
    for (address, slots) in &plain.storage {
        for (slot, value) in slots {
            state.set_storage(*address, *slot, *value);
        }
    }
    let mut codes: BTreeMap<B256, Bytes> = plain.codes;
    for (address, kind) in [
        (system::TOKEN_REGISTRY, SystemContract::Registry),
        (system::FEE_PREFERENCE, SystemContract::FeePreference),
        (system::ORACLE, SystemContract::Oracle),
    ] {
        let code_hash = keccak256(kind.code());
        codes.insert(code_hash, Bytes::from_static(kind.code()));
        state.set_account(
            address,
            Account {
                nonce: 1,
                code_hash,
                ..Account::default()
            },
        );
    }
    codes.insert(
        keccak256(system::TOKEN_CODE),
        Bytes::from_static(system::TOKEN_CODE),
    );
    registry::set_governance(&mut state, spec.supervm.governance.unwrap_or_default());
    for token in &spec.supervm.tokens {
        let fail = |reason: String| GenesisError {
            symbol: token.symbol.clone(),
            reason,
        };
        let new = registry::NewToken {
            address: token.address,
            name: &token.name,
            symbol: &token.symbol,
            decimals: token.decimals,
            balances: token.balances.iter().map(|(a, v)| (*a, *v)).collect(),
            enabled: token.enabled,
        };
        let mut gas = GasMeter::new(u64::MAX);
        registry::register(&mut state, &mut gas, &mut Vec::new(), &new).map_err(
            |err| match err {
                CallError::Revert(data) => fail(system::revert_reason(&data)),
                CallError::OutOfGas => fail("out of gas".into()),
                CallError::State(err) => fail(err.to_string()),
            },
        )?;
        if let Some(rate) = token.rate {
            let rate = Rate::new(rate.numerator, rate.denominator).ok_or_else(|| {
                fail("rate must have a non-zero numerator and denominator".into())
            })?;
            oracle::set_rate(&mut state, token.address, rate);
        }
    }
    let mut changes = state.into_changes();
    changes.codes = codes;
    Ok(changes)
}
