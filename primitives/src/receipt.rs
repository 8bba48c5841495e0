//! Receipts as stored and as committed to in `receiptsRoot`.

use alloy_consensus::{Eip658Value, Receipt, ReceiptEnvelope, ReceiptWithBloom};
use alloy_primitives::{logs_bloom, Bloom, Log};
use alloy_rlp::{RlpDecodable, RlpEncodable};

use crate::TxType;

/// The outcome of one transaction, as kept by storage.
///
/// It holds the consensus fields (type, status, cumulative gas, logs) plus what the RPC needs
/// and cannot re-derive cheaply (`gas_used`, `effective_gas_price`). The bloom is recomputed
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
    /// The price per gas the sender actually paid, in wei.
    pub effective_gas_price: u128,
    /// Logs emitted, in order.
    pub logs: Vec<Log>,
}

impl StoredReceipt {
    /// The 2048-bit bloom over the receipt's log addresses and topics.
    pub fn bloom(&self) -> Bloom {
        logs_bloom(self.logs.iter())
    }

    /// The Ethereum receipt envelope whose EIP-2718 encoding goes into `receiptsRoot`.
    pub fn to_envelope(&self) -> ReceiptEnvelope {
        let receipt = ReceiptWithBloom {
            receipt: Receipt {
                status: Eip658Value::Eip658(self.success),
                cumulative_gas_used: self.cumulative_gas_used,
                logs: self.logs.clone(),
            },
            logs_bloom: self.bloom(),
        };
        match TxType::try_from(self.tx_type) {
            Ok(TxType::Eip2930) => ReceiptEnvelope::Eip2930(receipt),
            Ok(TxType::Eip1559) => ReceiptEnvelope::Eip1559(receipt),
            _ => ReceiptEnvelope::Legacy(receipt),
        }
    }
}
