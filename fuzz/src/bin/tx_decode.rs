//! Transaction decoding, every type including CIP-64 (0x7b): the bytes of
//! `eth_sendRawTransaction`. Decoding and sender recovery must never panic, and a decoded
//! transaction must re-encode to the bytes it came from.

use supervm_primitives::TxEnvelope;

fn main() {
    afl::fuzz!(|data: &[u8]| {
        if let Ok(tx) = TxEnvelope::decode_raw(data) {
            assert_eq!(tx.encoded(), data, "decode then encode is the identity");
            let _ = tx.recover();
        }
    });
}
