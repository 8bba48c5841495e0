//! The chain: builds blocks from the pool, commits them, and announces them.

use std::{
    collections::{BTreeMap, BTreeSet, HashSet},
    sync::Arc,
    time::Instant,
};

use alloy_consensus::{Header, Transaction};
use alloy_primitives::{Address, B256};
use parking_lot::{Mutex, RwLock};
use supervm_consensus::{Decided, ExecutionClient};
use supervm_primitives::{ChainSpec, ExecutedBlock, RateEntry, RecoveredTx, SealedBlock};
use supervm_storage::{BlockWriter, StorageError, Store};
use supervm_txpool::{BlockFilter, MinerPolicy, PoolEnv, PooledTx, TxPool};
use supervm_vm::{
    BlockEnv, BlockExecutor, ContractRuntime, InvalidTx, PendingState, RateSnapshot, StateError,
    StateReader, StoreState,
};
use tokio::sync::broadcast;

use crate::{
    block_exec::{execute_transactions, seal_block, ExecutedTxs},
    metrics::NodeMetrics,
    pending::PendingTree,
};

/// Why a block could not be built or committed.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// State could not be read during execution.
    #[error(transparent)]
    State(#[from] StateError),
    /// The head block is missing from the store.
    #[error("head block {0} is missing from the store")]
    MissingHead(u64),
}

/// A built block whose state is written but not yet committed.
pub struct Proposal {
    executed: ExecutedBlock,
    rates: Vec<RateEntry>,
    writer: BlockWriter,
    invalid: Vec<(B256, InvalidTx)>,
    started: Instant,
}

/// Block production and commit for a single node.
pub struct Chain {
    pub(crate) spec: Arc<ChainSpec>,
    pub(crate) store: Store,
    pub(crate) pool: Arc<TxPool>,
    pub(crate) beneficiary: Address,
    pub(crate) events: broadcast::Sender<Arc<ExecutedBlock>>,
    pub(crate) metrics: Arc<NodeMetrics>,
    /// The miner's fee-token policy (changed at runtime by `miner_*`).
    pub(crate) policy: Arc<RwLock<MinerPolicy>>,
    /// Runs the block's transactions (in parallel when it has the threads).
    pub(crate) executor: BlockExecutor,
    /// The contract engine and module cache.
    pub(crate) contracts: Arc<ContractRuntime>,
    /// Executed, unfinalized blocks (BFT modes; empty under the dev sealer). Its lock
    /// serializes building on, validating and finalizing them.
    pub(crate) pending: Mutex<PendingTree>,
    /// The genesis block (every engine starts from it).
    pub(crate) genesis: SealedBlock,
    /// How many transactions a BFT proposal may hold so it executes within its time budget
    /// (unlimited under the dev sealer).
    pub(crate) proposal_size: crate::proposal_size::ProposalSize,
}

impl Chain {
    /// The stored head: its number and hash (with a BFT engine, the last finalized block).
    pub fn finalized_head(&self) -> Result<(u64, B256), ChainError> {
        let reader = self.store.reader()?;
        let head = reader.head_number();
        let hash = reader
            .block_hash(head)?
            .ok_or(ChainError::MissingHead(head))?;
        Ok((head, hash))
    }

    fn build(&self, timestamp: u64) -> Result<Proposal, ChainError> {
        let started = Instant::now();
        let reader = self.store.reader()?;
        let head = reader.head_number();
        let parent = reader.header(head)?.ok_or(ChainError::MissingHead(head))?;
        let parent_hash = reader
            .block_hash(head)?
            .ok_or(ChainError::MissingHead(head))?;
        let state = StoreState::new(&reader, head);
        let env = self.env_on(&parent, &state, timestamp, self.beneficiary)?;
        let (candidates, mut executed) =
            self.pick_and_execute(&env, &state, &HashSet::new(), usize::MAX)?;
        let invalid = first_failures(&candidates, std::mem::take(&mut executed.invalid));
        let transactions = included(&candidates, &executed);
        drop(reader);
        let mut writer = self.store.begin_block()?;
        writer.apply_state(env.number, &executed.changes)?;
        let state_root = writer.state_root()?;
        let block = seal_block(
            &env,
            parent_hash,
            state_root,
            transactions,
            &executed.receipts,
        );
        let executed = ExecutedBlock {
            block,
            receipts: executed.receipts,
        };
        Ok(Proposal {
            rates: rate_entries(&env),
            executed,
            writer,
            invalid,
            started,
        })
    }

