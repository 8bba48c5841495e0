//! Fee suggestions (`eth_gasPrice`, `eth_maxPriorityFeePerGas`) and `eth_feeHistory`.

use alloy_primitives::U256;
use alloy_rpc_types_eth::FeeHistory;
use supervm_gas::next_block_base_fee;
use supervm_primitives::{ChainSpec, SealedBlock};
use supervm_storage::Reader;

use crate::{eth::rates_at, RpcError};

/// Blocks the tip suggestion looks back over (geth's default).
const SUGGESTION_BLOCKS: u64 = 20;
/// Percentile of recent tips suggested (geth's default).
const SUGGESTION_PERCENTILE: usize = 60;
/// Suggested tip when recent blocks hold no transactions: 1 gwei, geth's floor default.
const DEFAULT_TIP: u128 = 1_000_000_000;
/// Most blocks one `eth_feeHistory` call may cover (geth's limit).
pub(crate) const MAX_FEE_HISTORY_BLOCKS: u64 = 1024;

/// The tip to suggest: the 60th percentile of the tips paid in the last 20 blocks, or
/// 1 gwei when those blocks hold no transactions.
pub(crate) fn suggested_tip(reader: &Reader) -> Result<u128, RpcError> {
    let head = reader.head_number();
    let mut tips = Vec::new();
    for number in head.saturating_sub(SUGGESTION_BLOCKS - 1)..=head {
        let Some(block) = reader.block(number)? else {
            continue;
        };
        tips.extend(native_tips(reader, &block)?.into_iter().map(|(tip, _)| tip));
    }
    if tips.is_empty() {
        return Ok(DEFAULT_TIP);
    }
    tips.sort_unstable();
    Ok(tips[(tips.len() - 1) * SUGGESTION_PERCENTILE / 100])
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

/// `eth_feeHistory` over `count` blocks ending at `newest`.
pub(crate) fn fee_history(
    spec: &ChainSpec,
    reader: &Reader,
    count: u64,
    newest: u64,
    percentiles: Option<&[f64]>,
) -> Result<FeeHistory, RpcError> {
    if let Some(percentiles) = percentiles {
        let valid = percentiles.iter().all(|p| (0.0..=100.0).contains(p))
            && percentiles.windows(2).all(|w| w[0] <= w[1]);
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
        let block = reader
            .block(number)?
            .ok_or_else(crate::error::header_not_found)?;
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
