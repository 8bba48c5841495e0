//! Property tests of fee payment in any token: random blocks mixing native and token fees,
//! decimals and rates (including extreme ones), checked for exact accounting.
//!
//! Invariants: for every transaction `debit = refund + tip + base`; the payer never pays less
//! than the exact rational value of the gas it used; per token, the sum of all balances plus
//! what was burned equals the minted supply; the native coin likewise. A `setFeeToken(t)` call
//! pays in `t` exactly when the sender's balance of `t` covers its maximum fee, and clearing
//! pays natively. One account holds tokens and never any native coin.

use std::sync::Arc;

use crate::common::{contracts, Memory};

use alloy_primitives::{Address, Bytes, TxKind, U256};
use alloy_sol_types::SolCall;
use proptest::prelude::*;
use supervm_gas::{Payment, TxFees};
use supervm_primitives::{
    system::{IFeePreference, FEE_PREFERENCE, IERC20},
    ChainSpec, FeeToken, GenesisRate, GenesisToken,
};
use supervm_vm::{
    execute_tx, genesis_state, system::layout, BlockEnv, Message, PendingState, RateSnapshot,
    StateAccess,
};

/// Accounts with native coin and tokens.
const ACCOUNTS: usize = 6;
/// One more account, index `ACCOUNTS`: tokens only, never any native coin.
const ALL_ACCOUNTS: usize = ACCOUNTS + 1;
const BENEFICIARY: Address = Address::repeat_byte(0xbe);
const BASE_FEE: u64 = 875_000_000;

fn account(i: usize) -> Address {
    Address::with_last_byte(0x10 + i as u8)
}

fn token_address(i: usize) -> Address {
    Address::with_last_byte(0xa0 + i as u8)
}

/// A token: decimals and a rate given as (numerator exponent, denominator exponent), so rates
/// span 10^-12 … 10^12 token base units per wei.
fn token_strategy() -> impl Strategy<Value = (u8, u32, u32, u64)> {
    (
        prop_oneof![Just(6u8), Just(8u8), Just(18u8)],
        0u32..=12,
        0u32..=12,
        1u64..1000,
    )
}

#[derive(Clone, Debug)]
enum Kind {
    /// Native transfer paid in the native coin.
    Native,
    /// ERC-20 transfer of token `t` (rule 3: pays in `t`).
    TokenTransfer(usize),
    /// CIP-64 transfer paying in token `t`.
    Cip64(usize),
    /// Set the fee preference to token `t` (paid in `t` when the sender holds enough).
    Prefer(usize),
    /// Clear the fee preference (paid natively).
    Clear,
}

fn kind_strategy(tokens: usize) -> impl Strategy<Value = Kind> {
    prop_oneof![
        Just(Kind::Native),
        (0..tokens).prop_map(Kind::TokenTransfer),
        (0..tokens).prop_map(Kind::Cip64),
        (0..tokens).prop_map(Kind::Prefer),
        Just(Kind::Clear),
    ]
}

fn tx_strategy(tokens: usize) -> impl Strategy<Value = (usize, usize, Kind, u64, u128, u128)> {
    (
        0..ALL_ACCOUNTS,
        0..ALL_ACCOUNTS,
        kind_strategy(tokens),
        1u64..1_000_000,
        1u128..5_000_000_000,
        0u128..3,
    )
}

fn spec(tokens: &[(u8, u32, u32, u64)]) -> ChainSpec {
    let mut spec = ChainSpec::dev_without_tokens(31337, (0..ACCOUNTS).map(account));
    spec.supervm.tokens = tokens
        .iter()
        .enumerate()
        .map(|(i, (decimals, num_exp, den_exp, mantissa))| GenesisToken {
            address: token_address(i),
            name: format!("Token {i}"),
            symbol: format!("T{i}"),
            decimals: *decimals,
            balances: (0..ALL_ACCOUNTS)
                .map(|a| (account(a), balance_of(a, i)))
                .collect(),
            rate: Some(GenesisRate {
                numerator: U256::from(*mantissa) * U256::from(10u64).pow(U256::from(*num_exp)),
                denominator: U256::from(10u64).pow(U256::from(*den_exp)),
            }),
            enabled: true,
            reporters: Vec::new(),
        })
        .collect();
    spec
}

