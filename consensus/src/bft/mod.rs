//! The multi-validator engine's building blocks on commonware: how a block is named
//! ([`Digest`]) and carried ([`Block`]). Every commonware type stays inside this module, so
//! a commonware release that changes its API changes only here.

mod app;
mod block;
mod digest;
pub mod engine;
mod execution;
pub mod gossip;
pub mod keys;
pub mod network;
pub mod status;

pub use app::{App, MAX_CLOCK_DRIFT};
pub use block::{Block, BlockCodec, KnownSenders};
pub use digest::Digest;
pub use execution::{BlockExecution, ExecutionError};
pub use gossip::TxImport;
