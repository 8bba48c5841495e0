//! # supervm-node
//!
//! Wiring: turns a [`NodeConfig`] into a running node — store, pool, chain, sealer, JSON-RPC
//! and metrics servers — and stops it cleanly.
//!
//! ## Data flow
//!
//! ```text
//! NodeConfig ──► Store::open + init_genesis ──► Chain (builder + commit) ◄── DevSealer
//!                                   │                 │ events (new blocks)
//!                 TxPool ◄── rpc ◄──┴─────────────────┘
//! ```
//!
//! ## Invariants
//!
//! - The node owns every task it starts; [`Node::stop`] ends them all and waits for them, so
//!   the store is closed before `stop` returns.
//! - A block is announced (events, subscriptions) only after its commit returned.

mod bench_client;
mod bench_tx;
pub mod block_exec;
mod chain;
pub mod config;
mod dev_accounts;
pub mod exec_bench;
pub mod finality;
mod launch;
mod metrics;
mod network;
pub mod network_bench;
pub mod pending;
mod proposal_size;
pub mod rpc_bench;
pub mod soak;
pub mod testnet;

pub use chain::{Chain, ChainError};
pub use config::NodeConfig;
pub use dev_accounts::{derive_dev_accounts, DevAccount};
pub use launch::{Node, NodeError};
pub use network::mode_name;
