//! State after blocks that are executed but not yet in the store: the committed state of
//! the last stored block with the changes of each later block on top, newest last. A
//! validator executes a proposal on such a state while the proposal's parent is still
//! waiting for finality.

use std::sync::Arc;

use alloy_primitives::{Address, Bytes, B256, U256};
use supervm_primitives::{Account, StateChanges};

use crate::{StateError, StateReader};

/// `base` with `layers` applied in order (the last layer is the newest block).
pub struct LayeredState<R> {
    base: R,
    layers: Vec<Arc<StateChanges>>,
}

impl<R: StateReader> LayeredState<R> {
    /// The state after the last of `layers`, each layer the changes of one block, applied
    /// in order on `base`.
    pub fn new(base: R, layers: Vec<Arc<StateChanges>>) -> Self {
        Self { base, layers }
    }
}

impl<R: StateReader> StateReader for LayeredState<R> {
    fn account(&self, address: Address) -> Result<Option<Account>, StateError> {
        for layer in self.layers.iter().rev() {
            if let Some(account) = layer.accounts.get(&address) {
                return Ok(*account);
            }
        }
        self.base.account(address)
    }

    fn storage(&self, address: Address, slot: B256) -> Result<U256, StateError> {
        for layer in self.layers.iter().rev() {
            if let Some(value) = layer
                .storage
                .get(&address)
                .and_then(|slots| slots.get(&slot))
            {
                return Ok(*value);
            }
        }
        self.base.storage(address, slot)
    }

    fn code(&self, code_hash: B256) -> Result<Option<Bytes>, StateError> {
        for layer in self.layers.iter().rev() {
            if let Some(code) = layer.codes.get(&code_hash) {
                return Ok(Some(code.clone()));
            }
        }
        self.base.code(code_hash)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// A base holding one account with one slot.
    struct Base;

    const WHO: Address = Address::repeat_byte(1);
    const SLOT: B256 = B256::repeat_byte(2);

    impl StateReader for Base {
        fn account(&self, address: Address) -> Result<Option<Account>, StateError> {
            Ok((address == WHO).then(|| Account {
                nonce: 1,
                ..Account::default()
            }))
        }

        fn storage(&self, address: Address, slot: B256) -> Result<U256, StateError> {
            Ok(if (address, slot) == (WHO, SLOT) {
                U256::from(10)
            } else {
                U256::ZERO
            })
        }

        fn code(&self, _: B256) -> Result<Option<Bytes>, StateError> {
            Ok(None)
        }
    }

    fn layer(nonce: Option<u64>, slot: Option<u64>) -> Arc<StateChanges> {
        let mut changes = StateChanges::default();
        if let Some(nonce) = nonce {
            changes.accounts.insert(
                WHO,
                Some(Account {
                    nonce,
                    ..Account::default()
                }),
            );
        }
        if let Some(value) = slot {
            changes
                .storage
                .insert(WHO, BTreeMap::from([(SLOT, U256::from(value))]));
        }
        Arc::new(changes)
    }

    #[test]
    fn the_newest_layer_that_wrote_a_value_wins() {
        let state = LayeredState::new(
            Base,
            vec![
                layer(Some(2), Some(20)),
                layer(Some(3), None),
                layer(None, None),
            ],
        );
        assert_eq!(state.account(WHO).unwrap().map(|a| a.nonce), Some(3));
        assert_eq!(state.storage(WHO, SLOT).unwrap(), U256::from(20));
        assert_eq!(
            LayeredState::new(Base, vec![]).storage(WHO, SLOT).unwrap(),
            U256::from(10)
        );
    }

    #[test]
    fn a_deleted_account_stays_deleted() {
        let mut deleted = StateChanges::default();
        deleted.accounts.insert(WHO, None);
        let state = LayeredState::new(Base, vec![Arc::new(deleted)]);
        assert_eq!(state.account(WHO).unwrap(), None);
    }
}