    /// The environment of the block after `parent`, whose post-state `state` is: the rates
    /// it prices fees at are the oracle's as of that state.
    pub(crate) fn env_on(
        &self,
        parent: &Header,
        state: &impl StateReader,
        timestamp: u64,
        beneficiary: Address,
    ) -> Result<BlockEnv, ChainError> {
        let rates = Arc::new(RateSnapshot::read(&mut PendingState::new(state))?);
        Ok(BlockEnv::next(
            &self.spec,
            parent,
            timestamp,
            beneficiary,
            rates,
            self.contracts.clone(),
        ))
    }

    /// Selects the block's transactions from the pool under the miner policy (skipping
    /// `exclude`, transactions already in the parent's unfinalized ancestors) and executes
    /// them on `state`. Returns the candidates and their execution.
    ///
    /// Selection filtered on the fee token resolved at admission; execution may charge
    /// another (a preference set earlier in the same block). Transactions whose charged
    /// token the policy refuses wait, with their sender's later nonces, and the block is
    /// executed again without them — rarely more than once, and at most once per refusal.
    pub(crate) fn pick_and_execute<R: StateReader + Sync>(
        &self,
        env: &BlockEnv,
        state: &R,
        exclude: &HashSet<B256>,
        max_txs: usize,
    ) -> Result<(Vec<Arc<PooledTx>>, ExecutedTxs), ChainError> {
        let policy = self.policy.read().clone();
        let mut candidates = self.select(env, &policy, exclude, max_txs);
        loop {
            let txs: Vec<&RecoveredTx> = candidates.iter().map(|pooled| &pooled.tx).collect();
            let executed = execute_transactions(&self.executor, env, &txs, state)?;
            let refused = refused_by_policy(&policy, env, &candidates, &executed);
            if refused.is_empty() {
                return Ok((candidates, executed));
            }
            candidates = without_refused(candidates, &refused);
        }
    }

    /// Picks the block's transactions from the pool, best tip first. Each reserves its full
    /// gas limit (the block is executed in parallel after selection, so gas used is not known
    /// yet); a transaction that does not fit, or that the miner's policy refuses, waits with
    /// its sender's later nonces. Transactions in `exclude` are passed over; their senders'
    /// later nonces still compete. At most `max_txs` are picked.
    fn select(
        &self,
        env: &BlockEnv,
        policy: &MinerPolicy,
        exclude: &HashSet<B256>,
        max_txs: usize,
    ) -> Vec<Arc<PooledTx>> {
        let mut filter = BlockFilter::new(policy, env.gas_limit, env.base_fee);
        let mut reserved = 0u64;
        let mut selected = Vec::new();
        let mut best = self.pool.best(env.base_fee);
        while let Some(pooled) = best.next() {
            if selected.len() >= max_txs {
                break;
            }
            if exclude.contains(&pooled.hash) {
                continue;
            }
            let gas_limit = pooled.tx.tx.gas_limit();
            if reserved.saturating_add(gas_limit) > env.gas_limit {
                best.mark_invalid(&pooled);
                continue;
            }
            if let Err(skip) = filter.check(&pooled, pooled.fee_token) {
                tracing::debug!(hash = %pooled.hash, ?skip, "transaction left pending by miner policy");
                best.mark_invalid(&pooled);
                continue;
            }
            reserved += gas_limit;
            filter.record(pooled.fee_token, gas_limit);
            selected.push(pooled);
        }
        selected
    }

    fn commit(&self, proposal: Proposal) -> Result<Decided, ChainError> {
        let Proposal {
            executed,
            rates,
            mut writer,
            invalid,
            started,
        } = proposal;
        writer.insert_block(&executed.block, &executed.receipts)?;
        writer.insert_rate_snapshot(executed.block.number(), &rates)?;
        writer.commit()?;
        self.announce(Arc::new(executed), invalid, started)
    }

