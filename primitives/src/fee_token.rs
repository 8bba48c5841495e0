//! The token a fee is paid in.

use alloy_primitives::Address;
use alloy_rlp::{Decodable, Encodable};

/// What pays a transaction's fee: the native coin or a registered token.
///
/// The one spelling of "native" along the fee path. Ethereum tooling has no such type, so at
/// the JSON-RPC and gRPC edges (and in the stored receipt's RLP, which must not change) the
/// native coin is written as the zero address; [`FeeToken::from_address`] and
/// [`FeeToken::address`] are the only conversions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FeeToken {
    /// The chain's native coin (ETH).
    #[default]
    Native,
    /// A registered token (its contract address, never zero).
    Token(Address),
}

impl FeeToken {
    /// Reads the edge encoding: the zero address is the native coin.
    pub fn from_address(address: Address) -> Self {
        if address.is_zero() {
            Self::Native
        } else {
            Self::Token(address)
        }
    }

    /// The edge encoding: the token's address, or the zero address for the native coin.
    pub fn address(self) -> Address {
        match self {
            Self::Native => Address::ZERO,
            Self::Token(token) => token,
        }
    }

    /// The token's address, `None` for the native coin.
    pub fn token(self) -> Option<Address> {
        match self {
            Self::Native => None,
            Self::Token(token) => Some(token),
        }
    }
}

impl From<Option<Address>> for FeeToken {
    fn from(token: Option<Address>) -> Self {
        token.map_or(Self::Native, Self::from_address)
    }
}

impl std::fmt::Display for FeeToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Native => f.write_str("native"),
            Self::Token(token) => write!(f, "{token}"),
        }
    }
}

/// Encoded as its edge address, so stored receipts keep their format.
impl Encodable for FeeToken {
    fn encode(&self, out: &mut dyn alloy_rlp::BufMut) {
        self.address().encode(out);
    }

    fn length(&self) -> usize {
        self.address().length()
    }
}

impl Decodable for FeeToken {
    fn decode(buf: &mut &[u8]) -> alloy_rlp::Result<Self> {
        Address::decode(buf).map(Self::from_address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_zero_address_is_the_native_coin_and_nothing_else() {
        let token = Address::repeat_byte(7);
        assert_eq!(FeeToken::from_address(Address::ZERO), FeeToken::Native);
        assert_eq!(FeeToken::from_address(token), FeeToken::Token(token));
        assert_eq!(FeeToken::Native.address(), Address::ZERO);
        assert_eq!(FeeToken::Token(token).address(), token);
        assert_eq!(FeeToken::from(None), FeeToken::Native);
        assert_eq!(FeeToken::from(Some(token)).token(), Some(token));
    }

    #[test]
    fn rlp_is_the_edge_address() {
        for fee_token in [FeeToken::Native, FeeToken::Token(Address::repeat_byte(9))] {
            let encoded = alloy_rlp::encode(fee_token);
            assert_eq!(encoded, alloy_rlp::encode(fee_token.address()));
            assert_eq!(
                FeeToken::decode(&mut encoded.as_slice()).expect("decodes"),
                fee_token
            );
        }
    }
}
