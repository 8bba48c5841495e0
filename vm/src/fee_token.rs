//! Which token pays a transaction's fee, at which rate, and the per-block rate snapshot.
//!
//! Resolution, first rule that applies:
//! 1. a CIP-64 transaction's `feeCurrency` (fee fields in token units);
//! 2. the sender's stored preference (fee-preference contract);
//! 3. the registered token the transaction transacts, if it can pay fees in this block: the
//!    token it calls with `transfer`, `transferFrom` or `approve`, or the token `T` of a
//!    `setFeeToken(T)` call (`T` non-zero) to the fee-preference contract;
//! 4. the native coin.
//!
//! Rules 1 and 2 are explicit choices: a token that cannot pay (unregistered, disabled, no
//! rate) is an error, never a silent fall back to the native coin. Rule 3 is implicit: it
//! applies only when the token is registered, enabled, in the block's rate snapshot, and the
//! sender holds enough of it for the maximum fee; otherwise the native coin pays. The value
//! plays no part in the choice (it is always native). Calls to the fee-preference contract
//! skip rule 2, so a preference for a token that cannot pay can always be changed.
//!
//! `setFeeToken(T)` counts as transacting `T` so that an account holding `T` and no native
//! coin can choose `T` from any wallet: the call pays its own fee in the token it chooses.
//! Its calldata is decoded exactly as the contract decodes it, so the token paid is the token
//! stored; clearing (`setFeeToken(0x0)`), other functions and calldata that does not decode
//! pay natively, as before.

use std::collections::BTreeMap;

use alloy_primitives::{Address, TxKind};
use alloy_sol_types::SolCall;
use supervm_gas::{Payment, Rate};
use supervm_primitives::{
    system::{FEE_PREFERENCE, IERC20},
    FeeToken,
};

use crate::{
    invalid::InvalidTx,
    system::{
        fee_preference,
        layout::{balance_slot, token_symbol},
        oracle, registry,
    },
    Message, StateAccess, StateError,
};

/// The rates fee payments use in one block: every registered, enabled token with a valid
/// rate, read from the parent block's final state. Fixed for the whole block.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RateSnapshot(BTreeMap<Address, Rate>);

impl RateSnapshot {
    /// Reads the snapshot from state (the parent block's post-state).
    pub fn read(state: &mut impl StateAccess) -> Result<Self, StateError> {
        let mut rates = BTreeMap::new();
        for token in registry::tokens(state)? {
            let (registered, enabled) = registry::status(state, token)?;
            if registered && enabled && oracle::priced(state, token)? {
                if let Some(rate) = oracle::rate(state, token)? {
                    rates.insert(token, rate);
                }
            }
        }
        Ok(Self(rates))
    }

    /// The rate of `token` in this block, if it can pay fees.
    pub fn get(&self, token: &Address) -> Option<Rate> {
        self.0.get(token).copied()
    }

    /// Every priced token.
    pub fn iter(&self) -> impl Iterator<Item = (&Address, &Rate)> {
        self.0.iter()
    }
}

/// The resolved fee payment of a transaction: who pays, and in which unit its fee fields are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeePayment {
    /// The native coin pays; fee fields are in wei.
    Native,
    /// `token` pays; fee fields are in wei, converted at `rate` (rules 2 and 3).
    Converted {
        /// The paying token.
        token: Address,
        /// Its rate in this block.
        rate: Rate,
    },
    /// `token` pays; fee fields are in its units (rule 1, CIP-64), `rate` converts the base fee.
    Denominated {
        /// The paying token.
        token: Address,
        /// Its rate in this block.
        rate: Rate,
    },
}

impl FeePayment {
    /// The paying token.
    pub fn token(&self) -> FeeToken {
        match *self {
            Self::Native => FeeToken::Native,
            Self::Converted { token, .. } | Self::Denominated { token, .. } => {
                FeeToken::Token(token)
            }
        }
    }

