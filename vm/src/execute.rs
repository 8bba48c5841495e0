//! Executing one transaction.

use alloy_primitives::{Address, Bytes, Log, TxKind, U256};
use supervm_gas::{intrinsic_gas, FeeError, Settlement};

use crate::{Message, StateAccess, StateError};

/// The block a transaction executes in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockEnv {
    /// Block number.
    pub number: u64,
    /// Block timestamp (seconds).
    pub timestamp: u64,
    /// Receives tips.
    pub beneficiary: Address,
    /// Base fee per gas (wei).
    pub base_fee: u64,
    /// Block gas limit.
    pub gas_limit: u64,
    /// Receives base fees; `None` burns them.
    pub base_fee_recipient: Option<Address>,
}

/// What a valid transaction did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxOutcome {
    /// Whether execution succeeded (a failed one still pays for its gas).
    pub success: bool,
    /// Gas consumed.
    pub gas_used: u64,
    /// Price per gas paid (wei); zero for an `eth_call` without fees.
    pub effective_gas_price: u128,
    /// Logs emitted.
    pub logs: Vec<Log>,
    /// Return data (revert data when `success` is false).
    pub output: Bytes,
    /// How the fee was split.
    pub settlement: Settlement,
}

/// Why a transaction cannot be included at all. Messages follow geth word for word where geth
/// has the same error, because wallets and libraries match on them.
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
    /// Contract creation needs a contract runtime, which this chain does not have yet.
    #[error("contract creation is not supported: this chain runs no EVM bytecode")]
    CreateNotSupported,
    /// A call to an account holding code this node cannot run.
    #[error("cannot call {0}: the account has code and this chain runs no EVM bytecode")]
    CodeNotSupported(Address),
    /// The state could not be read.
    #[error(transparent)]
    State(#[from] StateError),
}

