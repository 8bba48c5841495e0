//! Parallel execution (Block-STM) against the sequential reference.
//!
//! The reference executes a block's messages one after another with [`execute_tx`] on one
//! [`PendingState`] (an invalid transaction changes nothing and the next one runs), then takes
//! [`PendingState::into_changes`]. [`BlockExecutor`] must give exactly that — every result
//! (outcome with logs, gas, fees and output; or the same rejection), the same state changes
//! and the same state root — for every thread count and every run, also after the oracle's
//! end-of-block aggregation on the state it returns.
//!
//! Blocks mix native transfers among a few accounts (conflicting) and many (independent),
//! values above the balance, wrong nonces, ERC-20 transfers paying gas in the token
//! (resolution rule 3, reverting when the amount exceeds the balance, running out of gas with
//! a tight limit), CIP-64 transactions paying in a token (disabled and unregistered ones
//! included), fee-preference changes, oracle reports (by whitelisted reporters and others),
//! transactions of the beneficiary and of the base-fee recipient (which read balances every
//! earlier transaction credited), accounts that start empty and spend what they receive, with
//! the base fee paid to a recipient or burned.

use std::{
    collections::BTreeMap,
    num::NonZeroUsize,
    sync::{Arc, LazyLock},
};

use crate::common::{contracts, Memory};

use alloy_primitives::{Address, Bytes, TxKind, B256, U256};
use alloy_sol_types::SolCall;
use proptest::{
    prelude::*,
    strategy::ValueTree,
    test_runner::{TestCaseError, TestRunner},
};
use supervm_gas::TxFees;
use supervm_primitives::{
    system::{IFeePreference, IOracle, FEE_PREFERENCE, IERC20, ORACLE},
    ChainSpec, FeeToken, GenesisRate, GenesisToken, StateChanges,
};
use supervm_vm::{
    execute_tx, genesis_state,
    parallel::{FALLBACK_ABORT_RATIO, FALLBACK_MIN_EXECUTIONS, MIN_PARALLEL_TXS},
    system::oracle,
    BlockEnv, BlockExecutor, ExecutionStats, Message, PendingState, RateSnapshot, StateAccess,
    TxOutcome,
};

/// Accounts most transactions touch: blocks of them conflict.
const HOT: usize = 4;
/// Accounts rarely touched twice in a block: blocks of them are mostly independent.
const COLD: usize = 40;
/// Accounts without native coin and with few tokens: whether their transactions are valid
/// depends on what earlier transactions of the block sent them.
const POOR: usize = 4;
/// Never-funded recipients.
const FRESH: usize = 64;
const BENEFICIARY: Address = Address::repeat_byte(0xbe);
const TREASURY: Address = Address::repeat_byte(0x77);
const UNREGISTERED: Address = Address::repeat_byte(0xde);
const BASE_FEE: u64 = 875_000_000;
const THREADS: [usize; 4] = [1, 2, 4, 8];
/// Timestamp of the warm-up block in which every reporter reported once.
const WARM_UP_TIME: u64 = 10;
/// Timestamp of the blocks under test.
const BLOCK_TIME: u64 = 20;

fn addr(prefix: u8, i: usize) -> Address {
    let mut bytes = [0u8; 20];
    bytes[0] = prefix;
    bytes[18..].copy_from_slice(&(i as u16).to_be_bytes());
    Address::from(bytes)
}

fn hot(i: usize) -> Address {
    addr(0x10, i)
}

fn cold(i: usize) -> Address {
    addr(0x20, i)
}

fn poor(i: usize) -> Address {
    addr(0x30, i)
}

fn fresh(i: usize) -> Address {
    addr(0x40, i)
}

fn wide(i: usize) -> Address {
    addr(0x50, i)
}

/// Registered tokens: (decimals, rate numerator, rate denominator, enabled, with reporters).
/// Tokens 0 and 1 have reporters (their rate follows the reports), token 2 has a fixed rate,
/// token 3 is disabled for fees.
const TOKENS: [(u8, u64, u64, bool, bool); 4] = [
    (6, 3, 1_000_000_000, true, true),
    (8, 5, 1_000_000_000_000, true, true),
    (18, 100, 1, true, false),
    (18, 7, 1, false, false),
];

