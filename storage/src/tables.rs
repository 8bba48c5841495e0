//! Every redb table of the store, declared in one place (as reth's `tables` module does).
//!
//! Keys are fixed-size byte arrays or big-endian integers so that redb's ordering is the
//! natural one: by block number, by address then block, by hashed key for the trie walk. Trie
//! node paths are variable-length byte strings whose order is the trie's depth-first order.

use redb::TableDefinition;

/// Block number → RLP-encoded Ethereum header.
pub const HEADERS: TableDefinition<u64, &[u8]> = TableDefinition::new("headers");
/// Block number → block hash (canonical chain).
pub const CANONICAL_HASHES: TableDefinition<u64, [u8; 32]> =
    TableDefinition::new("canonical_hashes");
/// Block hash → block number.
pub const HEADER_NUMBERS: TableDefinition<[u8; 32], u64> = TableDefinition::new("header_numbers");
/// Block number → concatenated 32-byte hashes of the block's transactions, in order.
pub const BLOCK_TRANSACTIONS: TableDefinition<u64, &[u8]> =
    TableDefinition::new("block_transactions");
/// Transaction hash → 20-byte sender followed by the EIP-2718 encoding.
pub const TRANSACTIONS: TableDefinition<[u8; 32], &[u8]> = TableDefinition::new("transactions");
/// Transaction hash → (block number, index in block).
pub const TX_LOCATIONS: TableDefinition<[u8; 32], (u64, u32)> =
    TableDefinition::new("tx_locations");
/// Transaction hash → RLP-encoded [`supervm_primitives::StoredReceipt`].
pub const RECEIPTS: TableDefinition<[u8; 32], &[u8]> = TableDefinition::new("receipts");
/// Address → RLP-encoded [`supervm_primitives::Account`] (current state).
pub const ACCOUNTS: TableDefinition<[u8; 20], &[u8]> = TableDefinition::new("accounts");
/// Address ‖ slot → 32-byte big-endian value (current state; zero slots are absent).
pub const STORAGE: TableDefinition<[u8; 52], [u8; 32]> = TableDefinition::new("storage");
/// Code hash → code.
pub const BYTECODES: TableDefinition<[u8; 32], &[u8]> = TableDefinition::new("bytecodes");
/// keccak256(address) → RLP-encoded trie account (nonce, balance, storage root, code hash).
pub const HASHED_ACCOUNTS: TableDefinition<[u8; 32], &[u8]> =
    TableDefinition::new("hashed_accounts");
/// keccak256(address) ‖ keccak256(slot) → 32-byte big-endian value.
pub const HASHED_STORAGE: TableDefinition<[u8; 64], [u8; 32]> =
    TableDefinition::new("hashed_storage");
/// Nibble path (one byte per nibble) → branch node of the account trie: its child masks and
/// the reference (hash or short node) of every child. Holds exactly the branches with a branch
/// child of the trie over [`HASHED_ACCOUNTS`], so a block's root rebuilds only the branches on
/// its changed keys' paths (see [`crate::trie`]). One byte per nibble makes key order the
/// trie's depth-first order.
pub const ACCOUNT_TRIE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("account_trie");
/// keccak256(address) ‖ nibble path → branch node of that account's storage trie, in the same
/// form as [`ACCOUNT_TRIE`]: exactly the branches with a branch child of the trie over the
/// address's [`HASHED_STORAGE`] rows, so a contract with a million slots rebuilds only changed
/// paths.
pub const STORAGE_TRIE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("storage_trie");
/// Address ‖ block number (big-endian) → account after that block; empty value = no account.
pub const ACCOUNT_HISTORY: TableDefinition<[u8; 28], &[u8]> =
    TableDefinition::new("account_history");
/// Address ‖ slot ‖ block number (big-endian) → slot value after that block.
pub const STORAGE_HISTORY: TableDefinition<[u8; 60], [u8; 32]> =
    TableDefinition::new("storage_history");
/// Address ‖ block number ‖ index in block (big-endian) → hash of a transaction the address
/// sent or received: the per-account history, newest last, built at commit time.
pub const ACCOUNT_TRANSACTIONS: TableDefinition<[u8; 32], [u8; 32]> =
    TableDefinition::new("account_transactions");
/// Block number → RLP list of the fee-token rates that priced that block.
pub const RATE_SNAPSHOTS: TableDefinition<u64, &[u8]> = TableDefinition::new("rate_snapshots");
/// Singleton values: the head block number and the chain id (the genesis hash is entry 0 of
/// [`CANONICAL_HASHES`]).
pub const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

/// [`META`] key of the canonical head block number (8 bytes, big-endian).
pub const META_HEAD: &str = "head";
/// [`META`] key of the chain id the store was created for (8 bytes, big-endian).
pub const META_CHAIN_ID: &str = "chain_id";
