//! Transaction decoding, every type including CIP-64 (0x7b): the bytes of
//! `eth_sendRawTransaction`. Decoding and sender recovery must never panic, and a decoded
//! transaction must re-encode to the bytes it came from.

use supervm_primitives::TxEnvelope;

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let decoded = TxEnvelope::decode_raw(data);
        supervm_fuzz::print(|| format!("{decoded:?}"));
        if let Ok(tx) = decoded {
            assert_eq!(tx.encoded(), data, "decode then encode is the identity");
            let recovered = tx.recover();
            supervm_fuzz::print(|| format!("sender: {:?}", recovered.map(|r| r.sender)));
        }
    });
}
