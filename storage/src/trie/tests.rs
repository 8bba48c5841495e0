//! The incremental algorithm against a from-scratch build, on an in-memory trie whose keys are
//! chosen to share long prefixes: extensions, deep branches and nodes shorter than 32 bytes
//! (inlined in their parent) all occur, which hashed addresses and slots alone rarely produce.

use std::{collections::BTreeMap, ops::Bound};

use alloy_primitives::B256;
use alloy_trie::{HashBuilder, Nibbles};
use proptest::prelude::*;

use super::{
    branch::{decode_path, encode_path, StoredBranch},
    incremental::{root, ChangedLeaf, TrieTables},
};
use crate::StorageError;

/// Branches and leaves in memory.
#[derive(Clone, Debug, Default)]
struct MemTrie {
    nodes: BTreeMap<Vec<u8>, StoredBranch>,
    leaves: BTreeMap<B256, Vec<u8>>,
}

impl TrieTables for MemTrie {
    fn first_branch_under(
        &mut self,
        prefix: &Nibbles,
    ) -> Result<Option<(Nibbles, StoredBranch)>, StorageError> {
        let mut key = Vec::new();
        encode_path(prefix, &mut key);
        match self.nodes.range(key.clone()..).next() {
            Some((found, branch)) if found.starts_with(&key) => {
                Ok(Some((decode_path("memory", found)?, branch.clone())))
            }
            _ => Ok(None),
        }
    }

    fn put_branch(&mut self, path: &Nibbles, branch: &StoredBranch) -> Result<(), StorageError> {
        let mut key = Vec::new();
        encode_path(path, &mut key);
        self.nodes.insert(key, branch.clone());
        Ok(())
    }

    fn remove_branch(&mut self, path: &Nibbles) -> Result<(), StorageError> {
        let mut key = Vec::new();
        encode_path(path, &mut key);
        self.nodes.remove(&key);
        Ok(())
    }

    fn leaves(
        &mut self,
        range: (Bound<B256>, Bound<B256>),
        limit: usize,
    ) -> Result<Vec<(B256, Vec<u8>)>, StorageError> {
        Ok(self
            .leaves
            .range(range)
            .take(limit)
            .map(|(k, v)| (*k, v.clone()))
            .collect())
    }
}

/// The changes that turned `before` into `after`, at `keys`.
fn changes(
    before: &BTreeMap<B256, Vec<u8>>,
    after: &BTreeMap<B256, Vec<u8>>,
    mut keys: Vec<B256>,
) -> Vec<ChangedLeaf> {
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .map(|key| ChangedLeaf {
            key,
            value: after.get(&key).cloned(),
            existed: before.contains_key(&key),
        })
        .collect()
}

/// The root from the leaves alone.
fn reference_root(leaves: &BTreeMap<B256, Vec<u8>>) -> B256 {
    let mut builder = HashBuilder::default();
    for (key, value) in leaves {
        builder.add_leaf(Nibbles::unpack(key), value);
    }
    builder.root()
}

/// The branches a store without nodes ends up with after one root: the canonical node set.
fn rebuilt_nodes(leaves: &BTreeMap<B256, Vec<u8>>) -> BTreeMap<Vec<u8>, StoredBranch> {
    let mut fresh = MemTrie {
        nodes: BTreeMap::new(),
        leaves: leaves.clone(),
    };
    assert_eq!(root(&mut fresh, &[]).unwrap(), reference_root(leaves));
    fresh.nodes
}

/// A key of one of four families: a fixed prefix of 0, 8, 20 or 28 bytes, then bytes made of
/// nibbles 0 and 1 only, so keys part late and tries are deep.
fn key(family: usize, tail: &[u8]) -> B256 {
    let fixed = [0, 8, 20, 28][family % 4];
    let mut key = B256::repeat_byte(0xa5);
    for (i, byte) in key[fixed..].iter_mut().enumerate() {
        let bits = tail[i % tail.len()];
        *byte = ((bits & 1) << 4) | ((bits >> 1) & 1);
    }
    key
}

/// A value of 1 byte (so deep leaves are shorter than 32 bytes) or 40 bytes.
fn value(long: bool, byte: u8) -> Vec<u8> {
    if long {
        vec![byte; 40]
    } else {
        vec![byte]
    }
}

