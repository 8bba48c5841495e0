//! Transaction gossip on its own p2p channel: transactions clients submit to one node reach
//! every proposer's pool. A node sends only what its own clients submitted (every node is
//! connected to every validator, so nothing needs relaying) in batches of RLP-encoded raw
//! transactions, and sends again, every [`RESEND_EVERY`], those still pending (a peer that
//! was down or disconnected when they were first sent gets them then); a batch that does not
//! decode gets its sender blocked.

use std::{collections::VecDeque, sync::Arc, time::Duration};

use alloy_primitives::{keccak256, Bytes, B256};
use alloy_rlp::Decodable;
use commonware_cryptography::ed25519;
use commonware_p2p::{Blocker, Receiver, Recipients, Sender};
use commonware_runtime::{Clock, Spawner};
use tokio::sync::broadcast;

/// Largest gossip message, bytes: a batch never grows past it, and the network is
/// configured to carry it.
pub const MAX_BATCH_BYTES: usize = 1 << 20;
/// Most transactions in one batch.
pub const MAX_BATCH_TXS: usize = 4096;
/// How often transactions this node's clients submitted are sent again while pending.
pub const RESEND_EVERY: Duration = Duration::from_secs(10);
/// Most submitted transactions remembered for sending again (the oldest are forgotten).
const RESEND_MAX: usize = 16_384;

/// Where transactions from other nodes go (the node's pool).
pub trait TxImport: Send + Sync + 'static {
    /// Admits raw transactions a peer gossiped; those the pool refuses (already known,
    /// invalid, underpriced) are dropped. Returns how many were admitted.
    fn import(&self, raw: Vec<Bytes>) -> usize;

    /// Whether the transaction with this hash is still in the pool, waiting for a block.
    fn is_pending(&self, hash: &B256) -> bool;
}

/// Encodes `batch` as one gossip message.
pub fn encode_batch(batch: &[Bytes]) -> Vec<u8> {
    let mut out = Vec::with_capacity(batch.iter().map(|tx| tx.len() + 4).sum::<usize>() + 8);
    alloy_rlp::encode_list::<_, Bytes>(batch, &mut out);
    out
}

/// Decodes one gossip message; `Err` names what is wrong with it.
pub fn decode_batch(mut message: &[u8]) -> Result<Vec<Bytes>, String> {
    if message.len() > MAX_BATCH_BYTES {
        return Err(format!(
            "{} bytes, more than the {MAX_BATCH_BYTES} a batch may have",
            message.len()
        ));
    }
    let batch = Vec::<Bytes>::decode(&mut message).map_err(|err| err.to_string())?;
    if !message.is_empty() {
        return Err(format!("{} bytes after the batch", message.len()));
    }
    if batch.len() > MAX_BATCH_TXS {
        return Err(format!(
            "{} transactions, more than {MAX_BATCH_TXS}",
            batch.len()
        ));
    }
    Ok(batch)
}

/// Sends what this node's clients submit, batching whatever is queued when the channel
/// is free, and every [`RESEND_EVERY`] what of it `pool` still holds. Ends when the node stops
/// submitting (the sender side is dropped).
pub async fn send_submitted<E, S, X>(
    context: E,
    mut submitted: broadcast::Receiver<Bytes>,
    mut sender: S,
    pool: Arc<X>,
) where
    E: Clock,
    S: Sender<PublicKey = ed25519::PublicKey>,
    X: TxImport,
{
    let mut recent: VecDeque<(B256, Bytes)> = VecDeque::new();
    let mut resend_at = context.current() + RESEND_EVERY;
    loop {
        let first = tokio::select! {
            received = submitted.recv() => match received {
                Ok(tx) => tx,
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(
                        missed,
                        "transaction gossip fell behind; those stay in this node's pool only"
                    );
                    continue;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            () = context.sleep_until(resend_at) => {
                resend_at = context.current() + RESEND_EVERY;
                recent.retain(|(hash, _)| pool.is_pending(hash));
                let pending: Vec<Bytes> = recent.iter().map(|(_, raw)| raw.clone()).collect();
                send_batches(&mut sender, pending);
                continue;
            }
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH_TXS {
            match submitted.try_recv() {
                Ok(tx) => batch.push(tx),
                Err(_) => break,
            }
        }
        for raw in &batch {
            if recent.len() == RESEND_MAX {
                recent.pop_front();
            }
            recent.push_back((keccak256(raw), raw.clone()));
        }
        send_batches(&mut sender, batch);
    }
}

/// Sends `txs` in as few messages as fit [`MAX_BATCH_BYTES`].
fn send_batches<S: Sender<PublicKey = ed25519::PublicKey>>(sender: &mut S, txs: Vec<Bytes>) {
    let mut batch = Vec::new();
    let mut bytes = 8;
    for tx in txs {
        if !batch.is_empty() && bytes + tx.len() + 8 > MAX_BATCH_BYTES {
            flush(sender, &batch);
            batch.clear();
            bytes = 8;
        }
        bytes += tx.len() + 8;
        batch.push(tx);
    }
    if !batch.is_empty() {
        flush(sender, &batch);
    }
}

fn flush<S: Sender<PublicKey = ed25519::PublicKey>>(sender: &mut S, batch: &[Bytes]) {
    let message = encode_batch(batch);
    if message.len() > MAX_BATCH_BYTES {
        tracing::warn!(
            bytes = message.len(),
            "a transaction too large to gossip stays in this node's pool"
        );
        return;
    }
    sender.send(Recipients::All, message, false);
}

/// Admits the batches peers gossip, one at a time on the blocking pool (signature recovery
/// is CPU work); blocks a peer whose message is not a batch. Ends when the network stops.
pub async fn receive<E, R, B, X>(context: E, mut receiver: R, mut blocker: B, pool: Arc<X>)
where
    E: Spawner,
    R: Receiver<PublicKey = ed25519::PublicKey>,
    B: Blocker<PublicKey = ed25519::PublicKey>,
    X: TxImport,
{
    while let Ok((peer, message)) = receiver.recv().await {
        match decode_batch(message.as_ref()) {
            Ok(batch) => {
                let pool = pool.clone();
                let _ = context
                    .child("import")
                    .shared(true)
                    .spawn(move |_| async move { pool.import(batch) })
                    .await;
            }
            Err(reason) => {
                tracing::warn!(%peer, %reason, "malformed transaction gossip; blocking the peer");
                blocker.block(peer);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_round_trips_and_garbage_is_named() {
        let batch = vec![
            Bytes::from_static(b"\x02abc"),
            Bytes::from_static(b"\x7bxyz"),
        ];
        assert_eq!(decode_batch(&encode_batch(&batch)).unwrap(), batch);
        let mut trailing = encode_batch(&batch);
        trailing.push(0);
        assert!(decode_batch(&trailing)
            .unwrap_err()
            .contains("after the batch"));
        assert!(decode_batch(b"\x01\x02").is_err());
        assert!(decode_batch(&vec![0u8; MAX_BATCH_BYTES + 1])
            .unwrap_err()
            .contains("more than"));
    }
}