fn token(t: usize) -> Address {
    if t < TOKENS.len() {
        addr(0xa0, t)
    } else {
        UNREGISTERED
    }
}

/// Whitelisted reporters of the tokens that have reporters.
fn reporters() -> Vec<Address> {
    vec![hot(0), hot(1), cold(0)]
}

/// The committed state blocks run on, and the fee-token rates it prices.
struct Fixture {
    base: Memory,
    rates: Arc<RateSnapshot>,
}

/// Genesis with `funded` holding native coin, `holders` holding every token, reporters
/// whitelisted; then a warm-up block in which every reporter reports the seeded rate, so
/// the feeds with reporters are fresh and priced.
fn fixture(funded: &[Address], holders: &[(Address, U256)]) -> Fixture {
    let mut spec = ChainSpec::dev_without_tokens(31337, funded.iter().copied());
    spec.supervm.oracle.min_reports = 2;
    spec.supervm.tokens = TOKENS
        .iter()
        .enumerate()
        .map(
            |(t, (decimals, numerator, denominator, enabled, has_reporters))| GenesisToken {
                address: token(t),
                name: format!("Token {t}"),
                symbol: format!("T{t}"),
                decimals: *decimals,
                balances: holders.iter().copied().collect(),
                rate: Some(GenesisRate {
                    numerator: U256::from(*numerator),
                    denominator: U256::from(*denominator),
                }),
                enabled: *enabled,
                reporters: if *has_reporters {
                    reporters()
                } else {
                    Vec::new()
                },
            },
        )
        .collect();
    let mut base = Memory::new(&genesis_state(&spec).expect("valid genesis"));

    let env = BlockEnv {
        number: 1,
        timestamp: WARM_UP_TIME,
        ..block_env(None, Arc::default())
    };
    let mut state = PendingState::new(&base);
    for (t, (_, numerator, denominator, _, has_reporters)) in TOKENS.iter().enumerate() {
        if !has_reporters {
            continue;
        }
        for reporter in reporters() {
            let msg = Message {
                caller: reporter,
                kind: TxKind::Call(ORACLE),
                value: U256::ZERO,
                input: IOracle::reportCall {
                    token: token(t),
                    numerator: U256::from(*numerator),
                    denominator: U256::from(*denominator),
                }
                .abi_encode()
                .into(),
                gas_limit: 200_000,
                fees: None,
                nonce: None,
                access_list: None,
                fee_currency: None,
            };
            let outcome = execute_tx(&env, &msg, &mut state).expect("warm-up report is valid");
            assert!(outcome.success, "warm-up report failed: {outcome:?}");
        }
    }
    oracle::end_block(&mut state, WARM_UP_TIME).unwrap();
    let warm_up = state.into_changes();
    base.apply(&warm_up);

    let rates = RateSnapshot::read(&mut PendingState::new(&base)).unwrap();
    for t in 0..3 {
        assert!(rates.get(&token(t)).is_some(), "token {t} must be priced");
    }
    assert!(rates.get(&token(3)).is_none(), "token 3 is disabled");
    Fixture {
        base,
        rates: Arc::new(rates),
    }
}

/// The fixture of the random blocks: hot, cold, beneficiary and treasury are rich; poor
/// accounts hold a little of every token and no native coin.
fn main_fixture() -> &'static Fixture {
    static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
        let funded: Vec<Address> = (0..HOT)
            .map(hot)
            .chain((0..COLD).map(cold))
            .chain([BENEFICIARY, TREASURY])
            .collect();
        let rich = U256::from(10u64).pow(U256::from(30));
        let holders: Vec<(Address, U256)> = (0..HOT)
            .map(hot)
            .chain((0..COLD).map(cold))
            .map(|a| (a, rich))
            .chain((0..POOR).map(|i| (poor(i), U256::from(2_000_000u64))))
            .collect();
        fixture(&funded, &holders)
    });
    &FIXTURE
}

fn block_env(base_fee_recipient: Option<Address>, rates: Arc<RateSnapshot>) -> BlockEnv {
    BlockEnv {
        number: 2,
        timestamp: BLOCK_TIME,
        beneficiary: BENEFICIARY,
        base_fee: BASE_FEE,
        gas_limit: 30_000_000,
        base_fee_recipient,
        rates,
        chain_id: 31337,
        contracts: contracts(),
    }
}

