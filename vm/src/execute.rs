//! Executing one transaction.

use alloy_primitives::{Address, Bytes, Log, TxKind, U256};
use supervm_gas::{intrinsic_gas, Settlement};
use supervm_primitives::FeeToken;

use crate::{
    block_env::BlockEnv,
    call::{self, AccessSet, CallInput, Status, TxScope},
    fee_token::{resolve, FeePayment, RateSnapshot},
    halt::HaltReason,
    invalid::{FeeTokenShortfall, InvalidTx},
    system::layout,
    wasm::validate_module,
    Message, StateAccess, StateError,
};

/// What a valid transaction did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxOutcome {
    /// Whether execution succeeded (a failed one still pays for its gas).
    pub success: bool,
    /// Why execution stopped exceptionally — out of gas, a trap, a limit — using all its
    /// gas; `None` when it succeeded or reverted (revert data is in `output`).
    pub halt_reason: Option<HaltReason>,
    /// The contract a creation made (also set when the creation failed, as Ethereum
    /// receipts do).
    pub contract_address: Option<Address>,
    /// Gas consumed.
    pub gas_used: u64,
    /// Price per gas paid, in the unit of the fee fields (wei, or token units for CIP-64);
    /// zero for an `eth_call` without fees.
    pub effective_gas_price: u128,
    /// Logs emitted.
    pub logs: Vec<Log>,
    /// Return data (revert data when `success` is false).
    pub output: Bytes,
    /// The token that paid the fee.
    pub fee_token: FeeToken,
    /// How the fee was split, in the fee token's units.
    pub settlement: Settlement,
}

/// Checks that the payer can cover the maximum fee (and the sender the value); returns the
/// maximum debit.
fn check_balances(
    state: &mut impl StateAccess,
    msg: &Message,
    fee: &FeePayment,
    native_balance: U256,
) -> Result<U256, InvalidTx> {
    let Some(fees) = &msg.fees else {
        if native_balance < msg.value {
            return Err(InvalidTx::InsufficientFunds {
                address: msg.caller,
                have: native_balance,
                want: msg.value,
            });
        }
        return Ok(U256::ZERO);
    };
    let max_debit = fees.max_debit(msg.gas_limit, fee.payment())?;
    match fee.token() {
        FeeToken::Native => {
            let want = max_debit.saturating_add(msg.value);
            if native_balance < want {
                return Err(InvalidTx::InsufficientFunds {
                    address: msg.caller,
                    have: native_balance,
                    want,
                });
            }
        }
        FeeToken::Token(token) => {
            if native_balance < msg.value {
                return Err(InvalidTx::InsufficientFunds {
                    address: msg.caller,
                    have: native_balance,
                    want: msg.value,
                });
            }
            let have = state.storage(token, layout::balance_slot(msg.caller))?;
            if have < max_debit {
                return Err(InvalidTx::InsufficientFeeTokenBalance(Box::new(
                    FeeTokenShortfall {
                        address: msg.caller,
                        token,
                        symbol: layout::token_symbol(state, token)?,
                        have,
                        want: max_debit,
                    },
                )));
            }
        }
    }
    Ok(max_debit)
}

/// Moves fee amounts: `amount` of the fee token (or native) to `to`.
fn pay(
    state: &mut impl StateAccess,
    token: FeeToken,
    to: Address,
    amount: U256,
) -> Result<(), StateError> {
    if amount.is_zero() {
        return Ok(());
    }
    match token {
        FeeToken::Native => state.credit(to, amount),
        FeeToken::Token(token) => state.credit_slot(token, layout::balance_slot(to), amount),
    }
}

/// Burns a base fee paid in a token: the supply shrinks and the burned counter grows, so
/// `sum of balances + burned = minted` always holds.
fn burn(state: &mut impl StateAccess, token: Address, amount: U256) -> Result<(), StateError> {
    if amount.is_zero() {
        return Ok(());
    }
    state.debit_slot(token, layout::TOTAL_SUPPLY_SLOT, amount)?;
    state.credit_slot(token, layout::BURNED_SLOT, amount)
}

/// Resolves which token pays `msg`'s fee, checks the fee fields against the base fee and the
/// payer's balances. Returns the payment and the maximum debit. Shared by execution and pool
/// admission so both apply the same rules.
pub fn validate_payment(
    state: &mut impl StateAccess,
    msg: &Message,
    base_fee: u64,
    rates: &RateSnapshot,
) -> Result<(FeePayment, U256), InvalidTx> {
    let fee = match &msg.fees {
        Some(_) => resolve(state, msg, rates)?,
        None => FeePayment::Native,
    };
    if let Some(fees) = &msg.fees {
        fees.check(base_fee, fee.payment())?;
    }
    let native_balance = state.account(msg.caller)?.balance;
    let max_debit = check_balances(state, msg, &fee, native_balance)?;
    Ok((fee, max_debit))
}

