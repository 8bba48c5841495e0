//! Celo's CIP-64 transaction (type `0x7b`): an EIP-1559 transaction with a signed
//! `feeCurrency` field naming the token that pays for gas.
//!
//! Wire format: `0x7b || rlp([chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gasLimit, to,
//! value, data, accessList, feeCurrency, yParity, r, s])`; the signing hash is keccak256 of the
//! same without the signature. With this exact layout, viem's Celo serializers and Celo wallets
//! produce transactions this chain accepts. Fee fields are in fee-token units per gas.

use alloy_consensus::{
    transaction::{RlpEcdsaDecodableTx, RlpEcdsaEncodableTx},
    SignableTransaction, Transaction, TxEip1559, Typed2718,
};
use alloy_eips::{eip2718::IsTyped2718, eip2930::AccessList, eip7702::SignedAuthorization};
use alloy_primitives::{Address, Bytes, ChainId, Signature, TxKind, B256, U256};
use alloy_rlp::{BufMut, Decodable, Encodable};
use serde::{Deserialize, Serialize};

/// The EIP-2718 type byte of CIP-64 transactions.
pub const CIP64_TX_TYPE: u8 = 0x7b;

/// A CIP-64 transaction: EIP-1559 fields plus the fee currency.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TxCip64 {
    /// The EIP-1559 fields; fee fields are in fee-token units per gas.
    #[serde(flatten)]
    pub inner: TxEip1559,
    /// The token paying for gas; `None` (encoded as an empty string) means the native coin.
    #[serde(default)]
    pub fee_currency: Option<Address>,
}

impl RlpEcdsaEncodableTx for TxCip64 {
    fn rlp_encoded_fields_length(&self) -> usize {
        self.inner.rlp_encoded_fields_length() + self.fee_currency.map_or(1, |a| a.length())
    }

    fn rlp_encode_fields(&self, out: &mut dyn BufMut) {
        self.inner.rlp_encode_fields(out);
        match &self.fee_currency {
            Some(address) => address.encode(out),
            None => out.put_u8(alloy_rlp::EMPTY_STRING_CODE),
        }
    }
}

impl RlpEcdsaDecodableTx for TxCip64 {
    const DEFAULT_TX_TYPE: u8 = CIP64_TX_TYPE;

    fn rlp_decode_fields(buf: &mut &[u8]) -> alloy_rlp::Result<Self> {
        let inner = TxEip1559::rlp_decode_fields(buf)?;
        let fee_currency = match buf.split_first() {
            Some((&alloy_rlp::EMPTY_STRING_CODE, rest)) => {
                *buf = rest;
                None
            }
            _ => Some(Address::decode(buf)?),
        };
        Ok(Self {
            inner,
            fee_currency,
        })
    }
}

impl Typed2718 for TxCip64 {
    fn ty(&self) -> u8 {
        CIP64_TX_TYPE
    }
}

impl IsTyped2718 for TxCip64 {
    fn is_type(type_id: u8) -> bool {
        type_id == CIP64_TX_TYPE
    }
}

impl SignableTransaction<Signature> for TxCip64 {
    fn set_chain_id(&mut self, chain_id: ChainId) {
        self.inner.chain_id = chain_id;
    }

    fn encode_for_signing(&self, out: &mut dyn BufMut) {
        out.put_u8(CIP64_TX_TYPE);
        self.rlp_encode(out);
    }

    fn payload_len_for_signature(&self) -> usize {
        self.rlp_encoded_length() + 1
    }
}

impl Encodable for TxCip64 {
    fn encode(&self, out: &mut dyn BufMut) {
        self.rlp_encode(out);
    }

    fn length(&self) -> usize {
        self.rlp_encoded_length()
    }
}

impl Decodable for TxCip64 {
    fn decode(buf: &mut &[u8]) -> alloy_rlp::Result<Self> {
        Self::rlp_decode(buf)
    }
}

impl Transaction for TxCip64 {
    fn chain_id(&self) -> Option<ChainId> {
        self.inner.chain_id()
    }

    fn nonce(&self) -> u64 {
        self.inner.nonce
    }

    fn gas_limit(&self) -> u64 {
        self.inner.gas_limit
    }

    fn gas_price(&self) -> Option<u128> {
        None
    }

    fn max_fee_per_gas(&self) -> u128 {
        self.inner.max_fee_per_gas
    }

    fn max_priority_fee_per_gas(&self) -> Option<u128> {
        Some(self.inner.max_priority_fee_per_gas)
    }

    fn max_fee_per_blob_gas(&self) -> Option<u128> {
        None
    }

    fn priority_fee_or_price(&self) -> u128 {
        self.inner.max_priority_fee_per_gas
    }

    fn effective_gas_price(&self, base_fee: Option<u64>) -> u128 {
        self.inner.effective_gas_price(base_fee)
    }

    fn is_dynamic_fee(&self) -> bool {
        true
    }

    fn kind(&self) -> TxKind {
        self.inner.to
    }

    fn is_create(&self) -> bool {
        self.inner.to.is_create()
    }

    fn value(&self) -> U256 {
        self.inner.value
    }

    fn input(&self) -> &Bytes {
        &self.inner.input
    }

    fn access_list(&self) -> Option<&AccessList> {
        Some(&self.inner.access_list)
    }

    fn blob_versioned_hashes(&self) -> Option<&[B256]> {
        None
    }

    fn authorization_list(&self) -> Option<&[SignedAuthorization]> {
        None
    }
}
