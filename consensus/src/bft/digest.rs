//! The consensus digest of a block: its Ethereum hash, `keccak256(rlp(header))`. Votes and
//! certificates name blocks by the same hash wallets and explorers see.

use std::{
    fmt::{Debug, Display},
    ops::Deref,
};

use alloy_primitives::B256;
use bytes::{Buf, BufMut};
use commonware_codec::{Error as CodecError, FixedSize, Read, Write};
use commonware_math::algebra::Random;
use commonware_utils::{Array, Span};

/// A block hash as a commonware digest.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Digest(pub B256);

impl Write for Digest {
    fn write(&self, buf: &mut impl BufMut) {
        buf.put_slice(self.0.as_slice());
    }
}

impl Read for Digest {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        if buf.remaining() < B256::len_bytes() {
            return Err(CodecError::EndOfBuffer);
        }
        let mut bytes = [0u8; 32];
        buf.copy_to_slice(&mut bytes);
        Ok(Self(B256::from(bytes)))
    }
}

impl FixedSize for Digest {
    const SIZE: usize = 32;
}

impl Span for Digest {}

impl Array for Digest {}

impl AsRef<[u8]> for Digest {
    fn as_ref(&self) -> &[u8] {
        self.0.as_slice()
    }
}

impl Deref for Digest {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.0.as_slice()
    }
}

impl Debug for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Random for Digest {
    fn random(rng: impl rand_core::CryptoRng) -> Self {
        Self(B256::from(
            commonware_cryptography::sha256::Digest::random(rng).0,
        ))
    }
}

impl commonware_cryptography::Digest for Digest {
    const EMPTY: Self = Self(B256::ZERO);
}

#[cfg(test)]
mod tests {
    use commonware_codec::{DecodeExt, Encode};

    use super::*;

    #[test]
    fn a_digest_is_its_32_bytes() {
        let digest = Digest(B256::repeat_byte(0xab));
        let encoded = digest.encode();
        assert_eq!(encoded.as_ref(), B256::repeat_byte(0xab).as_slice());
        assert_eq!(Digest::decode(encoded).unwrap(), digest);
        assert!(Digest::decode(vec![0u8; 31]).is_err());
    }
}
