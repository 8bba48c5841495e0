//! The boundary between execution and state.

use std::collections::BTreeMap;

use alloy_primitives::{Address, Log, B256, U256};
use supervm_primitives::{Account, StateChanges};
use supervm_storage::{Reader, StorageError};

/// State could not be read (the store failed, not the transaction).
#[derive(Debug, thiserror::Error)]
#[error("state unavailable: {0}")]
pub struct StateError(#[from] pub StorageError);

/// Everything execution may do to state. Kept as small as revm's `Database` so the
/// multi-version memory of the parallel executor can implement it.
pub trait StateAccess {
    /// The account at `address` (the empty account if it does not exist).
    fn account(&mut self, address: Address) -> Result<Account, StateError>;
    /// Replaces the account at `address`.
    fn set_account(&mut self, address: Address, account: Account);
    /// A storage slot (zero if never written).
    fn storage(&mut self, address: Address, slot: B256) -> Result<U256, StateError>;
    /// Writes a storage slot.
    fn set_storage(&mut self, address: Address, slot: B256, value: U256);
    /// Adds `amount` to a native balance without the caller reading it first: a commutative
    /// delta, so fee credits to the same beneficiary need not make transactions depend on each
    /// other. The default reads and writes; the parallel executor records a delta instead.
    fn credit(&mut self, address: Address, amount: U256) -> Result<(), StateError> {
        let mut account = self.account(address)?;
        account.balance = account.balance.saturating_add(amount);
        self.set_account(address, account);
        Ok(())
    }
    /// Adds `amount` to a storage slot (a token balance): the same commutative delta for
    /// fees paid in tokens.
    fn credit_slot(
        &mut self,
        address: Address,
        slot: B256,
        amount: U256,
    ) -> Result<(), StateError> {
        let value = self.storage(address, slot)?;
        self.set_storage(address, slot, value.saturating_add(amount));
        Ok(())
    }
}

/// Read-only committed state that a [`PendingState`] builds on.
pub trait StateReader {
    /// The committed account at `address`, if any.
    fn account(&self, address: Address) -> Result<Option<Account>, StateError>;
    /// The committed value of a storage slot.
    fn storage(&self, address: Address, slot: B256) -> Result<U256, StateError>;
}

impl<R: StateReader> StateReader for &R {
    fn account(&self, address: Address) -> Result<Option<Account>, StateError> {
        (*self).account(address)
    }

    fn storage(&self, address: Address, slot: B256) -> Result<U256, StateError> {
        (*self).storage(address, slot)
    }
}

/// Committed state as of the end of one block, read from the store.
pub struct StoreState<'a> {
    reader: &'a Reader,
    block: u64,
}

impl<'a> StoreState<'a> {
    /// State after block `block` in the reader's snapshot.
    pub fn new(reader: &'a Reader, block: u64) -> Self {
        Self { reader, block }
    }
}

impl StateReader for StoreState<'_> {
    fn account(&self, address: Address) -> Result<Option<Account>, StateError> {
        Ok(self.reader.account(&address, self.block)?)
    }

    fn storage(&self, address: Address, slot: B256) -> Result<U256, StateError> {
        Ok(self.reader.storage(&address, &slot, self.block)?)
    }
}

/// Uncommitted changes layered over committed state: the state of a block being built, or of
/// an `eth_call`, which is simply dropped.
pub struct PendingState<R> {
    base: R,
    accounts: BTreeMap<Address, Account>,
    storage: BTreeMap<(Address, B256), U256>,
}

impl<R: StateReader> PendingState<R> {
    /// An empty overlay over `base`.
    pub fn new(base: R) -> Self {
        Self {
            base,
            accounts: BTreeMap::new(),
            storage: BTreeMap::new(),
        }
    }

    /// The changes to commit; accounts left empty are deleted (EIP-161) unless they hold
    /// storage.
    pub fn into_changes(self) -> StateChanges {
        let mut changes = StateChanges::default();
        for ((address, slot), value) in self.storage {
            changes
                .storage
                .entry(address)
                .or_default()
                .insert(slot, value);
        }
        for (address, account) in self.accounts {
            let keep = !account.is_empty() || changes.storage.contains_key(&address);
            changes.accounts.insert(address, keep.then_some(account));
        }
        changes
    }
}

impl<R: StateReader> StateAccess for PendingState<R> {
    fn account(&mut self, address: Address) -> Result<Account, StateError> {
        if let Some(account) = self.accounts.get(&address) {
            return Ok(*account);
        }
        Ok(self.base.account(address)?.unwrap_or_default())
    }

    fn set_account(&mut self, address: Address, account: Account) {
        self.accounts.insert(address, account);
    }

    fn storage(&mut self, address: Address, slot: B256) -> Result<U256, StateError> {
        if let Some(value) = self.storage.get(&(address, slot)) {
            return Ok(*value);
        }
        self.base.storage(address, slot)
    }

    fn set_storage(&mut self, address: Address, slot: B256, value: U256) {
        self.storage.insert((address, slot), value);
    }
}

/// A revertible layer over another [`StateAccess`]: a call runs in a frame; on success its
/// writes and logs are merged into the parent, on revert they are dropped.
pub struct Frame<'p, S: StateAccess> {
    parent: &'p mut S,
    accounts: BTreeMap<Address, Account>,
    storage: BTreeMap<(Address, B256), U256>,
    /// Logs emitted inside the frame, in order.
    pub logs: Vec<Log>,
}

impl<'p, S: StateAccess> Frame<'p, S> {
    /// A new empty frame.
    pub fn new(parent: &'p mut S) -> Self {
        Self {
            parent,
            accounts: BTreeMap::new(),
            storage: BTreeMap::new(),
            logs: Vec::new(),
        }
    }

    /// Applies the frame's writes to the parent and returns its logs.
    pub fn commit(self) -> Vec<Log> {
        for (address, account) in self.accounts {
            self.parent.set_account(address, account);
        }
        for ((address, slot), value) in self.storage {
            self.parent.set_storage(address, slot, value);
        }
        self.logs
    }
}

impl<S: StateAccess> StateAccess for Frame<'_, S> {
    fn account(&mut self, address: Address) -> Result<Account, StateError> {
        match self.accounts.get(&address) {
            Some(account) => Ok(*account),
            None => self.parent.account(address),
        }
    }

    fn set_account(&mut self, address: Address, account: Account) {
        self.accounts.insert(address, account);
    }

    fn storage(&mut self, address: Address, slot: B256) -> Result<U256, StateError> {
        match self.storage.get(&(address, slot)) {
            Some(value) => Ok(*value),
            None => self.parent.storage(address, slot),
        }
    }

    fn set_storage(&mut self, address: Address, slot: B256, value: U256) {
        self.storage.insert((address, slot), value);
    }
}
