//! The signer of `eth_sendTransaction`: a request from a development account, with the fields
//! it leaves out filled in, built into a transaction by alloy's request builders and signed
//! by the account's local signer.

use alloy_consensus::{SignableTransaction, Signed, TxType};
use alloy_network::TxSignerSync;
use alloy_primitives::{Address, Signature, TxKind, U256};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_signer_local::PrivateKeySigner;
use supervm_gas::next_block_base_fee;
use supervm_primitives::{RecoveredTx, TxCip64, TxEnvelope};
use supervm_storage::Reader;

use super::{
    call::{estimate_at, fee_currency_of, CallRequest},
    fees::{in_fee_currency, suggested_tip},
};
use crate::{context::RpcContext, error::header_not_found, RpcError};

/// Signs `request` with the development account its `from` names. Left-out fields default as
/// geth's do: the nonce to the next pending one, the gas limit to the estimate, the chain id to
/// this chain's, EIP-1559 fees to the suggested tip and twice the next base fee plus the tip
/// (in the fee token's units for a CIP-64 request). The type is alloy's preferred one: legacy
/// with `gasPrice`, EIP-2930 with `gasPrice` and an access list, else EIP-1559 — or CIP-64
/// when the request names a `feeCurrency`.
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
        .take()
        .unwrap_or_else(|| ctx.pool.pending_nonce(&from, state_nonce));
    if request.gas.is_none() {
        // Estimated without the nonce, which may be ahead of the state (pending transactions).
        request.gas = Some(estimate_at(ctx, reader, head, &request, None)?);
    }
    request.nonce = Some(nonce);
    request.chain_id = Some(chain_id);
    request.to = Some(request.to.unwrap_or(TxKind::Create));
    // This chain has no blob or set-code transactions (see `TxEnvelope`): their fields are not
    // signed, so the preferred type is legacy, EIP-2930 or EIP-1559.
    request.blob_versioned_hashes = None;
    request.sidecar = None;
    request.authorization_list = None;
    let envelope = match request.preferred_type() {
        TxType::Legacy => signed(
            signer,
            request.inner.build_legacy().map_err(unbuildable)?,
            TxEnvelope::Legacy,
        )?,
        TxType::Eip2930 => signed(
            signer,
            request.inner.build_2930().map_err(unbuildable)?,
            TxEnvelope::Eip2930,
        )?,
        _ => {
            let fee_currency = fee_currency_of(&request)?;
            fill_fees(reader, &mut request.inner, fee_currency, base_fee)?;
            let tx = request.inner.build_1559().map_err(unbuildable)?;
            match fee_currency {
                Some(token) => signed(
                    signer,
                    TxCip64 {
                        inner: tx,
                        fee_currency: Some(token),
                    },
                    TxEnvelope::Cip64,
                )?,
                None => signed(signer, tx, TxEnvelope::Eip1559)?,
            }
        }
    };
    Ok(RecoveredTx {
        tx: envelope,
        sender: from,
    })
}

/// Fills the EIP-1559 fees `request` leaves out: the tip defaults to the suggested one, the fee
/// cap to twice the next block's `base_fee` plus the tip; both in `fee_currency` units (rounded
/// up) when one is given.
fn fill_fees(
    reader: &Reader,
    request: &mut TransactionRequest,
    fee_currency: Option<Address>,
    base_fee: u64,
) -> Result<(), RpcError> {
    let tip = match request.max_priority_fee_per_gas {
        Some(tip) => tip,
        None => in_fee_currency(reader, fee_currency, U256::from(suggested_tip(reader)?))?
            .saturating_to(),
    };
    let base = in_fee_currency(reader, fee_currency, U256::from(base_fee))?.saturating_to::<u128>();
    request.max_priority_fee_per_gas = Some(tip);
    request.max_fee_per_gas = Some(
        request
            .max_fee_per_gas
            .unwrap_or_else(|| base.saturating_mul(2).saturating_add(tip)),
    );
    Ok(())
}

/// Signs `tx` with `signer` and wraps the result in the envelope variant `wrap`.
fn signed<T: SignableTransaction<Signature>>(
    signer: &PrivateKeySigner,
    mut tx: T,
    wrap: fn(Signed<T>) -> TxEnvelope,
) -> Result<TxEnvelope, RpcError> {
    let signature = signer
        .sign_transaction_sync(&mut tx)
        .map_err(|e| RpcError::Internal(e.to_string()))?;
    Ok(wrap(tx.into_signed(signature)))
}

/// A request the builder refused although every field it needs was filled in above.
fn unbuildable(err: impl std::fmt::Display) -> RpcError {
    RpcError::Internal(err.to_string())
}
