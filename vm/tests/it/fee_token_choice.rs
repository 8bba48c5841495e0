//! A `setFeeToken(T)` call pays its own fee in `T` (rule 3: the token a transaction chooses is
//! the token it transacts) when `T` can pay in this block and the sender holds enough of it
//! for the maximum fee; otherwise the usual rules apply. Clearing (`setFeeToken(0x0)`), other
//! functions and calldata that does not decode pay natively, as before.
//!
//! Expected amounts are recomputed here from the documented rules (ceil of the maximum fee at
//! the rate, floors for refund and tip), not taken from the code under test.

use std::sync::Arc;

use crate::common::{contracts, Memory};

use alloy_primitives::{Address, Bytes, TxKind, U256};
use alloy_sol_types::SolCall;
use proptest::prelude::*;
use supervm_gas::{Rate, TxFees};
use supervm_primitives::{
    system::{IFeePreference, ITokenRegistry, FEE_PREFERENCE, IERC20, ORACLE, TOKEN_REGISTRY},
    ChainSpec, FeeToken, GenesisRate, GenesisToken,
};
use supervm_vm::{
    execute_tx, genesis_state,
    system::{fee_preference, layout},
    validate_payment, BlockEnv, FeePayment, InvalidTx, Message, PendingState, RateSnapshot,
    StateAccess, TxOutcome,
};

const BASE_FEE: u64 = 875_000_000;
const GWEI: u128 = 1_000_000_000;
const GAS_LIMIT: u64 = 100_000;
const BENEFICIARY: Address = Address::repeat_byte(0xbe);

/// Governance, with native coin and every token.
const GOV: Address = Address::repeat_byte(0x01);
/// Native coin and every token.
const RICH: Address = Address::repeat_byte(0x02);
/// Native coin and only 1000 USD base units.
const NATIVE_POOR: Address = Address::repeat_byte(0x03);
/// Every token, never any native coin.
const HOLDER: Address = Address::repeat_byte(0x04);
/// 1000 USD base units, no native coin.
const POOR: Address = Address::repeat_byte(0x05);
/// Every token, never any native coin (a second one, for stateful scenarios).
const HOLDER2: Address = Address::repeat_byte(0x06);

/// 6 decimals, 3 / 10^9 base units per wei (1 ETH = 3,000 USD).
const USD: Address = Address::with_last_byte(0xa1);
/// 18 decimals, 100 base units per wei.
const GLD: Address = Address::with_last_byte(0xa2);
/// Registered and enabled, no rate.
const NOP: Address = Address::with_last_byte(0xa3);
/// Registered with a rate, disabled.
const OFF: Address = Address::with_last_byte(0xa4);
/// Not registered.
const UNREGISTERED: Address = Address::with_last_byte(0xa5);

fn usd_rate() -> Rate {
    Rate::new(U256::from(3u8), U256::from(1_000_000_000u64)).expect("non-zero")
}

fn big() -> U256 {
    U256::from(10u8).pow(U256::from(30u8))
}

fn spec() -> ChainSpec {
    let mut spec = ChainSpec::dev_without_tokens(31337, [GOV, RICH, NATIVE_POOR]);
    spec.supervm.governance = Some(GOV);
    let token = |address, symbol: &str, decimals, rate: Option<(u64, u64)>, enabled| {
        let mut balances: std::collections::BTreeMap<Address, U256> = [GOV, RICH, HOLDER, HOLDER2]
            .into_iter()
            .map(|a| (a, big()))
            .collect();
        if address == USD {
            balances.insert(NATIVE_POOR, U256::from(1_000u64));
            balances.insert(POOR, U256::from(1_000u64));
        }
        GenesisToken {
            address,
            name: format!("{symbol} token"),
            symbol: symbol.into(),
            decimals,
            balances,
            rate: rate.map(|(n, d)| GenesisRate {
                numerator: U256::from(n),
                denominator: U256::from(d),
            }),
            enabled,
            reporters: Vec::new(),
        }
    };
    spec.supervm.tokens = vec![
        token(USD, "USD", 6, Some((3, 1_000_000_000)), true),
        token(GLD, "GLD", 18, Some((100, 1)), true),
        token(NOP, "NOP", 6, None, true),
        token(OFF, "OFF", 6, Some((3, 1_000_000_000)), false),
    ];
    spec
}

