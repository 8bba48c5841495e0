//! # supervm-rpc
//!
//! The Ethereum JSON-RPC API (`eth`, `net`, `web3`, the `evm` dev controls) and the `supervm`
//! namespace (fee tokens, system contracts), `txpool` and the admin `miner` namespace over HTTP and
//! WebSocket on one port, served by jsonrpsee.
//!
//! ## Data flow
//!
//! ```text
//! client ──HTTP/WS──► accept loop ──► jsonrpsee ──► metrics middleware ──► namespace handlers
//!   accept loop (connections.rs): per-IP cap, WebSocket cap, idle WebSocket sessions closed
//!   reads:   handler ──spawn_blocking──► storage::Reader snapshot ──convert──► alloy RPC types
//!   writes:  eth_sendRawTransaction ──decode, recover──► TxPool::add ──► sealer mines it
//!   streams: chain events (broadcast) ──► eth_subscribe sinks;  filters poll the store
//! ```
//!
//! ## Invariants
//!
//! - Handlers are thin: validation lives in the pool and the VM, fee math in the gas crate.
//! - Every answer about state or blocks comes from one storage snapshot, so a response never
//!   mixes two heads.
//! - Bad input never panics: it becomes a JSON-RPC error whose message names the problem
//!   (geth's exact wording where geth has one).

#![deny(clippy::unwrap_used, clippy::indexing_slicing)] // Reads untrusted requests: no panics.

mod block_id;
mod connections;
mod context;
mod convert;
mod dev;
mod error;
mod eth;
mod filters;
pub mod grpc;
mod metrics;
mod net;
mod pubsub;
mod rates;
mod request_shape;
mod server;
mod supervm;
mod tokens;
mod txpool;

pub use context::{CallGate, CallLimits, RpcContext};
pub use error::RpcError;
pub use filters::LogLimits;
pub use metrics::RpcMetrics;
pub use server::{start, RpcServer, RpcServerConfig};
