//! The state changes of a block, as handed from execution to storage.

use std::collections::BTreeMap;

use alloy_primitives::{Address, Bytes, B256, U256};

use crate::Account;

/// Every account, storage slot and code blob a block changed, in its final post-block form.
///
/// `BTreeMap`s keep the order deterministic, so every node writes the same bytes in the same
/// order. An account mapped to `None` became empty (EIP-161) and is removed from state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StateChanges {
    /// New value of each touched account; `None` deletes it.
    pub accounts: BTreeMap<Address, Option<Account>>,
    /// New value of each written storage slot; zero deletes the slot.
    pub storage: BTreeMap<Address, BTreeMap<B256, U256>>,
    /// Code blobs introduced by the block, by code hash.
    pub codes: BTreeMap<B256, Bytes>,
}

impl StateChanges {
    /// Whether the block changed nothing at all.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty() && self.storage.is_empty() && self.codes.is_empty()
    }
}

/// One token's rate in a block's rate snapshot: `numerator / denominator` token base units
/// per wei. Stored per block so every block's fee prices can be audited later.
#[derive(Clone, Copy, Debug, PartialEq, Eq, alloy_rlp::RlpEncodable, alloy_rlp::RlpDecodable)]
pub struct RateEntry {
    /// The token.
    pub token: Address,
    /// Numerator.
    pub numerator: U256,
    /// Denominator.
    pub denominator: U256,
}