/// One block's state and environment.
struct Chain {
    state: PendingState<Memory>,
    env: BlockEnv,
}

impl Chain {
    fn new() -> Self {
        let genesis = genesis_state(&spec()).expect("genesis");
        let mut state = PendingState::new(Memory::new(&genesis));
        let rates = Arc::new(RateSnapshot::read(&mut state).expect("rates"));
        let env = BlockEnv {
            number: 1,
            timestamp: 1,
            beneficiary: BENEFICIARY,
            base_fee: BASE_FEE,
            gas_limit: 30_000_000,
            base_fee_recipient: None,
            rates,
            chain_id: 31337,
            contracts: contracts(),
        };
        Self { state, env }
    }

    fn nonce(&mut self, who: Address) -> u64 {
        self.state.account(who).expect("account").nonce
    }

    fn native(&mut self, who: Address) -> U256 {
        self.state.account(who).expect("account").balance
    }

    fn balance(&mut self, token: Address, who: Address) -> U256 {
        self.state
            .storage(token, layout::balance_slot(who))
            .expect("balance")
    }

    fn supply(&mut self, token: Address) -> U256 {
        self.state
            .storage(token, layout::TOTAL_SUPPLY_SLOT)
            .expect("supply")
    }

    fn preference(&mut self, who: Address) -> Option<Address> {
        fee_preference::preference(&mut self.state, who).expect("preference")
    }

    /// A type-2 style message from `from` with the sender's current nonce and the fee fields
    /// a wallet fills in (max fee 2 × base fee + 1 gwei tip).
    fn msg(&mut self, from: Address, to: Address, value: U256, input: Bytes) -> Message {
        Message {
            caller: from,
            kind: TxKind::Call(to),
            value,
            input,
            gas_limit: GAS_LIMIT,
            fees: Some(wallet_fees()),
            nonce: Some(self.nonce(from)),
            access_list: None,
            fee_currency: None,
        }
    }

    fn set_fee_token(&mut self, from: Address, token: Address) -> Message {
        self.msg(from, FEE_PREFERENCE, U256::ZERO, set_fee_token(token))
    }

    /// Executes `setFeeToken(token)` from `from`, which must be valid.
    fn choose(&mut self, from: Address, token: Address) -> TxOutcome {
        let msg = self.set_fee_token(from, token);
        self.run(&msg)
    }

    /// Executes a governance `setEnabled(token, false)`.
    fn disable(&mut self, token: Address) {
        let input = ITokenRegistry::setEnabledCall {
            token,
            enabled: false,
        }
        .abi_encode()
        .into();
        let msg = self.msg(GOV, TOKEN_REGISTRY, U256::ZERO, input);
        let outcome = self.run(&msg);
        assert!(outcome.success, "{outcome:?}");
    }

    /// What admission (and execution) decide about `msg`.
    fn payment(&mut self, msg: &Message) -> Result<FeePayment, InvalidTx> {
        let rates = self.env.rates.clone();
        validate_payment(&mut self.state, msg, BASE_FEE, &rates).map(|(fee, _)| fee)
    }

    fn execute(&mut self, msg: &Message) -> Result<TxOutcome, InvalidTx> {
        execute_tx(&self.env, msg, &mut self.state)
    }

    /// Executes `msg`, which must be valid.
    fn run(&mut self, msg: &Message) -> TxOutcome {
        self.execute(msg)
            .unwrap_or_else(|err| panic!("{msg:?} is invalid: {err}"))
    }
}

