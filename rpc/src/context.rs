//! What the handlers share.

use std::sync::Arc;

use alloy_primitives::Address;
use alloy_signer_local::PrivateKeySigner;
use parking_lot::RwLock;
use supervm_consensus::SealerHandle;
use supervm_primitives::{ChainSpec, ExecutedBlock};
use supervm_storage::{Reader, Store};
use supervm_txpool::{MinerPolicy, TxPool};
use supervm_vm::ContractRuntime;
use tokio::sync::broadcast;

use crate::RpcError;

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

impl RpcContext {
    /// Runs a read against a fresh storage snapshot on the blocking pool, so slow disk reads
    /// never stall the server's async workers.
    pub(crate) async fn read<T, F>(self: &Arc<Self>, f: F) -> Result<T, RpcError>
    where
        T: Send + 'static,
        F: FnOnce(&Self, &Reader) -> Result<T, RpcError> + Send + 'static,
    {
        let ctx = self.clone();
        tokio::task::spawn_blocking(move || {
            let reader = ctx.store.reader()?;
            f(&ctx, &reader)
        })
        .await
        .map_err(|err| RpcError::Internal(format!("read task failed: {err}")))?
    }
}
