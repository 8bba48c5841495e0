//! Transactions: `eth_sendRawTransaction`, `eth_sendTransaction`, `eth_getTransactionBy*` and
//! `eth_getTransactionReceipt`.

use alloy_eips::BlockNumberOrTag;
use alloy_primitives::{Bytes, B256};
use supervm_primitives::{RecoveredTx, TxEnvelope};
use supervm_storage::Reader;
use supervm_vm::StoreState;

use super::{call::CallRequest, sign::sign_request};
use crate::{
    block_id::number_of_tag,
    context::RpcContext,
    convert::{rpc_receipt_at, rpc_transaction, tx_context, BlockRef, RpcReceipt, RpcTransaction},
    error::header_not_found,
    RpcError,
};

/// Admits raw transaction bytes as a client sent them: decoding and the checks that need no
/// sender first, so malformed transactions are refused before the costly signature
/// recovery; then the state checks against a fresh snapshot of the head. Runs on the
/// calling task: it is CPU work of tens of microseconds and point reads of hot state, and a
/// hop to the blocking pool would cost more than it saves.
pub(super) fn send_raw(ctx: &RpcContext, raw: Bytes) -> Result<B256, RpcError> {
    let tx = TxEnvelope::decode_raw(&raw).map_err(|err| RpcError::Server(err.to_string()))?;
    ctx.pool.precheck(&tx, raw.len())?;
    let tx = tx
        .recover()
        .ok_or_else(|| RpcError::Server("invalid sender".into()))?;
    let reader = ctx.store.reader()?;
    let hash = ctx.pool.add_prechecked(
        tx,
        raw.clone(),
        &StoreState::new(&reader, reader.head_number()),
    )?;
    // No receiver in dev mode; a full gossip queue drops the oldest (they stay pooled here).
    let _ = ctx.submitted.send(raw);
    Ok(hash)
}

/// Signs `request` with a development account and admits it to the pool.
pub(super) fn send(
    ctx: &RpcContext,
    reader: &Reader,
    request: CallRequest,
) -> Result<B256, RpcError> {
    let tx = sign_request(ctx, reader, request)?;
    submit(ctx, reader, tx)
}

/// Admits a transaction signed by a development account to the pool against the head state.
fn submit(ctx: &RpcContext, reader: &Reader, tx: RecoveredTx) -> Result<B256, RpcError> {
    let raw = Bytes::from(tx.tx.encoded());
    let hash = ctx.pool.add(
        tx,
        raw.clone(),
        &StoreState::new(reader, reader.head_number()),
    )?;
    let _ = ctx.submitted.send(raw);
    Ok(hash)
}

/// A mined transaction with its position, or else a pooled one without.
pub(super) fn by_hash(
    ctx: &RpcContext,
    reader: &Reader,
    hash: B256,
) -> Result<Option<RpcTransaction>, RpcError> {
    if let Some((tx, location)) = reader.transaction(&hash)? {
        let block = reader
            .block(location.block_number)?
            .ok_or_else(header_not_found)?;
        return Ok(Some(rpc_transaction(
            &tx,
            Some(tx_context(
                &block,
                location.index as usize,
                &reader.block_receipts(location.block_number)?,
            )),
        )));
    }
    Ok(ctx
        .pool
        .get(&hash)
        .map(|pooled| rpc_transaction(&pooled.tx, None)))
}

/// The transaction at `index` of the block a tag or number names.
pub(super) fn by_block_number_and_index(
    reader: &Reader,
    block: BlockNumberOrTag,
    index: usize,
) -> Result<Option<RpcTransaction>, RpcError> {
    let Some(number) = number_of_tag(reader, block) else {
        return Ok(None);
    };
    transaction_at(reader, number, index)
}

/// The transaction at `index` of the block with hash `hash`.
pub(super) fn by_block_hash_and_index(
    reader: &Reader,
    hash: B256,
    index: usize,
) -> Result<Option<RpcTransaction>, RpcError> {
    let Some(number) = reader.block_number(&hash)? else {
        return Ok(None);
    };
    transaction_at(reader, number, index)
}

/// The receipt of a mined transaction, read from its block's receipts alone.
pub(super) fn receipt(reader: &Reader, hash: B256) -> Result<Option<RpcReceipt>, RpcError> {
    let Some((tx, location)) = reader.transaction(&hash)? else {
        return Ok(None);
    };
    let header = reader
        .header(location.block_number)?
        .ok_or_else(header_not_found)?;
    let block = BlockRef {
        hash: location.block_hash,
        number: location.block_number,
        timestamp: header.timestamp,
    };
    let receipts = reader.block_receipts(location.block_number)?;
    Ok(rpc_receipt_at(
        block,
        location.index as usize,
        &tx,
        &receipts,
    ))
}

/// The transaction at `index` of block `number`, with its position and effective gas price.
fn transaction_at(
    reader: &Reader,
    number: u64,
    index: usize,
) -> Result<Option<RpcTransaction>, RpcError> {
    let Some(block) = reader.block(number)? else {
        return Ok(None);
    };
    let receipts = reader.block_receipts(number)?;
    Ok(block
        .transactions
        .get(index)
        .map(|tx| rpc_transaction(tx, Some(tx_context(&block, index, &receipts)))))
}