// ---------------------------------------------------------------------------------------
// Random blocks.

/// A participant.
#[derive(Clone, Copy, Debug)]
enum Who {
    Hot(usize),
    Cold(usize),
    Poor(usize),
    Fresh(usize),
    Beneficiary,
    Treasury,
}

impl Who {
    fn address(self) -> Address {
        match self {
            Self::Hot(i) => hot(i),
            Self::Cold(i) => cold(i),
            Self::Poor(i) => poor(i),
            Self::Fresh(i) => fresh(i),
            Self::Beneficiary => BENEFICIARY,
            Self::Treasury => TREASURY,
        }
    }
}

/// What a transaction does. Token indices past the registered tokens name an unregistered
/// address.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// Native transfer paid in the native coin.
    Native,
    /// ERC-20 `transfer` of token `t` (rule 3 makes it pay in `t` when the sender can).
    TokenTransfer(usize),
    /// CIP-64 native transfer paying in token `t`.
    Cip64(usize),
    /// `setFeeToken(t)`; `None` clears the preference.
    Prefer(Option<usize>),
    /// `report(t, rate × bps / 10000)`; with a zero denominator when `zero` (reverts).
    Report { t: usize, bps: u64, zero: bool },
}

#[derive(Clone, Copy, Debug)]
enum NonceMode {
    Right,
    TooLow,
    TooHigh,
}

/// One transaction of a random block, before its nonce is known.
#[derive(Clone, Copy, Debug)]
struct TxSpec {
    from: Who,
    to: Who,
    kind: Kind,
    /// Amount class (0 zero, 1 small, 2 medium, 3 above most balances) and mantissa.
    amount: (u8, u64),
    nonce: NonceMode,
    /// A gas limit that runs calls out of gas.
    tight_gas: bool,
    /// Fee cap above the base fee (wei) and tip (gwei).
    extra: u128,
    tip_gwei: u128,
}

/// How blocks choose their participants.
#[derive(Clone, Copy, Debug)]
enum Profile {
    /// Mostly hot accounts, the beneficiary, the treasury and poor accounts.
    Conflicting,
    /// Mostly distinct cold accounts paying fresh ones.
    Independent,
    /// Both.
    Mixed,
}

fn sender(profile: Profile) -> BoxedStrategy<Who> {
    let (hot_w, cold_w, poor_w, special_w) = match profile {
        Profile::Conflicting => (8, 1, 2, 1),
        Profile::Independent => (1, 16, 0, 0),
        Profile::Mixed => (3, 4, 1, 1),
    };
    let mut options: Vec<(u32, BoxedStrategy<Who>)> = vec![
        (hot_w, (0..HOT).prop_map(Who::Hot).boxed()),
        (cold_w, (0..COLD).prop_map(Who::Cold).boxed()),
    ];
    if poor_w > 0 {
        options.push((poor_w, (0..POOR).prop_map(Who::Poor).boxed()));
    }
    if special_w > 0 {
        options.push((special_w, Just(Who::Beneficiary).boxed()));
        options.push((special_w, Just(Who::Treasury).boxed()));
    }
    proptest::strategy::Union::new_weighted(options).boxed()
}

fn recipient(profile: Profile) -> BoxedStrategy<Who> {
    let (hot_w, cold_w, poor_w, fresh_w) = match profile {
        Profile::Conflicting => (6, 1, 3, 1),
        Profile::Independent => (0, 4, 0, 6),
        Profile::Mixed => (3, 3, 2, 3),
    };
    let mut options: Vec<(u32, BoxedStrategy<Who>)> = vec![
        (cold_w, (0..COLD).prop_map(Who::Cold).boxed()),
        (fresh_w, (0..FRESH).prop_map(Who::Fresh).boxed()),
        (1, Just(Who::Beneficiary).boxed()),
    ];
    if hot_w > 0 {
        options.push((hot_w, (0..HOT).prop_map(Who::Hot).boxed()));
    }
    if poor_w > 0 {
        options.push((poor_w, (0..POOR).prop_map(Who::Poor).boxed()));
    }
    proptest::strategy::Union::new_weighted(options).boxed()
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        6 => Just(Kind::Native),
        3 => (0..TOKENS.len() + 1).prop_map(Kind::TokenTransfer),
        2 => (0..TOKENS.len() + 1).prop_map(Kind::Cip64),
        1 => prop::option::weighted(0.8, 0..TOKENS.len() + 1).prop_map(Kind::Prefer),
        2 => (0..3usize, 8_500u64..11_500, prop::bool::weighted(0.1))
            .prop_map(|(t, bps, zero)| Kind::Report { t, bps, zero }),
    ]
}

