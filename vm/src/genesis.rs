//! The complete genesis state: the allocation, the system contracts, and the tokens of the
//! chain spec with their seeded rates.

use std::collections::BTreeMap;

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use supervm_gas::Rate;
use supervm_oracle::FeedParams;
use supervm_primitives::{
    system::{FEE_PREFERENCE, ORACLE, TOKEN_REGISTRY},
    Account, ChainSpec, StateChanges,
};

use crate::{
    system::{self, oracle, registry, CallError, GasMeter, SystemContract},
    PendingState, StateAccess, StateError, StateReader,
};

/// The genesis cannot be built from this chain spec.
#[derive(Debug, thiserror::Error)]
#[error("invalid genesis: {symbol}: {reason}")]
pub struct GenesisError {
    /// The token (or setting) at fault.
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

    fn code(&self, _: B256) -> Result<Option<Bytes>, StateError> {
        Ok(None)
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
        (TOKEN_REGISTRY, SystemContract::Registry),
        (FEE_PREFERENCE, SystemContract::FeePreference),
        (ORACLE, SystemContract::Oracle),
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
    let params = FeedParams {
        min_reports: spec.supervm.oracle.min_reports,
        max_age_seconds: spec.supervm.oracle.max_age_seconds,
        max_change_bps: spec.supervm.oracle.max_change_bps,
    };
    params.validate().map_err(|reason| GenesisError {
        symbol: "config.supervm.oracle".into(),
        reason: reason.into(),
    })?;
    oracle::set_params(&mut state, &params);
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
        for reporter in &token.reporters {
            oracle::add_reporter(
                &mut state,
                &mut GasMeter::new(u64::MAX),
                token.address,
                *reporter,
            )
            .map_err(|err| match err {
                CallError::Revert(data) => fail(system::revert_reason(&data)),
                other => fail(format!("{other:?}")),
            })?;
        }
    }
    // Aggregate once so every feed starts with a truthful status: fixed without reporters,
    // stale until a quorum of reporters has reported.
    oracle::end_block(&mut state, spec.genesis.timestamp).map_err(|e| GenesisError {
        symbol: "oracle".into(),
        reason: e.to_string(),
    })?;
    let mut changes = state.into_changes();
    changes.codes = codes;
    Ok(changes)
}
