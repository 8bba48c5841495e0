//! Storage types to the Ethereum JSON-RPC types of alloy, which every client understands.

use alloy_consensus::{
    transaction::Recovered, BlockBody, Receipt, ReceiptWithBloom, Transaction as _,
};
use alloy_consensus_any::AnyReceiptEnvelope;
use alloy_primitives::{Log, B256, U256};
use alloy_rlp::Encodable;
use alloy_rpc_types_eth::{
    Block, BlockTransactions, Header as RpcHeader, Log as RpcLog, Transaction, TransactionReceipt,
};
use alloy_serde::{OtherFields, WithOtherFields};
use supervm_primitives::{RecoveredTx, SealedBlock, StoredReceipt, TxEnvelope};

/// The RPC transaction type.
pub type RpcTransaction = Transaction<TxEnvelope>;
/// The RPC block type.
pub type RpcBlock = Block<RpcTransaction>;
/// The RPC receipt type, with SuperVM's `feeToken` and `feePaid` fields.
pub type RpcReceipt = WithOtherFields<TransactionReceipt<AnyReceiptEnvelope<RpcLog>>>;

/// Where a transaction sits, for the fields an RPC transaction carries.
#[derive(Clone, Copy)]
pub(crate) struct TxContext {
    pub block_hash: B256,
    pub block_number: u64,
    pub index: u64,
    pub timestamp: u64,
    /// What the transaction paid per gas, from its receipt (token units for CIP-64).
    pub effective_gas_price: u128,
}

/// A transaction as `eth_getTransactionBy*` returns it; `None` context = still in the pool.
pub(crate) fn rpc_transaction(tx: &RecoveredTx, context: Option<TxContext>) -> RpcTransaction {
    let inner = Recovered::new_unchecked(tx.tx.clone(), tx.sender);
    match context {
        Some(ctx) => Transaction {
            effective_gas_price: Some(ctx.effective_gas_price),
            inner,
            block_hash: Some(ctx.block_hash),
            block_number: Some(ctx.block_number),
            transaction_index: Some(ctx.index),
            block_timestamp: Some(ctx.timestamp),
        },
        None => Transaction {
            inner,
            block_hash: None,
            block_number: None,
            transaction_index: None,
            effective_gas_price: None,
            block_timestamp: None,
        },
    }
}

/// A block header as `newHeads` and blocks carry it.
pub(crate) fn rpc_header(block: &SealedBlock) -> RpcHeader {
    let body = BlockBody::<TxEnvelope> {
        transactions: block.transactions.iter().map(|tx| tx.tx.clone()).collect(),
        ommers: Vec::new(),
        withdrawals: None,
    };
    let size = alloy_consensus::Block {
        header: block.header.clone(),
        body,
    }
    .length();
    RpcHeader {
        hash: block.hash,
        inner: block.header.clone(),
        total_difficulty: Some(U256::ZERO),
        size: Some(U256::from(size)),
    }
}

/// A block with full transactions (`receipts` given) or only their hashes.
pub(crate) fn rpc_block(block: &SealedBlock, receipts: Option<&[StoredReceipt]>) -> RpcBlock {
    let transactions = if let Some(receipts) = receipts {
        BlockTransactions::Full(
            block
                .transactions
                .iter()
                .enumerate()
                .map(|(index, tx)| rpc_transaction(tx, Some(tx_context(block, index, receipts))))
                .collect(),
        )
    } else {
        BlockTransactions::Hashes(block.transactions.iter().map(RecoveredTx::hash).collect())
    };
    Block {
        header: rpc_header(block),
        uncles: Vec::new(),
        transactions,
        withdrawals: None,
    }
}

/// The context of the `index`-th transaction of `block`.
pub(crate) fn tx_context(
    block: &SealedBlock,
    index: usize,
    receipts: &[StoredReceipt],
) -> TxContext {
    TxContext {
        block_hash: block.hash,
        block_number: block.number(),
        index: index as u64,
        timestamp: block.header.timestamp,
        effective_gas_price: receipts
            .get(index)
            .map(|r| r.effective_gas_price)
            .unwrap_or_default(),
    }
}

/// The block a receipt or log belongs to: what its RPC form names of the block.
#[derive(Clone, Copy)]
pub(crate) struct BlockRef {
    pub hash: B256,
    pub number: u64,
    pub timestamp: u64,
}

impl BlockRef {
    pub(crate) fn of(block: &SealedBlock) -> Self {
        Self {
            hash: block.hash,
            number: block.number(),
            timestamp: block.header.timestamp,
        }
    }
}

