//! Admission checks, run before a transaction enters the pool.

use alloy_consensus::Transaction;
use supervm_gas::intrinsic_gas;
use supervm_primitives::RecoveredTx;
use supervm_vm::{check_chain_id, InvalidTx, Message, StateError, StateReader};

use crate::{PoolConfig, PoolError};

/// What admission checks a transaction against: the chain and the next block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolEnv {
    /// The chain id signatures must commit to.
    pub chain_id: u64,
    /// The block gas limit.
    pub block_gas_limit: u64,
    /// Base fee of the next block.
    pub base_fee: u64,
}

/// Checks that need no state: size, chain id, gas limit, intrinsic gas, fee fields.
pub(crate) fn stateless(
    tx: &RecoveredTx,
    env: &PoolEnv,
    config: &PoolConfig,
) -> Result<(), PoolError> {
    let size = tx.tx.encoded().len();
    if size > config.max_tx_size {
        return Err(PoolError::Oversized {
            size,
            limit: config.max_tx_size,
        });
    }
    check_chain_id(tx, env.chain_id)?;
    let inner = &tx.tx;
    if inner.gas_limit() > env.block_gas_limit {
        return Err(InvalidTx::ExceedsBlockGasLimit.into());
    }
    if inner.kind().is_create() {
        return Err(InvalidTx::CreateNotSupported.into());
    }
    let intrinsic = intrinsic_gas(inner.input(), false, inner.access_list());
    if inner.gas_limit() < intrinsic {
        return Err(InvalidTx::IntrinsicGasTooLow {
            have: inner.gas_limit(),
            want: intrinsic,
        }
        .into());
    }
    if let Some(fees) = Message::from_tx(tx).fees {
        fees.check(env.base_fee).map_err(InvalidTx::from)?;
    }
    Ok(())
}

/// Checks against the head state: the nonce is not used yet and the balance covers the
/// maximum cost. Returns the sender's state nonce.
pub(crate) fn stateful(tx: &RecoveredTx, state: &impl StateReader) -> Result<u64, PoolError> {
    let account = state
        .account(tx.sender)
        .map_err(|e: StateError| InvalidTx::from(e))?
        .unwrap_or_default();
    let nonce = tx.tx.nonce();
    if nonce < account.nonce {
        return Err(InvalidTx::NonceTooLow {
            address: tx.sender,
            tx: nonce,
            state: account.nonce,
        }
        .into());
    }
    let msg = Message::from_tx(tx);
    let want = msg
        .fees
        .map(|f| f.max_cost(msg.gas_limit, msg.value))
        .unwrap_or(msg.value);
    if account.balance < want {
        return Err(InvalidTx::InsufficientFunds {
            address: tx.sender,
            have: account.balance,
            want,
        }
        .into());
    }
    if let Some(to) = tx.tx.to() {
        if to != tx.sender
            && state
                .account(to)
                .map_err(InvalidTx::from)?
                .is_some_and(|a| a.has_code())
        {
            return Err(InvalidTx::CodeNotSupported(to).into());
        }
    }
    Ok(account.nonce)
}
