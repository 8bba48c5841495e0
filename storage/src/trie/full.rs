//! Roots computed from scratch: the reference the incremental root is checked against, and
//! the genesis root computed in memory.

use alloy_consensus::TrieAccount;
use alloy_primitives::B256;
use alloy_trie::{HashBuilder, Nibbles, EMPTY_ROOT_HASH};
use redb::ReadableTable;

use super::db::storage_leaf;
use crate::{codec::decode, StorageError};

/// The state root recomputed from the leaves alone: one ordered walk over `HashedAccounts`
/// and, alongside it, `HashedStorage`, rebuilding every account's storage root from its slots.
/// No stored branch and no stored storage root is read.
///
/// Its cost grows with the whole state; it exists as the reference the incremental root is
/// tested against and as the baseline it is benchmarked against.
pub fn full_state_root(
    hashed_accounts: &impl ReadableTable<[u8; 32], &'static [u8]>,
    hashed_storage: &impl ReadableTable<[u8; 64], [u8; 32]>,
) -> Result<B256, StorageError> {
    let mut slots = hashed_storage.iter()?;
    let mut next_slot = next_row(&mut slots)?;
    let mut builder = HashBuilder::default();
    for entry in hashed_accounts.iter()? {
        let (key, value) = entry?;
        let hashed_address = key.value();
        let mut account: TrieAccount = decode("hashed_accounts", value.value())?;
        // Slots of addresses without an account do not count.
        while next_slot.is_some_and(|(key, _)| key[..32] < hashed_address[..]) {
            next_slot = next_row(&mut slots)?;
        }
        let mut storage = HashBuilder::default();
        let mut any = false;
        while let Some((key, value)) = next_slot.filter(|(key, _)| key[..32] == hashed_address) {
            storage.add_leaf(Nibbles::unpack(&key[32..]), &storage_leaf(value));
            any = true;
            next_slot = next_row(&mut slots)?;
        }
        account.storage_root = if any { storage.root() } else { EMPTY_ROOT_HASH };
        builder.add_leaf(Nibbles::unpack(hashed_address), &alloy_rlp::encode(account));
    }
    Ok(builder.root())
}

/// A `HashedStorage` row: hashed address ‖ hashed slot, value.
type SlotRow = ([u8; 64], [u8; 32]);

/// The next row of a `HashedStorage` walk, copied out of the table.
fn next_row(
    rows: &mut redb::Range<'_, [u8; 64], [u8; 32]>,
) -> Result<Option<SlotRow>, StorageError> {
    Ok(match rows.next() {
        Some(entry) => {
            let (key, value) = entry?;
            Some((key.value(), value.value()))
        }
        None => None,
    })
}

/// The state root of a fresh state made of `changes` alone (a genesis), computed in memory.
pub fn root_of_new_state(changes: &supervm_primitives::StateChanges) -> B256 {
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
