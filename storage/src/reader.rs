//! Read access to one committed snapshot of the chain.

use alloy_consensus::Header;
use alloy_primitives::{Address, Bytes, B256, U256};
use std::sync::OnceLock;

use redb::{Key, ReadOnlyTable, ReadTransaction, TableDefinition, Value};
use supervm_primitives::{Account, RateEntry, RecoveredTx, SealedBlock, StoredReceipt};

use crate::{
    codec::{
        account_history_key, account_tx_key, decode, decode_tx, storage_history_key, storage_key,
    },
    tables::*,
    StorageError,
};

/// Where a transaction sits in the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxLocation {
    /// Number of the including block.
    pub block_number: u64,
    /// Hash of the including block.
    pub block_hash: B256,
    /// Position in the block.
    pub index: u32,
}

/// A read snapshot: everything it returns belongs to the same committed head, however many
/// blocks are committed while it is alive.
pub struct Reader {
    txn: ReadTransaction,
    head: u64,
    /// The current-state tables, opened on first use: execution reads them several times
    /// per transaction, and opening a table is a lookup of its own.
    accounts: OnceLock<ReadOnlyTable<[u8; 20], &'static [u8]>>,
    storage: OnceLock<ReadOnlyTable<[u8; 52], [u8; 32]>>,
}

impl Reader {
    pub(crate) fn new(txn: ReadTransaction) -> Result<Self, StorageError> {
        let head = match txn.open_table(META)?.get(META_HEAD)? {
            Some(value) => {
                let bytes: [u8; 8] =
                    value
                        .value()
                        .try_into()
                        .map_err(|_| StorageError::Corrupt {
                            table: "meta",
                            reason: "head is not 8 bytes".into(),
                        })?;
                u64::from_be_bytes(bytes)
            }
            None => 0,
        };
        Ok(Self {
            txn,
            head,
            accounts: OnceLock::new(),
            storage: OnceLock::new(),
        })
    }

    /// Number of the head block of this snapshot.
    pub fn head_number(&self) -> u64 {
        self.head
    }

    /// The header of a canonical block.
    pub fn header(&self, number: u64) -> Result<Option<Header>, StorageError> {
        self.txn
            .open_table(HEADERS)?
            .get(number)?
            .map(|value| decode("headers", value.value()))
            .transpose()
    }

    /// The hash of a canonical block.
    pub fn block_hash(&self, number: u64) -> Result<Option<B256>, StorageError> {
        Ok(self
            .txn
            .open_table(CANONICAL_HASHES)?
            .get(number)?
            .map(|v| B256::from(v.value())))
    }

    /// The number of the block with this hash.
    pub fn block_number(&self, hash: &B256) -> Result<Option<u64>, StorageError> {
        Ok(self
            .txn
            .open_table(HEADER_NUMBERS)?
            .get(hash.0)?
            .map(|v| v.value()))
    }

    /// Hashes of a block's transactions, in order.
    pub fn block_tx_hashes(&self, number: u64) -> Result<Vec<B256>, StorageError> {
        Ok(
            match self.txn.open_table(BLOCK_TRANSACTIONS)?.get(number)? {
                Some(value) => value
                    .value()
                    .chunks_exact(32)
                    .map(B256::from_slice)
                    .collect(),
                None => Vec::new(),
            },
        )
    }

