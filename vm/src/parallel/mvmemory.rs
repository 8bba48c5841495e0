//! Multi-version memory: for every state key, the value each transaction of the block wrote
//! to it, so that transaction `i` reads exactly what sequential execution would have shown it
//! — the write of the highest transaction below `i`, plus the commutative deltas above that
//! write — or learns that the value it needs is not known yet.

use std::{
    collections::{BTreeMap, HashMap},
    hash::{BuildHasher, Hash},
};

use alloy_primitives::{map::DefaultHashBuilder, Address, Bytes, B256, U256};
use parking_lot::Mutex;
use supervm_primitives::Account;

use crate::{StateError, StateReader};

/// One unit of state that transactions read and write. Accounts are one key (nonce, balance
/// and code hash move together); every storage slot of every contract — tokens and system
/// contracts included — is its own key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum StateKey {
    /// An account.
    Account(Address),
    /// A storage slot.
    Storage(Address, B256),
}

/// The value under a [`StateKey`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Value {
    /// An account (the empty account when it does not exist).
    Account(Account),
    /// A storage word (zero when never written).
    Word(U256),
}

impl Value {
    /// Applies a delta: to the balance of an account, or to a word.
    pub(crate) fn apply_delta(self, delta: Delta) -> Self {
        match self {
            Self::Account(mut account) => {
                account.balance = delta.apply(account.balance);
                Self::Account(account)
            }
            Self::Word(word) => Self::Word(delta.apply(word)),
        }
    }
}

/// A change that does not depend on the value it changes. Deltas of different transactions
/// commute, so fee credits to one beneficiary order no transactions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Delta {
    /// Saturating addition.
    Add(U256),
    /// Saturating subtraction.
    Sub(U256),
}

impl Delta {
    /// The same arithmetic sequential execution does (`StateAccess::credit` and friends).
    pub(crate) fn apply(self, value: U256) -> U256 {
        match self {
            Self::Add(amount) => value.saturating_add(amount),
            Self::Sub(amount) => value.saturating_sub(amount),
        }
    }
}

/// What one incarnation of a transaction did to one key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Write {
    /// Replaced the value.
    Value(Value),
    /// Changed it by deltas only, in this order, without reading it.
    Deltas(Vec<Delta>),
}

/// An entry of one transaction for one key.
#[derive(Clone, Debug)]
enum Entry {
    /// The write of the transaction's latest incarnation.
    Write(Write),
    /// The transaction was aborted: it will probably write here again, so readers wait for
    /// it instead of reading an older value and failing validation later.
    Estimate,
}

/// Every version of one key.
#[derive(Default)]
struct Versions {
    /// The committed value before the block, once some reader fetched it.
    base: Option<Value>,
    /// Entries by transaction index.
    entries: BTreeMap<usize, Entry>,
}

/// The result of reading a key as transaction `i`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Read {
    /// The value sequential execution would show, given what is recorded now.
    Value(Value),
    /// Transaction `j < i` was aborted and will rewrite the key: wait for it.
    Blocked(usize),
}

/// Number of independently locked shards: enough that two to a few dozen threads rarely
/// contend on a lock.
const SHARDS: usize = 64;

/// The multi-version memory of one block.
pub(crate) struct MvMemory {
    shards: Vec<Mutex<HashMap<StateKey, Versions, DefaultHashBuilder>>>,
    hasher: DefaultHashBuilder,
    /// Keys each transaction's latest incarnation wrote, to clean up after re-execution.
    written: Vec<Mutex<Vec<StateKey>>>,
    /// Code deployed by any incarnation, by hash. Code is addressed by content, so an entry
    /// is right whoever wrote it and never needs versions; the block's output takes its code
    /// from the final incarnations only.
    codes: Mutex<HashMap<B256, Bytes, DefaultHashBuilder>>,
}