    /// After a block's commit: the pool forgets its transactions (and `invalid` ones), is
    /// revalidated against the new head, and subscribers hear of the block.
    pub(crate) fn announce(
        &self,
        executed: Arc<ExecutedBlock>,
        invalid: Vec<(B256, InvalidTx)>,
        started: Instant,
    ) -> Result<Decided, ChainError> {
        let number = executed.block.number();
        let included: Vec<B256> = executed
            .block
            .transactions
            .iter()
            .map(RecoveredTx::hash)
            .collect();
        self.pool.remove(&included);
        self.pool.reject(invalid);
        let reader = self.store.reader()?;
        let head = reader.head_number();
        let env = PoolEnv::next_block(&self.spec, &reader)?;
        self.pool.on_new_head(&StoreState::new(&reader, head), env);
        self.metrics
            .record_block(number, included.len(), started.elapsed());
        tracing::info!(
            number,
            hash = %executed.block.hash,
            transactions = included.len(),
            gas_used = executed.block.header.gas_used,
            "block committed"
        );
        // No subscriber is fine: the block is committed either way.
        let _ = self.events.send(executed);
        Ok(Decided {
            number,
            transactions: included.len(),
        })
    }
}

/// The sender's first failure is the transaction's own fault; its later nonces failed only
/// because of it and stay pending.
pub(crate) fn first_failures(
    candidates: &[Arc<PooledTx>],
    invalid: Vec<(usize, InvalidTx)>,
) -> Vec<(B256, InvalidTx)> {
    let mut failed_senders = BTreeSet::new();
    invalid
        .into_iter()
        .filter(|(index, _)| failed_senders.insert(candidates[*index].tx.sender))
        .map(|(index, err)| (candidates[index].hash, err))
        .collect()
}

/// The candidates execution included, in block order.
pub(crate) fn included(candidates: &[Arc<PooledTx>], executed: &ExecutedTxs) -> Vec<RecoveredTx> {
    executed
        .included
        .iter()
        .map(|index| candidates[*index].tx.clone())
        .collect()
}

/// The rates a block priced fees at, as stored with it.
pub(crate) fn rate_entries(env: &BlockEnv) -> Vec<RateEntry> {
    env.rates
        .iter()
        .map(|(token, rate)| RateEntry {
            token: *token,
            numerator: rate.numerator(),
            denominator: rate.denominator(),
        })
        .collect()
}

/// The included transactions whose fee, as execution charged it, the policy refuses (token
/// not accepted, tip below its minimum, share cap reached), by index into `candidates`.
fn refused_by_policy(
    policy: &MinerPolicy,
    env: &BlockEnv,
    candidates: &[Arc<PooledTx>],
    executed: &ExecutedTxs,
) -> Vec<usize> {
    let mut filter = BlockFilter::new(policy, env.gas_limit, env.base_fee);
    let mut refused = Vec::new();
    for (&index, receipt) in executed.included.iter().zip(&executed.receipts) {
        let pooled = &candidates[index];
        match filter.check(pooled, receipt.fee_token) {
            Ok(()) => filter.record(receipt.fee_token, pooled.tx.tx.gas_limit()),
            Err(skip) => {
                tracing::debug!(hash = %pooled.hash, ?skip, "transaction left pending by miner policy after execution");
                refused.push(index);
            }
        }
    }
    refused
}

/// `candidates` without the refused transactions and their senders' later nonces, which
/// cannot be included without them.
fn without_refused(candidates: Vec<Arc<PooledTx>>, refused: &[usize]) -> Vec<Arc<PooledTx>> {
    let mut first_refused: BTreeMap<Address, u64> = BTreeMap::new();
    for &index in refused {
        let pooled = &candidates[index];
        let nonce = first_refused.entry(pooled.tx.sender).or_insert(u64::MAX);
        *nonce = (*nonce).min(pooled.nonce());
    }
    candidates
        .into_iter()
        .filter(|pooled| {
            first_refused
                .get(&pooled.tx.sender)
                .is_none_or(|first| pooled.nonce() < *first)
        })
        .collect()
}

impl ExecutionClient for Chain {
    type Proposal = Proposal;
    type Error = ChainError;

    fn propose(&self, timestamp: u64) -> Result<Proposal, ChainError> {
        self.build(timestamp)
    }

    fn transaction_count(proposal: &Proposal) -> usize {
        proposal.executed.block.transactions.len()
    }

    fn decide(&self, proposal: Proposal) -> Result<Decided, ChainError> {
        self.commit(proposal)
    }
}
