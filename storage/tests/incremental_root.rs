//! The incremental state root through the store's public API: after every block it equals a
//! full recomputation over the tables and the root of an in-memory model; trie nodes persist
//! across reopening, are untouched by an aborted block, and are rebuilt in a store that has
//! leaves but no nodes.

use std::{collections::BTreeMap, path::Path};

use alloy_consensus::TrieAccount;
use alloy_primitives::{Address, B256, U256};
use alloy_trie::{
    root::{state_root_unhashed, storage_root_unhashed},
    KECCAK_EMPTY,
};
use proptest::prelude::*;
use redb::{Database, ReadableDatabase, ReadableTable, TableHandle};
use supervm_primitives::{Account, StateChanges};
use supervm_storage::{tables, Store};

/// What the state should be, kept in memory. Slots outlive their account, as in the store.
#[derive(Clone, Debug, Default)]
struct Model {
    accounts: BTreeMap<Address, Account>,
    storage: BTreeMap<Address, BTreeMap<B256, U256>>,
}

impl Model {
    fn root(&self) -> B256 {
        state_root_unhashed(self.accounts.iter().map(|(address, account)| {
            let slots = self.storage.get(address).cloned().unwrap_or_default();
            (
                *address,
                TrieAccount {
                    nonce: account.nonce,
                    balance: account.balance,
                    storage_root: storage_root_unhashed(slots),
                    code_hash: account.code_hash,
                },
            )
        }))
    }

    fn set_account(&mut self, changes: &mut StateChanges, who: Address, account: Option<Account>) {
        match account {
            Some(account) => self.accounts.insert(who, account),
            None => self.accounts.remove(&who),
        };
        changes.accounts.insert(who, account);
    }

    fn set_slot(&mut self, changes: &mut StateChanges, who: Address, slot: B256, value: U256) {
        let slots = self.storage.entry(who).or_default();
        if value.is_zero() {
            slots.remove(&slot);
        } else {
            slots.insert(slot, value);
        }
        changes.storage.entry(who).or_default().insert(slot, value);
    }
}

fn address(index: usize) -> Address {
    let mut bytes = [0u8; 20];
    bytes[12..].copy_from_slice(&(index as u64).to_be_bytes());
    Address::from(bytes)
}

#[derive(Clone, Debug)]
enum Op {
    SetAccount {
        who: usize,
        nonce: u64,
        balance: u64,
    },
    DeleteAccount {
        who: usize,
    },
    /// Only the first few accounts get storage, so their tries grow deep enough to branch.
    SetSlot {
        who: usize,
        slot: u8,
        value: u64,
    },
    ClearStorage {
        who: usize,
    },
    /// Deletes every account but the first `keep`.
    DeleteAllBut {
        keep: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (any::<usize>(), 0u64..3, 0u64..1000)
            .prop_map(|(who, nonce, balance)| Op::SetAccount { who, nonce, balance }),
        3 => any::<usize>().prop_map(|who| Op::DeleteAccount { who }),
        6 => (0usize..4, any::<u8>(), 0u64..4)
            .prop_map(|(who, slot, value)| Op::SetSlot { who, slot, value }),
        1 => (0usize..4).prop_map(|who| Op::ClearStorage { who }),
        1 => (0usize..3).prop_map(|keep| Op::DeleteAllBut { keep }),
    ]
}

#[derive(Clone, Debug)]
struct Block {
    ops: Vec<Op>,
    /// Drop the writer instead of committing.
    abort: bool,
    /// Apply the changes in two `apply_state` calls.
    split: bool,
    /// Commit without asking for the root first (the commit must fold the changes in).
    skip_root: bool,
    /// Close and reopen the store afterwards.
    reopen: bool,
}

fn block() -> impl Strategy<Value = Block> {
    (
        prop::collection::vec(op(), 1..60),
        prop::bool::weighted(0.15),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.15),
        prop::bool::weighted(0.2),
    )
        .prop_map(|(ops, abort, split, skip_root, reopen)| Block {
            ops,
            abort,
            split,
            skip_root,
            reopen,
        })
}

