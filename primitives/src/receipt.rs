//! Receipts as stored and as committed to in `receiptsRoot`.

use alloy_consensus::{Eip658Value, Receipt, ReceiptWithBloom};
use alloy_primitives::{logs_bloom, Bloom, Log, B256, U256};
use alloy_rlp::{BufMut, Encodable, RlpDecodable, RlpEncodable};
use alloy_trie::root::ordered_trie_root_with_encoder;

use crate::FeeToken;

/// The outcome of one transaction, as kept by storage.
///
/// It holds the consensus fields (type, status, cumulative gas, logs) plus what the RPC needs
/// and cannot re-derive cheaply (`gas_used`, `effective_gas_price`, the fee token and amount). The bloom is recomputed
/// from the logs when needed, so it cannot disagree with them.
#[derive(Clone, Debug, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct StoredReceipt {
    /// EIP-2718 type byte of the transaction.
    pub tx_type: u8,
    /// Whether execution succeeded (EIP-658 status).
    pub success: bool,
    /// Gas used by this and all preceding transactions of the block.
    pub cumulative_gas_used: u64,
    /// Gas used by this transaction alone.
    pub gas_used: u64,
    /// The price per gas the sender actually paid, in the unit of the transaction's fee
    /// fields: wei, or fee-token base units for CIP-64.
    pub effective_gas_price: u128,
    /// Logs emitted, in order.
    pub logs: Vec<Log>,
    /// The token that paid the fee.
    pub fee_token: FeeToken,
    /// What the payer was charged, in the fee token's base units (debit minus refund).
    pub fee_paid: U256,
}

impl StoredReceipt {
    /// The 2048-bit bloom over the receipt's log addresses and topics.
    pub fn bloom(&self) -> Bloom {
        logs_bloom(self.logs.iter())
    }

    /// The consensus receipt (status, cumulative gas, bloom, logs) without its type.
    pub fn with_bloom(&self) -> ReceiptWithBloom<Receipt<Log>> {
        ReceiptWithBloom {
            receipt: Receipt {
                status: Eip658Value::Eip658(self.success),
                cumulative_gas_used: self.cumulative_gas_used,
                logs: self.logs.clone(),
            },
            logs_bloom: self.bloom(),
        }
    }

    /// The EIP-2718 encoding committed to in `receiptsRoot`: the RLP receipt, prefixed with the
    /// type byte for typed transactions (including CIP-64's 0x7b).
    pub fn encode_2718(&self, out: &mut dyn BufMut) {
        if self.tx_type != 0 {
            out.put_u8(self.tx_type);
        }
        self.with_bloom().encode(out);
    }
}

/// `receiptsRoot` over a block's receipts in order.
pub fn receipts_root(receipts: &[StoredReceipt]) -> B256 {
    ordered_trie_root_with_encoder(receipts, |receipt, buf| receipt.encode_2718(buf))
}
