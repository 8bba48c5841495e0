//! The boundary between execution and state.

use std::collections::BTreeMap;

use alloy_primitives::{Address, Bytes, B256, U256};
use supervm_primitives::{Account, StateChanges};
use supervm_storage::{Reader, StorageError};

/// State could not be read. Never the transaction's fault: the block fails or waits.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The store failed.
    #[error("state unavailable: {0}")]
    Storage(#[from] StorageError),
    /// Parallel execution only: the value is being rewritten by the earlier transaction with
    /// this index in the block, so this execution is void and runs again once that one is
    /// done. The parallel executor consumes it; it never reaches a caller.
    #[error("value pending from transaction {0} of the block")]
    Blocked(usize),
}

/// Everything execution may do to state. Kept as small as revm's `Database` so the
/// multi-version memory of the parallel executor can implement it.
pub trait StateAccess {
    /// The account at `address` (the empty account if it does not exist).
    fn account(&mut self, address: Address) -> Result<Account, StateError>;
    /// Replaces the account at `address`.
    fn set_account(&mut self, address: Address, account: Account);
    /// The code hash of `address` alone. Asking for less than the whole account lets the
    /// parallel executor ignore balance changes here: a payment to an address checks whether
    /// it holds code, and must not conflict with other payments to it.
    fn code_hash(&mut self, address: Address) -> Result<B256, StateError> {
        Ok(self.account(address)?.code_hash)
    }
    /// A storage slot (zero if never written).
    fn storage(&mut self, address: Address, slot: B256) -> Result<U256, StateError>;
    /// Writes a storage slot.
    fn set_storage(&mut self, address: Address, slot: B256, value: U256);
    /// The contract code whose keccak256 hash is `code_hash`, if stored. Code is addressed by
    /// content and never changes, so a code read needs no conflict tracking: whoever learned
    /// the hash (from an account, which is tracked) finds the right bytes.
    fn code(&mut self, code_hash: B256) -> Result<Option<Bytes>, StateError>;
    /// Stores `code` under `code_hash` (its keccak256 hash, computed by the caller).
    fn set_code(&mut self, code_hash: B256, code: Bytes);
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
    /// Subtracts `amount` from a storage slot (saturating at zero) without reading it: the
    /// delta that lowers a token's total supply when a base fee is burned.
    fn debit_slot(&mut self, address: Address, slot: B256, amount: U256) -> Result<(), StateError> {
        let value = self.storage(address, slot)?;
        self.set_storage(address, slot, value.saturating_sub(amount));
        Ok(())
    }
}

/// Read-only committed state that a [`PendingState`] builds on.
pub trait StateReader {
    /// The committed account at `address`, if any.
    fn account(&self, address: Address) -> Result<Option<Account>, StateError>;
    /// The committed value of a storage slot.
    fn storage(&self, address: Address, slot: B256) -> Result<U256, StateError>;
    /// Committed contract code by hash.
    fn code(&self, code_hash: B256) -> Result<Option<Bytes>, StateError>;
}

impl<R: StateReader> StateReader for &R {
    fn account(&self, address: Address) -> Result<Option<Account>, StateError> {
        (*self).account(address)
    }

    fn storage(&self, address: Address, slot: B256) -> Result<U256, StateError> {
        (*self).storage(address, slot)
    }

    fn code(&self, code_hash: B256) -> Result<Option<Bytes>, StateError> {
        (*self).code(code_hash)
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

    fn code(&self, code_hash: B256) -> Result<Option<Bytes>, StateError> {
        Ok(self.reader.code(&code_hash)?)
    }
}

/// Uncommitted changes layered over committed state: the state of a block being built, or of
/// an `eth_call`, which is simply dropped.
pub struct PendingState<R> {
    base: R,
    accounts: BTreeMap<Address, Account>,
    storage: BTreeMap<(Address, B256), U256>,
    codes: BTreeMap<B256, Bytes>,
}

/// The writes a [`PendingState`] holds over its base.
#[derive(Default)]
pub(crate) struct Writes {
    pub(crate) accounts: BTreeMap<Address, Account>,
    pub(crate) storage: BTreeMap<(Address, B256), U256>,
    pub(crate) codes: BTreeMap<B256, Bytes>,
}

impl<R: StateReader> PendingState<R> {
    /// An empty overlay over `base`.
    pub fn new(base: R) -> Self {
        Self::with_writes(base, Writes::default())
    }

