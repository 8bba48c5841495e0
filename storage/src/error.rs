//! Storage errors.

/// What can go wrong reading or writing the store.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// redb reported an error (I/O, corruption detected by redb, transaction misuse).
    #[error("database error: {0}")]
    Database(#[from] redb::Error),
    /// A stored value could not be decoded; the store was written by something else.
    #[error("corrupt {table} entry: {reason}")]
    Corrupt {
        /// The table holding the bad entry.
        table: &'static str,
        /// What was wrong with it.
        reason: String,
    },
    /// The store belongs to a different chain than the one being opened.
    #[error("data directory holds chain with genesis {stored}, but the chain spec has genesis {expected}; use another --data-dir")]
    GenesisMismatch {
        /// Genesis hash found in the store.
        stored: alloy_primitives::B256,
        /// Genesis hash of the spec being opened.
        expected: alloy_primitives::B256,
    },
    /// The store was created for another chain id.
    #[error("data directory holds chain id {stored}, but chain id {expected} was requested; use another --data-dir")]
    ChainIdMismatch {
        /// Chain id found in the store (0 if none was recorded).
        stored: u64,
        /// Chain id requested.
        expected: u64,
    },
}

macro_rules! from_redb {
    ($($ty:ty),*) => {$(
        impl From<$ty> for StorageError {
            fn from(err: $ty) -> Self {
                Self::Database(err.into())
            }
        }
    )*};
}

from_redb!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);