/// Genesis balance of token `t` for account `a`: large, except that the token-only account
/// holds only a little of the second token (too little for some fees, enough for others).
fn balance_of(a: usize, t: usize) -> U256 {
    match (a, t) {
        (ACCOUNTS, 1) => U256::from(10u64).pow(U256::from(12)),
        _ => U256::from(10u64).pow(U256::from(30)),
    }
}

/// Native fee fields: a fee cap above the base fee and a tip of 0–2 gwei within it.
fn native_fees(extra: u128, tip_gwei: u128) -> TxFees {
    let max_fee_per_gas = BASE_FEE as u128 + extra;
    TxFees {
        max_fee_per_gas,
        max_priority_fee_per_gas: (tip_gwei * 1_000_000_000).min(max_fee_per_gas),
    }
}

fn sum_balances(state: &mut impl StateAccess, token: Address) -> U256 {
    let mut total = U256::ZERO;
    for holder in (0..ALL_ACCOUNTS).map(account).chain([BENEFICIARY]) {
        total += state.storage(token, layout::balance_slot(holder)).unwrap();
    }
    total
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn fee_accounting_is_exact(
        tokens in prop::collection::vec(token_strategy(), 1..4),
        txs in prop::collection::vec(tx_strategy(3), 1..24),
    ) {
        let spec = spec(&tokens);
        let genesis = genesis_state(&spec).unwrap();
        let mut state = PendingState::new(Memory::new(&genesis));
        let rates = Arc::new(RateSnapshot::read(&mut state).unwrap());
        let env = BlockEnv {
            number: 1,
            timestamp: 1,
            beneficiary: BENEFICIARY,
            base_fee: BASE_FEE,
            gas_limit: 30_000_000,
            base_fee_recipient: None,
            rates: rates.clone(),
            chain_id: 31337,
            contracts: contracts(),
        };
        let supplies: Vec<U256> = (0..tokens.len())
            .map(|t| state.storage(token_address(t), layout::TOTAL_SUPPLY_SLOT).unwrap())
            .collect();
        let native_before: U256 = (0..ALL_ACCOUNTS).map(|a| state.account(account(a)).unwrap().balance).sum();
        let mut native_burned = U256::ZERO;
        let mut nonces = [0u64; ALL_ACCOUNTS];

        for (from, to, kind, amount, max_fee, tip) in txs {
            let token_of = |t: usize| token_address(t % tokens.len());
            let (target, input, fee_currency, fees) = match &kind {
                // Never to the token-only account, which must stay without native coin.
                Kind::Native => (account(to % ACCOUNTS), Bytes::new(), None,
                    native_fees(max_fee, tip)),
                Kind::TokenTransfer(t) => (token_of(*t),
                    IERC20::transferCall { to: account(to), value: U256::from(amount) }.abi_encode().into(),
                    None,
                    native_fees(max_fee, tip)),
                Kind::Cip64(t) => {
                    let rate = rates.get(&token_of(*t)).unwrap();
                    let base = rate.to_token_ceil(U256::from(BASE_FEE)).unwrap().saturating_to::<u128>();
                    (account(to), Bytes::new(), Some(FeeToken::Token(token_of(*t))),
                        TxFees { max_fee_per_gas: base + max_fee % (base + 1) + tip, max_priority_fee_per_gas: tip })
                }
                Kind::Prefer(t) => (FEE_PREFERENCE,
                    IFeePreference::setFeeTokenCall { token: token_of(*t) }.abi_encode().into(),
                    None,
                    native_fees(max_fee, tip)),
                Kind::Clear => (FEE_PREFERENCE,
                    IFeePreference::setFeeTokenCall { token: Address::ZERO }.abi_encode().into(),
                    None,
                    native_fees(max_fee, tip)),
            };
            let msg = Message {
                caller: account(from),
                kind: TxKind::Call(target),
                value: if matches!(kind, Kind::Native) { U256::from(amount) } else { U256::ZERO },
                input,
                gas_limit: 200_000,
                fees: Some(fees),
                nonce: Some(nonces[from]),
                access_list: None,
                fee_currency,
            };
            let snapshot_native = state.account(account(from)).unwrap().balance;
            // Whether a setFeeToken(t) call may pay in t: the balance covers the maximum fee.
            let chosen = match &kind {
                Kind::Prefer(t) => {
                    let token = token_of(*t);
                    let rate = rates.get(&token).unwrap();
                    let max = fees.max_debit(msg.gas_limit, Payment::Converted(rate)).unwrap();
                    let held = state.storage(token, layout::balance_slot(account(from))).unwrap();
                    Some((token, held >= max))
                }
                _ => None,
            };
            let outcome = match execute_tx(&env, &msg, &mut state) {
                Ok(outcome) => outcome,
                Err(err) => {
                    // Only legitimate rejections: nothing else may fail in these blocks.
                    let text = err.to_string();
                    prop_assert!(text.starts_with("insufficient") || text.contains("max fee per gas less than"), "{text}");
                    prop_assert_eq!(state.account(account(from)).unwrap().balance, snapshot_native);
                    continue;
                }
            };
            nonces[from] += 1;
            match (&kind, chosen) {
                (Kind::Prefer(_), Some((token, covered))) => prop_assert_eq!(
                    outcome.fee_token,
                    if covered { FeeToken::Token(token) } else { FeeToken::Native },
                    "setFeeToken pays in the chosen token exactly when the balance covers the fee"
                ),
                (Kind::Clear, _) => prop_assert_eq!(outcome.fee_token, FeeToken::Native, "clearing pays natively"),
                _ => {}
            }
            let s = outcome.settlement;
            prop_assert_eq!(s.debit, s.refund + s.tip + s.base);
            // Never in the payer's favour: paid ≥ exact value of the gas used.
            let used = U256::from(outcome.gas_used);
            match outcome.fee_token {
                FeeToken::Native => {
                    prop_assert_eq!(s.paid(), used * U256::from(outcome.effective_gas_price));
                    native_burned += s.base;
                }
                FeeToken::Token(token) => {
                    let rate = rates.get(&token).unwrap();
                    let paid_in_fee_unit = used * U256::from(outcome.effective_gas_price);
                    if matches!(kind, Kind::Cip64(_)) {
                        prop_assert_eq!(s.paid(), paid_in_fee_unit);
                    } else {
                        // paid × den ≥ native paid × num (rounded up for the chain).
                        prop_assert!(
                            alloy_primitives::U512::from(s.paid()) * alloy_primitives::U512::from(rate.denominator())
                                >= alloy_primitives::U512::from(paid_in_fee_unit) * alloy_primitives::U512::from(rate.numerator())
                        );
                    }
                    prop_assert!(!s.paid().is_zero() || paid_in_fee_unit.is_zero(), "a token fee rounded to zero");
                }
            }
        }

        for (t, supply) in supplies.iter().enumerate() {
            let token = token_address(t);
            let burned = state.storage(token, layout::BURNED_SLOT).unwrap();
            let total_supply = state.storage(token, layout::TOTAL_SUPPLY_SLOT).unwrap();
            prop_assert_eq!(sum_balances(&mut state, token), total_supply);
            prop_assert_eq!(total_supply + burned, *supply);
        }
        prop_assert_eq!(state.account(account(ACCOUNTS)).unwrap().balance, U256::ZERO, "never any native coin");
        let native_after: U256 = (0..ALL_ACCOUNTS).map(|a| state.account(account(a)).unwrap().balance).sum::<U256>()
            + state.account(BENEFICIARY).unwrap().balance;
        prop_assert_eq!(native_after + native_burned, native_before);
    }
}
