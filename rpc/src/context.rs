//! What the handlers share.

use std::sync::Arc;

use alloy_primitives::Address;
use alloy_signer_local::PrivateKeySigner;
use parking_lot::RwLock;
use supervm_consensus::SealerHandle;
use supervm_primitives::{ChainSpec, ExecutedBlock};
use supervm_storage::{Reader, StorageError, Store};
use supervm_txpool::{MinerPolicy, TxPool};
use supervm_vm::ContractRuntime;
use tokio::{sync::broadcast, task::JoinError};

/// Handles to the node's parts that the RPC reads from and writes to.
pub struct RpcContext {
    /// The chain specification.
    pub spec: Arc<ChainSpec>,
    /// The chain store (read-only use).
    pub store: Store,
    /// The transaction pool.
    pub pool: Arc<TxPool>,
    /// Asks the sealer for blocks (`evm_mine`).
    pub sealer: SealerHandle,
    /// Unlocked development accounts for `eth_sendTransaction` / `eth_accounts`.
    pub signers: Vec<PrivateKeySigner>,
    /// Committed blocks, for subscriptions.
    pub events: broadcast::Sender<Arc<ExecutedBlock>>,
    /// Beneficiary of the next block (for `eth_call` on pending state).
    pub beneficiary: Address,
    /// `web3_clientVersion` answer.
    pub client_version: String,
    /// The miner's fee-token policy, shared with the block builder (`miner_*`).
    pub policy: Arc<RwLock<MinerPolicy>>,
    /// The contract engine and module cache, shared with block building.
    pub contracts: Arc<ContractRuntime>,
}

/// Why a read on the blocking pool gave no answer. JSON-RPC and gRPC each turn it into their own
/// error type (`From<ReadFailure>`), which lets both share [`RpcContext::read`].
#[derive(Debug)]
pub(crate) enum ReadFailure {
    /// The storage snapshot could not be opened.
    Snapshot(StorageError),
    /// The task running the read panicked or was cancelled.
    Task(JoinError),
}

impl RpcContext {
    /// Runs a read against a fresh storage snapshot on the blocking pool, so slow disk reads
    /// never stall the server's async workers. `E` is the caller's error type: `RpcError` for
    /// JSON-RPC handlers, `tonic::Status` for gRPC ones.
    pub(crate) async fn read<T, E, F>(self: &Arc<Self>, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<ReadFailure> + Send + 'static,
        F: FnOnce(&Self, &Reader) -> Result<T, E> + Send + 'static,
    {
        let ctx = self.clone();
        tokio::task::spawn_blocking(move || {
            let reader = ctx.store.reader().map_err(ReadFailure::Snapshot)?;
            f(&ctx, &reader)
        })
        .await
        .map_err(ReadFailure::Task)?
    }
}
