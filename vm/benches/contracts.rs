//! Contract execution cost, one transaction at a time through `execute_tx` (validation, fee
//! debit and settlement included) on a fresh pending state over a committed in-memory state:
//!
//! - `call/*`: the example counter's `increment()` and the example ERC-20's `transfer` with a
//!   warm module cache, against a native transfer measured in the same run;
//! - `module/*`: a call whose module must first be compiled (cache cleared before every
//!   iteration: a miss), against the same call with the module cached (a hit).
//!
//! `cargo bench -p supervm-vm --bench contracts`; results in docs/benchmarks.md.

#[path = "../tests/it/common/mod.rs"]
mod common;

use std::sync::Arc;

use alloy_primitives::{keccak256, Address, Bytes, TxKind, U256};
use alloy_sol_types::SolCall;
use common::{contracts, Memory};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use supervm_gas::TxFees;
use supervm_primitives::{system::IERC20, ChainSpec, FeeToken};
use supervm_vm::{
    execute_tx, genesis_state, BlockEnv, ContractRuntime, Message, PendingState, RateSnapshot,
};

const DEPLOYER: Address = Address::repeat_byte(0xd0);
const ALICE: Address = Address::repeat_byte(0xa1);

struct Setup {
    state: Memory,
    env: BlockEnv,
    runtime: Arc<ContractRuntime>,
    counter: Address,
    token: Address,
}

fn example(name: &str) -> Bytes {
    let path = format!(
        "{}/../examples/contracts/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    wat::parse_file(path).expect("example contract").into()
}

fn message(state: &Memory, from: Address, kind: TxKind, input: Bytes, value: U256) -> Message {
    Message {
        caller: from,
        kind,
        value,
        input,
        gas_limit: 1_000_000,
        fees: Some(TxFees {
            max_fee_per_gas: 1_000_000_000,
            max_priority_fee_per_gas: 0,
        }),
        nonce: Some(state.accounts.get(&from).map_or(0, |account| account.nonce)),
        access_list: None,
        fee_currency: Some(FeeToken::Native),
    }
}

/// Executes `msg` and commits it.
fn commit(setup: &mut Setup, msg: &Message) {
    let mut pending = PendingState::new(&setup.state);
    let outcome = execute_tx(&setup.env, msg, &mut pending).expect("valid");
    assert!(outcome.success, "{outcome:?}");
    let changes = pending.into_changes();
    setup.state.apply(&changes);
}

fn setup() -> Setup {
    let spec = ChainSpec::dev(31337, [DEPLOYER, ALICE]);
    let state = Memory::new(&genesis_state(&spec).expect("genesis"));
    let rates = RateSnapshot::read(&mut PendingState::new(&state)).expect("rates");
    let runtime = contracts();
    let env = BlockEnv {
        number: 1,
        timestamp: 1,
        beneficiary: Address::repeat_byte(0xbe),
        base_fee: 1_000_000_000,
        gas_limit: 30_000_000,
        base_fee_recipient: None,
        rates: Arc::new(rates),
        chain_id: 31337,
        contracts: runtime.clone(),
    };
    let mut setup = Setup {
        counter: DEPLOYER.create(0),
        token: DEPLOYER.create(1),
        state,
        env,
        runtime,
    };
    for name in ["counter.wat", "erc20.wat"] {
        let msg = message(
            &setup.state,
            DEPLOYER,
            TxKind::Create,
            example(name),
            U256::ZERO,
        );
        commit(&mut setup, &msg);
    }
    // A first increment, so the measured ones change a non-zero slot (the common case).
    let increment = increment(&setup);
    commit(&mut setup, &increment);
    setup
}

fn increment(setup: &Setup) -> Message {
    let input = keccak256("increment()")[..4].to_vec().into();
    message(
        &setup.state,
        ALICE,
        TxKind::Call(setup.counter),
        input,
        U256::ZERO,
    )
}

fn run(setup: &Setup, msg: &Message) {
    let mut pending = PendingState::new(&setup.state);
    let outcome = execute_tx(&setup.env, msg, &mut pending).expect("valid");
    assert!(outcome.success);
}

fn calls(c: &mut Criterion) {
    let setup = setup();
    let native = message(
        &setup.state,
        ALICE,
        TxKind::Call(DEPLOYER),
        Bytes::new(),
        U256::from(1),
    );
    let increment = increment(&setup);
    let transfer = message(
        &setup.state,
        DEPLOYER,
        TxKind::Call(setup.token),
        IERC20::transferCall {
            to: ALICE,
            value: U256::from(1),
        }
        .abi_encode()
        .into(),
        U256::ZERO,
    );
    let mut group = c.benchmark_group("call");
    group.bench_function("native_transfer", |b| b.iter(|| run(&setup, &native)));
    group.bench_function("counter_increment", |b| b.iter(|| run(&setup, &increment)));
    group.bench_function("erc20_transfer", |b| b.iter(|| run(&setup, &transfer)));
    group.finish();

    let mut group = c.benchmark_group("module");
    for (name, msg) in [("counter", &increment), ("erc20", &transfer)] {
        group.bench_function(format!("{name}_cache_hit"), |b| b.iter(|| run(&setup, msg)));
        group.bench_function(format!("{name}_cache_miss"), |b| {
            b.iter_batched(
                || setup.runtime.clear_cache(),
                |()| run(&setup, msg),
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = calls
}
criterion_main!(benches);
