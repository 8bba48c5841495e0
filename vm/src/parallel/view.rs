//! The state one incarnation of a transaction sees: multi-version memory below it, its own
//! writes and deltas on top. It records every value it read (for validation) and everything
//! it wrote (for the memory), and turns fee credits into deltas.

use alloy_primitives::{Address, B256, U256};
use supervm_primitives::Account;

use super::mvmemory::{Delta, MvMemory, Read, StateKey, Value, Write};
use crate::{StateAccess, StateError, StateReader};

/// The [`StateAccess`] of one incarnation.
pub(crate) struct TxView<'a, R> {
    index: usize,
    memory: &'a MvMemory,
    base: &'a R,
    /// The value read per key from lower transactions, in read order; a key reads the same
    /// within one incarnation. A transaction touches a handful of keys, so a vector searched
    /// linearly beats hashing.
    reads: Vec<(StateKey, Value)>,
    /// This incarnation's writes and deltas.
    writes: Vec<(StateKey, Write)>,
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
            blocked: None,
        }
    }

    /// The transaction this incarnation must wait for, if it read an estimate.
    pub(crate) fn blocked(&self) -> Option<usize> {
        self.blocked
    }

    /// The read set and the write set.
    pub(crate) fn into_parts(self) -> (Vec<(StateKey, Value)>, Vec<(StateKey, Write)>) {
        (self.reads, self.writes)
    }

    /// The value of `key` from lower transactions (recorded), then this incarnation's own
    /// write or deltas on top.
    fn get(&mut self, key: StateKey) -> Result<Value, StateError> {
        let own = self.writes.iter().position(|(k, _)| *k == key);
        if let Some(Write::Value(value)) = own.map(|at| &self.writes[at].1) {
            return Ok(*value);
        }
        let mut value = match self.reads.iter().find(|(k, _)| *k == key) {
            Some((_, value)) => *value,
            None => match self.memory.read(&key, self.index, self.base)? {
                Read::Value(value) => {
                    self.reads.push((key, value));
                    value
                }
                Read::Blocked(blocking) => {
                    self.blocked = Some(self.blocked.map_or(blocking, |b| b.min(blocking)));
                    return Err(StateError::Blocked(blocking));
                }
            },
        };
        if let Some(Write::Deltas(deltas)) = own.map(|at| &self.writes[at].1) {
            for delta in deltas {
                value = value.apply_delta(*delta);
            }
        }
        Ok(value)
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

    fn storage(&mut self, address: Address, slot: B256) -> Result<U256, StateError> {
        match self.get(StateKey::Storage(address, slot))? {
            Value::Word(word) => Ok(word),
            Value::Account(_) => Ok(U256::ZERO),
        }
    }

    fn set_storage(&mut self, address: Address, slot: B256, value: U256) {
        self.set(StateKey::Storage(address, slot), Value::Word(value));
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

    fn debit_slot(
        &mut self,
        address: Address,
        slot: B256,
        amount: U256,
    ) -> Result<(), StateError> {
        self.delta(StateKey::Storage(address, slot), Delta::Sub(amount));
        Ok(())
    }
}