fn wallet_fees() -> TxFees {
    TxFees {
        max_fee_per_gas: 2 * BASE_FEE as u128 + GWEI,
        max_priority_fee_per_gas: GWEI,
    }
}

fn set_fee_token(token: Address) -> Bytes {
    IFeePreference::setFeeTokenCall { token }
        .abi_encode()
        .into()
}

/// The maximum wei fee of a [`Chain::msg`].
fn max_wei_fee() -> U256 {
    U256::from(GAS_LIMIT) * U256::from(wallet_fees().max_fee_per_gas)
}

fn assert_insufficient_funds(result: Result<impl std::fmt::Debug, InvalidTx>, who: Address) {
    match result {
        Err(InvalidTx::InsufficientFunds {
            address,
            have,
            want,
        }) => {
            assert_eq!(address, who);
            assert_eq!(have, U256::ZERO, "a token-only account has no native coin");
            assert_eq!(want, max_wei_fee(), "the native maximum fee");
        }
        other => panic!("expected insufficient funds for {who}, got {other:?}"),
    }
}

#[test]
fn a_token_only_account_chooses_its_fee_token_and_pays_in_it() {
    let mut chain = Chain::new();
    assert_eq!(chain.native(HOLDER), U256::ZERO);
    let msg = chain.set_fee_token(HOLDER, USD);
    assert_eq!(
        chain.payment(&msg).expect("admitted"),
        FeePayment::Converted {
            token: USD,
            rate: usd_rate(),
        }
    );

    let usd_before = chain.balance(USD, HOLDER);
    let supply_before = chain.supply(USD);
    let outcome = chain.run(&msg);
    assert!(outcome.success, "{outcome:?}");
    assert_eq!(outcome.fee_token, FeeToken::Token(USD));
    assert_eq!(
        chain.preference(HOLDER),
        Some(USD),
        "the preference is stored"
    );

    // The split, recomputed: fee fields in wei, converted at 3 / 10^9.
    let s = outcome.settlement;
    let (n, d) = (U256::from(3u8), U256::from(1_000_000_000u64));
    let price = wallet_fees().max_fee_per_gas.min(BASE_FEE as u128 + GWEI);
    assert_eq!(
        outcome.effective_gas_price, price,
        "in wei: the fee fields' unit"
    );
    let used = U256::from(outcome.gas_used);
    let max = max_wei_fee();
    assert_eq!(s.debit, (max * n).div_ceil(d), "debit rounds up");
    assert_eq!(
        s.refund,
        (max - used * U256::from(price)) * n / d,
        "refund rounds down"
    );
    assert_eq!(s.tip, used * U256::from(GWEI) * n / d, "tip rounds down");
    assert_eq!(s.debit, s.refund + s.tip + s.base);
    assert_eq!(
        chain.balance(USD, HOLDER),
        usd_before - s.paid(),
        "paid in USD"
    );
    assert_eq!(chain.balance(USD, BENEFICIARY), s.tip);
    assert_eq!(supply_before - chain.supply(USD), s.base, "base burned");
    assert_eq!(
        chain
            .state
            .storage(USD, layout::BURNED_SLOT)
            .expect("burned"),
        s.base
    );
    assert_eq!(chain.native(HOLDER), U256::ZERO, "native stays zero");
    assert_eq!(chain.nonce(HOLDER), 1);

    // The stored preference now pays any transaction, a valueless native transfer too.
    let msg = chain.msg(HOLDER, RICH, U256::ZERO, Bytes::new());
    let outcome = chain.run(&msg);
    assert!(outcome.success);
    assert_eq!(outcome.fee_token, FeeToken::Token(USD));
    assert_eq!(chain.native(HOLDER), U256::ZERO);
}

