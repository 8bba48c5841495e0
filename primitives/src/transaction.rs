//! Transaction envelopes accepted by SuperVM and their decoding with precise errors.

use alloy_consensus::{Signed, Transaction, TransactionEnvelope, TxEip1559, TxEip2930, TxLegacy};
use alloy_eips::eip2718::{Decodable2718, Eip2718Error, Encodable2718};
use alloy_primitives::{Address, B256};

use crate::cip64::{TxCip64, CIP64_TX_TYPE};

/// A signed transaction of one of the supported EIP-2718 types.
///
/// Types 0 (legacy, with or without EIP-155 replay protection), 1 (EIP-2930) and 2 (EIP-1559)
/// have Ethereum's exact encodings and hashes; type 0x7b is Celo's CIP-64 (fee currency). Blob (type 3) and set-code (type 4)
/// transactions are not part of this chain and fail to decode with a clear message.
#[derive(Clone, Debug, TransactionEnvelope)]
#[envelope(tx_type_name = TxType)]
pub enum TxEnvelope {
    /// Legacy transaction (type 0).
    #[envelope(ty = 0)]
    Legacy(Signed<TxLegacy>),
    /// EIP-2930 access-list transaction (type 1).
    #[envelope(ty = 1)]
    Eip2930(Signed<TxEip2930>),
    /// EIP-1559 dynamic-fee transaction (type 2).
    #[envelope(ty = 2)]
    Eip1559(Signed<TxEip1559>),
    /// CIP-64 fee-currency transaction (type 0x7b).
    #[envelope(ty = 123)]
    Cip64(Signed<TxCip64>),
}

/// Why raw transaction bytes could not be turned into a [`TxEnvelope`].
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TxDecodeError {
    /// No bytes at all.
    #[error("empty typed transaction bytes")]
    Empty,
    /// A type byte this chain does not know.
    #[error("transaction type not supported: 0x{0:02x}")]
    UnsupportedType(u8),
    /// The bytes are not a valid RLP encoding of the transaction.
    #[error("rlp: {0}")]
    Rlp(String),
    /// Bytes were left over after the transaction.
    #[error("rlp: input contains more than one value")]
    TrailingBytes,
}

impl TxEnvelope {
    /// Decodes the EIP-2718 network encoding used by `eth_sendRawTransaction`.
    pub fn decode_raw(bytes: &[u8]) -> Result<Self, TxDecodeError> {
        let Some(&first) = bytes.first() else {
            return Err(TxDecodeError::Empty);
        };
        if first < 0x7f && first > 2 && first != CIP64_TX_TYPE {
            return Err(TxDecodeError::UnsupportedType(first));
        }
        let mut buf = bytes;
        let tx = Self::decode_2718(&mut buf).map_err(|err| match err {
            Eip2718Error::UnexpectedType(ty) => TxDecodeError::UnsupportedType(ty),
            Eip2718Error::RlpError(rlp) => TxDecodeError::Rlp(rlp.to_string()),
            other => TxDecodeError::Rlp(other.to_string()),
        })?;
        if !buf.is_empty() {
            return Err(TxDecodeError::TrailingBytes);
        }
        Ok(tx)
    }

    /// The EIP-2718 network encoding (what `eth_getRawTransactionByHash` returns).
    pub fn encoded(&self) -> Vec<u8> {
        self.encoded_2718()
    }

    /// The transaction hash: keccak256 of the EIP-2718 encoding.
    pub fn hash(&self) -> B256 {
        match self {
            Self::Legacy(tx) => *tx.hash(),
            Self::Eip2930(tx) => *tx.hash(),
            Self::Eip1559(tx) => *tx.hash(),
            Self::Cip64(tx) => *tx.hash(),
        }
    }

    /// The fee currency a CIP-64 transaction names (`None` for other types, or for a CIP-64
    /// transaction paying in the native coin).
    pub fn fee_currency(&self) -> Option<Address> {
        match self {
            Self::Cip64(tx) => tx.tx().fee_currency,
            _ => None,
        }
    }

    /// The chain id the signature commits to; `None` for pre-EIP-155 legacy transactions.
    pub fn signed_chain_id(&self) -> Option<u64> {
        Transaction::chain_id(self)
    }

    /// Recovers the sender from the signature; `None` when the signature is invalid.
    pub fn recover(self) -> Option<RecoveredTx> {
        let sender = match &self {
            Self::Legacy(tx) => tx.recover_signer(),
            Self::Eip2930(tx) => tx.recover_signer(),
            Self::Eip1559(tx) => tx.recover_signer(),
            Self::Cip64(tx) => tx.recover_signer(),
        }
        .ok()?;
        Some(RecoveredTx { tx: self, sender })
    }
}

/// Recovers the senders of many transactions on `threads` threads, in order; `None` where a
/// signature is invalid. Recovery is the costliest step of importing a block or reloading a
/// pool (tens of microseconds each), and each transaction is independent, so it splits
/// evenly across cores.
pub fn recover_all(txs: Vec<TxEnvelope>, threads: usize) -> Vec<Option<RecoveredTx>> {
    let chunk = txs.len().div_ceil(threads.max(1)).max(1);
    if threads < 2 || txs.len() < 2 {
        return txs.into_iter().map(TxEnvelope::recover).collect();
    }
    let mut txs = txs.into_iter();
    let chunks: Vec<Vec<TxEnvelope>> = std::iter::from_fn(|| {
        let part: Vec<TxEnvelope> = txs.by_ref().take(chunk).collect();
        (!part.is_empty()).then_some(part)
    })
    .collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = chunks
            .into_iter()
            .map(|part| {
                scope.spawn(move || {
                    part.into_iter()
                        .map(TxEnvelope::recover)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| match worker.join() {
                Ok(recovered) => recovered,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// A transaction together with its recovered sender.
///
/// Sender recovery is the expensive part of admission and import; carrying the result avoids
/// doing it twice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecoveredTx {
    /// The signed transaction.
    pub tx: TxEnvelope,
    /// The address recovered from the signature.
    pub sender: Address,
}

impl RecoveredTx {
    /// The transaction hash.
    pub fn hash(&self) -> B256 {
        self.tx.hash()
    }

    /// The contract a creation makes (Ethereum's CREATE address of the sender and nonce);
    /// `None` for a call.
    pub fn created_address(&self) -> Option<Address> {
        self.tx
            .kind()
            .is_create()
            .then(|| self.sender.create(self.tx.nonce()))
    }
}
