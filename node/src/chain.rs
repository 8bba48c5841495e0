//! The chain: builds blocks from the pool, commits them, and announces them.

use std::{sync::Arc, time::Instant};

use alloy_consensus::{Header, Typed2718, EMPTY_OMMER_ROOT_HASH};
use alloy_primitives::{Address, Bloom, B256};
use parking_lot::RwLock;
use supervm_consensus::{Decided, ExecutionClient};
use supervm_gas::next_block_base_fee;
use supervm_primitives::{
    receipts_root, transactions_root, ChainSpec, ExecutedBlock, RateEntry, RecoveredTx,
    SealedBlock, StoredReceipt,
};
use supervm_storage::{BlockWriter, StorageError, Store};
use supervm_txpool::{BlockFilter, Journal, MinerPolicy, PoolEnv, TxPool};
use supervm_vm::{
    execute_tx, BlockEnv, InvalidTx, Message, PendingState, RateSnapshot, StoreState,
};
use tokio::sync::broadcast;

use crate::metrics::NodeMetrics;

/// Why a block could not be built or committed.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The head block is missing from the store.
    #[error("head block {0} is missing from the store")]
    MissingHead(u64),
}

/// A built block whose state is written but not yet committed.
pub struct Proposal {
    executed: ExecutedBlock,
    rates: Vec<RateEntry>,
    writer: BlockWriter,
    invalid: Vec<(B256, String)>,
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
    /// Where pool transactions are kept across restarts.
    pub(crate) journal: Arc<Journal>,
}

impl Chain {
    /// The environment of the block after `parent`, with the fee-token `rates` read from the
    /// parent's final state.
    pub fn next_block_env(
        spec: &ChainSpec,
        parent: &Header,
        timestamp: u64,
        beneficiary: Address,
        rates: Arc<RateSnapshot>,
    ) -> BlockEnv {
        BlockEnv {
            number: parent.number + 1,
            timestamp: timestamp.max(parent.timestamp + 1),
            beneficiary,
            base_fee: next_block_base_fee(spec, parent),
            gas_limit: spec.gas_limit(),
            base_fee_recipient: spec.base_fee_recipient(),
            rates,
        }
    }

    fn build(&self, timestamp: u64) -> Result<Proposal, ChainError> {
        let started = Instant::now();
        let reader = self.store.reader()?;
        let head = reader.head_number();
        let parent = reader.header(head)?.ok_or(ChainError::MissingHead(head))?;
        let parent_hash = reader
            .block_hash(head)?
            .ok_or(ChainError::MissingHead(head))?;
        let mut state = PendingState::new(StoreState::new(&reader, head));
        let rates = Arc::new(RateSnapshot::read(&mut state).map_err(|e| ChainError::Storage(e.0))?);
        let env = Self::next_block_env(&self.spec, &parent, timestamp, self.beneficiary, rates);
        let mut transactions: Vec<RecoveredTx> = Vec::new();
        let mut receipts: Vec<StoredReceipt> = Vec::new();
        let mut invalid = Vec::new();
        let mut gas_used = 0u64;
        let policy = self.policy.read().clone();
        let mut filter = BlockFilter::new(&policy, env.gas_limit, env.base_fee);
        let mut best = self.pool.best(env.base_fee);
        while let Some(pooled) = best.next() {
            let msg = Message::from_tx(&pooled.tx);
            if gas_used.saturating_add(msg.gas_limit) > env.gas_limit {
                // Does not fit; the sender's later nonces cannot go before it.
                best.mark_invalid(&pooled);
                continue;
            }
            if let Err(skip) = filter.check(&pooled) {
                // Not for this miner: it stays pending for one who accepts it.
                tracing::debug!(hash = %pooled.hash, ?skip, "transaction left pending by miner policy");
                best.mark_invalid(&pooled);
                continue;
            }
            match execute_tx(&env, &msg, &mut state) {
                Ok(outcome) => {
                    gas_used += outcome.gas_used;
                    filter.record(outcome.fee_token, outcome.gas_used);
                    receipts.push(StoredReceipt {
                        tx_type: pooled.tx.tx.ty(),
                        success: outcome.success,
                        cumulative_gas_used: gas_used,
                        gas_used: outcome.gas_used,
                        effective_gas_price: outcome.effective_gas_price,
                        logs: outcome.logs,
                        fee_token: outcome.fee_token.unwrap_or_default(),
                        fee_paid: outcome.settlement.paid(),
                    });
                    transactions.push(pooled.tx.clone());
                }
                Err(InvalidTx::State(err)) => return Err(ChainError::Storage(err.0)),
                Err(err) => {
                    best.mark_invalid(&pooled);
                    invalid.push((pooled.hash, err.to_string()));
                }
            }
        }
        // End of block: the oracle aggregates its feeds; the result prices the next block.
        supervm_vm::system::oracle::end_block(&mut state, env.timestamp)
            .map_err(|e| ChainError::Storage(e.0))?;
        let changes = state.into_changes();
        drop(reader);
        let mut writer = self.store.begin_block()?;
        writer.apply_state(env.number, &changes)?;
        let state_root = writer.state_root()?;
        let logs_bloom = receipts.iter().fold(Bloom::ZERO, |mut bloom, r| {
            bloom.accrue_bloom(&r.bloom());
            bloom
        });
        let header = Header {
            parent_hash,
            ommers_hash: EMPTY_OMMER_ROOT_HASH,
            beneficiary: env.beneficiary,
            state_root,
            transactions_root: transactions_root(&transactions),
            receipts_root: receipts_root(&receipts),
            logs_bloom,
            number: env.number,
            gas_limit: env.gas_limit,
            gas_used,
            timestamp: env.timestamp,
            base_fee_per_gas: Some(env.base_fee),
            ..Default::default()
        };
        let rates = env
            .rates
            .iter()
            .map(|(token, rate)| RateEntry {
                token: *token,
                numerator: rate.numerator(),
                denominator: rate.denominator(),
            })
            .collect();
        let executed = ExecutedBlock {
            block: SealedBlock::new(header, transactions),
            receipts,
        };
        Ok(Proposal {
            executed,
            rates,
            writer,
            invalid,
            started,
        })
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
        let number = executed.block.number();
        let included: Vec<B256> = executed
            .block
            .transactions
            .iter()
            .map(RecoveredTx::hash)
            .collect();
        self.pool.remove(&included);
        self.pool.reject(&invalid);
        let reader = self.store.reader()?;
        let head = reader.head_number();
        let env = PoolEnv::next_block(&self.spec, &reader)?;
        self.pool.on_new_head(&StoreState::new(&reader, head), &env);
        let content = self.pool.content();
        let remaining: Vec<Vec<u8>> = content
            .pending
            .iter()
            .chain(&content.queued)
            .map(|tx| tx.tx.tx.encoded())
            .collect();
        if let Err(err) = self.journal.rewrite(remaining.iter().map(Vec::as_slice)) {
            tracing::error!(%err, "cannot rewrite the transaction journal");
        }
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
        let _ = self.events.send(Arc::new(executed));
        Ok(Decided {
            number,
            transactions: included.len(),
        })
    }
}

impl ExecutionClient for Chain {
    type Proposal = Proposal;
    type Error = ChainError;

    fn propose(&self, timestamp: u64) -> Result<Proposal, ChainError> {
        self.build(timestamp)
    }

    fn decide(&self, proposal: Proposal) -> Result<Decided, ChainError> {
        self.commit(proposal)
    }
}