#[test]
fn an_account_with_native_coin_also_pays_in_the_token_it_chooses() {
    let mut chain = Chain::new();
    let native_before = chain.native(RICH);
    let outcome = chain.choose(RICH, GLD);
    assert!(outcome.success);
    assert_eq!(outcome.fee_token, FeeToken::Token(GLD));
    assert_eq!(chain.native(RICH), native_before, "no native fee");

    // A second choice skips the stored preference (rule 2) and pays in the new token.
    let outcome = chain.choose(RICH, USD);
    assert!(outcome.success);
    assert_eq!(outcome.fee_token, FeeToken::Token(USD));
    assert_eq!(chain.preference(RICH), Some(USD));
}

#[test]
fn too_little_of_the_chosen_token_leaves_the_native_coin_to_pay() {
    let mut chain = Chain::new();
    // 1000 USD base units are far below the maximum fee (ceil(GAS_LIMIT × maxFee × 3/10^9)).
    let needed = (max_wei_fee() * U256::from(3u8)).div_ceil(U256::from(1_000_000_000u64));
    assert!(U256::from(1_000u64) < needed);

    // No native coin either: rejected the way geth rejects it, nothing written.
    let msg = chain.set_fee_token(POOR, USD);
    assert_insufficient_funds(chain.payment(&msg), POOR);
    assert_insufficient_funds(chain.execute(&msg), POOR);
    assert_eq!(chain.nonce(POOR), 0);
    assert_eq!(chain.balance(USD, POOR), U256::from(1_000u64));
    assert_eq!(chain.preference(POOR), None);

    // With native coin: pays natively, and the choice is stored.
    let msg = chain.set_fee_token(NATIVE_POOR, USD);
    assert_eq!(chain.payment(&msg).expect("admitted"), FeePayment::Native);
    let native_before = chain.native(NATIVE_POOR);
    let outcome = chain.run(&msg);
    assert!(outcome.success);
    assert_eq!(outcome.fee_token, FeeToken::Native);
    assert_eq!(
        native_before - chain.native(NATIVE_POOR),
        outcome.settlement.paid()
    );
    assert_eq!(chain.balance(USD, NATIVE_POOR), U256::from(1_000u64));
    assert_eq!(chain.preference(NATIVE_POOR), Some(USD));
}

#[test]
fn a_token_that_cannot_pay_leaves_the_usual_rules() {
    let mut chain = Chain::new();
    for token in [NOP, OFF, UNREGISTERED] {
        // With native coin: paid natively; an unregistered token's call reverts (and pays).
        let msg = chain.set_fee_token(RICH, token);
        assert_eq!(
            chain.payment(&msg).expect("admitted"),
            FeePayment::Native,
            "{token}"
        );
        let outcome = chain.run(&msg);
        assert_eq!(outcome.fee_token, FeeToken::Native, "{token}");
        assert_eq!(
            outcome.success,
            token != UNREGISTERED,
            "{token}: {outcome:?}"
        );
        // Without: insufficient funds, though the account holds plenty of NOP and OFF.
        let msg = chain.set_fee_token(HOLDER, token);
        assert_insufficient_funds(chain.payment(&msg), HOLDER);
    }
    // RICH's preference is now OFF (the last successful choice); an explicit rule-2 choice of
    // a token that cannot pay is an error for its other transactions ...
    assert_eq!(chain.preference(RICH), Some(OFF));
    let msg = chain.msg(RICH, HOLDER, U256::from(1u8), Bytes::new());
    assert!(matches!(
        chain.payment(&msg),
        Err(InvalidTx::FeeTokenDisabled { token: OFF, .. })
    ));
    // ... but choosing a token that can pay gets out of it, paying in that token.
    let outcome = chain.choose(RICH, USD);
    assert_eq!(outcome.fee_token, FeeToken::Token(USD));
}

#[test]
fn a_token_disabled_earlier_in_the_block_cannot_pay() {
    let mut chain = Chain::new();
    chain.disable(USD);
    // USD is still in this block's rate snapshot, but disabled in the state.
    assert!(chain.env.rates.get(&USD).is_some());
    let msg = chain.set_fee_token(HOLDER, USD);
    assert_insufficient_funds(chain.payment(&msg), HOLDER);
    let msg = chain.set_fee_token(RICH, USD);
    assert_eq!(chain.payment(&msg).expect("admitted"), FeePayment::Native);
}

