//! What the integration tests of this crate share: committed state in memory and one
//! contract runtime.

use std::{
    collections::BTreeMap,
    num::NonZeroUsize,
    sync::{Arc, LazyLock},
};

use alloy_primitives::{Address, Bytes, B256, U256};
use supervm_primitives::{Account, StateChanges};
use supervm_vm::{ContractRuntime, StateError, StateReader};

/// Committed state in memory.
#[derive(Clone, Default)]
pub struct Memory {
    pub accounts: BTreeMap<Address, Account>,
    pub storage: BTreeMap<(Address, B256), U256>,
    pub codes: BTreeMap<B256, Bytes>,
}

impl Memory {
    /// The state `changes` create from nothing.
    pub fn new(changes: &StateChanges) -> Self {
        let mut memory = Self::default();
        memory.apply(changes);
        memory
    }

    /// Commits `changes` (deleted accounts and zeroed slots disappear).
    pub fn apply(&mut self, changes: &StateChanges) {
        for (address, account) in &changes.accounts {
            match account {
                Some(account) => self.accounts.insert(*address, *account),
                None => self.accounts.remove(address),
            };
        }
        for (address, slots) in &changes.storage {
            for (slot, value) in slots {
                if value.is_zero() {
                    self.storage.remove(&(*address, *slot));
                } else {
                    self.storage.insert((*address, *slot), *value);
                }
            }
        }
        self.codes.extend(
            changes
                .codes
                .iter()
                .map(|(hash, code)| (*hash, code.clone())),
        );
    }

    /// The state root of this state.
    #[allow(dead_code)]
    pub fn root(&self) -> B256 {
        let mut all = StateChanges::default();
        for (address, account) in &self.accounts {
            all.accounts.insert(*address, Some(*account));
        }
        for ((address, slot), value) in &self.storage {
            all.storage
                .entry(*address)
                .or_default()
                .insert(*slot, *value);
        }
        supervm_storage::trie::root_of_new_state(&all)
    }
}

impl StateReader for Memory {
    fn account(&self, address: Address) -> Result<Option<Account>, StateError> {
        Ok(self.accounts.get(&address).copied())
    }

    fn storage(&self, address: Address, slot: B256) -> Result<U256, StateError> {
        Ok(self
            .storage
            .get(&(address, slot))
            .copied()
            .unwrap_or_default())
    }

    fn code(&self, code_hash: B256) -> Result<Option<Bytes>, StateError> {
        Ok(self.codes.get(&code_hash).cloned())
    }
}

/// One contract runtime for every block of a test binary, as a node has.
pub fn contracts() -> Arc<ContractRuntime> {
    static RUNTIME: LazyLock<Arc<ContractRuntime>> = LazyLock::new(|| {
        Arc::new(ContractRuntime::new(NonZeroUsize::new(64).expect("non-zero")).expect("engine"))
    });
    RUNTIME.clone()
}