    /// The unit of the fee fields and the rate into the paying token, as the fee arithmetic
    /// takes it.
    pub fn payment(&self) -> Payment {
        match *self {
            Self::Native => Payment::Native,
            Self::Converted { rate, .. } => Payment::Converted(rate),
            Self::Denominated { rate, .. } => Payment::Denominated(rate),
        }
    }
}

/// Checks that `token` can pay fees in this block and returns its rate; the error says why
/// not (unregistered, disabled, no fresh price).
pub fn usable(
    state: &mut impl StateAccess,
    token: Address,
    rates: &RateSnapshot,
) -> Result<Rate, InvalidTx> {
    let (registered, enabled) = registry::status(state, token)?;
    if !registered {
        return Err(InvalidTx::FeeTokenNotRegistered(token));
    }
    let symbol = token_symbol(state, token)?;
    if !enabled {
        return Err(InvalidTx::FeeTokenDisabled { token, symbol });
    }
    rates
        .get(&token)
        .ok_or(InvalidTx::NoFreshPrice { token, symbol })
}

/// The token `msg` transacts (rule 3), if any: the token it calls with `transfer`,
/// `transferFrom` or `approve`, or the non-zero token a `setFeeToken` call chooses.
fn transacted_token(msg: &Message) -> Option<Address> {
    let TxKind::Call(to) = msg.kind else {
        return None;
    };
    if to == FEE_PREFERENCE {
        return fee_preference::chosen_token(&msg.input);
    }
    let selector: [u8; 4] = msg.input.get(..4)?.try_into().ok()?;
    [
        IERC20::transferCall::SELECTOR,
        IERC20::transferFromCall::SELECTOR,
        IERC20::approveCall::SELECTOR,
    ]
    .contains(&selector)
    .then_some(to)
}

/// Whether the sender's balance of `token` covers `msg`'s maximum fee (rule 3 applies only
/// then: approving, moving or choosing a token one holds too little of still works, paying
/// natively).
fn covers_fee(
    state: &mut impl StateAccess,
    msg: &Message,
    token: Address,
    payment: Payment,
) -> Result<bool, StateError> {
    let Some(fees) = &msg.fees else {
        return Ok(false);
    };
    let Ok(max_debit) = fees.max_debit(msg.gas_limit, payment) else {
        return Ok(false);
    };
    Ok(state.storage(token, balance_slot(msg.caller))? >= max_debit)
}

/// Applies the resolution rules to `msg`.
pub fn resolve(
    state: &mut impl StateAccess,
    msg: &Message,
    rates: &RateSnapshot,
) -> Result<FeePayment, InvalidTx> {
    match msg.fee_currency {
        Some(FeeToken::Token(token)) => {
            let rate = usable(state, token, rates)?;
            return Ok(FeePayment::Denominated { token, rate });
        }
        Some(FeeToken::Native) => return Ok(FeePayment::Native),
        None => {}
    }
    // A call to the preference contract itself skips the stored preference, so an account
    // whose preferred token cannot pay can always change or clear it.
    let to_preference_contract = msg.kind == TxKind::Call(FEE_PREFERENCE);
    let preference = match to_preference_contract {
        true => None,
        false => fee_preference::preference(state, msg.caller)?,
    };
    if let Some(token) = preference {
        let rate = usable(state, token, rates)?;
        return Ok(FeePayment::Converted { token, rate });
    }
    // Rule 3, implicit: only a token that can pay now (enabled in this very state, so a
    // disable earlier in the block counts) and that the sender holds enough of.
    if let Some(token) = transacted_token(msg) {
        if let Some(rate) = rates.get(&token) {
            let payment = FeePayment::Converted { token, rate };
            if registry::status(state, token)? == (true, true)
                && covers_fee(state, msg, token, payment.payment())?
            {
                return Ok(payment);
            }
        }
    }
    Ok(FeePayment::Native)
}