fn tx_spec(profile: Profile) -> impl Strategy<Value = TxSpec> {
    (
        sender(profile),
        recipient(profile),
        kind(),
        (
            prop_oneof![1 => Just(0u8), 4 => Just(1u8), 4 => Just(2u8), 1 => Just(3u8)],
            any::<u64>(),
        ),
        prop_oneof![
            18 => Just(NonceMode::Right),
            1 => Just(NonceMode::TooLow),
            1 => Just(NonceMode::TooHigh),
        ],
        prop::bool::weighted(0.1),
        1u128..5_000_000_000,
        0u128..3,
    )
        .prop_map(
            |(from, to, kind, amount, nonce, tight_gas, extra, tip_gwei)| TxSpec {
                from,
                to,
                kind,
                amount,
                nonce,
                tight_gas,
                extra,
                tip_gwei,
            },
        )
}

fn block(len: std::ops::Range<usize>) -> impl Strategy<Value = Vec<TxSpec>> {
    prop_oneof![
        Just(Profile::Conflicting),
        Just(Profile::Independent),
        Just(Profile::Mixed),
    ]
    .prop_flat_map(move |profile| prop::collection::vec(tx_spec(profile), len.clone()))
}

fn pow10(exp: u64) -> U256 {
    U256::from(10u64).pow(U256::from(exp))
}

/// Native fee fields: a cap above the base fee and a tip within it.
fn native_fees(extra: u128, tip_gwei: u128) -> TxFees {
    let max_fee_per_gas = BASE_FEE as u128 + extra;
    TxFees {
        max_fee_per_gas,
        max_priority_fee_per_gas: (tip_gwei * 1_000_000_000).min(max_fee_per_gas),
    }
}

/// The message of `spec` with nonce `nonce`.
fn message(spec: &TxSpec, nonce: u64, rates: &RateSnapshot) -> Message {
    let (class, mantissa) = spec.amount;
    let native_value = match class {
        0 => U256::ZERO,
        1 => U256::from(mantissa % 1_000_000_000_000),
        2 => U256::from(mantissa % 1_000_000) * pow10(11),
        // Up to twice a rich account's balance.
        _ => U256::from(mantissa % 20_000) * pow10(18),
    };
    let token_value = match class {
        0 => U256::ZERO,
        1 => U256::from(mantissa % 1_000_000),
        2 => U256::from(mantissa) * pow10(9),
        // More than anyone holds.
        _ => pow10(31),
    };
    let fees = native_fees(spec.extra, spec.tip_gwei);
    let call_gas = if spec.tight_gas { 25_000 } else { 200_000 };
    let (to, value, input, gas_limit, fees, fee_currency) = match spec.kind {
        Kind::Native => (
            spec.to.address(),
            native_value,
            Bytes::new(),
            if spec.tight_gas { 21_000 } else { 30_000 },
            fees,
            None,
        ),
        Kind::TokenTransfer(t) => (
            token(t),
            U256::ZERO,
            IERC20::transferCall {
                to: spec.to.address(),
                value: token_value,
            }
            .abi_encode()
            .into(),
            call_gas,
            fees,
            None,
        ),
        Kind::Cip64(t) => {
            // Fee fields in token units; an unpriced token gets token 0's (it is rejected).
            let rate = rates
                .get(&token(t))
                .or_else(|| rates.get(&token(0)))
                .unwrap();
            let base = rate
                .to_token_ceil(U256::from(BASE_FEE))
                .unwrap()
                .saturating_to::<u128>();
            let tip = spec.tip_gwei;
            (
                spec.to.address(),
                native_value / U256::from(1000),
                Bytes::new(),
                30_000,
                TxFees {
                    max_fee_per_gas: base + spec.extra % (base + 1) + tip,
                    max_priority_fee_per_gas: tip,
                },
                Some(FeeToken::Token(token(t))),
            )
        }
        Kind::Prefer(t) => (
            FEE_PREFERENCE,
            U256::ZERO,
            IFeePreference::setFeeTokenCall {
                token: t.map_or(Address::ZERO, token),
            }
            .abi_encode()
            .into(),
            call_gas,
            fees,
            None,
        ),
        Kind::Report { t, bps, zero } => {
            let (_, numerator, denominator, _, _) = TOKENS[t];
            (
                ORACLE,
                U256::ZERO,
                IOracle::reportCall {
                    token: token(t),
                    numerator: U256::from(numerator) * U256::from(bps),
                    denominator: if zero {
                        U256::ZERO
                    } else {
                        U256::from(denominator) * U256::from(10_000)
                    },
                }
                .abi_encode()
                .into(),
                call_gas,
                fees,
                None,
            )
        }
    };
    Message {
        caller: spec.from.address(),
        kind: TxKind::Call(to),
        value,
        input,
        gas_limit,
        fees: Some(fees),
        nonce: Some(nonce),
        access_list: None,
        fee_currency,
    }
}