impl MvMemory {
    /// Memory for a block of `len` transactions.
    pub(crate) fn new(len: usize) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            hasher: DefaultHashBuilder::default(),
            written: (0..len).map(|_| Mutex::default()).collect(),
            codes: Mutex::default(),
        }
    }

    fn shard(&self, key: &StateKey) -> &Mutex<HashMap<StateKey, Versions, DefaultHashBuilder>> {
        let mut hasher = self.hasher.build_hasher();
        key.hash(&mut hasher);
        let index = std::hash::Hasher::finish(&hasher) as usize % SHARDS;
        &self.shards[index]
    }

    /// Reads `key` as transaction `index` sees it: entries of lower transactions, newest
    /// first, down to a value write or the committed base.
    pub(crate) fn read<R: StateReader>(
        &self,
        key: &StateKey,
        index: usize,
        base: &R,
    ) -> Result<Read, StateError> {
        if let Some(versions) = self.shard(key).lock().get(key) {
            if let Some(read) = resolve(versions, index) {
                return Ok(read);
            }
        }
        // No value write below and the base value is not cached: fetch it without holding
        // the lock, then resolve with it (a lower transaction may have written meanwhile).
        let value = read_base(key, base)?;
        let mut shard = self.shard(key).lock();
        let versions = shard.entry(*key).or_default();
        let base = *versions.base.get_or_insert(value);
        Ok(resolve_on(versions, index, base))
    }

    /// Code deployed in this block under `code_hash`, if any.
    pub(crate) fn code(&self, code_hash: &B256) -> Option<Bytes> {
        self.codes.lock().get(code_hash).cloned()
    }

    /// Publishes code an incarnation deployed. Called before its writes are recorded, so a
    /// transaction that sees the new account's code hash also finds the code.
    pub(crate) fn publish_codes(&self, codes: &[(B256, Bytes)]) {
        if codes.is_empty() {
            return;
        }
        let mut published = self.codes.lock();
        for (hash, code) in codes {
            published.entry(*hash).or_insert_with(|| code.clone());
        }
    }

    /// Records what incarnation of transaction `index` wrote, replacing its previous
    /// incarnation's entries. Returns whether it wrote a key the previous one did not, which
    /// means later transactions that already passed validation must be validated again.
    pub(crate) fn record(&self, index: usize, writes: Vec<(StateKey, Write)>) -> bool {
        let mut previous = std::mem::take(&mut *self.written[index].lock());
        let mut keys = Vec::with_capacity(writes.len());
        let mut wrote_new_key = false;
        for (key, write) in writes {
            match previous.iter().position(|k| *k == key) {
                Some(at) => {
                    previous.swap_remove(at);
                }
                None => wrote_new_key = true,
            }
            self.shard(&key)
                .lock()
                .entry(key)
                .or_default()
                .entries
                .insert(index, Entry::Write(write));
            keys.push(key);
        }
        for stale in previous {
            if let Some(versions) = self.shard(&stale).lock().get_mut(&stale) {
                versions.entries.remove(&index);
            }
        }
        *self.written[index].lock() = keys;
        wrote_new_key
    }

    /// Marks every write of transaction `index` as an estimate after it was aborted.
    pub(crate) fn mark_estimates(&self, index: usize) {
        for key in self.written[index].lock().iter() {
            if let Some(versions) = self.shard(key).lock().get_mut(key) {
                versions.entries.insert(index, Entry::Estimate);
            }
        }
    }

    /// The value of every key written by transactions below `end`, as it stands after them.
    /// Only called when no thread is executing.
    pub(crate) fn snapshot<R: StateReader>(
        &self,
        end: usize,
        base: &R,
    ) -> Result<Vec<(StateKey, Value)>, StateError> {
        let mut values = Vec::new();
        let mut need_base = Vec::new();
        for shard in &self.shards {
            for (key, versions) in shard.lock().iter() {
                if versions.entries.range(..end).next().is_none() {
                    continue;
                }
                match resolve(versions, end) {
                    Some(Read::Value(value)) => values.push((*key, value)),
                    Some(Read::Blocked(index)) => return Err(StateError::Blocked(index)),
                    None => need_base.push(*key),
                }
            }
        }
        // Keys only ever changed by deltas (a beneficiary nobody read): fetch their base.
        for key in need_base {
            match self.read(&key, end, base)? {
                Read::Value(value) => values.push((key, value)),
                Read::Blocked(index) => return Err(StateError::Blocked(index)),
            }
        }
        Ok(values)
    }
}

