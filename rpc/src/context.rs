//! What the handlers share.

use std::{sync::Arc, time::Duration};

use alloy_primitives::Address;
use alloy_signer_local::PrivateKeySigner;
use parking_lot::RwLock;
use supervm_consensus::SealerHandle;
use supervm_primitives::{ChainSpec, ExecutedBlock};
use supervm_storage::{Reader, StorageError, Store};
use supervm_txpool::{MinerPolicy, TxPool};
use supervm_vm::ContractRuntime;
use tokio::{
    sync::{broadcast, Semaphore},
    task::JoinError,
};

use crate::RpcError;

/// Handles to the node's parts that the RPC reads from and writes to.
pub struct RpcContext {
    /// The chain specification.
    pub spec: Arc<ChainSpec>,
    /// The chain store (read-only use).
    pub store: Store,
    /// The transaction pool.
    pub pool: Arc<TxPool>,
    /// Asks the dev sealer for blocks (`evm_mine`); `None` when consensus decides blocks.
    pub sealer: Option<SealerHandle>,
    /// How blocks are made here (`dev`, `validator`, `follower`), for error messages.
    pub consensus_mode: &'static str,
    /// The consensus engine's status (`None` in dev mode).
    pub consensus: Option<Arc<supervm_consensus::bft::status::ConsensusStatus>>,
    /// Transactions clients submitted and the pool admitted, raw, for gossip to the other
    /// nodes of a network (no receiver in dev mode).
    pub submitted: broadcast::Sender<alloy_primitives::Bytes>,
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
    /// Bounds on the executions requests ask for (`eth_call`, `eth_estimateGas`).
    pub calls: CallGate,
}

/// Bounds on the executions that serve requests rather than blocks, as geth's `--rpc.gascap`
/// and `--rpc.evmtimeout`: without them one request can hold a core for a whole block's gas
/// and a batch of them can hold every core.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallLimits {
    /// Most gas one execution may use; a request asking for more runs with this much.
    pub gas_cap: u64,
    /// Longest a request waits for its execution; past it the client gets
    /// `execution aborted (timeout = …)`.
    pub timeout: Duration,
    /// Most executions running at once; more wait for a turn (within their timeout).
    pub max_concurrent: usize,
}

/// The [`CallLimits`] in force and the turns they hand out.
#[derive(Debug)]
pub struct CallGate {
    limits: CallLimits,
    turns: Arc<Semaphore>,
}

impl CallGate {
    /// A gate enforcing `limits` (at least one execution at a time).
    pub fn new(limits: CallLimits) -> Self {
        Self {
            limits,
            turns: Arc::new(Semaphore::new(limits.max_concurrent.max(1))),
        }
    }

    /// Most gas one execution may use.
    pub fn gas_cap(&self) -> u64 {
        self.limits.gas_cap
    }
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
    /// Runs an execution for a request like [`Self::read`], within the [`CallLimits`]: it
    /// waits for a turn among at most `max_concurrent`, and the client gets an error when the
    /// answer is not ready within `timeout`. An execution past its timeout still finishes in
    /// the background (bounded by the gas cap) and keeps its turn until then, so a flood of
    /// slow calls costs at most `max_concurrent` threads.
    pub(crate) async fn execute<T, F>(self: &Arc<Self>, f: F) -> Result<T, RpcError>
    where
        T: Send + 'static,
        F: FnOnce(&Self, &Reader) -> Result<T, RpcError> + Send + 'static,
    {
        let timeout = self.calls.limits.timeout;
        let run = async {
            let turn = self
                .calls
                .turns
                .clone()
                .acquire_owned()
                .await
                .map_err(|_| RpcError::Server("the node is shutting down".into()))?;
            self.read(move |ctx, reader| {
                let _turn = turn;
                f(ctx, reader)
            })
            .await
        };
        tokio::time::timeout(timeout, run)
            .await
            .map_err(|_| RpcError::Server(format!("execution aborted (timeout = {timeout:?})")))?
    }

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
