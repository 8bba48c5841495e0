//! Fees: the suggestions `eth_gasPrice` and `eth_maxPriorityFeePerGas` (in wei, or in a fee
//! token's units as on Celo) and `eth_feeHistory`.

use alloy_eips::BlockNumberOrTag;
use alloy_primitives::{Address, U256, U64};
use alloy_rpc_types_eth::FeeHistory;
use supervm_gas::next_block_base_fee;
use supervm_primitives::{ChainSpec, SealedBlock};
use supervm_storage::Reader;
use supervm_vm::{PendingState, StoreState};

use crate::{
    block_id::number_of_tag, context::RpcContext, error::header_not_found, rates::rates_at,
    RpcError,
};

/// Blocks the tip suggestion looks back over (geth's default).
const SUGGESTION_BLOCKS: u64 = 20;
/// Percentile of recent tips suggested (geth's default).
const SUGGESTION_PERCENTILE: usize = 60;
/// Suggested tip when recent blocks hold no transactions: 1 gwei, geth's floor default.
const DEFAULT_TIP: u128 = 1_000_000_000;
/// Most blocks one `eth_feeHistory` call may cover (geth's limit).
const MAX_FEE_HISTORY_BLOCKS: u64 = 1024;

/// `eth_gasPrice`: the next block's base fee plus the suggested tip, in `fee_currency` units
/// when one is given.
pub(super) fn gas_price(
    ctx: &RpcContext,
    reader: &Reader,
    fee_currency: Option<Address>,
) -> Result<U256, RpcError> {
    let head = reader
        .header(reader.head_number())?
        .ok_or_else(header_not_found)?;
    let base = next_block_base_fee(&ctx.spec, &head);
    let price = U256::from(u128::from(base) + suggested_tip(reader)?);
    in_fee_currency(reader, fee_currency, price)
}

/// `eth_maxPriorityFeePerGas`: the suggested tip, in `fee_currency` units when one is given.
pub(super) fn max_priority_fee_per_gas(
    reader: &Reader,
    fee_currency: Option<Address>,
) -> Result<U256, RpcError> {
    in_fee_currency(reader, fee_currency, U256::from(suggested_tip(reader)?))
}

/// `eth_feeHistory`: `block_count` blocks ending at `newest_block`; nothing for a count of 0.
pub(super) fn fee_history(
    ctx: &RpcContext,
    reader: &Reader,
    block_count: U64,
    newest_block: BlockNumberOrTag,
    reward_percentiles: Option<Vec<f64>>,
) -> Result<FeeHistory, RpcError> {
    let newest = number_of_tag(reader, newest_block).ok_or_else(header_not_found)?;
    let count = block_count.to::<u64>();
    if count == 0 {
        return Ok(FeeHistory::default());
    }
    history(
        &ctx.spec,
        reader,
        count,
        newest,
        reward_percentiles.as_deref(),
    )
}

/// A native per-gas price expressed in `fee_currency` units (rounded up, so a transaction
/// built from it is not underpriced); unchanged for the native coin.
pub(super) fn in_fee_currency(
    reader: &Reader,
    fee_currency: Option<Address>,
    native: U256,
) -> Result<U256, RpcError> {
    let Some(token) = fee_currency.filter(|t| *t != Address::ZERO) else {
        return Ok(native);
    };
    let head = reader.head_number();
    let rates = rates_at(reader, head)?;
    let mut state = PendingState::new(StoreState::new(reader, head));
    let rate = supervm_vm::fee_token::usable(&mut state, token, &rates)?;
    rate.to_token_ceil(native)
        .ok_or_else(|| RpcError::Server("fee overflows 256 bits at the current rate".into()))
}

/// The tip to suggest: the 60th percentile of the tips paid in the last 20 blocks, or
/// 1 gwei when those blocks hold no transactions.
pub(super) fn suggested_tip(reader: &Reader) -> Result<u128, RpcError> {
    let head = reader.head_number();
    let mut tips = Vec::new();
    for number in head.saturating_sub(SUGGESTION_BLOCKS - 1)..=head {
        let Some(block) = reader.block(number)? else {
            continue;
        };
        tips.extend(native_tips(reader, &block)?.into_iter().map(|(tip, _)| tip));
    }
    tips.sort_unstable();
    let at = tips.len().saturating_sub(1) * SUGGESTION_PERCENTILE / 100;
    Ok(tips.get(at).copied().unwrap_or(DEFAULT_TIP))
}