/// Turns a block's operations into (one or two) change sets, updating `model`.
fn changes_of(model: &mut Model, pool: usize, block: &Block) -> Vec<StateChanges> {
    let mut parts = vec![StateChanges::default()];
    let half = block.ops.len() / 2;
    for (i, op) in block.ops.iter().enumerate() {
        if block.split && i == half {
            parts.push(StateChanges::default());
        }
        let changes = parts.last_mut().expect("one part at least");
        match *op {
            Op::SetAccount {
                who,
                nonce,
                balance,
            } => {
                let account = Account {
                    nonce,
                    balance: U256::from(balance),
                    code_hash: KECCAK_EMPTY,
                };
                model.set_account(changes, address(who % pool), Some(account));
            }
            Op::DeleteAccount { who } => model.set_account(changes, address(who % pool), None),
            Op::SetSlot { who, slot, value } => model.set_slot(
                changes,
                address(who),
                B256::with_last_byte(slot),
                U256::from(value),
            ),
            Op::ClearStorage { who } => {
                let slots: Vec<B256> = model
                    .storage
                    .get(&address(who))
                    .map(|slots| slots.keys().copied().collect())
                    .unwrap_or_default();
                for slot in slots {
                    model.set_slot(changes, address(who), slot, U256::ZERO);
                }
            }
            Op::DeleteAllBut { keep } => {
                let doomed: Vec<Address> = model.accounts.keys().skip(keep).copied().collect();
                for who in doomed {
                    model.set_account(changes, who, None);
                }
            }
        }
    }
    parts
}

/// Every row of a trie-node table, read from the closed store's file.
fn dump(path: &Path, table: redb::TableDefinition<&[u8], &[u8]>) -> Vec<(Vec<u8>, Vec<u8>)> {
    let db = Database::create(path).unwrap();
    let read = db.begin_read().unwrap();
    let table = read.open_table(table).unwrap();
    table
        .iter()
        .unwrap()
        .map(|entry| {
            let (key, value) = entry.unwrap();
            (key.value().to_vec(), value.value().to_vec())
        })
        .collect()
}

/// Deletes both trie-node tables, as in a store written before nodes were kept.
fn drop_nodes(path: &Path) {
    let db = Database::create(path).unwrap();
    let write = db.begin_write().unwrap();
    for table in [tables::ACCOUNT_TRIE, tables::STORAGE_TRIE] {
        assert!(write.delete_table(table).unwrap(), "{}", table.name());
    }
    write.commit().unwrap();
}

/// Commits `changes` as block `number` and returns the root.
fn commit(store: &Store, number: u64, changes: &StateChanges) -> B256 {
    let mut writer = store.begin_block().unwrap();
    writer.apply_state(number, changes).unwrap();
    let root = writer.state_root().unwrap();
    assert_eq!(root, writer.full_state_root().unwrap());
    writer.commit().unwrap();
    root
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn incremental_root_equals_full_recomputation_and_model(
        pool in 1usize..400,
        blocks in prop::collection::vec(block(), 1..8),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let mut store = Store::open(&path).unwrap();
        let mut model = Model::default();
        for (number, block) in (1u64..).zip(&blocks) {
            let mut next = model.clone();
            let parts = changes_of(&mut next, pool, block);
            let mut writer = store.begin_block().unwrap();
            for part in &parts {
                writer.apply_state(number, part).unwrap();
            }
            if !block.skip_root {
                let root = writer.state_root().unwrap();
                prop_assert_eq!(root, writer.full_state_root().unwrap());
                prop_assert_eq!(root, next.root());
            }
            if block.abort {
                drop(writer);
            } else {
                writer.commit().unwrap();
                model = next;
            }
            if block.reopen {
                drop(store);
                store = Store::open(&path).unwrap();
            }
        }
        // Nothing changed: the stored nodes alone give the root.
        let mut writer = store.begin_block().unwrap();
        prop_assert_eq!(writer.state_root().unwrap(), model.root());
        drop(writer);

        // The nodes kept up to date block by block are exactly those a store without nodes
        // builds from its leaves: rewrite one slot of each storage trie to the same value so
        // that every storage trie is rebuilt too.
        drop(store);
        let accounts_before = dump(&path, tables::ACCOUNT_TRIE);
        let storage_before = dump(&path, tables::STORAGE_TRIE);
        drop_nodes(&path);
        let store = Store::open(&path).unwrap();
        let mut touch = StateChanges::default();
        for (who, slots) in &model.storage {
            if let Some((slot, value)) = slots.iter().next() {
                touch.storage.entry(*who).or_default().insert(*slot, *value);
            }
        }
        prop_assert_eq!(commit(&store, 100, &touch), model.root());
        drop(store);
        prop_assert_eq!(dump(&path, tables::ACCOUNT_TRIE), accounts_before);
        prop_assert_eq!(dump(&path, tables::STORAGE_TRIE), storage_before);
    }
}

