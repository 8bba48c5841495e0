//! # supervm-storage
//!
//! Persistent chain data on [redb]: blocks, transactions, receipts, the current state, the
//! history of every state change, and the hashed state the state root is computed from.
//!
//! ## Data flow
//!
//! ```text
//!             StateChanges + SealedBlock + receipts
//! node ──► BlockWriter ──(one redb write transaction)──► commit ──► new head visible
//!                 │ apply_state → state_root → insert_block
//! rpc  ◄── Reader (a redb read snapshot: never blocks the writer, never sees half a block)
//! ```
//!
//! ## Invariants
//!
//! - A block, its receipts, its indexes and its state changes are committed in **one** write
//!   transaction together with the new head pointer. A crash leaves either the previous head
//!   with its complete state or the new one, never a mix (see `docs/storage.md`).
//! - Every table is declared in [`tables`]; nothing else opens a table by name.
//! - `HashedAccounts` / `HashedStorage` mirror `Accounts` / `Storage` under keccak keys: the
//!   leaves of the state trie. `AccountTrie` / `StorageTrie` hold its branch nodes and always
//!   match the committed leaves (they are written in the same transaction), so a block's root
//!   rebuilds only the paths of the keys it changed (see [`trie`]).
//! - History tables record the value of every changed account and slot *after* each block,
//!   so state can be read at any committed block number.

mod codec;
mod error;
pub mod reader;
mod store;
pub mod tables;
pub mod trie;
mod writer;

pub use error::StorageError;
pub use reader::{Reader, TxLocation};
pub use store::{Store, DEFAULT_CACHE_BYTES};
pub use writer::BlockWriter;
