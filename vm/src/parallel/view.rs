//! The state one incarnation of a transaction sees: multi-version memory below it, its own
//! writes and deltas on top. It records every value it read (for validation) and everything
//! it wrote (for the memory), and turns fee credits into deltas.

use alloy_primitives::{Address, Bytes, B256, U256};
use supervm_primitives::Account;

use super::mvmemory::{Delta, MvMemory, Read, StateKey, Value, Write};

/// What an incarnation saw of one key, to be checked again at validation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Observed {
    /// The whole value.
    Value(Value),
    /// Only the code hash of an account.
    CodeHash(B256),
}

/// Keys read and what was seen, in read order.
pub(crate) type ReadSet = Vec<(StateKey, Observed)>;
/// Keys written and how.
pub(crate) type WriteSet = Vec<(StateKey, Write)>;
/// Contract code stored, by hash.
pub(crate) type CodeSet = Vec<(B256, Bytes)>;
use crate::{StateAccess, StateError, StateReader};

/// The [`StateAccess`] of one incarnation.
pub(crate) struct TxView<'a, R> {
    index: usize,
    memory: &'a MvMemory,
    base: &'a R,
    /// The value read per key from lower transactions, in read order; a key reads the same
    /// within one incarnation. A transaction touches a handful of keys, so a vector searched
    /// linearly beats hashing.
    reads: ReadSet,
    /// This incarnation's writes and deltas.
    writes: WriteSet,
    /// Code this incarnation deployed.
    codes: CodeSet,
    /// The lowest transaction whose pending write this incarnation ran into.
    blocked: Option<usize>,
}

impl<'a, R: StateReader> TxView<'a, R> {
    /// The view of transaction `index`.
    pub(crate) fn new(index: usize, memory: &'a MvMemory, base: &'a R) -> Self {
        Self {
            index,
            memory,
            base,
            reads: Vec::with_capacity(8),
            writes: Vec::with_capacity(8),
            codes: Vec::new(),
            blocked: None,
        }
    }

    /// The transaction this incarnation must wait for, if it read an estimate.
    pub(crate) fn blocked(&self) -> Option<usize> {
        self.blocked
    }

    /// The read set, the write set and the code deployed.
    pub(crate) fn into_parts(self) -> (ReadSet, WriteSet, CodeSet) {
        (self.reads, self.writes, self.codes)
    }

    /// The value of `key` from lower transactions (recorded), then this incarnation's own
    /// write or deltas on top.
    fn get(&mut self, key: StateKey) -> Result<Value, StateError> {
        let own = self.writes.iter().position(|(k, _)| *k == key);
        if let Some(Write::Value(value)) = own.map(|at| &self.writes[at].1) {
            return Ok(*value);
        }
        let seen = self.reads.iter().find_map(|(k, observed)| match observed {
            Observed::Value(value) if *k == key => Some(*value),
            _ => None,
        });
        let mut value = match seen {
            Some(value) => value,
            None => {
                let value = self.read_memory(key)?;
                self.reads.push((key, Observed::Value(value)));
                value
            }
        };
        if let Some(Write::Deltas(deltas)) = own.map(|at| &self.writes[at].1) {
            for delta in deltas {
                value = value.apply_delta(*delta);
            }
        }
        Ok(value)
    }

    /// Reads `key` from lower transactions, noting a dependency on an estimate.
    fn read_memory(&mut self, key: StateKey) -> Result<Value, StateError> {
        match self.memory.read(&key, self.index, self.base)? {
            Read::Value(value) => Ok(value),
            Read::Blocked(blocking) => {
                self.blocked = Some(self.blocked.map_or(blocking, |b| b.min(blocking)));
                Err(StateError::Blocked(blocking))
            }
        }
    }

    fn set(&mut self, key: StateKey, value: Value) {
        match self.writes.iter_mut().find(|(k, _)| *k == key) {
            Some((_, write)) => *write = Write::Value(value),
            None => self.writes.push((key, Write::Value(value))),
        }
    }

    /// Applies a delta without reading: onto this incarnation's own write if it has one,
    /// otherwise recorded as a delta for the memory.
    fn delta(&mut self, key: StateKey, delta: Delta) {
        match self.writes.iter_mut().find(|(k, _)| *k == key) {
            Some((_, Write::Value(value))) => *value = value.apply_delta(delta),
            Some((_, Write::Deltas(deltas))) => deltas.push(delta),
            None => self.writes.push((key, Write::Deltas(vec![delta]))),
        }
    }
}

impl<R: StateReader> StateAccess for TxView<'_, R> {
    fn account(&mut self, address: Address) -> Result<Account, StateError> {
        match self.get(StateKey::Account(address))? {
            Value::Account(account) => Ok(account),
            Value::Word(_) => Ok(Account::default()),
        }
    }

    fn set_account(&mut self, address: Address, account: Account) {
        self.set(StateKey::Account(address), Value::Account(account));
    }

    fn code_hash(&mut self, address: Address) -> Result<B256, StateError> {
        let key = StateKey::Account(address);
        let own = self.writes.iter().find(|(k, _)| *k == key);
        let seen = self.reads.iter().find(|(k, _)| *k == key);
        if own.is_some() || seen.is_some() {
            // Deltas never change the code hash; a full read answers as well.
            return self.account(address).map(|account| account.code_hash);
        }
        let code_hash = match self.read_memory(key)? {
            Value::Account(account) => account.code_hash,
            Value::Word(_) => Account::default().code_hash,
        };
        self.reads.push((key, Observed::CodeHash(code_hash)));
        Ok(code_hash)
    }

    fn storage(&mut self, address: Address, slot: B256) -> Result<U256, StateError> {
        match self.get(StateKey::Storage(address, slot))? {
            Value::Word(word) => Ok(word),
            Value::Account(_) => Ok(U256::ZERO),
        }
    }

    fn set_storage(&mut self, address: Address, slot: B256, value: U256) {
        self.set(StateKey::Storage(address, slot), Value::Word(value));
    }

    fn code(&mut self, code_hash: B256) -> Result<Option<Bytes>, StateError> {
        if let Some((_, code)) = self.codes.iter().find(|(hash, _)| *hash == code_hash) {
            return Ok(Some(code.clone()));
        }
        match self.memory.code(&code_hash) {
            Some(code) => Ok(Some(code)),
            None => self.base.code(code_hash),
        }
    }

    fn set_code(&mut self, code_hash: B256, code: Bytes) {
        self.codes.push((code_hash, code));
    }

    fn credit(&mut self, address: Address, amount: U256) -> Result<(), StateError> {
        self.delta(StateKey::Account(address), Delta::Add(amount));
        Ok(())
    }

    fn credit_slot(
        &mut self,
        address: Address,
        slot: B256,
        amount: U256,
    ) -> Result<(), StateError> {
        self.delta(StateKey::Storage(address, slot), Delta::Add(amount));
        Ok(())
    }

    fn debit_slot(&mut self, address: Address, slot: B256, amount: U256) -> Result<(), StateError> {
        self.delta(StateKey::Storage(address, slot), Delta::Sub(amount));
        Ok(())
    }
}
