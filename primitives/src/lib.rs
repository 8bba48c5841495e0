//! # supervm-primitives
//!
//! The vocabulary every other SuperVM crate speaks: transactions, headers, blocks, receipts,
//! accounts, the chain specification, and the addresses and Solidity interfaces of the system
//! contracts ([`system`]). Types only — this crate does no I/O.
//!
//! ## Data flow
//!
//! ```text
//! raw bytes --decode--> TxEnvelope --recover--> RecoveredTx --(vm)--> StoredReceipt
//!                                                              \--> Block { Header, txs }
//! genesis JSON --parse--> ChainSpec --(storage)--> genesis block + state
//! ```
//!
//! ## Invariants
//!
//! - Headers are Ethereum headers ([`alloy_consensus::Header`]); a block hash is always
//!   `keccak256(rlp(header))`, so any Ethereum tool can verify it.
//! - Transactions are EIP-2718 envelopes built on alloy's transaction types; the wire encoding,
//!   the signing hash and the transaction hash are exactly Ethereum's.
//! - Every amount is an integer (`U256`, `u128`, `u64`); nothing here uses floating point.
#![deny(clippy::unwrap_used, clippy::indexing_slicing)] // Reads untrusted input: no panics.

pub mod account;
pub mod block;
pub mod chain_spec;
pub mod cip64;
pub mod fee_token;
pub mod receipt;
pub mod state;
pub mod system;
pub mod transaction;
pub mod validators;

pub use account::Account;
pub use alloy_consensus::{Header, Sealed};
pub use alloy_primitives::{Address, Bloom, Bytes, Log, B256, U256};
pub use block::{transactions_root, ExecutedBlock, SealedBlock};
pub use chain_spec::{ChainSpec, ChainSpecError, GenesisRate, GenesisToken, OracleConfig};
pub use cip64::{TxCip64, CIP64_TX_TYPE};
pub use fee_token::FeeToken;
pub use receipt::{receipts_root, StoredReceipt};
pub use state::{RateEntry, StateChanges};
pub use transaction::{recover_all, RecoveredTx, TxDecodeError, TxEnvelope, TxType};
pub use validators::ConsensusGenesis;
