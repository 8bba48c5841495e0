//! Writing one block: state changes, root, block data and head pointer in one transaction.

use std::collections::BTreeSet;

use alloy_consensus::TrieAccount;
use alloy_primitives::{keccak256, Address, B256};
use alloy_trie::EMPTY_ROOT_HASH;
use redb::{ReadableTable, WriteTransaction};
use supervm_primitives::{Account, RateEntry, SealedBlock, StateChanges, StoredReceipt};

use crate::{
    codec::{
        account_history_key, account_tx_key, decode, encode_tx, hashed_storage_key, rlp,
        storage_history_key, storage_key, word,
    },
    tables::*,
    trie, StorageError,
};

/// keccak256("Transfer(address,address,uint256)"): the ERC-20 event whose `from` and `to`
/// are indexed as parties of the transaction.
const TRANSFER_TOPIC: B256 =
    alloy_primitives::b256!("0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");

/// Senders and recipients of the token transfers a transaction logged.
fn transfer_parties(receipt: &StoredReceipt) -> impl Iterator<Item = Address> + '_ {
    receipt
        .logs
        .iter()
        .filter(|log| log.topics().len() == 3 && log.topics()[0] == TRANSFER_TOPIC)
        .flat_map(|log| {
            [
                Address::from_word(log.topics()[1]),
                Address::from_word(log.topics()[2]),
            ]
        })
        .filter(|party| *party != Address::ZERO)
}

/// An open write transaction for one block.
///
/// Dropping it without [`BlockWriter::commit`] aborts everything it wrote, which is how a block
/// that fails validation leaves no trace.
pub struct BlockWriter {
    pub(crate) txn: WriteTransaction,
}

impl BlockWriter {
    /// Applies a block's state changes to the current, hashed and history tables.
    pub fn apply_state(&mut self, block: u64, changes: &StateChanges) -> Result<(), StorageError> {
        let txn = &self.txn;
        {
            let mut storage = txn.open_table(STORAGE)?;
            let mut hashed_storage = txn.open_table(HASHED_STORAGE)?;
            let mut history = txn.open_table(STORAGE_HISTORY)?;
            for (address, slots) in &changes.storage {
                let hashed_address = keccak256(address);
                for (slot, value) in slots {
                    let key = storage_key(address, slot);
                    let hashed_key = hashed_storage_key(&hashed_address, &keccak256(slot));
                    if value.is_zero() {
                        storage.remove(key)?;
                        hashed_storage.remove(hashed_key)?;
                    } else {
                        storage.insert(key, word(value))?;
                        hashed_storage.insert(hashed_key, word(value))?;
                    }
                    history.insert(storage_history_key(address, slot, block), word(value))?;
                }
            }
        }
        {
            let mut codes = txn.open_table(BYTECODES)?;
            for (hash, code) in &changes.codes {
                codes.insert(hash.0, code.as_ref())?;
            }
        }
        let touched: BTreeSet<&Address> = changes
            .accounts
            .keys()
            .chain(changes.storage.keys())
            .collect();
        let mut accounts = txn.open_table(ACCOUNTS)?;
        let mut hashed_accounts = txn.open_table(HASHED_ACCOUNTS)?;
        let mut history = txn.open_table(ACCOUNT_HISTORY)?;
        let hashed_storage = txn.open_table(HASHED_STORAGE)?;
        for address in touched {
            let hashed_address = keccak256(address);
            let account = match changes.accounts.get(address) {
                Some(new) => *new,
                None => accounts
                    .get(address.0 .0)?
                    .map(|value| decode::<Account>("accounts", value.value()))
                    .transpose()?,
            };
            let storage_changed = changes.storage.contains_key(address);
            match account {
                Some(account) => {
                    let storage_root = if storage_changed {
                        trie::storage_root(&hashed_storage, &hashed_address)?
                    } else {
                        match hashed_accounts.get(hashed_address.0)? {
                            Some(value) => {
                                decode::<TrieAccount>("hashed_accounts", value.value())?
                                    .storage_root
                            }
                            None => EMPTY_ROOT_HASH,
                        }
                    };
                    let trie_account = TrieAccount {
                        nonce: account.nonce,
                        balance: account.balance,
                        storage_root,
                        code_hash: account.code_hash,
                    };
                    let encoded = rlp(&account);
                    accounts.insert(address.0 .0, encoded.as_slice())?;
                    hashed_accounts.insert(hashed_address.0, rlp(&trie_account).as_slice())?;
                    history.insert(account_history_key(address, block), encoded.as_slice())?;
                }
                None => {
                    accounts.remove(address.0 .0)?;
                    hashed_accounts.remove(hashed_address.0)?;
                    history.insert(account_history_key(address, block), [].as_slice())?;
                }
            }
        }
        Ok(())
    }

    /// The state root over everything written so far in this transaction.
    pub fn state_root(&self) -> Result<B256, StorageError> {
        trie::state_root(&self.txn.open_table(HASHED_ACCOUNTS)?)
    }

    /// Inserts the block, its transactions, receipts and indexes, and moves the head to it.
    pub fn insert_block(
        &mut self,
        block: &SealedBlock,
        receipts: &[StoredReceipt],
    ) -> Result<(), StorageError> {
        let number = block.number();
        let txn = &self.txn;
        txn.open_table(HEADERS)?
            .insert(number, rlp(&block.header).as_slice())?;
        txn.open_table(CANONICAL_HASHES)?
            .insert(number, block.hash.0)?;
        txn.open_table(HEADER_NUMBERS)?
            .insert(block.hash.0, number)?;
        let mut hashes = Vec::with_capacity(block.transactions.len() * 32);
        {
            let mut transactions = txn.open_table(TRANSACTIONS)?;
            let mut locations = txn.open_table(TX_LOCATIONS)?;
            let mut stored_receipts = txn.open_table(RECEIPTS)?;
            let mut account_txs = txn.open_table(ACCOUNT_TRANSACTIONS)?;
            for (index, (tx, receipt)) in block.transactions.iter().zip(receipts).enumerate() {
                let hash = tx.hash();
                hashes.extend_from_slice(hash.as_slice());
                transactions.insert(hash.0, encode_tx(tx).as_slice())?;
                let index = u32::try_from(index).map_err(|_| StorageError::Corrupt {
                    table: "tx_locations",
                    reason: "more than 2^32 transactions in a block".into(),
                })?;
                locations.insert(hash.0, (number, index))?;
                let mut parties = BTreeSet::from([tx.sender]);
                parties.extend(alloy_consensus::Transaction::to(&tx.tx));
                parties.extend(transfer_parties(receipt));
                for party in parties {
                    account_txs.insert(account_tx_key(&party, number, index), hash.0)?;
                }
                stored_receipts.insert(hash.0, rlp(receipt).as_slice())?;
            }
        }
        txn.open_table(BLOCK_TRANSACTIONS)?
            .insert(number, hashes.as_slice())?;
        txn.open_table(META)?
            .insert(META_HEAD, number.to_be_bytes().as_slice())?;
        Ok(())
    }

    /// Records the fee-token rates that priced block `number`.
    pub fn insert_rate_snapshot(
        &mut self,
        number: u64,
        rates: &[RateEntry],
    ) -> Result<(), StorageError> {
        let encoded = alloy_rlp::encode(rates.to_vec());
        self.txn
            .open_table(RATE_SNAPSHOTS)?
            .insert(number, encoded.as_slice())?;
        Ok(())
    }

    /// Makes the block durable. When this returns, a crash cannot lose it.
    pub fn commit(self) -> Result<(), StorageError> {
        self.txn.commit()?;
        Ok(())
    }
}