/// Validates `msg` against the block and the state, then applies it.
///
/// All checks come first; an `Err` means nothing was written. The fee is debited in full
/// before the call runs and settled after it, in the token the resolution rules choose.
pub fn execute_tx(
    env: &BlockEnv,
    msg: &Message,
    state: &mut impl StateAccess,
) -> Result<TxOutcome, InvalidTx> {
    if msg.gas_limit > env.gas_limit {
        return Err(InvalidTx::ExceedsBlockGasLimit);
    }
    let is_create = msg.kind.is_create();
    if is_create {
        validate_module(&msg.input)?;
    }
    let intrinsic = intrinsic_gas(&msg.input, is_create, msg.access_list.as_ref());
    if msg.gas_limit < intrinsic {
        return Err(InvalidTx::IntrinsicGasTooLow {
            have: msg.gas_limit,
            want: intrinsic,
        });
    }
    if let Some(fees) = &msg.fees {
        fees.check_consistent()?;
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
    let (fee, max_debit) = validate_payment(state, msg, env.base_fee, &env.rates)?;

    // Debit the maximum fee and bump the nonce: these survive a failed call.
    let nonce = sender.nonce;
    sender.nonce = sender.nonce.saturating_add(1);
    match fee.token() {
        FeeToken::Native => sender.balance -= max_debit,
        FeeToken::Token(token) => {
            let slot = layout::balance_slot(msg.caller);
            let balance = state.storage(token, slot)?;
            state.set_storage(token, slot, balance - max_debit);
        }
    }
    state.set_account(msg.caller, sender);

    let mut scope = TxScope {
        block: env,
        origin: msg.caller,
        access: AccessSet::default(),
    };
    scope.access.touch_account(msg.caller);
    if let Some(list) = &msg.access_list {
        scope.access.warm_list(list);
    }
    let gas = msg.gas_limit - intrinsic;
    let (result, contract_address) = match msg.kind {
        TxKind::Call(to) => {
            scope.access.touch_account(to);
            let input = CallInput {
                caller: msg.caller,
                to,
                value: msg.value,
                input: msg.input.clone(),
                gas,
                depth: 1,
            };
            (call::call(state, &mut scope, input)?, None)
        }
        TxKind::Create => {
            let address = msg.caller.create(nonce);
            scope.access.touch_account(address);
            let code = msg.input.clone();
            let result =
                call::create(state, &mut scope, msg.caller, address, msg.value, code, gas)?;
            (result, Some(address))
        }
    };
    let gas_used = intrinsic + result.gas_used;
    let (settlement, effective_gas_price) = match &msg.fees {
        Some(fees) => {
            let settlement = fees.settle(env.base_fee, msg.gas_limit, gas_used, fee.payment())?;
            let base = supervm_gas::TxFees::base_fee_in_fee_unit(env.base_fee, fee.payment())?;
            (
                settlement,
                fees.effective_gas_price(base).saturating_to::<u128>(),
            )
        }
        None => (Settlement::ZERO, 0),
    };
    let token = fee.token();
    pay(state, token, msg.caller, settlement.refund)?;
    pay(state, token, env.beneficiary, settlement.tip)?;
    match (env.base_fee_recipient, token) {
        (Some(recipient), token) => pay(state, token, recipient, settlement.base)?,
        (None, FeeToken::Token(token)) => burn(state, token, settlement.base)?,
        (None, FeeToken::Native) => {}
    }
    let success = result.is_success();
    Ok(TxOutcome {
        success,
        halt_reason: match result.status {
            Status::Halt(reason) => Some(reason),
            Status::Success | Status::Revert => None,
        },
        contract_address,
        gas_used,
        effective_gas_price,
        logs: result.logs,
        output: result.output,
        fee_token: token,
        settlement,
    })
}

#[cfg(test)]
mod tests {
    use std::{collections::BTreeMap, sync::Arc};

    use alloy_primitives::{Address, Bytes, TxKind, B256, U256};
    use supervm_gas::TxFees;
    use supervm_primitives::Account;

    use super::*;
    use crate::{ContractRuntime, PendingState, StateReader};

    struct MemState(BTreeMap<Address, Account>);

    impl StateReader for MemState {
        fn account(&self, address: Address) -> Result<Option<Account>, StateError> {
            Ok(self.0.get(&address).copied())
        }

        fn storage(&self, _: Address, _: B256) -> Result<U256, StateError> {
            Ok(U256::ZERO)
        }

        fn code(&self, _: B256) -> Result<Option<Bytes>, StateError> {
            Ok(None)
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
            rates: Arc::default(),
            chain_id: 1,
            contracts: Arc::new(
                ContractRuntime::new(std::num::NonZeroUsize::MIN).expect("engine starts"),
            ),
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
            fee_currency: None,
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
            None,
            "a call without value leaves its empty recipient untouched"
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
                "contract code is not a WebAssembly module",
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