    /// An overlay already holding writes (the outcome of a parallel execution).
    pub(crate) fn with_writes(base: R, writes: Writes) -> Self {
        Self {
            base,
            accounts: writes.accounts,
            storage: writes.storage,
            codes: writes.codes,
        }
    }

    /// The changes to commit; accounts left empty are deleted (EIP-161) unless they hold
    /// storage.
    pub fn into_changes(self) -> StateChanges {
        let mut changes = StateChanges {
            codes: self.codes,
            ..StateChanges::default()
        };
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

    fn code(&mut self, code_hash: B256) -> Result<Option<Bytes>, StateError> {
        match self.codes.get(&code_hash) {
            Some(code) => Ok(Some(code.clone())),
            None => self.base.code(code_hash),
        }
    }

    fn set_code(&mut self, code_hash: B256, code: Bytes) {
        self.codes.insert(code_hash, code);
    }
}

/// A revertible layer over another [`StateAccess`]: a call runs in a frame; on success its
/// writes and credits are merged into the parent, on revert they are dropped.
pub struct Frame<'p, S: StateAccess + ?Sized> {
    parent: &'p mut S,
    accounts: BTreeMap<Address, Account>,
    storage: BTreeMap<(Address, B256), U256>,
    codes: BTreeMap<B256, Bytes>,
    /// Native credits to accounts the frame has not read: kept as deltas so that a value
    /// transfer does not read its recipient (two payments to one address stay independent).
    credits: BTreeMap<Address, U256>,
}

impl<'p, S: StateAccess + ?Sized> Frame<'p, S> {
    /// A new empty frame.
    pub fn new(parent: &'p mut S) -> Self {
        Self {
            parent,
            accounts: BTreeMap::new(),
            storage: BTreeMap::new(),
            codes: BTreeMap::new(),
            credits: BTreeMap::new(),
        }
    }

    /// Applies the frame's writes and credits to the parent.
    pub fn commit(self) -> Result<(), StateError> {
        for (address, account) in self.accounts {
            self.parent.set_account(address, account);
        }
        for ((address, slot), value) in self.storage {
            self.parent.set_storage(address, slot, value);
        }
        for (code_hash, code) in self.codes {
            self.parent.set_code(code_hash, code);
        }
        for (address, amount) in self.credits {
            self.parent.credit(address, amount)?;
        }
        Ok(())
    }
}

impl<S: StateAccess + ?Sized> StateAccess for Frame<'_, S> {
    fn account(&mut self, address: Address) -> Result<Account, StateError> {
        if let Some(account) = self.accounts.get(&address) {
            return Ok(*account);
        }
        let mut account = self.parent.account(address)?;
        if let Some(credit) = self.credits.get(&address) {
            account.balance = account.balance.saturating_add(*credit);
        }
        Ok(account)
    }

    fn code_hash(&mut self, address: Address) -> Result<B256, StateError> {
        match self.accounts.get(&address) {
            Some(account) => Ok(account.code_hash),
            None => self.parent.code_hash(address),
        }
    }

    fn set_account(&mut self, address: Address, account: Account) {
        // `account` was derived from a read, which included any pending credit.
        self.credits.remove(&address);
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

    fn code(&mut self, code_hash: B256) -> Result<Option<Bytes>, StateError> {
        match self.codes.get(&code_hash) {
            Some(code) => Ok(Some(code.clone())),
            None => self.parent.code(code_hash),
        }
    }

    fn set_code(&mut self, code_hash: B256, code: Bytes) {
        self.codes.insert(code_hash, code);
    }

    fn credit(&mut self, address: Address, amount: U256) -> Result<(), StateError> {
        match self.accounts.get_mut(&address) {
            Some(account) => account.balance = account.balance.saturating_add(amount),
            None => {
                let credit = self.credits.entry(address).or_default();
                *credit = credit.saturating_add(amount);
            }
        }
        Ok(())
    }
}