/// A state of `n` accounts, the first of which has `slots` storage slots.
fn big_state(n: usize, slots: u64) -> (Model, StateChanges) {
    let mut model = Model::default();
    let mut changes = StateChanges::default();
    for i in 0..n {
        model.set_account(
            &mut changes,
            address(i),
            Some(Account::with_balance(U256::from(i + 1))),
        );
    }
    for slot in 0..slots {
        model.set_slot(
            &mut changes,
            address(0),
            B256::from(U256::from(slot)),
            U256::from(slot + 1),
        );
    }
    (model, changes)
}

#[test]
fn nodes_persist_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let (mut model, changes) = big_state(2_000, 500);
    {
        let store = Store::open(&path).unwrap();
        assert_eq!(commit(&store, 1, &changes), model.root());
    }
    assert!(dump(&path, tables::ACCOUNT_TRIE).len() > 100);
    assert!(dump(&path, tables::STORAGE_TRIE).len() > 20);
    let store = Store::open(&path).unwrap();
    let mut changes = StateChanges::default();
    model.set_account(&mut changes, address(5), None);
    model.set_slot(&mut changes, address(0), B256::ZERO, U256::ZERO);
    model.set_slot(
        &mut changes,
        address(0),
        B256::repeat_byte(9),
        U256::from(3),
    );
    assert_eq!(commit(&store, 2, &changes), model.root());
}

#[test]
fn dropped_writer_leaves_nodes_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let (model, changes) = big_state(1_000, 300);
    commit(&Store::open(&path).unwrap(), 1, &changes);
    let accounts_before = dump(&path, tables::ACCOUNT_TRIE);
    let storage_before = dump(&path, tables::STORAGE_TRIE);
    {
        let store = Store::open(&path).unwrap();
        let (_, changes) = big_state(1_500, 600);
        let mut writer = store.begin_block().unwrap();
        writer.apply_state(2, &changes).unwrap();
        assert_ne!(writer.state_root().unwrap(), model.root());
        drop(writer);
        let mut writer = store.begin_block().unwrap();
        assert_eq!(writer.state_root().unwrap(), model.root());
    }
    assert_eq!(dump(&path, tables::ACCOUNT_TRIE), accounts_before);
    assert_eq!(dump(&path, tables::STORAGE_TRIE), storage_before);
}

#[test]
fn store_without_nodes_heals_on_first_root() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let (mut model, changes) = big_state(3_000, 400);
    commit(&Store::open(&path).unwrap(), 1, &changes);
    let accounts_before = dump(&path, tables::ACCOUNT_TRIE);
    drop_nodes(&path);
    let store = Store::open(&path).unwrap();
    // A block that changes one account and one slot of the big storage trie: the account trie
    // and that storage trie are rebuilt from their leaves, then updated.
    let mut changes = StateChanges::default();
    model.set_account(
        &mut changes,
        address(17),
        Some(Account::with_balance(U256::from(1))),
    );
    model.set_slot(
        &mut changes,
        address(0),
        B256::repeat_byte(1),
        U256::from(1),
    );
    assert_eq!(commit(&store, 2, &changes), model.root());
    drop(store);
    let accounts_after = dump(&path, tables::ACCOUNT_TRIE);
    assert_eq!(accounts_after.len(), accounts_before.len());
    assert!(dump(&path, tables::STORAGE_TRIE).len() > 20);
}
