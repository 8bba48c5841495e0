//! Plain account state: what `eth_getBalance`, `eth_getTransactionCount` and `eth_getCode` read.

use alloy_primitives::{B256, U256};
use alloy_rlp::{RlpDecodable, RlpEncodable};
use alloy_trie::KECCAK_EMPTY;

/// An account without its storage root.
///
/// The storage root is derived by the state-root computation from the account's storage
/// slots, so it is not part of the value the executor reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct Account {
    /// Number of transactions sent from this account.
    pub nonce: u64,
    /// Native balance in wei.
    pub balance: U256,
    /// keccak256 of the account's code; [`KECCAK_EMPTY`] for accounts without code.
    pub code_hash: B256,
}

impl Default for Account {
    fn default() -> Self {
        Self {
            nonce: 0,
            balance: U256::ZERO,
            code_hash: KECCAK_EMPTY,
        }
    }
}

impl Account {
    /// An account with only a balance, as created by a value transfer.
    pub fn with_balance(balance: U256) -> Self {
        Self {
            balance,
            ..Self::default()
        }
    }

    /// EIP-161 emptiness: no nonce, no balance, no code. Empty accounts are not stored.
    pub fn is_empty(&self) -> bool {
        self.nonce == 0 && self.balance.is_zero() && self.code_hash == KECCAK_EMPTY
    }

    /// Whether the account has code deployed.
    pub fn has_code(&self) -> bool {
        self.code_hash != KECCAK_EMPTY
    }
}
