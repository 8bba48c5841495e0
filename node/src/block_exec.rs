//! Turning an ordered list of transactions into a block: parallel execution, receipts, the
//! end-of-block oracle step, and the sealed header. Shared by block production and the
//! `supervm bench exec` command, so the benchmark measures the production path.

use alloy_consensus::{Header, Typed2718, EMPTY_OMMER_ROOT_HASH};
use alloy_primitives::{Bloom, B256};
use supervm_primitives::{
    receipts_root, transactions_root, RecoveredTx, SealedBlock, StateChanges, StoredReceipt,
};
use supervm_vm::{
    BlockEnv, BlockExecutor, ExecutionStats, InvalidTx, Message, StateError, StateReader,
};

/// The outcome of executing a block's candidate transactions.
pub struct ExecutedTxs {
    /// Indices (into the candidates) of the transactions that are in the block, in order.
    pub included: Vec<usize>,
    /// Their receipts.
    pub receipts: Vec<StoredReceipt>,
    /// Candidates invalid in their position, with the reason; they are not in the block.
    pub invalid: Vec<(usize, InvalidTx)>,
    /// Gas used by the block.
    pub gas_used: u64,
    /// The block's state changes, end-of-block oracle aggregation included.
    pub changes: StateChanges,
    /// What the executor did.
    pub stats: ExecutionStats,
}

/// Executes `txs` in order on top of `base` and applies the end-of-block step.
pub fn execute_transactions<R: StateReader + Sync>(
    executor: &BlockExecutor,
    env: &BlockEnv,
    txs: &[&RecoveredTx],
    base: R,
) -> Result<ExecutedTxs, StateError> {
    let msgs: Vec<Message> = txs.iter().map(|tx| Message::from_tx(tx)).collect();
    let output = executor.execute(env, &msgs, base)?;
    let mut included = Vec::with_capacity(txs.len());
    let mut receipts = Vec::with_capacity(txs.len());
    let mut invalid = Vec::new();
    let mut gas_used = 0u64;
    for (index, (tx, result)) in txs.iter().zip(output.results).enumerate() {
        match result {
            Ok(outcome) => {
                gas_used += outcome.gas_used;
                receipts.push(StoredReceipt {
                    tx_type: tx.tx.ty(),
                    success: outcome.success,
                    cumulative_gas_used: gas_used,
                    gas_used: outcome.gas_used,
                    effective_gas_price: outcome.effective_gas_price,
                    logs: outcome.logs,
                    fee_token: outcome.fee_token,
                    fee_paid: outcome.settlement.paid(),
                });
                included.push(index);
            }
            Err(err) => invalid.push((index, err)),
        }
    }
    // End of block: the oracle aggregates its feeds; the result prices the next block.
    let mut state = output.state;
    supervm_vm::system::oracle::end_block(&mut state, env.timestamp)?;
    Ok(ExecutedTxs {
        included,
        receipts,
        invalid,
        gas_used,
        changes: state.into_changes(),
        stats: output.stats,
    })
}

/// Seals the block `env` describes, on top of `parent_hash`, with its transactions, receipts
/// and the state root after it.
pub fn seal_block(
    env: &BlockEnv,
    parent_hash: B256,
    state_root: B256,
    transactions: Vec<RecoveredTx>,
    receipts: &[StoredReceipt],
) -> SealedBlock {
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
        receipts_root: receipts_root(receipts),
        logs_bloom,
        number: env.number,
        gas_limit: env.gas_limit,
        gas_used: receipts.last().map_or(0, |r| r.cumulative_gas_used),
        timestamp: env.timestamp,
        base_fee_per_gas: Some(env.base_fee),
        ..Default::default()
    };
    SealedBlock::new(header, transactions)
}
