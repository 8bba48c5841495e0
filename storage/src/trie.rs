//! The Ethereum state root, computed from the hashed state tables.
//!
//! `HashedAccounts` is keyed by keccak256(address) and already holds each account's trie
//! encoding (nonce, balance, storage root, code hash), so the root is one ordered walk feeding
//! alloy-trie's `HashBuilder`. Storage roots are recomputed only for accounts whose storage
//! changed. The cost of the account walk grows with the number of accounts; an incremental
//! root that keeps branch nodes is the parallel-execution issue's job.

use alloy_primitives::B256;
use alloy_trie::{HashBuilder, Nibbles, EMPTY_ROOT_HASH};
use redb::ReadableTable;

use crate::StorageError;

/// Root of the account trie over every entry of a `HashedAccounts` table.
pub fn state_root(
    hashed_accounts: &impl ReadableTable<[u8; 32], &'static [u8]>,
) -> Result<B256, StorageError> {
    let mut builder = HashBuilder::default();
    for entry in hashed_accounts.iter()? {
        let (key, value) = entry?;
        builder.add_leaf(Nibbles::unpack(key.value()), value.value());
    }
    Ok(builder.root())
}

/// Root of one account's storage trie over its range of a `HashedStorage` table.
pub fn storage_root(
    hashed_storage: &impl ReadableTable<[u8; 64], [u8; 32]>,
    hashed_address: &B256,
) -> Result<B256, StorageError> {
    let mut start = [0u8; 64];
    start[..32].copy_from_slice(hashed_address.as_slice());
    let mut end = [0xffu8; 64];
    end[..32].copy_from_slice(hashed_address.as_slice());
    let mut builder = HashBuilder::default();
    let mut any = false;
    for entry in hashed_storage.range(start..=end)? {
        let (key, value) = entry?;
        let value = alloy_primitives::U256::from_be_bytes(value.value());
        builder.add_leaf(
            Nibbles::unpack(&key.value()[32..]),
            &alloy_rlp::encode(value),
        );
        any = true;
    }
    Ok(if any { builder.root() } else { EMPTY_ROOT_HASH })
}

/// The state root of a fresh state made of `changes` alone (a genesis), computed in memory.
pub fn root_of_new_state(changes: &supervm_primitives::StateChanges) -> B256 {
    use alloy_consensus::TrieAccount;
    use alloy_trie::root::{state_root_unhashed, storage_root_unhashed};
    let accounts = changes.accounts.iter().filter_map(|(address, account)| {
        let account = (*account)?;
        let storage_root = changes
            .storage
            .get(address)
            .map(|slots| {
                storage_root_unhashed(
                    slots
                        .iter()
                        .filter(|(_, v)| !v.is_zero())
                        .map(|(k, v)| (*k, *v)),
                )
            })
            .unwrap_or(EMPTY_ROOT_HASH);
        Some((
            *address,
            TrieAccount {
                nonce: account.nonce,
                balance: account.balance,
                storage_root,
                code_hash: account.code_hash,
            },
        ))
    });
    state_root_unhashed(accounts)
}
