//! Admission checks, run before a transaction enters the pool.

use std::sync::Arc;

use alloy_consensus::Transaction;
use supervm_gas::{intrinsic_gas, next_block_base_fee, Payment, TxFees};
use supervm_primitives::{ChainSpec, RecoveredTx};
use supervm_storage::{Reader, StorageError};
use supervm_vm::{
    check_chain_id, validate_payment, wasm::validate_module, FeePayment, InvalidTx, Message,
    PendingState, RateSnapshot, StateAccess, StateError, StateReader, StoreState,
};

use crate::{PoolConfig, PoolError};

/// What admission checks a transaction against: the chain and the next block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolEnv {
    /// The chain id signatures must commit to.
    pub chain_id: u64,
    /// The block gas limit.
    pub block_gas_limit: u64,
    /// Base fee of the next block.
    pub base_fee: u64,
    /// Fee-token rates of the next block.
    pub rates: Arc<RateSnapshot>,
}

impl PoolEnv {
    /// The environment of the block after the head of `reader`'s snapshot: its base fee and
    /// the rates read from the head state.
    pub fn next_block(spec: &ChainSpec, reader: &Reader) -> Result<Self, StateError> {
        let head = reader.head_number();
        let parent = reader.header(head)?.ok_or_else(|| StorageError::Corrupt {
            table: "headers",
            reason: format!("head block {head} is missing"),
        })?;
        let base_fee = next_block_base_fee(spec, &parent);
        let rates = RateSnapshot::read(&mut PendingState::new(StoreState::new(reader, head)))?;
        Ok(Self {
            chain_id: spec.chain_id(),
            block_gas_limit: spec.gas_limit(),
            base_fee,
            rates: Arc::new(rates),
        })
    }
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
    let is_create = inner.kind().is_create();
    if is_create {
        validate_module(inner.input()).map_err(InvalidTx::from)?;
    }
    let intrinsic = intrinsic_gas(inner.input(), is_create, inner.access_list());
    if inner.gas_limit() < intrinsic {
        return Err(InvalidTx::IntrinsicGasTooLow {
            have: inner.gas_limit(),
            want: intrinsic,
        }
        .into());
    }
    if let Some(fees) = Message::from_tx(tx).fees {
        fees.check_consistent().map_err(InvalidTx::from)?;
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
}

/// Checks against the head state: the nonce is not used yet, the fee token can pay and the
/// payer's balances cover the maximum fee and the value.
pub(crate) fn stateful(
    tx: &RecoveredTx,
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
    let msg = Message::from_tx(tx);
    let (fee, _) = validate_payment(&mut view, &msg, env.base_fee, &env.rates)?;
    let fees = msg.fees.unwrap_or(TxFees {
        max_fee_per_gas: 0,
        max_priority_fee_per_gas: 0,
    });
    let native_fees = match fee.payment {
        Payment::Denominated(rate) => TxFees {
            max_fee_per_gas: rate
                .to_native_floor(alloy_primitives::U256::from(fees.max_fee_per_gas))
                .saturating_to(),
            max_priority_fee_per_gas: rate
                .to_native_floor(alloy_primitives::U256::from(fees.max_priority_fee_per_gas))
                .saturating_to(),
        },
        _ => fees,
    };
    Ok(Admitted {
        state_nonce,
        fee,
        native_fees,
    })
}
