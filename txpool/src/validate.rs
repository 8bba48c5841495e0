//! Admission checks, run before a transaction enters the pool.

use alloy_consensus::Transaction;
use alloy_primitives::U256;
use supervm_gas::{intrinsic_gas, Payment, TxFees};
use supervm_primitives::{FeeToken, RecoveredTx, TxEnvelope};
use supervm_vm::{
    check_chain_id, system::layout::balance_slot, validate_payment, wasm::validate_module,
    FeePayment, InvalidTx, Message, PendingState, StateAccess, StateReader,
};

use crate::{PoolConfig, PoolEnv, PoolError};

/// Checks that need neither state nor the sender: size, chain id, gas limit, intrinsic gas,
/// fee fields, and a creation's module. They run before signature recovery, so malformed
/// transactions cost less to refuse than valid ones cost to admit.
pub(crate) fn stateless(
    tx: &TxEnvelope,
    encoded_len: usize,
    env: &PoolEnv,
    config: &PoolConfig,
) -> Result<(), PoolError> {
    if encoded_len > config.max_tx_size {
        return Err(PoolError::Oversized {
            size: encoded_len,
            limit: config.max_tx_size,
        });
    }
    check_chain_id(tx, env.chain_id)?;
    if tx.gas_limit() > env.block_gas_limit {
        return Err(InvalidTx::ExceedsBlockGasLimit.into());
    }
    let is_create = tx.kind().is_create();
    let intrinsic = intrinsic_gas(tx.input(), is_create, tx.access_list());
    if tx.gas_limit() < intrinsic {
        return Err(InvalidTx::IntrinsicGasTooLow {
            have: tx.gas_limit(),
            want: intrinsic,
        }
        .into());
    }
    Message::fees_of(tx)
        .check_consistent()
        .map_err(InvalidTx::from)?;
    if is_create {
        validate_module(tx.input()).map_err(InvalidTx::from)?;
    }
    Ok(())
}

/// What admission learned about a valid transaction.
pub(crate) struct Admitted {
    /// The sender's nonce in the head state.
    pub state_nonce: u64,
    /// How the fee is paid.
    pub fee: FeePayment,
    /// The fee fields in native units per gas (CIP-64 fields converted at the current rate),
    /// so transactions of every token compete on one scale.
    pub native_fees: TxFees,
    /// The most the fee can debit, in the fee token's units.
    pub max_fee_debit: U256,
    /// What the sender holds in the head state to pay with: native coin, and the fee token
    /// when a token pays. The pool checks its transactions' total cost against them.
    pub funds: Funds,
}

/// A sender's balances in the head state, for the pool's cumulative cost check.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Funds {
    /// Native balance.
    pub native: U256,
    /// Balance of the fee token, when a token pays.
    pub fee_token: U256,
}

/// Checks against the head state: the nonce is not used yet, the fee token can pay and the
/// payer's balances cover the maximum fee and the value.
pub(crate) fn stateful(
    tx: &RecoveredTx,
    msg: &Message,
    env: &PoolEnv,
    state: &impl StateReader,
) -> Result<Admitted, PoolError> {
    let mut view = PendingState::new(state);
    let state_nonce = view.account(tx.sender).map_err(InvalidTx::from)?.nonce;
    let nonce = tx.tx.nonce();
    if nonce < state_nonce {
        return Err(InvalidTx::NonceTooLow {
            address: tx.sender,
            tx: nonce,
            state: state_nonce,
        }
        .into());
    }
    let (fee, max_fee_debit) = validate_payment(&mut view, msg, env.base_fee, &env.rates)?;
    let funds = Funds {
        native: view.account(tx.sender).map_err(InvalidTx::from)?.balance,
        fee_token: match fee.token() {
            FeeToken::Native => U256::ZERO,
            FeeToken::Token(token) => view
                .storage(token, balance_slot(tx.sender))
                .map_err(InvalidTx::from)?,
        },
    };
    let fees = signed_fees(msg);
    let native_fees = match fee.payment() {
        Payment::Denominated(rate) => TxFees {
            max_fee_per_gas: rate
                .to_native_floor(U256::from(fees.max_fee_per_gas))
                .saturating_to(),
            max_priority_fee_per_gas: rate
                .to_native_floor(U256::from(fees.max_priority_fee_per_gas))
                .saturating_to(),
        },
        _ => fees,
    };
    Ok(Admitted {
        state_nonce,
        fee,
        native_fees,
        max_fee_debit,
        funds,
    })
}

/// The fee fields as signed (zero for a transaction without any, which only `eth_call`
/// builds).
pub(crate) fn signed_fees(msg: &Message) -> TxFees {
    msg.fees.unwrap_or(TxFees {
        max_fee_per_gas: 0,
        max_priority_fee_per_gas: 0,
    })
}
