//! Byte layouts of keys and values. Values are RLP (what Ethereum uses for the same data),
//! keys are fixed-size big-endian byte strings so that redb's order is the natural order.

use alloy_primitives::{Address, B256, U256};
use alloy_rlp::{Decodable, Encodable};
use supervm_primitives::{RecoveredTx, TxEnvelope};

use crate::StorageError;

/// Address ‖ slot.
pub(crate) fn storage_key(address: &Address, slot: &B256) -> [u8; 52] {
    let mut key = [0u8; 52];
    key[..20].copy_from_slice(address.as_slice());
    key[20..].copy_from_slice(slot.as_slice());
    key
}

/// Address ‖ block number.
pub(crate) fn account_history_key(address: &Address, block: u64) -> [u8; 28] {
    let mut key = [0u8; 28];
    key[..20].copy_from_slice(address.as_slice());
    key[20..].copy_from_slice(&block.to_be_bytes());
    key
}

/// Address ‖ slot ‖ block number.
pub(crate) fn storage_history_key(address: &Address, slot: &B256, block: u64) -> [u8; 60] {
    let mut key = [0u8; 60];
    key[..52].copy_from_slice(&storage_key(address, slot));
    key[52..].copy_from_slice(&block.to_be_bytes());
    key
}

/// keccak(address) ‖ keccak(slot).
pub(crate) fn hashed_storage_key(hashed_address: &B256, hashed_slot: &B256) -> [u8; 64] {
    let mut key = [0u8; 64];
    key[..32].copy_from_slice(hashed_address.as_slice());
    key[32..].copy_from_slice(hashed_slot.as_slice());
    key
}

/// RLP-encodes any value.
pub(crate) fn rlp<T: Encodable>(value: &T) -> Vec<u8> {
    alloy_rlp::encode(value)
}

/// Decodes an RLP value, naming the table on failure.
pub(crate) fn decode<T: Decodable>(
    table: &'static str,
    mut bytes: &[u8],
) -> Result<T, StorageError> {
    T::decode(&mut bytes).map_err(|err| StorageError::Corrupt {
        table,
        reason: err.to_string(),
    })
}

/// A U256 as the 32-byte big-endian value stored in slot tables.
pub(crate) fn word(value: &U256) -> [u8; 32] {
    value.to_be_bytes()
}

/// Sender ‖ EIP-2718 bytes.
pub(crate) fn encode_tx(tx: &RecoveredTx) -> Vec<u8> {
    let mut out = tx.sender.to_vec();
    out.extend_from_slice(&tx.tx.encoded());
    out
}

/// Inverse of [`encode_tx`]; the sender is trusted (it was recovered before commit).
pub(crate) fn decode_tx(bytes: &[u8]) -> Result<RecoveredTx, StorageError> {
    let corrupt = |reason: String| StorageError::Corrupt {
        table: "transactions",
        reason,
    };
    if bytes.len() < 21 {
        return Err(corrupt(format!("{} bytes is too short", bytes.len())));
    }
    let sender = Address::from_slice(&bytes[..20]);
    let tx = TxEnvelope::decode_raw(&bytes[20..]).map_err(|err| corrupt(err.to_string()))?;
    Ok(RecoveredTx { tx, sender })
}

/// Address ‖ block number ‖ index in block.
pub(crate) fn account_tx_key(address: &Address, block: u64, index: u32) -> [u8; 32] {
    let mut key = [0u8; 32];
    key[..20].copy_from_slice(address.as_slice());
    key[20..28].copy_from_slice(&block.to_be_bytes());
    key[28..].copy_from_slice(&index.to_be_bytes());
    key
}
