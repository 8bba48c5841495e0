//! Pagination: bounded page sizes and opaque page tokens.
//!
//! A token is its cursor followed by a tag: the first bytes of keccak256 over a secret drawn when
//! the node starts and the cursor. Only this node, since it started, can make a valid one, so a
//! client cannot point a listing at a position it was never given. Tokens do not survive a
//! restart: a client then starts the listing again.

use std::sync::LazyLock;

use alloy_primitives::{hex, Keccak256};
use tonic::Status;

/// The key of the tags, new at every start.
static SECRET: LazyLock<[u8; 32]> = LazyLock::new(rand::random);

/// Bytes of tag a token carries.
const TAG_BYTES: usize = 12;

fn tag(payload: &[u8]) -> [u8; TAG_BYTES] {
    let mut hasher = Keccak256::new();
    hasher.update(SECRET.as_slice());
    hasher.update(payload);
    let mut tag = [0u8; TAG_BYTES];
    for (byte, hashed) in tag.iter_mut().zip(hasher.finalize().0) {
        *byte = hashed;
    }
    tag
}

/// Page size when the request gives none.
pub(super) const DEFAULT_PAGE_SIZE: u32 = 50;
/// Largest page a request may ask for.
pub(super) const MAX_PAGE_SIZE: u32 = 1000;

/// The page size of a request, or INVALID_ARGUMENT naming the field.
pub(super) fn page_size(requested: u32) -> Result<usize, Status> {
    match requested {
        0 => Ok(DEFAULT_PAGE_SIZE as usize),
        n if n <= MAX_PAGE_SIZE => Ok(n as usize),
        n => Err(Status::invalid_argument(format!(
            "page_size {n} is above the maximum of {MAX_PAGE_SIZE}"
        ))),
    }
}

/// Longest page token an error message repeats back; tokens this node issues are shorter.
const MAX_ECHOED_TOKEN: usize = 128;

/// Encodes a cursor of up to two numbers as an opaque, tagged token.
pub(super) fn token(kind: &str, a: u64, b: u64) -> String {
    let payload = format!("{kind}:{a}:{b}");
    let mut bytes = payload.into_bytes();
    let tag = tag(&bytes);
    bytes.extend_from_slice(&tag);
    hex::encode(bytes)
}

/// Decodes a token made by [`token`] for the same `kind`; empty = start.
pub(super) fn cursor(kind: &str, token: &str) -> Result<Option<(u64, u64)>, Status> {
    if token.is_empty() {
        return Ok(None);
    }
    // The token is echoed only when short: an error must not grow with what a client sent.
    let invalid = || match token.len() {
        0..=MAX_ECHOED_TOKEN => Status::invalid_argument(format!(
            "page_token {token:?} is not a token this method issued"
        )),
        len => Status::invalid_argument(format!(
            "page_token of {len} bytes is not a token this method issued"
        )),
    };
    let bytes = hex::decode(token).map_err(|_| invalid())?;
    let split = bytes.len().checked_sub(TAG_BYTES).ok_or_else(invalid)?;
    let (payload, given) = bytes.split_at(split);
    if given != tag(payload).as_slice() {
        return Err(invalid());
    }
    let text = std::str::from_utf8(payload).map_err(|_| invalid())?;
    let mut parts = text.split(':');
    if parts.next() != Some(kind) {
        return Err(invalid());
    }
    let a = parts
        .next()
        .and_then(|p| p.parse().ok())
        .ok_or_else(invalid)?;
    let b = parts
        .next()
        .and_then(|p| p.parse().ok())
        .ok_or_else(invalid)?;
    Ok(Some((a, b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_reject_others() {
        let t = token("blocks", 7, 0);
        assert_eq!(cursor("blocks", &t).unwrap(), Some((7, 0)));
        assert!(cursor("account", &t).is_err());
        assert!(cursor("blocks", "zz").is_err());
        let forged = hex::encode("blocks:7:0");
        assert!(cursor("blocks", &forged).is_err(), "untagged");
        let mut tampered = hex::decode(&t).unwrap();
        tampered[7] = b'8';
        assert!(
            cursor("blocks", &hex::encode(tampered)).is_err(),
            "retagged"
        );
        assert_eq!(cursor("blocks", "").unwrap(), None);
        assert!(page_size(1001).is_err());
        assert_eq!(page_size(0).unwrap(), 50);
        let huge = "ab".repeat(1_000_000);
        let err = cursor("blocks", &huge).expect_err("not issued here");
        assert_eq!(
            err.message(),
            "page_token of 2000000 bytes is not a token this method issued"
        );
    }
}
