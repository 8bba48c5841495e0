//! The two tries as redb tables: where [`super::incremental`] reads leaves and keeps branches.

use std::ops::Bound;

use alloy_primitives::{B256, U256};
use alloy_trie::Nibbles;
use redb::{ReadableTable, Table};

use super::{
    branch::{decode_path, encode_path, StoredBranch},
    incremental::TrieTables,
};
use crate::{codec::hashed_storage_key, StorageError};

/// A table of branch nodes: `AccountTrie` or `StorageTrie`.
pub(crate) type NodeTable<'txn> = Table<'txn, &'static [u8], &'static [u8]>;

/// The account trie: branches in `AccountTrie` keyed by path, leaves in `HashedAccounts`.
pub(crate) struct AccountTrie<'a, 'txn, L> {
    /// The `AccountTrie` table.
    pub(crate) nodes: &'a mut NodeTable<'txn>,
    /// The `HashedAccounts` table.
    pub(crate) leaves: &'a L,
}

/// One account's storage trie: branches in `StorageTrie` under the hashed address, leaves in
/// `HashedStorage` under the same prefix.
pub(crate) struct StorageTrie<'a, 'txn, L> {
    /// keccak256 of the account's address.
    pub(crate) hashed_address: B256,
    /// The `StorageTrie` table.
    pub(crate) nodes: &'a mut NodeTable<'txn>,
    /// The `HashedStorage` table.
    pub(crate) leaves: &'a L,
}

const ACCOUNT_TRIE: &str = "account_trie";
const STORAGE_TRIE: &str = "storage_trie";

/// The first branch in `nodes` whose key starts with `key`: the shallowest branch under the
/// path `key` encodes. The first `skip` bytes of a key are not part of the path.
fn first_branch(
    table: &'static str,
    nodes: &NodeTable<'_>,
    key: &[u8],
    skip: usize,
) -> Result<Option<(Nibbles, StoredBranch)>, StorageError> {
    let Some(entry) = nodes.range(key..)?.next() else {
        return Ok(None);
    };
    let (found, value) = entry?;
    let found = found.value();
    if !found.starts_with(key) {
        return Ok(None);
    }
    let path = decode_path(table, &found[skip..])?;
    Ok(Some((path, StoredBranch::decode(table, value.value())?)))
}

impl<L: ReadableTable<[u8; 32], &'static [u8]>> TrieTables for AccountTrie<'_, '_, L> {
    fn first_branch_under(
        &mut self,
        prefix: &Nibbles,
    ) -> Result<Option<(Nibbles, StoredBranch)>, StorageError> {
        let mut key = Vec::with_capacity(prefix.len());
        encode_path(prefix, &mut key);
        first_branch(ACCOUNT_TRIE, self.nodes, &key, 0)
    }

    fn put_branch(&mut self, path: &Nibbles, branch: &StoredBranch) -> Result<(), StorageError> {
        let mut key = Vec::with_capacity(path.len());
        encode_path(path, &mut key);
        self.nodes
            .insert(key.as_slice(), branch.encode().as_slice())?;
        Ok(())
    }

    fn remove_branch(&mut self, path: &Nibbles) -> Result<(), StorageError> {
        let mut key = Vec::with_capacity(path.len());
        encode_path(path, &mut key);
        self.nodes.remove(key.as_slice())?;
        Ok(())
    }

    fn leaves(
        &mut self,
        (from, to): (Bound<B256>, Bound<B256>),
        limit: usize,
    ) -> Result<Vec<(B256, Vec<u8>)>, StorageError> {
        let mut out = Vec::new();
        for entry in self.leaves.range((from.map(|k| k.0), to.map(|k| k.0)))? {
            if out.len() == limit {
                break;
            }
            let (key, value) = entry?;
            out.push((B256::from(key.value()), value.value().to_vec()));
        }
        Ok(out)
    }
}

impl<L: ReadableTable<[u8; 64], [u8; 32]>> TrieTables for StorageTrie<'_, '_, L> {
    fn first_branch_under(
        &mut self,
        prefix: &Nibbles,
    ) -> Result<Option<(Nibbles, StoredBranch)>, StorageError> {
        let key = self.node_key(prefix);
        first_branch(STORAGE_TRIE, self.nodes, &key, 32)
    }

    fn put_branch(&mut self, path: &Nibbles, branch: &StoredBranch) -> Result<(), StorageError> {
        let key = self.node_key(path);
        self.nodes
            .insert(key.as_slice(), branch.encode().as_slice())?;
        Ok(())
    }

    fn remove_branch(&mut self, path: &Nibbles) -> Result<(), StorageError> {
        let key = self.node_key(path);
        self.nodes.remove(key.as_slice())?;
        Ok(())
    }

    fn leaves(
        &mut self,
        (from, to): (Bound<B256>, Bound<B256>),
        limit: usize,
    ) -> Result<Vec<(B256, Vec<u8>)>, StorageError> {
        let full = |slot: B256| hashed_storage_key(&self.hashed_address, &slot);
        let mut out = Vec::new();
        for entry in self.leaves.range((from.map(full), to.map(full)))? {
            if out.len() == limit {
                break;
            }
            let (key, value) = entry?;
            let slot = B256::from_slice(&key.value()[32..]);
            out.push((slot, storage_leaf(value.value())));
        }
        Ok(out)
    }
}

impl<L> StorageTrie<'_, '_, L> {
    /// Hashed address ‖ path.
    fn node_key(&self, path: &Nibbles) -> Vec<u8> {
        let mut key = Vec::with_capacity(32 + path.len());
        key.extend_from_slice(self.hashed_address.as_slice());
        encode_path(path, &mut key);
        key
    }
}

/// The trie value of a storage slot: the RLP of its (non-zero) value.
pub(crate) fn storage_leaf(value: [u8; 32]) -> Vec<u8> {
    alloy_rlp::encode(U256::from_be_bytes(value))
}