/// The tip per gas each transaction of `block` paid, in wei, with its gas used. CIP-64 tips
/// are in token units and are converted at the rate the block used (its parent's snapshot).
fn native_tips(reader: &Reader, block: &SealedBlock) -> Result<Vec<(u128, u64)>, RpcError> {
    let base = block.header.base_fee_per_gas.unwrap_or(0);
    let receipts = reader.block_receipts(block.number())?;
    let mut rates = None;
    let mut tips = Vec::with_capacity(receipts.len());
    for (tx, receipt) in block.transactions.iter().zip(&receipts) {
        let price = U256::from(receipt.effective_gas_price);
        let tip = match tx.tx.fee_currency() {
            Some(token) => {
                if rates.is_none() {
                    rates = Some(rates_at(reader, block.number().saturating_sub(1))?);
                }
                let Some(rate) = rates.as_ref().and_then(|r| r.get(&token)) else {
                    continue;
                };
                let base_in_token = rate.to_token_ceil(U256::from(base)).unwrap_or(U256::MAX);
                rate.to_native_floor(price.saturating_sub(base_in_token))
            }
            None => price.saturating_sub(U256::from(base)),
        };
        tips.push((tip.saturating_to(), receipt.gas_used));
    }
    Ok(tips)
}

/// The fee history of `count` blocks ending at `newest` (capped at
/// [`MAX_FEE_HISTORY_BLOCKS`] and at the genesis).
fn history(
    spec: &ChainSpec,
    reader: &Reader,
    count: u64,
    newest: u64,
    percentiles: Option<&[f64]>,
) -> Result<FeeHistory, RpcError> {
    if let Some(percentiles) = percentiles {
        let valid = percentiles.iter().all(|p| (0.0..=100.0).contains(p))
            && percentiles
                .windows(2)
                .all(|w| matches!(w, [low, high] if low <= high));
        if !valid {
            return Err(RpcError::InvalidParams(format!(
                "invalid reward percentiles {percentiles:?}: must be ascending values in [0, 100]"
            )));
        }
    }
    let count = count.min(MAX_FEE_HISTORY_BLOCKS).min(newest + 1);
    let oldest = newest + 1 - count;
    let mut history = FeeHistory {
        oldest_block: oldest,
        ..Default::default()
    };
    let mut rewards = Vec::new();
    let mut last_header = None;
    for number in oldest..=newest {
        let block = reader.block(number)?.ok_or_else(header_not_found)?;
        let header = &block.header;
        let base = header.base_fee_per_gas.unwrap_or(0);
        history.base_fee_per_gas.push(u128::from(base));
        history.gas_used_ratio.push(if header.gas_limit == 0 {
            0.0
        } else {
            header.gas_used as f64 / header.gas_limit as f64
        });
        history.base_fee_per_blob_gas.push(0);
        history.blob_gas_used_ratio.push(0.0);
        if let Some(percentiles) = percentiles {
            // Tips weighted by gas used, as geth computes them.
            let mut tips = native_tips(reader, &block)?;
            tips.sort_unstable();
            let total: u64 = tips.iter().map(|(_, gas)| gas).sum();
            let row = percentiles
                .iter()
                .map(|p| {
                    if tips.is_empty() {
                        return 0;
                    }
                    let threshold = (total as f64 * p / 100.0) as u64;
                    let mut cumulative = 0u64;
                    for (tip, gas) in &tips {
                        cumulative += gas;
                        if cumulative >= threshold {
                            return *tip;
                        }
                    }
                    tips.last().map(|(tip, _)| *tip).unwrap_or(0)
                })
                .collect();
            rewards.push(row);
        }
        last_header = Some(block.header);
    }
    if let Some(header) = last_header {
        history
            .base_fee_per_gas
            .push(u128::from(next_block_base_fee(spec, &header)));
        history.base_fee_per_blob_gas.push(0);
    }
    if percentiles.is_some() {
        history.reward = Some(rewards);
    }
    Ok(history)
}
