//! The signer of `eth_sendTransaction`: a request from a development account, with its
//! defaults filled in, as a signed transaction.

use alloy_consensus::{SignableTransaction, TxEip1559, TxEip2930, TxLegacy};
use alloy_primitives::{TxKind, U256};
use alloy_signer::SignerSync;
use supervm_gas::next_block_base_fee;
use supervm_primitives::{RecoveredTx, TxCip64, TxEnvelope};
use supervm_storage::Reader;

use super::{
    call::{estimate_at, fee_currency_of, CallRequest},
    fees::{in_fee_currency, suggested_tip},
};
use crate::{context::RpcContext, error::header_not_found, RpcError};

/// Signs `request` with the development account its `from` names. Left-out fields default as
/// geth's do: the nonce to the next pending one, the gas limit to the estimate, EIP-1559 fees
/// to the suggested tip and twice the next base fee plus the tip (in the fee token's units for
/// a CIP-64 request).
pub(super) fn sign_request(
    ctx: &RpcContext,
    reader: &Reader,
    mut request: CallRequest,
) -> Result<RecoveredTx, RpcError> {
    let from = request
        .from
        .ok_or_else(|| RpcError::InvalidParams("missing \"from\" field".into()))?;
    let signer = ctx
        .signers
        .iter()
        .find(|s| s.address() == from)
        .ok_or_else(|| RpcError::Server(format!("unknown account {from}")))?;
    let chain_id = ctx.spec.chain_id();
    if let Some(id) = request.chain_id {
        if id != chain_id {
            return Err(RpcError::Server(format!(
                "invalid chain id for signer: have {id} want {chain_id}"
            )));
        }
    }
    let head = reader.head_number();
    let parent = reader.header(head)?.ok_or_else(header_not_found)?;
    let base_fee = next_block_base_fee(&ctx.spec, &parent);
    let state_nonce = reader.account(&from, head)?.map(|a| a.nonce).unwrap_or(0);
    let nonce = request
        .nonce
        .unwrap_or_else(|| ctx.pool.pending_nonce(&from, state_nonce));
    let to = request.to.unwrap_or(TxKind::Create);
    let input = request.input.input().cloned().unwrap_or_default();
    let value = request.value.unwrap_or_default();
    let gas_limit = match request.gas {
        Some(gas) => gas,
        None => {
            request.nonce = None;
            estimate_at(ctx, reader, head, &request)?
        }
    };
    let envelope = match (request.gas_price, request.access_list.clone()) {
        (Some(gas_price), None) => {
            let tx = TxLegacy {
                chain_id: Some(chain_id),
                nonce,
                gas_price,
                gas_limit,
                to,
                value,
                input,
            };
            let signature = signer
                .sign_hash_sync(&tx.signature_hash())
                .map_err(|e| RpcError::Internal(e.to_string()))?;
            TxEnvelope::Legacy(tx.into_signed(signature))
        }
        (Some(gas_price), Some(access_list)) => {
            let tx = TxEip2930 {
                chain_id,
                nonce,
                gas_price,
                gas_limit,
                to,
                value,
                access_list,
                input,
            };
            let signature = signer
                .sign_hash_sync(&tx.signature_hash())
                .map_err(|e| RpcError::Internal(e.to_string()))?;
            TxEnvelope::Eip2930(tx.into_signed(signature))
        }
        (None, access_list) => {
            let fee_currency = fee_currency_of(&request)?;
            let tip = match request.max_priority_fee_per_gas {
                Some(tip) => tip,
                None => in_fee_currency(reader, fee_currency, U256::from(suggested_tip(reader)?))?
                    .saturating_to(),
            };
            let base = in_fee_currency(reader, fee_currency, U256::from(base_fee))?
                .saturating_to::<u128>();
            let max_fee = request
                .max_fee_per_gas
                .unwrap_or_else(|| base.saturating_mul(2).saturating_add(tip));
            let tx = TxEip1559 {
                chain_id,
                nonce,
                gas_limit,
                max_fee_per_gas: max_fee,
                max_priority_fee_per_gas: tip,
                to,
                value,
                access_list: access_list.unwrap_or_default(),
                input,
            };
            let sign = |hash| {
                signer
                    .sign_hash_sync(&hash)
                    .map_err(|e| RpcError::Internal(e.to_string()))
            };
            match fee_currency {
                Some(token) => {
                    let tx = TxCip64 {
                        inner: tx,
                        fee_currency: Some(token),
                    };
                    let signature = sign(tx.signature_hash())?;
                    TxEnvelope::Cip64(tx.into_signed(signature))
                }
                None => {
                    let signature = sign(tx.signature_hash())?;
                    TxEnvelope::Eip1559(tx.into_signed(signature))
                }
            }
        }
    };
    Ok(RecoveredTx {
        tx: envelope,
        sender: from,
    })
}
