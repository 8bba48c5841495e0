//! Miner policy: which fee tokens this node's blocks accept, at what minimum tip, and how much
//! of a block each token may fill. Node-local, never consensus: transactions a miner does not
//! accept stay pending for a miner who does.

use std::collections::{BTreeMap, BTreeSet};

use alloy_consensus::Transaction;
use supervm_primitives::FeeToken;

use crate::PooledTx;

/// Which fee tokens are accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AcceptedTokens {
    /// Every token that can pay fees.
    All,
    /// Only these.
    Only(BTreeSet<FeeToken>),
}

/// A miner's policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MinerPolicy {
    /// Accepted fee tokens.
    pub accepted: AcceptedTokens,
    /// Minimum tip per gas, in native units (wei), per token.
    pub min_tips: BTreeMap<FeeToken, u128>,
    /// Largest share of the block gas limit, in basis points, that transactions paying in a
    /// token may use.
    pub share_caps_bps: BTreeMap<FeeToken, u64>,
}

impl Default for MinerPolicy {
    fn default() -> Self {
        Self {
            accepted: AcceptedTokens::All,
            min_tips: BTreeMap::new(),
            share_caps_bps: BTreeMap::new(),
        }
    }
}

/// Why a transaction waits instead of entering this block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skip {
    /// Its fee token is not accepted.
    TokenNotAccepted(FeeToken),
    /// Its tip (in native units) is below the token's minimum.
    TipBelowMinimum {
        /// The token.
        token: FeeToken,
        /// The transaction's effective tip per gas, native units.
        tip: u128,
        /// The minimum.
        minimum: u128,
    },
    /// The token's share of the block is used up.
    ShareCapReached(FeeToken),
}

impl std::fmt::Display for Skip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = |token: &FeeToken| match token {
            FeeToken::Native => "the native coin".to_string(),
            FeeToken::Token(address) => format!("fee token {address}"),
        };
        match self {
            Self::TokenNotAccepted(token) => {
                write!(
                    f,
                    "{} is not accepted by this node's miner policy",
                    name(token)
                )
            }
            Self::TipBelowMinimum {
                token,
                tip,
                minimum,
            } => write!(
                f,
                "tip of {tip} wei per gas is below this node's minimum of {minimum} for {}",
                name(token)
            ),
            Self::ShareCapReached(token) => write!(
                f,
                "{} has reached its share cap in this node's blocks",
                name(token)
            ),
        }
    }
}

impl MinerPolicy {
    /// Whether `token` is accepted.
    pub fn accepts(&self, token: FeeToken) -> bool {
        match &self.accepted {
            AcceptedTokens::All => true,
            AcceptedTokens::Only(set) => set.contains(&token),
        }
    }
}

/// Applies a policy while one block is built, tracking each token's share of the gas.
pub struct BlockFilter<'a> {
    policy: &'a MinerPolicy,
    gas_limit: u64,
    base_fee: u64,
    used: BTreeMap<FeeToken, u64>,
}

impl<'a> BlockFilter<'a> {
    /// A filter for a block with this gas limit and base fee.
    pub fn new(policy: &'a MinerPolicy, gas_limit: u64, base_fee: u64) -> Self {
        Self {
            policy,
            gas_limit,
            base_fee,
            used: BTreeMap::new(),
        }
    }

    /// Whether `tx`, paying its fee in `token`, may enter the block now. Block building
    /// checks the token resolved at admission before execution, then the token execution
    /// actually charged (a preference set earlier in the same block can change it).
    pub fn check(&self, tx: &PooledTx, token: FeeToken) -> Result<(), Skip> {
        if !self.policy.accepts(token) {
            return Err(Skip::TokenNotAccepted(token));
        }
        let tip = tx
            .fees
            .native_tip_per_gas(self.base_fee, supervm_gas::Payment::Native);
        let minimum = self.policy.min_tips.get(&token).copied().unwrap_or(0);
        if tip < minimum {
            return Err(Skip::TipBelowMinimum {
                token,
                tip,
                minimum,
            });
        }
        if let Some(cap) = self.policy.share_caps_bps.get(&token) {
            let allowed = u128::from(self.gas_limit) * u128::from(*cap) / 10_000;
            let used = self.used.get(&token).copied().unwrap_or(0);
            if u128::from(used) + u128::from(tx.tx.tx.gas_limit()) > allowed {
                return Err(Skip::ShareCapReached(token));
            }
        }
        Ok(())
    }

    /// Records gas used by an included transaction paying in `token`.
    pub fn record(&mut self, token: FeeToken, gas_used: u64) {
        *self.used.entry(token).or_default() += gas_used;
    }
}