#[derive(Clone, Debug)]
enum Op {
    Set {
        key: usize,
        long: bool,
        byte: u8,
    },
    Delete {
        key: usize,
    },
    /// Deletes every leaf but the first `keep` of the pool.
    DeleteAllBut {
        keep: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (any::<usize>(), any::<bool>(), any::<u8>())
            .prop_map(|(key, long, byte)| Op::Set { key, long, byte }),
        3 => any::<usize>().prop_map(|key| Op::Delete { key }),
        1 => (0usize..3).prop_map(|keep| Op::DeleteAllBut { keep }),
    ]
}

fn pool() -> impl Strategy<Value = Vec<B256>> {
    prop::collection::vec(
        (0usize..4, prop::collection::vec(0u8..4, 1..40)).prop_map(|(f, tail)| key(f, &tail)),
        1..48,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// After every block: the root equals a from-scratch root, and the stored branches are
    /// exactly those a from-scratch build stores.
    #[test]
    fn incremental_root_matches_a_full_build(
        pool in pool(),
        blocks in prop::collection::vec(prop::collection::vec(op(), 1..24), 1..10),
    ) {
        let mut trie = MemTrie::default();
        for block in blocks {
            let before = trie.leaves.clone();
            let mut changed = Vec::new();
            for op in block {
                match op {
                    Op::Set { key, long, byte } => {
                        let key = pool[key % pool.len()];
                        trie.leaves.insert(key, value(long, byte));
                        changed.push(key);
                    }
                    Op::Delete { key } => {
                        let key = pool[key % pool.len()];
                        trie.leaves.remove(&key);
                        changed.push(key);
                    }
                    Op::DeleteAllBut { keep } => {
                        for key in pool.iter().skip(keep) {
                            trie.leaves.remove(key);
                            changed.push(*key);
                        }
                    }
                }
            }
            let changed = changes(&before, &trie.leaves, changed);
            prop_assert_eq!(root(&mut trie, &changed).unwrap(), reference_root(&trie.leaves));
            prop_assert_eq!(&trie.nodes, &rebuilt_nodes(&trie.leaves));
            // Nothing changed: the stored root branch alone gives the same root.
            prop_assert_eq!(root(&mut trie, &[]).unwrap(), reference_root(&trie.leaves));
        }
    }
}

#[test]
fn leaves_without_nodes_are_built_once_then_updated() {
    let mut trie = MemTrie::default();
    for i in 0..10_000u32 {
        let key = alloy_primitives::keccak256(i.to_be_bytes());
        trie.leaves.insert(key, value(i % 2 == 0, i as u8));
    }
    // More leaves than fit one in-memory build: the subtries are split by nibble.
    assert_eq!(root(&mut trie, &[]).unwrap(), reference_root(&trie.leaves));
    assert_eq!(trie.nodes, rebuilt_nodes(&trie.leaves));
    let before = trie.leaves.clone();
    let key = alloy_primitives::keccak256(7u32.to_be_bytes());
    trie.leaves.insert(key, value(true, 1));
    let changed = changes(&before, &trie.leaves, vec![key]);
    assert_eq!(
        root(&mut trie, &changed).unwrap(),
        reference_root(&trie.leaves)
    );
}

#[test]
fn empty_and_single_leaf_tries() {
    let mut trie = MemTrie::default();
    assert_eq!(root(&mut trie, &[]).unwrap(), alloy_trie::EMPTY_ROOT_HASH);
    let key = B256::repeat_byte(1);
    let empty = BTreeMap::new();
    trie.leaves.insert(key, value(false, 9));
    let one = trie.leaves.clone();
    let changed = changes(&empty, &one, vec![key]);
    assert_eq!(root(&mut trie, &changed).unwrap(), reference_root(&one));
    assert!(trie.nodes.is_empty());
    trie.leaves.clear();
    let changed = changes(&one, &empty, vec![key]);
    assert_eq!(
        root(&mut trie, &changed).unwrap(),
        alloy_trie::EMPTY_ROOT_HASH
    );
    // Deleting a key that never existed changes nothing.
    let changed = changes(&empty, &empty, vec![B256::repeat_byte(2)]);
    assert_eq!(
        root(&mut trie, &changed).unwrap(),
        alloy_trie::EMPTY_ROOT_HASH
    );
}