    /// A whole canonical block with its transactions and senders.
    pub fn block(&self, number: u64) -> Result<Option<SealedBlock>, StorageError> {
        let (Some(header), Some(hash)) = (self.header(number)?, self.block_hash(number)?) else {
            return Ok(None);
        };
        let transactions = self
            .block_tx_hashes(number)?
            .iter()
            .map(|hash| {
                self.transaction(hash)?
                    .map(|(tx, _)| tx)
                    .ok_or_else(|| missing(hash))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(SealedBlock {
            hash,
            header,
            transactions,
        }))
    }

    /// The receipts of a block, in transaction order.
    pub fn block_receipts(&self, number: u64) -> Result<Vec<StoredReceipt>, StorageError> {
        let table = self.txn.open_table(RECEIPTS)?;
        self.block_tx_hashes(number)?
            .iter()
            .map(|hash| {
                let value = table.get(hash.0)?.ok_or_else(|| missing(hash))?;
                decode("receipts", value.value())
            })
            .collect()
    }

    /// A committed transaction and where it is.
    pub fn transaction(
        &self,
        hash: &B256,
    ) -> Result<Option<(RecoveredTx, TxLocation)>, StorageError> {
        let Some(bytes) = self.txn.open_table(TRANSACTIONS)?.get(hash.0)? else {
            return Ok(None);
        };
        let tx = decode_tx(bytes.value())?;
        let Some(location) = self.txn.open_table(TX_LOCATIONS)?.get(hash.0)? else {
            return Err(missing(hash));
        };
        let (block_number, index) = location.value();
        if block_number > self.head {
            return Ok(None);
        }
        let block_hash = self
            .block_hash(block_number)?
            .ok_or_else(|| missing(hash))?;
        Ok(Some((
            tx,
            TxLocation {
                block_number,
                block_hash,
                index,
            },
        )))
    }

    /// The receipt of a committed transaction.
    pub fn receipt(&self, hash: &B256) -> Result<Option<StoredReceipt>, StorageError> {
        self.txn
            .open_table(RECEIPTS)?
            .get(hash.0)?
            .map(|value| decode("receipts", value.value()))
            .transpose()
    }

    /// An account as of the end of block `at` (`None` if it did not exist then).
    pub fn account(&self, address: &Address, at: u64) -> Result<Option<Account>, StorageError> {
        if at >= self.head {
            return open_once(&self.txn, &self.accounts, ACCOUNTS)?
                .get(address.0 .0)?
                .map(|value| decode("accounts", value.value()))
                .transpose();
        }
        let table = self.txn.open_table(ACCOUNT_HISTORY)?;
        let mut range =
            table.range(account_history_key(address, 0)..=account_history_key(address, at))?;
        match range.next_back().transpose()? {
            Some((_, value)) if !value.value().is_empty() => {
                Ok(Some(decode("account_history", value.value())?))
            }
            _ => Ok(None),
        }
    }

    /// A storage slot as of the end of block `at` (zero if never written).
    pub fn storage(&self, address: &Address, slot: &B256, at: u64) -> Result<U256, StorageError> {
        if at >= self.head {
            return Ok(open_once(&self.txn, &self.storage, STORAGE)?
                .get(storage_key(address, slot))?
                .map(|v| U256::from_be_bytes(v.value()))
                .unwrap_or_default());
        }
        let table = self.txn.open_table(STORAGE_HISTORY)?;
        let mut range = table.range(
            storage_history_key(address, slot, 0)..=storage_history_key(address, slot, at),
        )?;
        Ok(range
            .next_back()
            .transpose()?
            .map(|(_, value)| U256::from_be_bytes(value.value()))
            .unwrap_or_default())
    }

    /// The fee-token rates that priced block `number` (`None` for genesis and unknown blocks).
    pub fn rate_snapshot(&self, number: u64) -> Result<Option<Vec<RateEntry>>, StorageError> {
        self.txn
            .open_table(RATE_SNAPSHOTS)?
            .get(number)?
            .map(|value| decode("rate_snapshots", value.value()))
            .transpose()
    }

    /// Transactions `address` sent or received, newest first, starting strictly before the
    /// position `before` (block, index) when given; at most `limit`.
    pub fn account_transactions(
        &self,
        address: &Address,
        before: Option<(u64, u32)>,
        limit: usize,
    ) -> Result<Vec<(u64, u32, B256)>, StorageError> {
        let table = self.txn.open_table(ACCOUNT_TRANSACTIONS)?;
        let start = account_tx_key(address, 0, 0);
        let end = match before {
            Some((block, index)) => account_tx_key(address, block, index),
            None => account_tx_key(address, u64::MAX, u32::MAX),
        };
        let mut out = Vec::with_capacity(limit.min(1024));
        for entry in table.range(start..end)?.rev() {
            let (key, value) = entry?;
            let key = key.value();
            let block = u64::from_be_bytes(key[20..28].try_into().unwrap_or_default());
            let index = u32::from_be_bytes(key[28..32].try_into().unwrap_or_default());
            if block > self.head {
                continue;
            }
            out.push((block, index, B256::from(value.value())));
            if out.len() == limit {
                break;
            }
        }
        Ok(out)
    }

    /// Code by its hash.
    pub fn code(&self, code_hash: &B256) -> Result<Option<Bytes>, StorageError> {
        Ok(self
            .txn
            .open_table(BYTECODES)?
            .get(code_hash.0)?
            .map(|value| Bytes::copy_from_slice(value.value())))
    }
}

fn missing(hash: &B256) -> StorageError {
    StorageError::Corrupt {
        table: "transactions",
        reason: format!("{hash} is indexed but missing"),
    }
}

/// The table `definition`, opened once per snapshot and kept in `slot`.
fn open_once<'a, K: Key + 'static, V: Value + 'static>(
    txn: &ReadTransaction,
    slot: &'a OnceLock<ReadOnlyTable<K, V>>,
    definition: TableDefinition<K, V>,
) -> Result<&'a ReadOnlyTable<K, V>, StorageError> {
    if let Some(table) = slot.get() {
        return Ok(table);
    }
    let table = txn.open_table(definition)?;
    Ok(slot.get_or_init(|| table))
}
