//! The Ethereum state root, computed incrementally from the hashed state tables.
//!
//! The leaves are the rows of `HashedAccounts` (keccak256(address) → the account's trie
//! encoding: nonce, balance, storage root, code hash) and of `HashedStorage`
//! (keccak256(address) ‖ keccak256(slot) → value). Besides them the store keeps the branch
//! nodes of the account trie (`AccountTrie`) and of each storage trie (`StorageTrie`), each with
//! the references of all its children — every branch except those whose children are all
//! leaves, which are cheaper to rebuild from their few leaves.
//!
//! A block records which hashed keys it changed (with their new values and whether they
//! existed). The root is then rebuilt along those keys' paths only: each branch on a path is
//! rebuilt from its stored record, with the changed child replaced, and written back; branches
//! that lose all but one child are deleted, new ones are stored. The cost grows with the
//! number of changed keys times the trie depth (≈ log16 of the state size), not with the state
//! size. Storage roots of accounts whose storage changed are computed the same way while the
//! block's state is applied; the account root when the block asks for it. Nodes are written in
//! the block's write transaction, so they are committed or dropped together with the leaves.
//!
//! Where a subtrie has leaves but no stored branch (a store written before nodes were kept),
//! it is built from its leaves once and its nodes are stored: old stores heal themselves on the
//! first root they compute. See `incremental.rs` for the algorithm and its invariant.
//!
//! [`full_state_root`] recomputes the root from the leaves alone, as the reference.

mod branch;
mod db;
mod full;
mod incremental;
#[cfg(test)]
mod tests;

use alloy_primitives::B256;
use alloy_trie::EMPTY_ROOT_HASH;
use redb::ReadableTable;

pub use full::{full_state_root, root_of_new_state};

use crate::{codec::hashed_storage_key, StorageError};
pub(crate) use db::{storage_leaf, NodeTable};
pub(crate) use incremental::ChangedLeaf;

/// The account trie's root after the accounts `changed` (keyed by hashed address, sorted, no
/// duplicates) changed in `hashed_accounts`; brings `nodes` (`AccountTrie`) up to date.
pub(crate) fn account_root(
    nodes: &mut NodeTable<'_>,
    hashed_accounts: &impl ReadableTable<[u8; 32], &'static [u8]>,
    changed: &[ChangedLeaf],
) -> Result<B256, StorageError> {
    incremental::root(
        &mut db::AccountTrie {
            nodes,
            leaves: hashed_accounts,
        },
        changed,
    )
}

/// One account's storage root after its slots `changed` (keyed by hashed slot, sorted, no
/// duplicates) changed in `hashed_storage`; brings `nodes` (`StorageTrie`) up to date.
pub(crate) fn storage_root(
    nodes: &mut NodeTable<'_>,
    hashed_storage: &impl ReadableTable<[u8; 64], [u8; 32]>,
    hashed_address: B256,
    changed: &[ChangedLeaf],
) -> Result<B256, StorageError> {
    incremental::root(
        &mut db::StorageTrie {
            hashed_address,
            nodes,
            leaves: hashed_storage,
        },
        changed,
    )
}

/// The storage root of an account whose slots did not change: the empty root when it has no
/// slots (one lookup, the usual case for a new account), else read from its storage trie.
pub(crate) fn unchanged_storage_root(
    nodes: &mut NodeTable<'_>,
    hashed_storage: &impl ReadableTable<[u8; 64], [u8; 32]>,
    hashed_address: B256,
) -> Result<B256, StorageError> {
    let low = hashed_storage_key(&hashed_address, &B256::ZERO);
    let high = hashed_storage_key(&hashed_address, &B256::repeat_byte(0xff));
    if hashed_storage.range(low..=high)?.next().is_none() {
        return Ok(EMPTY_ROOT_HASH);
    }
    storage_root(nodes, hashed_storage, hashed_address, &[])
}
