//! Writing one block: state changes, root, block data and head pointer in one transaction.

use std::collections::{BTreeMap, BTreeSet};

use alloy_consensus::TrieAccount;
use alloy_primitives::{keccak256, Address, B256};
use redb::{ReadableTable, WriteTransaction};
use supervm_primitives::{Account, RateEntry, SealedBlock, StateChanges, StoredReceipt};

use crate::{
    codec::{
        account_history_key, account_tx_key, decode, encode_tx, hashed_storage_key, rlp,
        storage_history_key, storage_key, word,
    },
    tables::*,
    trie::{self, ChangedLeaf},
    StorageError,
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
/// that fails validation leaves no trace — trie nodes included.
pub struct BlockWriter {
    pub(crate) txn: WriteTransaction,
    /// Accounts changed since the account trie's nodes were last brought up to date, by
    /// hashed address: the paths [`BlockWriter::state_root`] rebuilds.
    changed_accounts: BTreeMap<B256, ChangedLeaf>,
}

impl BlockWriter {
    pub(crate) fn new(txn: WriteTransaction) -> Self {
        Self {
            txn,
            changed_accounts: BTreeMap::new(),
        }
    }

    /// Applies a block's state changes to the current, hashed and history tables, and brings
    /// the storage tries of the accounts whose slots changed up to date (their new storage
    /// roots go into the accounts' trie encoding). The account trie is updated by
    /// [`BlockWriter::state_root`].
    pub fn apply_state(&mut self, block: u64, changes: &StateChanges) -> Result<(), StorageError> {
        let txn = &self.txn;
        // Per address, the slots written: the paths its storage trie rebuilds.
        let mut changed_slots: BTreeMap<&Address, Vec<ChangedLeaf>> = BTreeMap::new();
        {
            let mut storage = txn.open_table(STORAGE)?;
            let mut hashed_storage = txn.open_table(HASHED_STORAGE)?;
            let mut history = txn.open_table(STORAGE_HISTORY)?;
            for (address, slots) in &changes.storage {
                let hashed_address = keccak256(address);
                let changed = changed_slots.entry(address).or_default();
                for (slot, value) in slots {
                    let key = storage_key(address, slot);
                    let hashed_slot = keccak256(slot);
                    let hashed_key = hashed_storage_key(&hashed_address, &hashed_slot);
                    let existed = if value.is_zero() {
                        storage.remove(key)?;
                        hashed_storage.remove(hashed_key)?.is_some()
                    } else {
                        storage.insert(key, word(value))?;
                        hashed_storage.insert(hashed_key, word(value))?.is_some()
                    };
                    changed.push(ChangedLeaf {
                        key: hashed_slot,
                        value: (!value.is_zero()).then(|| trie::storage_leaf(word(value))),
                        existed,
                    });
                    history.insert(storage_history_key(address, slot, block), word(value))?;
                }
                // Distinct slots have distinct hashes; the trie walk wants them in key order.
                changed.sort_unstable_by_key(|change| change.key);
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
        let mut storage_trie = txn.open_table(STORAGE_TRIE)?;
        for address in touched {
            let hashed_address = keccak256(address);
            let account = match changes.accounts.get(address) {
                Some(new) => *new,
                None => accounts
                    .get(address.0 .0)?
                    .map(|value| decode::<Account>("accounts", value.value()))
                    .transpose()?,
            };
            // A storage trie follows its slots whether or not the account exists, as the
            // slots themselves do: the nodes always match `HashedStorage`.
            let new_storage_root = match changed_slots.get(address) {
                Some(slots) => Some(trie::storage_root(
                    &mut storage_trie,
                    &hashed_storage,
                    hashed_address,
                    slots,
                )?),
                None => None,
            };
            let (value, existed) = match account {
                Some(account) => {
                    let storage_root = match new_storage_root {
                        Some(root) => root,
                        None => match hashed_accounts.get(hashed_address.0)? {
                            Some(value) => {
                                decode::<TrieAccount>("hashed_accounts", value.value())?
                                    .storage_root
                            }
                            // A new account: slots left from an earlier life of the address
                            // still count (usually there are none).
                            None => trie::unchanged_storage_root(
                                &mut storage_trie,
                                &hashed_storage,
                                hashed_address,
                            )?,
                        },
                    };
                    let trie_account = rlp(&TrieAccount {
                        nonce: account.nonce,
                        balance: account.balance,
                        storage_root,
                        code_hash: account.code_hash,
                    });
                    let encoded = rlp(&account);
                    accounts.insert(address.0 .0, encoded.as_slice())?;
                    let existed = hashed_accounts
                        .insert(hashed_address.0, trie_account.as_slice())?
                        .is_some();
                    history.insert(account_history_key(address, block), encoded.as_slice())?;
                    (Some(trie_account), existed)
                }
                None => {
                    accounts.remove(address.0 .0)?;
                    let existed = hashed_accounts.remove(hashed_address.0)?.is_some();
                    history.insert(account_history_key(address, block), [].as_slice())?;
                    (None, existed)
                }
            };
            // `existed` is about the trie the nodes describe: the first change since then
            // knows it; later ones only bring a newer value.
            self.changed_accounts
                .entry(hashed_address)
                .and_modify(|change| change.value.clone_from(&value))
                .or_insert(ChangedLeaf {
                    key: hashed_address,
                    value,
                    existed,
                });
        }
        Ok(())
    }

    /// The state root over everything written so far in this transaction.
    ///
    /// Rebuilds only the account-trie branches on the paths of the accounts changed since the
    /// last call (or since the writer was opened) and stores them in the same transaction, so
    /// its cost grows with what the block changed, not with the state size. After an error the
    /// writer must be dropped (the nodes may be half rebuilt; nothing was committed).
    pub fn state_root(&mut self) -> Result<B256, StorageError> {
        let changed: Vec<ChangedLeaf> = std::mem::take(&mut self.changed_accounts)
            .into_values()
            .collect();
        let mut nodes = self.txn.open_table(ACCOUNT_TRIE)?;
        let leaves = self.txn.open_table(HASHED_ACCOUNTS)?;
        trie::account_root(&mut nodes, &leaves, &changed)
    }

    /// The state root recomputed from the leaves alone, ignoring every stored node and storage
    /// root ([`trie::full_state_root`]). Costs a walk over the whole state: the reference
    /// [`BlockWriter::state_root`] is tested and benchmarked against.
    pub fn full_state_root(&self) -> Result<B256, StorageError> {
        trie::full_state_root(
            &self.txn.open_table(HASHED_ACCOUNTS)?,
            &self.txn.open_table(HASHED_STORAGE)?,
        )
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
    ///
    /// Account changes not yet folded into the trie nodes (no [`BlockWriter::state_root`]
    /// since them) are folded in first, so committed nodes always match committed leaves.
    pub fn commit(mut self) -> Result<(), StorageError> {
        if !self.changed_accounts.is_empty() {
            self.state_root()?;
        }
        self.txn.commit()?;
        Ok(())
    }
}
