//! Account state at a block: `eth_getBalance`, `eth_getTransactionCount`, `eth_getCode`,
//! `eth_getStorageAt`.

use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, Bytes, B256, U256, U64};
use alloy_serde::JsonStorageKey;
use supervm_storage::Reader;

use crate::{block_id::state_block, context::RpcContext, RpcError};

/// The native balance of `address` after block `block`.
pub(super) fn balance(
    reader: &Reader,
    address: Address,
    block: Option<BlockId>,
) -> Result<U256, RpcError> {
    let number = state_block(reader, block)?;
    Ok(reader
        .account(&address, number)?
        .map(|a| a.balance)
        .unwrap_or_default())
}

/// The nonce of `address` after block `block`; for `pending`, the next nonce counting the
/// sender's pool transactions too, so a wallet can send several before one is mined.
pub(super) fn transaction_count(
    ctx: &RpcContext,
    reader: &Reader,
    address: Address,
    block: Option<BlockId>,
) -> Result<U64, RpcError> {
    let number = state_block(reader, block)?;
    let nonce = reader
        .account(&address, number)?
        .map(|a| a.nonce)
        .unwrap_or(0);
    let pending = matches!(block, Some(BlockId::Number(BlockNumberOrTag::Pending)));
    Ok(U64::from(if pending {
        ctx.pool.pending_nonce(&address, nonce)
    } else {
        nonce
    }))
}

/// The code of `address` after block `block`; empty for an account without code.
pub(super) fn code(
    reader: &Reader,
    address: Address,
    block: Option<BlockId>,
) -> Result<Bytes, RpcError> {
    let number = state_block(reader, block)?;
    match reader.account(&address, number)? {
        Some(account) if account.has_code() => {
            Ok(reader.code(&account.code_hash)?.unwrap_or_default())
        }
        _ => Ok(Bytes::new()),
    }
}

/// One storage slot of `address` after block `block`.
pub(super) fn storage_at(
    reader: &Reader,
    address: Address,
    slot: JsonStorageKey,
    block: Option<BlockId>,
) -> Result<B256, RpcError> {
    let number = state_block(reader, block)?;
    Ok(B256::from(reader.storage(
        &address,
        &slot.as_b256(),
        number,
    )?))
}