/// Turns specs into messages, choosing each nonce against the state sequential execution
/// (burning the base fee) reaches at that point: right, one too low, or one too high.
fn build_block(fixture: &Fixture, specs: &[TxSpec]) -> Vec<Message> {
    let env = block_env(None, fixture.rates.clone());
    let mut state = PendingState::new(&fixture.base);
    specs
        .iter()
        .map(|spec| {
            let current = state.account(spec.from.address()).unwrap().nonce;
            let nonce = match spec.nonce {
                NonceMode::Right => current,
                NonceMode::TooLow => current.checked_sub(1).unwrap_or(current + 1),
                NonceMode::TooHigh => current + 1,
            };
            let msg = message(spec, nonce, &fixture.rates);
            let _ = execute_tx(&env, &msg, &mut state);
            msg
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Running and comparing.

/// Everything a block's execution produced that consensus sees.
struct Executed {
    /// Outcomes, or the rejection's message.
    results: Vec<Result<TxOutcome, String>>,
    changes: StateChanges,
    /// State root of the base state with `changes` committed.
    root: B256,
}

fn finish(
    env: &BlockEnv,
    base: &Memory,
    results: Vec<Result<TxOutcome, String>>,
    mut state: PendingState<&Memory>,
    end_block: bool,
) -> Executed {
    if end_block {
        oracle::end_block(&mut state, env.timestamp).unwrap();
    }
    let changes = state.into_changes();
    let mut after = base.clone();
    after.apply(&changes);
    Executed {
        results,
        changes,
        root: after.root(),
    }
}

/// The reference: one transaction after another.
fn sequential(env: &BlockEnv, msgs: &[Message], base: &Memory, end_block: bool) -> Executed {
    let mut state = PendingState::new(base);
    let results = msgs
        .iter()
        .map(|msg| execute_tx(env, msg, &mut state).map_err(|err| err.to_string()))
        .collect();
    finish(env, base, results, state, end_block)
}

fn parallel(
    env: &BlockEnv,
    msgs: &[Message],
    base: &Memory,
    threads: usize,
    end_block: bool,
) -> (Executed, ExecutionStats) {
    let output = BlockExecutor::new(NonZeroUsize::new(threads).unwrap())
        .execute(env, msgs, base)
        .expect("in-memory state never fails");
    let results = output
        .results
        .into_iter()
        .map(|result| result.map_err(|err| err.to_string()))
        .collect();
    let stats = output.stats;
    (finish(env, base, results, output.state, end_block), stats)
}

/// The first difference between two executions, described.
fn difference(expected: &Executed, actual: &Executed, msgs: &[Message]) -> Option<String> {
    if expected.results.len() != actual.results.len() {
        return Some(format!(
            "{} results, expected {}",
            actual.results.len(),
            expected.results.len()
        ));
    }
    for (index, (want, got)) in expected.results.iter().zip(&actual.results).enumerate() {
        if want != got {
            return Some(format!(
                "transaction {index} ({:?}):\n  sequential {want:?}\n  parallel   {got:?}",
                msgs[index]
            ));
        }
    }
    if expected.changes != actual.changes {
        let mut lines = Vec::new();
        let addresses: std::collections::BTreeSet<_> = expected
            .changes
            .accounts
            .keys()
            .chain(actual.changes.accounts.keys())
            .collect();
        for address in addresses {
            let (want, got) = (
                expected.changes.accounts.get(address),
                actual.changes.accounts.get(address),
            );
            if want != got {
                lines.push(format!(
                    "  account {address}: sequential {want:?}, parallel {got:?}"
                ));
            }
        }
        let contracts: std::collections::BTreeSet<_> = expected
            .changes
            .storage
            .keys()
            .chain(actual.changes.storage.keys())
            .collect();
        for contract in contracts {
            let empty = BTreeMap::new();
            let want = expected.changes.storage.get(contract).unwrap_or(&empty);
            let got = actual.changes.storage.get(contract).unwrap_or(&empty);
            let slots: std::collections::BTreeSet<_> = want.keys().chain(got.keys()).collect();
            for slot in slots {
                if want.get(slot) != got.get(slot) {
                    lines.push(format!(
                        "  storage {contract} {slot}: sequential {:?}, parallel {:?}",
                        want.get(slot),
                        got.get(slot)
                    ));
                }
            }
        }
        return Some(format!("state changes differ:\n{}", lines.join("\n")));
    }
    if expected.root != actual.root {
        return Some(format!(
            "state root {}, expected {}",
            actual.root, expected.root
        ));
    }
    None
}

/// Runs `msgs` with every thread count in both forms (without and with the end-of-block
/// aggregation on the returned state) and compares each with the sequential reference.
fn check_all_thread_counts(
    env: &BlockEnv,
    msgs: &[Message],
    base: &Memory,
) -> Result<(), TestCaseError> {
    for end_block in [false, true] {
        let expected = sequential(env, msgs, base, end_block);
        for threads in THREADS {
            let (actual, stats) = parallel(env, msgs, base, threads, end_block);
            if let Some(diff) = difference(&expected, &actual, msgs) {
                return Err(TestCaseError::fail(format!(
                    "{threads} threads, base fee recipient {:?}, end block {end_block}, \
                     {} transactions, {stats:?}: {diff}",
                    env.base_fee_recipient,
                    msgs.len()
                )));
            }
            prop_assert!(stats.executions >= msgs.len(), "{stats:?}");
            let expected_threads = if msgs.len() < MIN_PARALLEL_TXS {
                1
            } else {
                threads
            };
            prop_assert_eq!(stats.threads, expected_threads);
        }
    }
    Ok(())
}

/// A deterministic value of `strategy` (the same on every run).
fn sample<S: Strategy>(strategy: S) -> S::Value {
    strategy
        .new_tree(&mut TestRunner::deterministic())
        .unwrap()
        .current()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn parallel_execution_equals_sequential(specs in block(8..120)) {
        let fixture = main_fixture();
        let msgs = build_block(fixture, &specs);
        for recipient in [None, Some(TREASURY)] {
            let env = block_env(recipient, fixture.rates.clone());
            check_all_thread_counts(&env, &msgs, &fixture.base)?;
        }
    }
}

/// The random blocks must exercise what they claim to: a fixed sample of them contains
/// valid and invalid transactions, reverts and successful token, preference and oracle
/// calls.
#[test]
fn random_blocks_cover_every_path() {
    let fixture = main_fixture();
    let specs = sample(prop::collection::vec(tx_spec(Profile::Mixed), 400));
    let msgs = build_block(fixture, &specs);
    let env = block_env(None, fixture.rates.clone());
    let executed = sequential(&env, &msgs, &fixture.base, true);
    let errors: Vec<&String> = executed
        .results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .collect();
    let outcomes: Vec<&TxOutcome> = executed
        .results
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .collect();
    for expected in ["nonce too low", "nonce too high", "insufficient funds"] {
        assert!(
            errors.iter().any(|e| e.starts_with(expected)),
            "no '{expected}' among {errors:?}"
        );
    }
    assert!(outcomes.iter().any(|o| !o.success), "no revert");
    assert!(
        outcomes
            .iter()
            .any(|o| o.success && o.fee_token != FeeToken::Native),
        "no fee paid in a token"
    );
    for contract in [FEE_PREFERENCE, ORACLE, token(0)] {
        assert!(
            outcomes
                .iter()
                .any(|o| o.success && o.logs.iter().any(|l| l.address == contract)),
            "no successful call of {contract}"
        );
    }
    check_all_thread_counts(&env, &msgs, &fixture.base).unwrap();
}

/// Every transaction moves coins between the same two accounts: each one reads what the
/// previous one wrote, so Block-STM re-executes nearly everything when the threads really run
/// at once. Besides being right, the executor must notice (more than one execution in
/// [`FALLBACK_ABORT_RATIO`] aborted after [`FALLBACK_MIN_EXECUTIONS`] executions) and finish
/// sequentially. Seen: 2 threads fall back after ~200 transactions with ~190 aborts in ~1350
/// executions, 4 threads after ~125; on a busy machine one thread may do nearly all the work
/// with few aborts and no fallback, which is fine too.
#[test]
fn serial_block_falls_back_and_equals_sequential() {
    let fixture = main_fixture();
    let (a, b) = (hot(2), hot(3));
    let mut nonces = [
        fixture.base.accounts[&a].nonce,
        fixture.base.accounts[&b].nonce,
    ];
    let msgs: Vec<Message> = (0..1000)
        .map(|i| {
            let (from, to) = if i % 2 == 0 { (a, b) } else { (b, a) };
            let nonce = &mut nonces[i % 2];
            *nonce += 1;
            Message {
                caller: from,
                kind: TxKind::Call(to),
                value: U256::from(1_000_000_000_000_000u64 + i as u64),
                input: Bytes::new(),
                gas_limit: 21_000,
                fees: Some(native_fees(1_000_000_000, 1)),
                nonce: Some(*nonce - 1),
                access_list: None,
                fee_currency: None,
            }
        })
        .collect();
    assert!(msgs.len() > 10 * FALLBACK_MIN_EXECUTIONS && FALLBACK_ABORT_RATIO >= 2);
    let env = block_env(Some(TREASURY), fixture.rates.clone());
    let expected = sequential(&env, &msgs, &fixture.base, false);
    assert!(
        expected
            .results
            .iter()
            .all(|r| r.as_ref().is_ok_and(|o| o.success)),
        "every transfer is valid"
    );
    for threads in [2, 4] {
        let (actual, stats) = parallel(&env, &msgs, &fixture.base, threads, false);
        if let Some(diff) = difference(&expected, &actual, &msgs) {
            panic!("{threads} threads, {stats:?}: {diff}");
        }
        // Whether the threads conflicted enough to fall back depends on how the OS
        // schedules them; what is guaranteed is that the repeated work stays bounded: without
        // a fallback, at most one execution in FALLBACK_ABORT_RATIO was aborted.
        let bound = msgs.len() + msgs.len() / (FALLBACK_ABORT_RATIO - 1) + FALLBACK_MIN_EXECUTIONS;
        assert!(
            stats.fell_back_at.is_some() || stats.executions <= bound,
            "{threads} threads: a serial block must fall back or waste little: {stats:?}"
        );
    }
}

/// One mixed block with conflicts, executed 100 times on 4 threads: the interleavings differ
/// from run to run, the results never do.
#[test]
fn the_same_block_always_gives_the_same_result() {
    let fixture = main_fixture();
    let specs = sample(prop::collection::vec(tx_spec(Profile::Mixed), 300));
    let msgs = build_block(fixture, &specs);
    let env = block_env(Some(TREASURY), fixture.rates.clone());
    let expected = sequential(&env, &msgs, &fixture.base, false);
    let mut fell_back = 0;
    let mut aborts = 0;
    for run in 0..100 {
        let (actual, stats) = parallel(&env, &msgs, &fixture.base, 4, false);
        if let Some(diff) = difference(&expected, &actual, &msgs) {
            panic!("run {run}, {stats:?}: {diff}");
        }
        fell_back += usize::from(stats.fell_back_at.is_some());
        aborts += stats.aborts;
    }
    eprintln!(
        "300 transactions × 100 runs on 4 threads: {fell_back} runs fell back, {} aborts per run",
        aborts / 100
    );
}

/// Senders of the conflict-free blocks: one transaction each.
const SENDERS: usize = 256;

/// A state with [`SENDERS`] rich accounts (native coin and every token).
fn wide_fixture() -> &'static Fixture {
    static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
        let rich = U256::from(10u64).pow(U256::from(30));
        let senders: Vec<Address> = (0..SENDERS).map(wide).collect();
        let holders: Vec<(Address, U256)> = senders.iter().map(|a| (*a, rich)).collect();
        fixture(&senders, &holders)
    });
    &FIXTURE
}