/// Validates `msg` against the block and the state, then applies it.
///
/// All checks come first; an `Err` means nothing was written. Native transfers are the only
/// operation for now: gas used is the intrinsic gas.
pub fn execute_tx(
    env: &BlockEnv,
    msg: &Message,
    state: &mut impl StateAccess,
) -> Result<TxOutcome, InvalidTx> {
    if msg.gas_limit > env.gas_limit {
        return Err(InvalidTx::ExceedsBlockGasLimit);
    }
    let to = match msg.kind {
        TxKind::Call(to) => to,
        TxKind::Create => return Err(InvalidTx::CreateNotSupported),
    };
    let intrinsic = intrinsic_gas(&msg.input, false, msg.access_list.as_ref());
    if msg.gas_limit < intrinsic {
        return Err(InvalidTx::IntrinsicGasTooLow {
            have: msg.gas_limit,
            want: intrinsic,
        });
    }
    if let Some(fees) = &msg.fees {
        fees.check(env.base_fee)?;
    }
    let mut sender = state.account(msg.caller)?;
    if let Some(nonce) = msg.nonce {
        if nonce < sender.nonce {
            return Err(InvalidTx::NonceTooLow {
                address: msg.caller,
                tx: nonce,
                state: sender.nonce,
            });
        }
        if nonce > sender.nonce {
            return Err(InvalidTx::NonceTooHigh {
                address: msg.caller,
                tx: nonce,
                state: sender.nonce,
            });
        }
    }
    let want = match &msg.fees {
        Some(fees) => fees.max_cost(msg.gas_limit, msg.value),
        None => msg.value,
    };
    if sender.balance < want {
        return Err(InvalidTx::InsufficientFunds {
            address: msg.caller,
            have: sender.balance,
            want,
        });
    }
    if to != msg.caller && state.account(to)?.has_code() {
        return Err(InvalidTx::CodeNotSupported(to));
    }

    let gas_used = intrinsic;
    let settlement = match &msg.fees {
        Some(fees) => fees.settle(env.base_fee, msg.gas_limit, gas_used),
        None => Settlement {
            debit: U256::ZERO,
            refund: U256::ZERO,
            tip: U256::ZERO,
            base: U256::ZERO,
        },
    };
    sender.balance -= settlement.debit + msg.value;
    sender.balance += settlement.refund;
    sender.nonce = sender.nonce.saturating_add(1);
    state.set_account(msg.caller, sender);
    state.credit(to, msg.value)?;
    state.credit(env.beneficiary, settlement.tip)?;
    if let Some(recipient) = env.base_fee_recipient {
        state.credit(recipient, settlement.base)?;
    }
    Ok(TxOutcome {
        success: true,
        gas_used,
        effective_gas_price: msg
            .fees
            .map(|f| f.effective_gas_price(env.base_fee))
            .unwrap_or(0),
        logs: Vec::new(),
        output: Bytes::new(),
        settlement,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use alloy_primitives::{Address, Bytes, TxKind, U256};
    use supervm_gas::TxFees;
    use supervm_primitives::Account;

    use super::*;
    use crate::{PendingState, StateReader};

    struct MemState(BTreeMap<Address, Account>);

    impl StateReader for MemState {
        fn account(&self, address: Address) -> Result<Option<Account>, StateError> {
            Ok(self.0.get(&address).copied())
        }
    }

    const ALICE: Address = Address::repeat_byte(0xa1);
    const BOB: Address = Address::repeat_byte(0xb0);
    const MINER: Address = Address::repeat_byte(0xee);
    const TREASURY: Address = Address::repeat_byte(0x77);

    fn env(recipient: Option<Address>) -> BlockEnv {
        BlockEnv {
            number: 1,
            timestamp: 1,
            beneficiary: MINER,
            base_fee: 10,
            gas_limit: 30_000_000,
            base_fee_recipient: recipient,
        }
    }

    fn transfer(nonce: u64, value: u64, gas_limit: u64) -> Message {
        Message {
            caller: ALICE,
            kind: TxKind::Call(BOB),
            value: U256::from(value),
            input: Bytes::new(),
            gas_limit,
            fees: Some(TxFees {
                max_fee_per_gas: 100,
                max_priority_fee_per_gas: 3,
            }),
            nonce: Some(nonce),
            access_list: None,
        }
    }

    fn state(balance: u64) -> PendingState<MemState> {
        PendingState::new(MemState(BTreeMap::from([(
            ALICE,
            Account::with_balance(U256::from(balance)),
        )])))
    }

    #[test]
    fn transfer_moves_value_and_splits_the_fee_exactly() {
        let mut state = state(10_000_000);
        let outcome = execute_tx(
            &env(Some(TREASURY)),
            &transfer(0, 1_000, 50_000),
            &mut state,
        )
        .unwrap();
        assert_eq!(outcome.gas_used, 21_000);
        assert_eq!(outcome.effective_gas_price, 13);
        let changes = state.into_changes();
        let get = |a: &Address| changes.accounts[a].map(|a| a.balance).unwrap_or_default();
        assert_eq!(get(&ALICE), U256::from(10_000_000 - 1_000 - 21_000 * 13));
        assert_eq!(changes.accounts[&ALICE].unwrap().nonce, 1);
        assert_eq!(get(&BOB), U256::from(1_000));
        assert_eq!(get(&MINER), U256::from(21_000 * 3));
        assert_eq!(get(&TREASURY), U256::from(21_000 * 10));
        let total: U256 = [ALICE, BOB, MINER, TREASURY].iter().map(get).sum();
        assert_eq!(
            total,
            U256::from(10_000_000),
            "value is conserved when the base fee is paid out"
        );
    }

    #[test]
    fn burned_base_fee_leaves_the_supply() {
        let mut state = state(10_000_000);
        execute_tx(&env(None), &transfer(0, 0, 21_000), &mut state).unwrap();
        let changes = state.into_changes();
        assert_eq!(
            changes.accounts[&ALICE].unwrap().balance,
            U256::from(10_000_000 - 21_000 * 13)
        );
        assert_eq!(
            changes.accounts[&MINER].unwrap().balance,
            U256::from(21_000 * 3)
        );
        assert_eq!(
            changes.accounts.get(&BOB),
            Some(&None),
            "an empty touched account is deleted"
        );
    }

    #[test]
    fn invalid_transactions_change_nothing() {
        let cases: Vec<(Message, &str)> = vec![
            (transfer(1, 0, 21_000), "nonce too high"),
            (transfer(0, 0, 20_999), "intrinsic gas too low"),
            (transfer(0, 0, 30_000_001), "exceeds block gas limit"),
            (
                transfer(0, 10_000_000, 21_000),
                "insufficient funds for gas * price + value",
            ),
            (
                Message {
                    fees: Some(TxFees {
                        max_fee_per_gas: 9,
                        max_priority_fee_per_gas: 1,
                    }),
                    ..transfer(0, 0, 21_000)
                },
                "max fee per gas less than block base fee",
            ),
            (
                Message {
                    kind: TxKind::Create,
                    ..transfer(0, 0, 100_000)
                },
                "contract creation is not supported",
            ),
        ];
        for (msg, expected) in cases {
            let mut state = state(10_000_000);
            let err = execute_tx(&env(None), &msg, &mut state).unwrap_err();
            assert!(
                err.to_string().starts_with(expected),
                "{err} should start with {expected}"
            );
            assert!(state.into_changes().is_empty());
        }
        let mut used = PendingState::new(MemState(BTreeMap::from([(
            ALICE,
            Account {
                nonce: 5,
                ..Account::with_balance(U256::from(10_000_000))
            },
        )])));
        let err = execute_tx(&env(None), &transfer(4, 0, 21_000), &mut used).unwrap_err();
        assert!(err.to_string().starts_with("nonce too low"));
    }

    #[test]
    fn calls_without_fees_pay_nothing() {
        let mut state = state(5);
        let msg = Message {
            fees: None,
            nonce: None,
            ..transfer(0, 5, 30_000_000)
        };
        let outcome = execute_tx(&env(None), &msg, &mut state).unwrap();
        assert_eq!(outcome.effective_gas_price, 0);
        assert_eq!(outcome.settlement.debit, U256::ZERO);
    }
}
