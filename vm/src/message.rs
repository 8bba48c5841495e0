//! A transaction normalised for execution, whether it came signed or from `eth_call`.

use alloy_consensus::Transaction;
use alloy_eips::eip2930::AccessList;
use alloy_primitives::{Address, Bytes, TxKind, U256};
use supervm_gas::TxFees;
use supervm_primitives::{FeeToken, RecoveredTx, TxEnvelope};

use crate::InvalidTx;

/// What [`crate::execute_tx`] runs: the fields of a transaction with the sender known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The sender.
    pub caller: Address,
    /// Recipient, or `Create`.
    pub kind: TxKind,
    /// Wei transferred.
    pub value: U256,
    /// Calldata.
    pub input: Bytes,
    /// Gas limit.
    pub gas_limit: u64,
    /// Fee fields; `None` for an `eth_call` without a gas price, which pays nothing and skips
    /// the base-fee check (as geth does).
    pub fees: Option<TxFees>,
    /// Nonce to check against the sender's; `None` skips the check (`eth_call`).
    pub nonce: Option<u64>,
    /// EIP-2930 access list.
    pub access_list: Option<AccessList>,
    /// The fee currency of a CIP-64 transaction (or an `eth_call` naming `feeCurrency`):
    /// `Some(Native)` for an empty `feeCurrency`; `None` when the transaction names none and
    /// the resolution rules decide. A CIP-64 `feeCurrency` of the zero address stays
    /// `Token(0x0)` so that it is refused as an unregistered token, never read as native.
    pub fee_currency: Option<FeeToken>,
}

impl Message {
    /// The message of a signed transaction.
    pub fn from_tx(tx: &RecoveredTx) -> Self {
        let inner = &tx.tx;
        Self {
            caller: tx.sender,
            kind: inner.kind(),
            value: inner.value(),
            input: inner.input().clone(),
            gas_limit: inner.gas_limit(),
            fees: Some(Self::fees_of(inner)),
            nonce: Some(inner.nonce()),
            access_list: inner.access_list().cloned(),
            fee_currency: match inner {
                TxEnvelope::Cip64(_) => Some(
                    inner
                        .fee_currency()
                        .map_or(FeeToken::Native, FeeToken::Token),
                ),
                _ => None,
            },
        }
    }

    /// The fee fields of a signed transaction, as signed (a legacy or EIP-2930 gas price is
    /// both the cap and the tip).
    pub fn fees_of(tx: &TxEnvelope) -> TxFees {
        TxFees {
            max_fee_per_gas: tx.max_fee_per_gas(),
            max_priority_fee_per_gas: tx
                .max_priority_fee_per_gas()
                .unwrap_or_else(|| tx.max_fee_per_gas()),
        }
    }
}

/// Rejects a transaction signed for another chain. Pre-EIP-155 legacy transactions carry no
/// chain id and are accepted, as on Ethereum. Needs no sender, so it runs before recovery.
pub fn check_chain_id(tx: &TxEnvelope, chain_id: u64) -> Result<(), InvalidTx> {
    match tx.signed_chain_id() {
        Some(id) if id != chain_id => Err(InvalidTx::ChainId {
            got: id,
            expected: chain_id,
        }),
        _ => Ok(()),
    }
}
