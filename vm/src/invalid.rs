//! Why a transaction cannot be included at all.

use alloy_primitives::{Address, U256};
use supervm_gas::FeeError;

use crate::{wasm::ModuleError, StateError};

/// Why a transaction cannot be included at all. Messages follow geth word for word where geth
/// has the same error, because wallets and libraries match on them; fee-token errors name the
/// token and the amounts.
#[derive(Debug, thiserror::Error)]
pub enum InvalidTx {
    /// geth `ErrNonceTooLow`.
    #[error("nonce too low: address {address}, tx: {tx} state: {state}")]
    NonceTooLow {
        /// Sender.
        address: Address,
        /// Nonce of the transaction.
        tx: u64,
        /// Nonce of the account.
        state: u64,
    },
    /// geth `ErrNonceTooHigh`.
    #[error("nonce too high: address {address}, tx: {tx} state: {state}")]
    NonceTooHigh {
        /// Sender.
        address: Address,
        /// Nonce of the transaction.
        tx: u64,
        /// Nonce of the account.
        state: u64,
    },
    /// geth `ErrInsufficientFunds`.
    #[error(
        "insufficient funds for gas * price + value: address {address} have {have} want {want}"
    )]
    InsufficientFunds {
        /// Sender.
        address: Address,
        /// Its balance.
        have: U256,
        /// gas limit × max fee + value.
        want: U256,
    },
    /// The fee token balance does not cover the maximum fee.
    #[error("{0}")]
    InsufficientFeeTokenBalance(Box<FeeTokenShortfall>),
    /// The named fee token is not in the registry.
    #[error("fee token {0} is not a registered token")]
    FeeTokenNotRegistered(Address),
    /// The fee token is registered but disabled for fee payment.
    #[error("fee token {symbol} ({token}) is disabled for fee payment")]
    FeeTokenDisabled {
        /// The token.
        token: Address,
        /// Its symbol.
        symbol: String,
    },
    /// The fee token has no rate in this block.
    #[error("no fresh price for fee token {symbol} ({token})")]
    NoFreshPrice {
        /// The token.
        token: Address,
        /// Its symbol.
        symbol: String,
    },
    /// geth `ErrIntrinsicGas`.
    #[error("intrinsic gas too low: have {have}, want {want}")]
    IntrinsicGasTooLow {
        /// The transaction's gas limit.
        have: u64,
        /// Its intrinsic gas.
        want: u64,
    },
    /// geth `ErrGasLimit`.
    #[error("exceeds block gas limit")]
    ExceedsBlockGasLimit,
    /// geth `ErrFeeCapTooLow` / `ErrTipAboveFeeCap`.
    #[error(transparent)]
    Fee(#[from] FeeError),
    /// geth `ErrInvalidChainId`, with both ids.
    #[error("invalid chain id for signer: have {got} want {expected}")]
    ChainId {
        /// Chain id in the signature.
        got: u64,
        /// This chain's id.
        expected: u64,
    },
    /// A contract creation whose data is not a module a contract may be.
    #[error(transparent)]
    InvalidContract(#[from] ModuleError),
    /// The state could not be read.
    #[error(transparent)]
    State(#[from] StateError),
}

/// A payer whose fee-token balance is below the maximum fee.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("insufficient {symbol} balance for gas * price: address {address} have {have} want {want} (fee token {token})")]
pub struct FeeTokenShortfall {
    /// Sender.
    pub address: Address,
    /// The fee token.
    pub token: Address,
    /// Its symbol.
    pub symbol: String,
    /// Token balance (base units).
    pub have: U256,
    /// Maximum fee in the token (base units).
    pub want: U256,
}
