//! A block as consensus carries it: the sealed Ethereum block, encoded as a length-prefixed
//! RLP list `[header, [tx, …]]` with each transaction in its EIP-2718 form.
//!
//! The digest covers only the header, so decoding checks the body against it: the
//! transactions must hash to the header's transactions root, every signature must recover,
//! and the bytes must be the canonical encoding. A peer cannot pair a real header with a
//! forged body, and oversized input is refused before it is parsed.
//!
//! Signature recovery is the costliest part of decoding, and most of a proposal's
//! transactions already reached this node's pool by gossip, where their senders were
//! recovered: [`KnownSenders`] lends those, and only the others are recovered.

use std::sync::Arc;

use alloy_primitives::{Address, Bytes, B256};
use alloy_rlp::{Decodable, Encodable};
use bytes::{Buf, BufMut};
use commonware_codec::{EncodeSize, Error as CodecError, Read, Write};
use commonware_consensus::{types::Height, Heightable};
use commonware_cryptography::Digestible;
use supervm_primitives::{
    recover_all, transactions_root, Header, RecoveredTx, SealedBlock, TxEnvelope,
};

use super::Digest;

/// The four-byte length before the RLP.
const LENGTH_PREFIX: usize = 4;

/// A sealed block with its senders recovered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block(pub SealedBlock);

/// Senders this node already recovered, by transaction hash (its pool). The hash commits to
/// the signature, so the sender recovered for a hash is that transaction's sender.
pub trait KnownSenders: Send + Sync + 'static {
    /// The sender of the transaction with this hash, if this node recovered it already.
    fn sender(&self, hash: &B256) -> Option<Address>;
}

/// Decoding limits (the same on every node) and where known senders come from.
#[derive(Clone)]
pub struct BlockCodec {
    /// Largest encoded block accepted, in bytes (length prefix excluded).
    pub max_bytes: usize,
    /// Threads recovering transaction senders.
    pub recover_threads: usize,
    /// Senders recovered before, looked up before recovering a signature.
    pub known_senders: Option<Arc<dyn KnownSenders>>,
}

impl std::fmt::Debug for BlockCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockCodec")
            .field("max_bytes", &self.max_bytes)
            .field("recover_threads", &self.recover_threads)
            .field("known_senders", &self.known_senders.is_some())
            .finish()
    }
}

/// The senders of `envelopes`, in order: looked up in `known` first, recovered otherwise;
/// `None` when a signature does not recover.
fn senders_of(
    envelopes: Vec<TxEnvelope>,
    known: Option<&dyn KnownSenders>,
    threads: usize,
) -> Option<Vec<RecoveredTx>> {
    let mut transactions = Vec::with_capacity(envelopes.len());
    let mut unknown = Vec::new();
    let mut unknown_at = Vec::new();
    for (index, tx) in envelopes.into_iter().enumerate() {
        match known.and_then(|known| known.sender(&tx.hash())) {
            Some(sender) => transactions.push(Some(RecoveredTx { tx, sender })),
            None => {
                transactions.push(None);
                unknown_at.push(index);
                unknown.push(tx);
            }
        }
    }
    for (index, recovered) in unknown_at.into_iter().zip(recover_all(unknown, threads)) {
        transactions[index] = Some(recovered?);
    }
    transactions.into_iter().collect()
}

impl Block {
    /// The block's RLP list `[header, [tx, …]]`.
    fn rlp(&self) -> Vec<u8> {
        let txs: Vec<Bytes> = self
            .0
            .transactions
            .iter()
            .map(|tx| Bytes::from(tx.tx.encoded()))
            .collect();
        let payload_length = self.0.header.length() + txs.length();
        let mut out = Vec::with_capacity(payload_length + 8);
        alloy_rlp::Header {
            list: true,
            payload_length,
        }
        .encode(&mut out);
        self.0.header.encode(&mut out);
        txs.encode(&mut out);
        out
    }

    /// Parses and checks a block's RLP (see the module documentation).
    fn from_rlp(rlp: &[u8], codec: &BlockCodec) -> Result<Self, CodecError> {
        let invalid = |what: &'static str| CodecError::Invalid("supervm block", what);
        let mut cursor = rlp;
        let list =
            alloy_rlp::Header::decode(&mut cursor).map_err(|_| invalid("not an RLP list"))?;
        if !list.list || list.payload_length != cursor.len() {
            return Err(invalid("not exactly one RLP list"));
        }
        let header = Header::decode(&mut cursor).map_err(|_| invalid("malformed header"))?;
        let raw: Vec<Bytes> =
            Vec::<Bytes>::decode(&mut cursor).map_err(|_| invalid("malformed transaction list"))?;
        if !cursor.is_empty() {
            return Err(invalid("bytes after the transaction list"));
        }
        let envelopes = raw
            .iter()
            .map(|bytes| TxEnvelope::decode_raw(bytes))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| invalid("malformed transaction"))?;
        let transactions = senders_of(
            envelopes,
            codec.known_senders.as_deref(),
            codec.recover_threads,
        )
        .ok_or_else(|| invalid("a transaction signature does not recover"))?;
        if transactions_root(&transactions) != header.transactions_root {
            return Err(invalid(
                "transactions do not match the header's transactions root",
            ));
        }
        let block = Self(SealedBlock::new(header, transactions));
        if block.rlp() != rlp {
            return Err(invalid("non-canonical encoding"));
        }
        Ok(block)
    }
}

