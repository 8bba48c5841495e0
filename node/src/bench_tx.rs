//! The transfers the benchmarks sign: a native transfer, an sUSD transfer (a contract call)
//! and a native transfer paying its gas in sUSD through CIP-64 — the three ways the dev
//! chain's accounts move value.

use alloy_consensus::{SignableTransaction, TxEip1559};
use alloy_primitives::{Address, TxKind, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use supervm_primitives::{system::IERC20, TxCip64, TxEnvelope};

/// The dev chain's sample USD token (6 decimals, rate 3/1e9 base units per wei).
pub(crate) const SUSD: Address =
    alloy_primitives::address!("0x00000000000000000000000000000000000005d1");

/// Which transfer to sign.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TransferKind {
    /// 1 wei, gas paid natively.
    Native,
    /// 1 sUSD base unit through the token's `transfer`, gas paid natively.
    Token,
    /// 1 wei, gas paid in sUSD (CIP-64).
    Cip64,
}

/// Fee fields of the signed transfers.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TransferFees {
    /// Native fee cap per gas.
    pub max_fee_per_gas: u128,
    /// Native tip per gas.
    pub tip_per_gas: u128,
    /// Fee cap per gas in sUSD base units, for [`TransferKind::Cip64`].
    pub token_max_fee_per_gas: u128,
    /// Tip per gas in sUSD base units, for [`TransferKind::Cip64`].
    pub token_tip_per_gas: u128,
}

/// Signs one transfer of `kind` from `signer` to `to`.
pub(crate) fn sign_transfer(
    signer: &PrivateKeySigner,
    chain_id: u64,
    nonce: u64,
    to: Address,
    kind: TransferKind,
    fees: TransferFees,
) -> Result<TxEnvelope, alloy_signer::Error> {
    let transfer = TxEip1559 {
        chain_id,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: fees.max_fee_per_gas,
        max_priority_fee_per_gas: fees.tip_per_gas,
        to: TxKind::Call(to),
        value: U256::from(1),
        ..Default::default()
    };
    Ok(match kind {
        TransferKind::Native => {
            let signature = signer.sign_hash_sync(&transfer.signature_hash())?;
            TxEnvelope::Eip1559(transfer.into_signed(signature))
        }
        TransferKind::Token => {
            let tx = TxEip1559 {
                gas_limit: 100_000,
                to: TxKind::Call(SUSD),
                value: U256::ZERO,
                input: IERC20::transferCall {
                    to,
                    value: U256::from(1),
                }
                .abi_encode()
                .into(),
                ..transfer
            };
            let signature = signer.sign_hash_sync(&tx.signature_hash())?;
            TxEnvelope::Eip1559(tx.into_signed(signature))
        }
        TransferKind::Cip64 => {
            let tx = TxCip64 {
                inner: TxEip1559 {
                    max_fee_per_gas: fees.token_max_fee_per_gas,
                    max_priority_fee_per_gas: fees.token_tip_per_gas,
                    ..transfer
                },
                fee_currency: Some(SUSD),
            };
            let signature = signer.sign_hash_sync(&tx.signature_hash())?;
            TxEnvelope::Cip64(tx.into_signed(signature))
        }
    })
}
