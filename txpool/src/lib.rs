//! # supervm-txpool
//!
//! Transactions waiting for a block: admission, per-sender nonce ordering, replacement, and
//! the "best transactions" order the block builder consumes.
//!
//! ## Data flow
//!
//! ```text
//! eth_sendRawTransaction ──precheck (no sender, no state) ──recover──► add (head state)
//!        │                        ▲ PoolEnv (lock-free)              │ journal, notify
//! block builder ◄── TxPool::best(base_fee): highest tip first, nonce order per sender
//! new head ──► TxPool::on_new_head(PoolEnv of the next block): drop mined / stale nonces,
//!              revalidate fee payment, compact the journal
//! miner policy ──► BlockFilter: accepted tokens, minimum tips, share caps (others wait)
//! start ──► TxPool::restore_journal (survive restarts)
//! ```
//!
//! ## Invariants
//!
//! - A sender's transactions are ordered by nonce; only those contiguous from the sender's
//!   state nonce are *pending* (minable); the rest are *queued* until the gap fills.
//! - At most one transaction per (sender, nonce); replacing it needs a fee bump
//!   ([`PoolConfig::price_bump_percent`]).
//! - Every transaction in the pool passed validation against some head state; it is checked
//!   again at execution, so a stale one is skipped, never included invalid.
#![deny(clippy::unwrap_used, clippy::indexing_slicing)] // Reads untrusted input: no panics.

mod best;
mod config;
mod env;
mod error;
pub mod journal;
pub mod policy;
mod pool;
mod validate;

pub use best::BestTransactions;
pub use config::PoolConfig;
pub use env::PoolEnv;
pub use error::PoolError;
pub use journal::Journal;
pub use policy::{AcceptedTokens, BlockFilter, MinerPolicy, Skip};
pub use pool::{DropReason, DroppedTx, PoolContent, PoolCounts, PooledTx, Restored, TxPool};