/// A transfer of sender `i` to `to` paying fees `fees` (native) or in token 0 (CIP-64).
fn independent_transfer(fixture: &Fixture, i: usize, to: Address, in_token: bool) -> Message {
    let (fees, fee_currency) = if in_token {
        let base_in_token = fixture
            .rates
            .get(&token(0))
            .unwrap()
            .to_token_ceil(U256::from(BASE_FEE))
            .unwrap()
            .saturating_to::<u128>();
        let fees = TxFees {
            max_fee_per_gas: base_in_token + 5,
            max_priority_fee_per_gas: 2,
        };
        (fees, Some(FeeToken::Token(token(0))))
    } else {
        (native_fees(1_000_000_000, 1), None)
    };
    Message {
        caller: wide(i),
        kind: TxKind::Call(to),
        value: U256::from(1_000 + i),
        input: Bytes::new(),
        gas_limit: 30_000,
        fees: Some(fees),
        nonce: Some(fixture.base.accounts[&wide(i)].nonce),
        access_list: None,
        fee_currency,
    }
}

/// Runs a block of independent senders with 2 and 4 threads: the same as sequential, with
/// fewer aborts than a quarter of the transactions and no fallback.
fn assert_conflict_free(name: &str, recipient: Option<Address>, msgs: &[Message]) {
    let fixture = wide_fixture();
    let env = block_env(recipient, fixture.rates.clone());
    let expected = sequential(&env, msgs, &fixture.base, false);
    assert!(
        expected.results.iter().all(|r| r
            .as_ref()
            .is_ok_and(|o| o.success && !o.settlement.tip.is_zero())),
        "{name}: every transaction is valid and pays a tip"
    );
    for threads in [2, 4] {
        let (actual, stats) = parallel(&env, msgs, &fixture.base, threads, false);
        if let Some(diff) = difference(&expected, &actual, msgs) {
            panic!("{name}, {threads} threads, {stats:?}: {diff}");
        }
        assert!(
            stats.aborts < msgs.len() / 4 && stats.fell_back_at.is_none(),
            "{name}, {threads} threads: the transactions conflict: {stats:?}"
        );
    }
}