#[test]
fn clearing_pays_natively_as_before() {
    let mut chain = Chain::new();
    // A token-only account with a preference cannot clear it without native coin: clearing
    // chooses no token, and rule 2 is skipped for the preference contract.
    let outcome = chain.choose(HOLDER, USD);
    assert_eq!(outcome.fee_token, FeeToken::Token(USD));
    let msg = chain.set_fee_token(HOLDER, Address::ZERO);
    assert_insufficient_funds(chain.payment(&msg), HOLDER);
    assert_eq!(chain.preference(HOLDER), Some(USD));

    // With native coin, clearing a preference for a token that cannot pay works, natively.
    let outcome = chain.choose(RICH, NOP);
    assert_eq!(outcome.fee_token, FeeToken::Native);
    let msg = chain.msg(RICH, HOLDER, U256::from(1u8), Bytes::new());
    assert!(matches!(
        chain.payment(&msg),
        Err(InvalidTx::NoFreshPrice { token: NOP, .. })
    ));
    let msg = chain.set_fee_token(RICH, Address::ZERO);
    assert_eq!(chain.payment(&msg).expect("admitted"), FeePayment::Native);
    let outcome = chain.run(&msg);
    assert!(outcome.success);
    assert_eq!(outcome.fee_token, FeeToken::Native);
    assert_eq!(chain.preference(RICH), None);
}

#[test]
fn a_token_only_account_escapes_an_unusable_preference_by_choosing_another_token() {
    let mut chain = Chain::new();
    let outcome = chain.choose(HOLDER2, GLD);
    assert_eq!(outcome.fee_token, FeeToken::Token(GLD));
    chain.disable(GLD);
    let msg = chain.msg(HOLDER2, RICH, U256::ZERO, Bytes::new());
    assert!(matches!(
        chain.payment(&msg),
        Err(InvalidTx::FeeTokenDisabled { token: GLD, .. })
    ));
    let outcome = chain.choose(HOLDER2, USD);
    assert!(outcome.success);
    assert_eq!(outcome.fee_token, FeeToken::Token(USD));
    assert_eq!(chain.preference(HOLDER2), Some(USD));
    assert_eq!(chain.native(HOLDER2), U256::ZERO);
}

#[test]
fn calldata_that_chooses_no_token_pays_natively() {
    let mut chain = Chain::new();
    let valid = set_fee_token(USD);
    let selector = IFeePreference::setFeeTokenCall::SELECTOR;
    let cases: Vec<(&str, Bytes)> = vec![
        ("empty", Bytes::new()),
        ("selector only", selector.to_vec().into()),
        (
            "truncated argument",
            valid[..valid.len() - 1].to_vec().into(),
        ),
        (
            "feeTokenOf(USD)",
            IFeePreference::feeTokenOfCall { account: USD }
                .abi_encode()
                .into(),
        ),
        (
            "ERC-20 transfer selector",
            IERC20::transferCall {
                to: USD,
                value: U256::from(1u8),
            }
            .abi_encode()
            .into(),
        ),
        (
            "unknown selector",
            [&[0xde, 0xad, 0xbe, 0xef][..], &valid[4..]].concat().into(),
        ),
    ];
    for (what, input) in cases {
        let msg = chain.msg(RICH, FEE_PREFERENCE, U256::ZERO, input.clone());
        assert_eq!(
            chain.payment(&msg).expect(what),
            FeePayment::Native,
            "{what}"
        );
        let msg = chain.msg(HOLDER, FEE_PREFERENCE, U256::ZERO, input);
        assert_insufficient_funds(chain.payment(&msg), HOLDER);
    }
    // setFeeToken(USD) sent to another address is not a choice either (USD's own ERC-20 code
    // rejects the selector; nothing makes it pay in USD).
    let msg = chain.msg(HOLDER, ORACLE, U256::ZERO, valid.clone());
    assert_insufficient_funds(chain.payment(&msg), HOLDER);
    let msg = chain.msg(HOLDER, RICH, U256::ZERO, valid);
    assert_insufficient_funds(chain.payment(&msg), HOLDER);
}