/// One transaction's logs with their positions; `first_log_index` is the number of logs
/// the block's earlier transactions emitted.
fn tx_logs(
    block: BlockRef,
    tx_hash: B256,
    tx_index: usize,
    first_log_index: u64,
    receipt: &StoredReceipt,
) -> Vec<RpcLog> {
    (first_log_index..)
        .zip(&receipt.logs)
        .map(|(log_index, log)| rpc_log(block, tx_hash, tx_index, log_index, log))
        .collect()
}

/// One log in RPC form, at its place in the block.
fn rpc_log(block: BlockRef, tx_hash: B256, tx_index: usize, log_index: u64, log: &Log) -> RpcLog {
    RpcLog {
        inner: log.clone(),
        block_hash: Some(block.hash),
        block_number: Some(block.number),
        block_timestamp: Some(block.timestamp),
        transaction_hash: Some(tx_hash),
        transaction_index: Some(tx_index as u64),
        log_index: Some(log_index),
        removed: false,
    }
}

/// Applies `f` to each transaction of a block with its receipt, its index and the index of
/// its first log (the number of logs the earlier transactions emitted).
fn each_receipt<T>(
    block: &SealedBlock,
    receipts: &[StoredReceipt],
    f: impl Fn(BlockRef, usize, u64, &RecoveredTx, &StoredReceipt) -> T,
) -> Vec<T> {
    let at = BlockRef::of(block);
    let mut first_log_index = 0u64;
    block
        .transactions
        .iter()
        .zip(receipts)
        .enumerate()
        .map(|(index, (tx, receipt))| {
            let item = f(at, index, first_log_index, tx, receipt);
            first_log_index += receipt.logs.len() as u64;
            item
        })
        .collect()
}

/// The logs of a block that `wanted` accepts, with their block-wide positions, in block
/// order. Only those are copied: a subscription or query that matches nothing in a block of
/// large logs costs no copy of them.
pub(crate) fn matching_logs(
    block: &SealedBlock,
    receipts: &[StoredReceipt],
    wanted: impl Fn(&Log) -> bool,
) -> Vec<RpcLog> {
    each_receipt(
        block,
        receipts,
        |at, index, first_log_index, tx, receipt| {
            (first_log_index..)
                .zip(&receipt.logs)
                .filter(|(_, log)| wanted(log))
                .map(|(log_index, log)| rpc_log(at, tx.hash(), index, log_index, log))
                .collect::<Vec<_>>()
        },
    )
    .into_iter()
    .flatten()
    .collect()
}

/// All receipts of a block in RPC form.
pub(crate) fn rpc_receipts(block: &SealedBlock, receipts: &[StoredReceipt]) -> Vec<RpcReceipt> {
    each_receipt(block, receipts, rpc_receipt)
}

/// One transaction's receipt in RPC form. It needs only the receipts of the block, not its
/// other transactions: the receipts before it give its first log index.
pub(crate) fn rpc_receipt_at(
    block: BlockRef,
    index: usize,
    tx: &RecoveredTx,
    receipts: &[StoredReceipt],
) -> Option<RpcReceipt> {
    let receipt = receipts.get(index)?;
    let first_log_index = receipts
        .iter()
        .take(index)
        .map(|earlier| earlier.logs.len() as u64)
        .sum();
    Some(rpc_receipt(block, index, first_log_index, tx, receipt))
}

fn rpc_receipt(
    block: BlockRef,
    index: usize,
    first_log_index: u64,
    tx: &RecoveredTx,
    receipt: &StoredReceipt,
) -> RpcReceipt {
    let logs = tx_logs(block, tx.hash(), index, first_log_index, receipt);
    let consensus = receipt.with_bloom();
    let inner = AnyReceiptEnvelope {
        inner: ReceiptWithBloom {
            receipt: Receipt {
                status: consensus.receipt.status,
                cumulative_gas_used: consensus.receipt.cumulative_gas_used,
                logs,
            },
            logs_bloom: consensus.logs_bloom,
        },
        r#type: receipt.tx_type,
    };
    let mut other = OtherFields::default();
    other.insert(
        "feeToken".into(),
        serde_json::json!(receipt.fee_token.address()),
    );
    other.insert("feePaid".into(), serde_json::json!(receipt.fee_paid));
    WithOtherFields {
        inner: TransactionReceipt {
            inner,
            transaction_hash: tx.hash(),
            transaction_index: Some(index as u64),
            block_hash: Some(block.hash),
            block_number: Some(block.number),
            gas_used: receipt.gas_used,
            effective_gas_price: receipt.effective_gas_price,
            blob_gas_used: None,
            blob_gas_price: None,
            from: tx.sender,
            to: tx.tx.to(),
            // As geth: a creation's receipt names the address even when the creation failed.
            contract_address: tx.created_address(),
        },
        other,
    }
}
