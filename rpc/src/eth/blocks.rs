//! Blocks: `eth_blockNumber`, `eth_getBlockBy*`, `eth_getBlockReceipts`,
//! `eth_getBlockTransactionCountBy*`. A block that does not exist is `null`, not an error.

use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{B256, U64};
use supervm_storage::Reader;

use crate::{
    block_id::{number_of_id, number_of_tag},
    convert::{rpc_block, rpc_receipts, RpcBlock, RpcReceipt},
    RpcError,
};

/// The number of the head block.
pub(super) fn block_number(reader: &Reader) -> Result<U64, RpcError> {
    Ok(U64::from(reader.head_number()))
}

/// The block a tag or number names, with full transactions or only their hashes.
pub(super) fn by_number(
    reader: &Reader,
    block: BlockNumberOrTag,
    full: bool,
) -> Result<Option<RpcBlock>, RpcError> {
    let Some(number) = number_of_tag(reader, block) else {
        return Ok(None);
    };
    block_json(reader, number, full)
}

/// The block with hash `hash`, with full transactions or only their hashes.
pub(super) fn by_hash(
    reader: &Reader,
    hash: B256,
    full: bool,
) -> Result<Option<RpcBlock>, RpcError> {
    let Some(number) = reader.block_number(&hash)? else {
        return Ok(None);
    };
    block_json(reader, number, full)
}

/// Every receipt of the block `block` names, with block-wide log indices.
pub(super) fn receipts(
    reader: &Reader,
    block: BlockId,
) -> Result<Option<Vec<RpcReceipt>>, RpcError> {
    let Some(number) = number_of_id(reader, block)? else {
        return Ok(None);
    };
    let Some(sealed) = reader.block(number)? else {
        return Ok(None);
    };
    Ok(Some(rpc_receipts(&sealed, &reader.block_receipts(number)?)))
}

/// How many transactions the block a tag or number names holds.
pub(super) fn transaction_count_by_number(
    reader: &Reader,
    block: BlockNumberOrTag,
) -> Result<Option<U64>, RpcError> {
    let Some(number) = number_of_tag(reader, block) else {
        return Ok(None);
    };
    Ok(Some(U64::from(reader.block_tx_hashes(number)?.len())))
}

/// How many transactions the block with hash `hash` holds.
pub(super) fn transaction_count_by_hash(
    reader: &Reader,
    hash: B256,
) -> Result<Option<U64>, RpcError> {
    let Some(number) = reader.block_number(&hash)? else {
        return Ok(None);
    };
    Ok(Some(U64::from(reader.block_tx_hashes(number)?.len())))
}

/// A block in RPC form; full transactions carry their effective price from the receipts.
fn block_json(reader: &Reader, number: u64, full: bool) -> Result<Option<RpcBlock>, RpcError> {
    let Some(block) = reader.block(number)? else {
        return Ok(None);
    };
    if !full {
        return Ok(Some(rpc_block(&block, None)));
    }
    let receipts = reader.block_receipts(number)?;
    Ok(Some(rpc_block(&block, Some(&receipts))))
}