#[test]
fn cip64_fee_currency_still_comes_first() {
    let mut chain = Chain::new();
    let mut msg = chain.set_fee_token(HOLDER, USD);
    let base_in_gld = U256::from(BASE_FEE) * U256::from(100u8);
    msg.fee_currency = Some(FeeToken::Token(GLD));
    msg.fees = Some(TxFees {
        max_fee_per_gas: (base_in_gld * U256::from(2u8)).to(),
        max_priority_fee_per_gas: 1,
    });
    let outcome = chain.run(&msg);
    assert!(outcome.success);
    assert_eq!(outcome.fee_token, FeeToken::Token(GLD));
    assert_eq!(chain.preference(HOLDER), Some(USD));
}

#[test]
fn the_value_stays_native() {
    let mut chain = Chain::new();
    // The fee would be paid in USD; the value needs native coin the account does not have.
    let msg = chain.msg(HOLDER, FEE_PREFERENCE, U256::from(1u8), set_fee_token(USD));
    match chain.payment(&msg) {
        Err(InvalidTx::InsufficientFunds { have, want, .. }) => {
            assert_eq!((have, want), (U256::ZERO, U256::from(1u8)));
        }
        other => panic!("expected insufficient funds for the value, got {other:?}"),
    }
    // With native coin for the value, the fee is paid in USD and the call reverts (system
    // contracts take no value), as a token transfer with value would.
    let msg = chain.msg(RICH, FEE_PREFERENCE, U256::from(1u8), set_fee_token(USD));
    let outcome = chain.run(&msg);
    assert!(!outcome.success);
    assert_eq!(outcome.fee_token, FeeToken::Token(USD));
    assert_eq!(chain.preference(RICH), None);
}

/// Calldata near a valid `setFeeToken(token)`: truncated, extended, or with one byte changed.
fn mutated_calldata() -> impl Strategy<Value = Bytes> {
    let tokens = prop_oneof![
        Just(USD),
        Just(GLD),
        Just(NOP),
        Just(OFF),
        Just(UNREGISTERED),
        Just(Address::ZERO)
    ];
    (tokens, 0u8..4, 0usize..40, any::<u8>(), 0usize..70).prop_map(|(token, how, at, byte, len)| {
        let mut data = set_fee_token(token).to_vec();
        match how {
            0 => {}
            1 => data.truncate(len.min(data.len())),
            2 => data.extend(vec![byte; len]),
            _ => {
                let i = at % data.len();
                data[i] = byte;
            }
        }
        data.into()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// Whatever the calldata, a call to the preference contract pays in a token exactly when
    /// it stores that token as the preference (and the token can pay): the token paid is the
    /// token chosen, and everything else pays natively.
    #[test]
    fn the_token_paid_is_the_token_stored(input in mutated_calldata()) {
        let mut chain = Chain::new();
        let msg = chain.msg(RICH, FEE_PREFERENCE, U256::ZERO, input);
        let outcome = chain.run(&msg);
        let stored = chain.preference(RICH);
        match outcome.fee_token {
            FeeToken::Token(token) => {
                prop_assert!(outcome.success, "{outcome:?}");
                prop_assert_eq!(stored, Some(token));
                prop_assert!(token == USD || token == GLD);
            }
            FeeToken::Native => prop_assert!(
                !outcome.success || stored.is_none() || stored == Some(NOP) || stored == Some(OFF),
                "stored {stored:?} but paid natively"
            ),
        }
        let s = outcome.settlement;
        prop_assert_eq!(s.debit, s.refund + s.tip + s.base);
    }
}
