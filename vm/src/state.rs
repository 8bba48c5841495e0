//! The boundary between execution and state.

use std::collections::BTreeMap;

use alloy_primitives::{Address, U256};
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
    /// Adds `amount` to a balance without reading it first: a commutative delta, so fee
    /// credits to the same beneficiary do not make transactions depend on each other.
    fn credit(&mut self, address: Address, amount: U256) -> Result<(), StateError>;
}

/// Read-only committed state that a [`PendingState`] builds on.
pub trait StateReader {
    /// The committed account at `address`, if any.
    fn account(&self, address: Address) -> Result<Option<Account>, StateError>;
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
}

/// Uncommitted changes layered over committed state: the state of a block being built, or of
/// an `eth_call`, which is simply dropped.
pub struct PendingState<R> {
    base: R,
    accounts: BTreeMap<Address, Account>,
}

impl<R: StateReader> PendingState<R> {
    /// An empty overlay over `base`.
    pub fn new(base: R) -> Self {
        Self {
            base,
            accounts: BTreeMap::new(),
        }
    }

    /// The changes to commit; accounts left empty are deleted (EIP-161).
    pub fn into_changes(self) -> StateChanges {
        let mut changes = StateChanges::default();
        for (address, account) in self.accounts {
            changes
                .accounts
                .insert(address, (!account.is_empty()).then_some(account));
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

    fn credit(&mut self, address: Address, amount: U256) -> Result<(), StateError> {
        let mut account = self.account(address)?;
        account.balance = account.balance.saturating_add(amount);
        self.accounts.insert(address, account);
        Ok(())
    }
}