/// Independent senders (each pays its own fresh recipient), each paying a tip to the one
/// beneficiary and a base fee that is burned out of one token's supply, or paid to one
/// recipient. Done as read-modify-write these would make every transaction depend on the
/// previous one; as deltas (`StateAccess::credit`, `credit_slot`, `debit_slot`) nobody reads
/// the beneficiary, the supply or the burned counter, so no validation fails (0 aborts in
/// practice). The bound of a quarter leaves room for scheduling noise while still failing
/// when fee credits serialise the block (then nearly every transaction aborts once and the
/// executor falls back).
#[test]
fn fee_credits_to_one_beneficiary_do_not_conflict() {
    let fixture = wide_fixture();
    let block = |in_token: fn(usize) -> bool| -> Vec<Message> {
        (0..SENDERS)
            .map(|i| independent_transfer(fixture, i, fresh(i), in_token(i)))
            .collect()
    };
    assert_conflict_free("CIP-64 in token 0, base fee burned", None, &block(|_| true));
    assert_conflict_free(
        "native, base fee to the treasury",
        Some(TREASURY),
        &block(|_| false),
    );
    assert_conflict_free(
        "token and native alternating, base fee burned",
        None,
        &block(|i| i % 2 == 0),
    );
    assert_conflict_free(
        "token and native alternating, base fee to the treasury",
        Some(TREASURY),
        &block(|i| i % 2 == 0),
    );
}

/// Many payments to one address stay parallel: the value transfer is a delta, and the check
/// whether the recipient holds code reads only its code hash, so no payment reads the balance
/// another one credits.
#[test]
fn payments_to_one_recipient_do_not_conflict() {
    let fixture = wide_fixture();
    let msgs: Vec<Message> = (0..SENDERS)
        .map(|i| independent_transfer(fixture, i, fresh(0), i % 2 == 0))
        .collect();
    assert_conflict_free("payments to one recipient", Some(TREASURY), &msgs);
}
