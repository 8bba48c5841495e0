//! Blocks: an Ethereum header plus the transactions it commits to.

use alloy_consensus::Header;
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::B256;
use alloy_trie::root::ordered_trie_root_with_encoder;

use crate::{RecoveredTx, StoredReceipt};

/// A block whose hash has been computed and whose senders are recovered.
///
/// This is what the chain commits and what event subscribers receive; carrying the hash and
/// senders avoids recomputing them for every reader.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedBlock {
    /// keccak256(rlp(header)).
    pub hash: B256,
    /// The Ethereum header.
    pub header: Header,
    /// Transactions in execution order, with their senders.
    pub transactions: Vec<RecoveredTx>,
}

impl SealedBlock {
    /// Seals a header over recovered transactions, computing the block hash.
    pub fn new(header: Header, transactions: Vec<RecoveredTx>) -> Self {
        Self {
            hash: header.hash_slow(),
            header,
            transactions,
        }
    }

    /// The block number.
    pub fn number(&self) -> u64 {
        self.header.number
    }
}

/// `transactionsRoot` over transactions in block order.
pub fn transactions_root(txs: &[RecoveredTx]) -> B256 {
    ordered_trie_root_with_encoder(txs, |tx, buf| tx.tx.encode_2718(buf))
}

/// A committed block with its receipts: what new-head subscribers receive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecutedBlock {
    /// The block.
    pub block: SealedBlock,
    /// One receipt per transaction, in order.
    pub receipts: Vec<StoredReceipt>,
}
