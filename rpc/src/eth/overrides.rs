//! State overrides of `eth_call` and `eth_estimateGas` (geth's third parameter): run a call as if
//! some accounts had another balance, nonce, code or storage, without changing anything.
//!
//! The overrides sit between the call and the committed state as a [`StateReader`], so every
//! read the execution makes — the sender's balance, a token's balance slot, a contract's code —
//! sees them, and nothing else changes.

use std::collections::HashMap;

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use alloy_rpc_types_eth::state::{AccountOverride, StateOverride};
use supervm_primitives::Account;
use supervm_vm::{StateError, StateReader};

use crate::RpcError;

/// One account's overrides, checked.
struct Overridden {
    balance: Option<U256>,
    nonce: Option<u64>,
    code_hash: Option<B256>,
    /// Storage replaced as a whole (`state`): slots not listed read as zero.
    replaced: bool,
    slots: HashMap<B256, U256>,
}

/// Committed state seen through a set of overrides.
pub(super) struct WithOverrides<R> {
    base: R,
    accounts: HashMap<Address, Overridden>,
    codes: HashMap<B256, Bytes>,
}

impl<R: StateReader> WithOverrides<R> {
    /// `base` seen through `overrides`, refused with the reason when one cannot apply.
    pub(super) fn new(base: R, overrides: Option<StateOverride>) -> Result<Self, RpcError> {
        let mut accounts = HashMap::new();
        let mut codes = HashMap::new();
        for (address, account) in overrides.into_iter().flatten() {
            let AccountOverride {
                balance,
                nonce,
                code,
                state,
                state_diff,
                move_precompile_to,
            } = account;
            if move_precompile_to.is_some() {
                return Err(RpcError::InvalidParams(format!(
                    "account {address}: movePrecompileToAddress is not supported, this chain has no precompiles"
                )));
            }
            if state.is_some() && state_diff.is_some() {
                return Err(RpcError::InvalidParams(format!(
                    "account {address} has both 'state' and 'stateDiff'"
                )));
            }
            let code_hash = code.map(|code| {
                let hash = keccak256(&code);
                codes.insert(hash, code);
                hash
            });
            let replaced = state.is_some();
            let slots = state
                .or(state_diff)
                .into_iter()
                .flatten()
                .map(|(slot, value)| (slot, U256::from_be_bytes(value.0)))
                .collect();
            accounts.insert(
                address,
                Overridden {
                    balance,
                    nonce,
                    code_hash,
                    replaced,
                    slots,
                },
            );
        }
        Ok(Self {
            base,
            accounts,
            codes,
        })
    }
}

impl<R: StateReader> StateReader for WithOverrides<R> {
    fn account(&self, address: Address) -> Result<Option<Account>, StateError> {
        let base = self.base.account(address)?;
        let Some(changes) = self.accounts.get(&address) else {
            return Ok(base);
        };
        let mut account = base.unwrap_or_default();
        if let Some(balance) = changes.balance {
            account.balance = balance;
        }
        if let Some(nonce) = changes.nonce {
            account.nonce = nonce;
        }
        if let Some(code_hash) = changes.code_hash {
            account.code_hash = code_hash;
        }
        Ok(Some(account))
    }

    fn storage(&self, address: Address, slot: B256) -> Result<U256, StateError> {
        match self.accounts.get(&address) {
            Some(changes) => match changes.slots.get(&slot) {
                Some(value) => Ok(*value),
                None if changes.replaced => Ok(U256::ZERO),
                None => self.base.storage(address, slot),
            },
            None => self.base.storage(address, slot),
        }
    }

    fn code(&self, code_hash: B256) -> Result<Option<Bytes>, StateError> {
        match self.codes.get(&code_hash) {
            Some(code) => Ok(Some(code.clone())),
            None => self.base.code(code_hash),
        }
    }
}
