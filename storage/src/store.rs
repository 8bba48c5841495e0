//! Opening the database and handing out writers and readers.

use std::{path::Path, sync::Arc};

use redb::{Database, ReadableDatabase};
use supervm_primitives::{ChainSpec, SealedBlock, StateChanges};

use crate::{tables::*, trie, BlockWriter, Reader, StorageError};

/// A handle to the chain database; cheap to clone and share between threads.
#[derive(Clone, Debug)]
pub struct Store {
    db: Arc<Database>,
}

/// Page cache of a store opened with [`Store::open`]: 256 MiB. redb's own default (1 GiB)
/// lets a node's resident memory grow by a gigabyte as the chain grows.
pub const DEFAULT_CACHE_BYTES: usize = 256 * 1024 * 1024;

impl Store {
    /// Opens (or creates) the database file with the default page cache
    /// ([`DEFAULT_CACHE_BYTES`]); see [`Store::open_with_cache`].
    pub fn open(path: &Path) -> Result<Self, StorageError> {
        Self::open_with_cache(path, DEFAULT_CACHE_BYTES)
    }

    /// Opens (or creates) the database file and makes sure every table exists. The page
    /// cache (read pages and pages written but not yet flushed) holds at most `cache_bytes`,
    /// which bounds how much memory the store takes however large the chain grows.
    ///
    /// redb recovers from an interrupted write by itself on open: the file always reflects the
    /// last completed commit.
    pub fn open_with_cache(path: &Path, cache_bytes: usize) -> Result<Self, StorageError> {
        let db = redb::Builder::new()
            .set_cache_size(cache_bytes)
            .create(path)?;
        let txn = db.begin_write()?;
        txn.open_table(HEADERS)?;
        txn.open_table(CANONICAL_HASHES)?;
        txn.open_table(HEADER_NUMBERS)?;
        txn.open_table(BLOCK_TRANSACTIONS)?;
        txn.open_table(TRANSACTIONS)?;
        txn.open_table(TX_LOCATIONS)?;
        txn.open_table(RECEIPTS)?;
        txn.open_table(ACCOUNTS)?;
        txn.open_table(STORAGE)?;
        txn.open_table(BYTECODES)?;
        txn.open_table(HASHED_ACCOUNTS)?;
        txn.open_table(HASHED_STORAGE)?;
        txn.open_table(ACCOUNT_TRIE)?;
        txn.open_table(STORAGE_TRIE)?;
        txn.open_table(ACCOUNT_HISTORY)?;
        txn.open_table(STORAGE_HISTORY)?;
        txn.open_table(RATE_SNAPSHOTS)?;
        txn.open_table(ACCOUNT_TRANSACTIONS)?;
        txn.open_table(META)?;
        txn.commit()?;
        Ok(Self { db: Arc::new(db) })
    }

    /// Writes the genesis block and `state` (the full genesis state, system contracts
    /// included) if the store is empty; otherwise checks that the store holds the same chain.
    /// Returns the genesis block.
    pub fn init_genesis(
        &self,
        spec: &ChainSpec,
        state: &StateChanges,
    ) -> Result<SealedBlock, StorageError> {
        let genesis = SealedBlock::new(
            spec.genesis_header(trie::root_of_new_state(state)),
            Vec::new(),
        );
        let read = self.db.begin_read()?;
        let stored = read
            .open_table(CANONICAL_HASHES)?
            .get(0)?
            .map(|v| v.value());
        if let Some(stored) = stored {
            let stored_chain_id = read
                .open_table(META)?
                .get(META_CHAIN_ID)?
                .and_then(|v| <[u8; 8]>::try_from(v.value()).ok())
                .map(u64::from_be_bytes);
            if stored_chain_id != Some(spec.chain_id()) {
                return Err(StorageError::ChainIdMismatch {
                    stored: stored_chain_id.unwrap_or(0),
                    expected: spec.chain_id(),
                });
            }
            if stored != genesis.hash.0 {
                return Err(StorageError::GenesisMismatch {
                    stored: stored.into(),
                    expected: genesis.hash,
                });
            }
            return Ok(genesis);
        }
        let mut writer = self.begin_block()?;
        writer.apply_state(0, state)?;
        let root = writer.state_root()?;
        if root != genesis.header.state_root {
            return Err(StorageError::Corrupt {
                table: "hashed_accounts",
                reason: format!(
                    "genesis state root {root} differs from the chain spec's {}",
                    genesis.header.state_root
                ),
            });
        }
        writer.insert_block(&genesis, &[])?;
        writer
            .txn
            .open_table(META)?
            .insert(META_CHAIN_ID, spec.chain_id().to_be_bytes().as_slice())?;
        writer.commit()?;
        Ok(genesis)
    }

    /// Starts the write transaction of the next block. Only one can be open at a time; redb
    /// makes a second caller wait.
    pub fn begin_block(&self) -> Result<BlockWriter, StorageError> {
        Ok(BlockWriter::new(self.db.begin_write()?))
    }

    /// A consistent read-only snapshot of the latest committed state.
    pub fn reader(&self) -> Result<Reader, StorageError> {
        Reader::new(self.db.begin_read()?)
    }
}