impl Write for Block {
    fn write(&self, buf: &mut impl BufMut) {
        let rlp = self.rlp();
        buf.put_u32(rlp.len() as u32);
        buf.put_slice(&rlp);
    }
}

impl EncodeSize for Block {
    fn encode_size(&self) -> usize {
        LENGTH_PREFIX + self.rlp().len()
    }
}

impl Read for Block {
    type Cfg = BlockCodec;

    fn read_cfg(buf: &mut impl Buf, cfg: &BlockCodec) -> Result<Self, CodecError> {
        if buf.remaining() < LENGTH_PREFIX {
            return Err(CodecError::EndOfBuffer);
        }
        let length = buf.get_u32() as usize;
        if length > cfg.max_bytes {
            return Err(CodecError::InvalidLength(length));
        }
        if buf.remaining() < length {
            return Err(CodecError::EndOfBuffer);
        }
        let rlp = buf.copy_to_bytes(length);
        Self::from_rlp(&rlp, cfg)
    }
}

impl Digestible for Block {
    type Digest = Digest;

    fn digest(&self) -> Digest {
        Digest(self.0.hash)
    }
}

impl Heightable for Block {
    fn height(&self) -> Height {
        Height::new(self.0.number())
    }
}

impl commonware_consensus::Block for Block {
    fn parent(&self) -> Digest {
        Digest(self.0.header.parent_hash)
    }
}

impl commonware_consensus::BoundedBlock for Block {
    fn max_encode_size(cfg: &BlockCodec) -> usize {
        LENGTH_PREFIX + cfg.max_bytes
    }
}

#[cfg(test)]
mod tests {
    use alloy_consensus::{SignableTransaction, TxEip1559};
    use alloy_primitives::{Address, TxKind, B256, U256};
    use alloy_signer::SignerSync;
    use alloy_signer_local::PrivateKeySigner;
    use commonware_codec::{Decode, Encode};

    use super::*;

    const CODEC: BlockCodec = BlockCodec {
        max_bytes: 1 << 20,
        recover_threads: 1,
        known_senders: None,
    };

    fn block(txs: usize) -> Block {
        let signer = PrivateKeySigner::random();
        let transactions: Vec<_> = (0..txs as u64)
            .map(|nonce| {
                let tx = TxEip1559 {
                    chain_id: 1,
                    nonce,
                    gas_limit: 21_000,
                    to: TxKind::Call(Address::repeat_byte(1)),
                    value: U256::from(1),
                    ..Default::default()
                };
                let signature = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
                TxEnvelope::Eip1559(tx.into_signed(signature))
                    .recover()
                    .unwrap()
            })
            .collect();
        let header = Header {
            number: 7,
            parent_hash: B256::repeat_byte(3),
            transactions_root: transactions_root(&transactions),
            ..Header::default()
        };
        Block(SealedBlock::new(header, transactions))
    }

    #[test]
    fn a_block_round_trips_and_keeps_its_hash() {
        let original = block(3);
        let encoded = original.encode();
        assert_eq!(encoded.len(), original.encode_size());
        let decoded = Block::decode_cfg(encoded, &CODEC).unwrap();
        assert_eq!(decoded, original);
        assert_eq!(decoded.digest(), Digest(original.0.hash));
        assert_eq!(decoded.height(), Height::new(7));
    }

    /// Senders known by hash, counting the lookups that found one.
    struct Pool(
        std::collections::HashMap<B256, Address>,
        std::sync::atomic::AtomicUsize,
    );

    impl KnownSenders for Pool {
        fn sender(&self, hash: &B256) -> Option<Address> {
            let found = self.0.get(hash).copied();
            if found.is_some() {
                self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            found
        }
    }

    #[test]
    fn known_senders_are_looked_up_and_the_rest_recovered() {
        let original = block(3);
        let known: std::collections::HashMap<B256, Address> = original.0.transactions[..2]
            .iter()
            .map(|tx| (tx.hash(), tx.sender))
            .collect();
        let pool = Arc::new(Pool(known, Default::default()));
        let codec = BlockCodec {
            known_senders: Some(pool.clone()),
            ..CODEC
        };
        let decoded = Block::decode_cfg(original.encode(), &codec).unwrap();
        assert_eq!(decoded, original);
        assert_eq!(pool.1.load(std::sync::atomic::Ordering::Relaxed), 2);
    }

    #[test]
    fn a_forged_body_under_a_real_header_is_refused() {
        let real = block(3);
        let mut forged = real.clone();
        forged.0.transactions.truncate(2);
        let err = Block::decode_cfg(forged.encode(), &CODEC).unwrap_err();
        assert!(err.to_string().contains("transactions root"), "{err}");
    }

    #[test]
    fn oversized_truncated_and_garbage_input_is_refused() {
        let encoded = block(2).encode();
        let small = BlockCodec {
            max_bytes: 10,
            ..CODEC
        };
        assert!(matches!(
            Block::decode_cfg(encoded.clone(), &small),
            Err(CodecError::InvalidLength(_))
        ));
        assert!(Block::decode_cfg(encoded[..encoded.len() - 1].to_vec(), &CODEC).is_err());
        let mut garbage = vec![0, 0, 0, 5];
        garbage.extend_from_slice(&[0xff; 5]);
        assert!(Block::decode_cfg(garbage, &CODEC).is_err());
        assert!(Block::decode_cfg(Vec::new(), &CODEC).is_err());
    }
}
