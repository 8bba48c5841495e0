//! Storage layouts, identical to what the Solidity compiler produces for the same contracts,
//! so `eth_getStorageAt` reads of a token's balances work as on Ethereum.
//!
//! Token (OpenZeppelin ERC-20 order): slot 0 `mapping(address => uint256) balances`, slot 1
//! `mapping(address => mapping(address => uint256)) allowances`, slot 2 `totalSupply`, slot 3
//! `name`, slot 4 `symbol` (short strings), slot 5 `decimals`, slot 6 fees burned.

use alloy_primitives::{keccak256, Address, B256, U256};

use crate::{StateAccess, StateError};

/// Token: `totalSupply`.
pub const TOTAL_SUPPLY_SLOT: B256 = B256::with_last_byte(2);
/// Token: `name`.
pub const NAME_SLOT: B256 = B256::with_last_byte(3);
/// Token: `symbol`.
pub const SYMBOL_SLOT: B256 = B256::with_last_byte(4);
/// Token: `decimals`.
pub const DECIMALS_SLOT: B256 = B256::with_last_byte(5);
/// Token: amount burned by base fees paid in the token.
pub const BURNED_SLOT: B256 = B256::with_last_byte(6);

/// Longest name or symbol, in bytes (Solidity's short-string encoding).
pub const MAX_SHORT_STRING: usize = 31;

/// The slot of `mapping(address => ...)` at `base` for `key`: keccak256(pad(key) ‖ base).
pub fn mapping_slot(key: Address, base: B256) -> B256 {
    let mut preimage = [0u8; 64];
    preimage[12..32].copy_from_slice(key.as_slice());
    preimage[32..].copy_from_slice(base.as_slice());
    keccak256(preimage)
}

/// The balance slot of `owner` in a token.
pub fn balance_slot(owner: Address) -> B256 {
    mapping_slot(owner, B256::ZERO)
}

/// The allowance slot of (`owner`, `spender`) in a token.
pub fn allowance_slot(owner: Address, spender: Address) -> B256 {
    mapping_slot(spender, mapping_slot(owner, B256::with_last_byte(1)))
}

/// Solidity's encoding of a string of at most 31 bytes in one slot: the bytes left-aligned,
/// twice the length in the last byte.
pub fn encode_short_string(value: &str) -> Option<U256> {
    let bytes = value.as_bytes();
    if bytes.len() > MAX_SHORT_STRING {
        return None;
    }
    let mut word = [0u8; 32];
    word[..bytes.len()].copy_from_slice(bytes);
    word[31] = (bytes.len() * 2) as u8;
    Some(U256::from_be_bytes(word))
}

/// Inverse of [`encode_short_string`] (invalid UTF-8 is replaced, never trusted).
pub fn decode_short_string(word: U256) -> String {
    let bytes = word.to_be_bytes::<32>();
    let len = usize::from(bytes[31] / 2).min(MAX_SHORT_STRING);
    String::from_utf8_lossy(&bytes[..len]).into_owned()
}

/// A token's symbol, read from its storage.
pub fn token_symbol(state: &mut impl StateAccess, token: Address) -> Result<String, StateError> {
    Ok(decode_short_string(state.storage(token, SYMBOL_SLOT)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{address, b256};

    #[test]
    fn slots_match_solidity() {
        // keccak256(abi.encode(address(0), uint256(0))) = keccak256 of 64 zero bytes.
        assert_eq!(
            balance_slot(Address::ZERO),
            b256!("0xad3228b676f7d3cd4284a5443f17f1962b36e491b30a40b2405849e597ba5fb5")
        );
        let owner = address!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
        let spender = address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
        assert_eq!(
            allowance_slot(owner, spender),
            mapping_slot(spender, mapping_slot(owner, B256::with_last_byte(1)))
        );
    }

    #[test]
    fn short_strings_round_trip() {
        let word = encode_short_string("sUSD").unwrap();
        assert_eq!(word.to_be_bytes::<32>()[31], 8);
        assert_eq!(decode_short_string(word), "sUSD");
        assert!(encode_short_string(&"x".repeat(32)).is_none());
    }
}
