//! Storage types to explorer protobuf messages.

use alloy_consensus::Transaction as _;
use alloy_primitives::hex;
use supervm_primitives::{RecoveredTx, SealedBlock, StoredReceipt};

use super::proto;

/// Where a transaction sits.
pub(super) struct Position {
    pub block_number: u64,
    pub block_hash: String,
    pub index: u32,
}

pub(super) fn transaction(tx: &RecoveredTx, at: Option<&Position>) -> proto::Transaction {
    let inner = &tx.tx;
    proto::Transaction {
        hash: tx.hash().to_string(),
        from: tx.sender.to_string(),
        to: inner.to().map(|to| to.to_string()).unwrap_or_default(),
        nonce: inner.nonce(),
        value: inner.value().to_string(),
        gas_limit: inner.gas_limit(),
        r#type: u32::from(alloy_consensus::Typed2718::ty(inner)),
        max_fee_per_gas: inner.max_fee_per_gas().to_string(),
        max_priority_fee_per_gas: inner
            .max_priority_fee_per_gas()
            .unwrap_or(inner.max_fee_per_gas())
            .to_string(),
        input: hex::encode_prefixed(inner.input()),
        fee_currency: inner
            .fee_currency()
            .map(|t| t.to_string())
            .unwrap_or_default(),
        block_number: at.map(|p| p.block_number).unwrap_or_default(),
        block_hash: at.map(|p| p.block_hash.clone()).unwrap_or_default(),
        transaction_index: at.map(|p| p.index).unwrap_or_default(),
        raw: hex::encode_prefixed(inner.encoded()),
    }
}

pub(super) fn receipt(
    block: &SealedBlock,
    index: usize,
    receipt: &StoredReceipt,
    first_log_index: u64,
) -> proto::Receipt {
    let tx = block.transactions.get(index);
    let hash = tx.map(|tx| tx.hash().to_string()).unwrap_or_default();
    let contract_address = tx
        .and_then(RecoveredTx::created_address)
        .map(|address| address.to_string())
        .unwrap_or_default();
    proto::Receipt {
        transaction_hash: hash,
        success: receipt.success,
        gas_used: receipt.gas_used,
        cumulative_gas_used: receipt.cumulative_gas_used,
        effective_gas_price: receipt.effective_gas_price.to_string(),
        fee_token: receipt.fee_token.address().to_string(),
        fee_paid: receipt.fee_paid.to_string(),
        logs: receipt
            .logs
            .iter()
            .enumerate()
            .map(|(i, log)| proto::Log {
                address: log.address.to_string(),
                topics: log.topics().iter().map(|t| t.to_string()).collect(),
                data: hex::encode_prefixed(&log.data.data),
                log_index: first_log_index + i as u64,
            })
            .collect(),
        block_number: block.number(),
        block_hash: block.hash.to_string(),
        transaction_index: index as u32,
        contract_address,
    }
}

/// All receipts of a block, with block-wide log indexes.
pub(super) fn receipts(block: &SealedBlock, stored: &[StoredReceipt]) -> Vec<proto::Receipt> {
    let mut log_index = 0u64;
    stored
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let converted = receipt(block, i, r, log_index);
            log_index += r.logs.len() as u64;
            converted
        })
        .collect()
}

pub(super) fn block(block: &SealedBlock, full: bool) -> proto::Block {
    let h = &block.header;
    let position = |index: usize| Position {
        block_number: block.number(),
        block_hash: block.hash.to_string(),
        index: index as u32,
    };
    proto::Block {
        header: Some(proto::BlockHeader {
            hash: block.hash.to_string(),
            parent_hash: h.parent_hash.to_string(),
            number: h.number,
            timestamp: h.timestamp,
            state_root: h.state_root.to_string(),
            transactions_root: h.transactions_root.to_string(),
            receipts_root: h.receipts_root.to_string(),
            gas_limit: h.gas_limit,
            gas_used: h.gas_used,
            base_fee_per_gas: h.base_fee_per_gas.unwrap_or_default().to_string(),
            beneficiary: h.beneficiary.to_string(),
            transaction_count: block.transactions.len() as u32,
        }),
        transaction_hashes: block
            .transactions
            .iter()
            .map(|tx| tx.hash().to_string())
            .collect(),
        transactions: if full {
            block
                .transactions
                .iter()
                .enumerate()
                .map(|(i, tx)| transaction(tx, Some(&position(i))))
                .collect()
        } else {
            Vec::new()
        },
    }
}
