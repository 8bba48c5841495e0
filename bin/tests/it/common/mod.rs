//! Shared helpers for the end-to-end tests.
//!
//! Every test gets its own node on 127.0.0.1 with OS-assigned ports and its own temporary data
//! directory. Waits are bounded by generous timeouts so that a broken node fails a test instead
//! of hanging it; nothing here asserts on timing.
//!
//! - [`node`]: launching nodes (in-process or the `supervm` binary);
//! - [`rpc`]: a raw JSON-RPC client and JSON parsing;
//! - [`ws`]: a raw JSON-RPC client over WebSocket, for subscriptions;
//! - [`tx`]: building and signing transactions, CIP-64 (type 0x7b) included;
//! - [`abi`]: the Solidity interfaces of the system contracts, through alloy's `sol!`;
//! - [`genesis`]: the dev genesis' tokens and system contracts, and custom genesis files;
//! - [`fees`]: fee amounts recomputed from the rules, and the checks of fee-token payments.

pub mod abi;
pub mod fees;
pub mod genesis;
pub mod node;
pub mod rpc;
pub mod tx;
pub mod ws;

use std::time::Duration;

pub use abi::*;
pub use alloy::{
    consensus::{
        SignableTransaction, Signed, Transaction as _, TxEip1559, TxEip2930, TxEnvelope, TxLegacy,
    },
    eips::{
        eip2718::Encodable2718,
        eip2930::{AccessList, AccessListItem},
        BlockId, BlockNumberOrTag,
    },
    network::{
        Ethereum, EthereumWallet, ReceiptResponse as _, TransactionBuilder,
        TransactionResponse as _,
    },
    primitives::{address, keccak256, Address, Bytes, Signature, TxKind, B256, U256},
    providers::{DynProvider, Provider, ProviderBuilder, RootProvider, WsConnect},
    rpc::types::{Block, Filter, Transaction, TransactionReceipt, TransactionRequest},
    signers::{local::PrivateKeySigner, SignerSync},
    transports::http::reqwest,
};
pub use fees::*;
pub use genesis::*;
pub use node::*;
pub use rpc::*;
pub use serde_json::{json, Value};
pub use supervm_node::NodeConfig;
pub use tx::*;
pub use ws::*;

/// Chain id of the development chain.
pub const CHAIN_ID: u64 = 31337;
/// One gwei in wei.
pub const GWEI: u128 = 1_000_000_000;
/// Block gas limit of the development genesis.
pub const BLOCK_GAS_LIMIT: u64 = 30_000_000;
/// Base fee of the development genesis block.
pub const GENESIS_BASE_FEE: u64 = 1_000_000_000;

/// How long to wait for anything (a receipt, a block, a process start) before failing.
pub const TIMEOUT: Duration = Duration::from_secs(30);
