//! Pagination: bounded page sizes and opaque page tokens.

use alloy_primitives::hex;
use tonic::Status;

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

/// Encodes a cursor of up to two numbers as an opaque token.
pub(super) fn token(kind: &str, a: u64, b: u64) -> String {
    hex::encode(format!("{kind}:{a}:{b}"))
}

/// Decodes a token made by [`token`] for the same `kind`; empty = start.
pub(super) fn cursor(kind: &str, token: &str) -> Result<Option<(u64, u64)>, Status> {
    if token.is_empty() {
        return Ok(None);
    }
    let invalid = || {
        Status::invalid_argument(format!(
            "page_token {token:?} is not a token this method issued"
        ))
    };
    let bytes = hex::decode(token).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
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
        assert_eq!(cursor("blocks", "").unwrap(), None);
        assert!(page_size(1001).is_err());
        assert_eq!(page_size(0).unwrap(), 50);
    }
}