/// Resolves `versions` as transaction `index` sees them; `None` when the base value is
/// needed and not cached yet.
fn resolve(versions: &Versions, index: usize) -> Option<Read> {
    match versions.base {
        Some(base) => Some(resolve_on(versions, index, base)),
        None => {
            let needs_base = versions
                .entries
                .range(..index)
                .rev()
                .all(|(_, entry)| matches!(entry, Entry::Write(Write::Deltas(_))));
            (!needs_base).then(|| resolve_on(versions, index, Value::Word(U256::ZERO)))
        }
    }
}

/// Resolves `versions` as transaction `index` sees them, over `base` when no lower
/// transaction wrote a value.
fn resolve_on(versions: &Versions, index: usize, base: Value) -> Read {
    let mut deltas: Vec<&[Delta]> = Vec::new();
    let mut value = base;
    for (writer, entry) in versions.entries.range(..index).rev() {
        match entry {
            Entry::Estimate => return Read::Blocked(*writer),
            Entry::Write(Write::Value(written)) => {
                value = *written;
                break;
            }
            Entry::Write(Write::Deltas(ops)) => deltas.push(ops),
        }
    }
    for ops in deltas.iter().rev() {
        for delta in *ops {
            value = value.apply_delta(*delta);
        }
    }
    Read::Value(value)
}

/// The committed value of `key` before the block.
fn read_base<R: StateReader>(key: &StateKey, base: &R) -> Result<Value, StateError> {
    Ok(match key {
        StateKey::Account(address) => Value::Account(base.account(*address)?.unwrap_or_default()),
        StateKey::Storage(address, slot) => Value::Word(base.storage(*address, *slot)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Zero;

    impl StateReader for Zero {
        fn account(&self, _: Address) -> Result<Option<Account>, StateError> {
            Ok(None)
        }

        fn storage(&self, _: Address, _: B256) -> Result<U256, StateError> {
            Ok(U256::from(100))
        }

        fn code(&self, _: B256) -> Result<Option<Bytes>, StateError> {
            Ok(None)
        }
    }

    const KEY: StateKey = StateKey::Storage(Address::ZERO, B256::ZERO);

    fn word(value: u64) -> Read {
        Read::Value(Value::Word(U256::from(value)))
    }

    #[test]
    fn reads_see_the_highest_lower_write_plus_later_deltas() {
        let memory = MvMemory::new(5);
        memory.record(1, vec![(KEY, Write::Value(Value::Word(U256::from(7))))]);
        memory.record(
            2,
            vec![(KEY, Write::Deltas(vec![Delta::Add(U256::from(3))]))],
        );
        memory.record(
            3,
            vec![(
                KEY,
                Write::Deltas(vec![Delta::Sub(U256::from(20)), Delta::Add(U256::from(1))]),
            )],
        );
        assert_eq!(memory.read(&KEY, 0, &Zero).unwrap(), word(100));
        assert_eq!(memory.read(&KEY, 1, &Zero).unwrap(), word(100));
        assert_eq!(memory.read(&KEY, 2, &Zero).unwrap(), word(7));
        assert_eq!(memory.read(&KEY, 3, &Zero).unwrap(), word(10));
        assert_eq!(
            memory.read(&KEY, 4, &Zero).unwrap(),
            word(1),
            "deltas apply in transaction order and saturate"
        );
    }

    #[test]
    fn aborted_writes_block_readers_until_rewritten() {
        let memory = MvMemory::new(3);
        assert!(memory.record(0, vec![(KEY, Write::Value(Value::Word(U256::from(1))))]));
        memory.mark_estimates(0);
        assert_eq!(memory.read(&KEY, 1, &Zero).unwrap(), Read::Blocked(0));
        assert!(
            !memory.record(0, vec![(KEY, Write::Value(Value::Word(U256::from(2))))]),
            "same key again is not a new key"
        );
        assert_eq!(memory.read(&KEY, 1, &Zero).unwrap(), word(2));
        memory.record(0, Vec::new());
        assert_eq!(
            memory.read(&KEY, 1, &Zero).unwrap(),
            word(100),
            "a key the new incarnation no longer writes falls back to the base"
        );
    }
}
