//! Contract compilation in the worst case the shape limits allow, against the gas a creation
//! pays for it, and against ordinary contract execution measured in the same run.
//!
//! For each module shape — adversarial ones built to the limits of `vm/src/wasm/limits.rs`
//! (deepest nesting, most locals across many blocks, largest functions, deepest operand stack,
//! widest `br_table`, most functions), and the example ERC-20 — a creation is executed with
//! `execute_tx` on a fresh runtime (so the module is compiled, not cached), three times. The
//! table gives the module size, the creation's gas, the median and spread of its time, and
//! nanoseconds per gas. The baseline is the example counter's `increment()` with a warm cache,
//! in nanoseconds per gas too. A last table gives what reading a compiled module back from its
//! artifact costs (a restart, or a module the memory cache dropped), against the gas a first call
//! pays for loading it.
//!
//! `cargo bench -p supervm-vm --bench compile`; results in docs/benchmarks.md.

#[allow(dead_code)]
#[path = "../tests/it/common/mod.rs"]
mod common;

use std::{
    num::NonZeroUsize,
    sync::Arc,
    time::{Duration, Instant},
};

use alloy_primitives::{keccak256, Address, Bytes, TxKind, U256};
use common::Memory;
use supervm_gas::TxFees;
use supervm_primitives::{ChainSpec, FeeToken};
use supervm_vm::{
    execute_tx, genesis_state,
    wasm::{limits, validate_module},
    BlockEnv, ContractRuntime, Message, PendingState, RateSnapshot,
};

const DEPLOYER: Address = Address::repeat_byte(0xd0);
const RUNS: usize = 3;
/// The dev chain's block gas limit: the largest creation a block can hold.
const GAS_LIMIT: u64 = 30_000_000;

fn wat(text: &str) -> Bytes {
    wat::parse_str(text).expect("valid WAT").into()
}

fn contract(functions: &str) -> Bytes {
    wat(&format!(
        r#"(module (memory (export "memory") 1) {functions} (func (export "call")))"#
    ))
}

/// Repeats `function` as many times as fits in a module of `limit` bytes.
fn fill(function: &str, limit: usize) -> Bytes {
    let one = contract(function).len();
    let count = (limit / one).clamp(1, limits::MAX_FUNCTIONS as usize - 1);
    contract(&function.repeat(count))
}

/// A function body of about `bytes` bytes made of `unit` repeated, between `head` and `tail`.
fn body(head: &str, unit: &str, tail: &str, bytes: usize) -> String {
    let unit_size = contract(&format!("(func {unit})")).len() - contract("(func)").len();
    let count = bytes / unit_size.max(1);
    format!("(func {head} {} {tail})", unit.repeat(count))
}

const FUNCTION: usize = limits::MAX_FUNCTION_SIZE as usize - 512;
/// Modules as large as a creation within one block's gas can pay for.
const MODULE: usize = 72 * 1024;
/// Small functions as many as a creation within one block's gas can pay for.
const SMALL_FUNCTIONS: usize = 2_500;

fn shapes() -> Vec<(&'static str, Bytes)> {
    let depth = limits::MAX_NESTING as usize;
    let locals = limits::MAX_LOCALS as usize;
    let nested_loops = {
        let mut f = String::from("(func (param i32) ");
        f.push_str(&"(local i64)".repeat(16));
        for level in 0..depth {
            let local = 1 + level % 16;
            f.push_str(&format!(
                "(loop (local.set {local} (i64.add (local.get {local}) (i64.const 1))) (br_if {} (local.get 0)) ",
                level % 2
            ));
        }
        f.push_str(&")".repeat(depth));
        f.push(')');
        f
    };
    let many_locals = {
        let mut f = String::from("(func (param i32) ");
        f.push_str(&"(local i64)".repeat(locals));
        let mut block = 0usize;
        while f.len() < FUNCTION * 3 {
            f.push_str("(block ");
            for k in 0..24 {
                let l = 1 + (block * 37 + k * 101) % locals;
                f.push_str(&format!(
                    "(local.set {l} (i64.add (local.get {l}) (i64.const 1))) "
                ));
            }
            f.push_str("(br_if 0 (local.get 0)))");
            block += 1;
        }
        f.push(')');
        f
    };
    let stack = body(
        "(param i32) (result i32) (local.get 0)",
        "(i32.add (local.get 0) (i32.const 1))",
        "",
        FUNCTION / 2,
    );
    let stack = {
        let pushes = stack.matches("i32.add").count();
        format!(
            "{} {})",
            stack.trim_end_matches(')').trim_end(),
            "i32.add ".repeat(pushes)
        )
    };
    let br_table = {
        let targets: String = (0..depth).map(|i| format!("{i} ")).collect();
        let mut f = String::from("(func (param i32) ");
        f.push_str(&"(block ".repeat(depth));
        let table = format!("(br_table {targets} 0 (local.get 0))");
        let mut size = 0;
        while size < FUNCTION / 2 {
            f.push_str(&table);
            size += depth + 8;
        }
        f.push_str(&")".repeat(depth));
        f.push(')');
        f
    };
    let straight = |size: usize| {
        fill(
            &body(
                "(param i32) (result i32)",
                "(local.set 0 (i32.add (local.get 0) (i32.const 3)))",
                "(local.get 0)",
                size,
            ),
            MODULE,
        )
    };
    vec![
        ("straight-line, 2 KiB functions", straight(2 * 1024)),
        ("straight-line, 8 KiB functions", straight(8 * 1024)),
        ("nested loops (128 deep)", fill(&nested_loops, MODULE)),
        (
            "1,024 locals across blocks",
            fill(&truncate_function(&many_locals), MODULE),
        ),
        (
            "straight-line arithmetic",
            fill(
                &body(
                    "(param i32) (result i32)",
                    "(local.set 0 (i32.add (local.get 0) (i32.const 3)))",
                    "(local.get 0)",
                    FUNCTION,
                ),
                MODULE,
            ),
        ),
        ("deep operand stack", fill(&stack, MODULE)),
        ("br_table in 128 blocks", fill(&br_table, MODULE)),
        (
            "2,500 small functions",
            contract(
                &"(func (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))"
                    .repeat(SMALL_FUNCTIONS),
            ),
        ),
        ("example ERC-20", example("erc20.wat")),
    ]
}

/// Keeps a generated function under the function-size limit by dropping whole blocks.
fn truncate_function(function: &str) -> String {
    let mut text = function.to_owned();
    while contract(&text).len() - contract("(func)").len() > FUNCTION {
        let Some(cut) = text[..text.len() - 1].rfind("(block ") else {
            break;
        };
        text.truncate(cut);
        text.push(')');
    }
    text
}

fn example(name: &str) -> Bytes {
    let path = format!(
        "{}/../examples/contracts/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    wat::parse_file(path).expect("example contract").into()
}

struct Chain {
    state: Memory,
    env: BlockEnv,
}

fn chain(runtime: Arc<ContractRuntime>) -> Chain {
    let spec = ChainSpec::dev(31337, [DEPLOYER]);
    let state = Memory::new(&genesis_state(&spec).expect("genesis"));
    let rates = RateSnapshot::read(&mut PendingState::new(&state)).expect("rates");
    let env = BlockEnv {
        number: 1,
        timestamp: 1,
        beneficiary: Address::repeat_byte(0xbe),
        base_fee: 1,
        gas_limit: GAS_LIMIT,
        base_fee_recipient: None,
        rates: Arc::new(rates),
        chain_id: 31337,
        contracts: runtime,
    };
    Chain { state, env }
}

fn message(chain: &Chain, kind: TxKind, input: Bytes) -> Message {
    Message {
        caller: DEPLOYER,
        kind,
        value: U256::ZERO,
        input,
        gas_limit: GAS_LIMIT,
        fees: Some(TxFees {
            max_fee_per_gas: 1,
            max_priority_fee_per_gas: 0,
        }),
        nonce: Some(
            chain
                .state
                .accounts
                .get(&DEPLOYER)
                .map_or(0, |account| account.nonce),
        ),
        access_list: None,
        fee_currency: Some(FeeToken::Native),
    }
}

/// Runs `msg`, returning its gas and time; commits it when `commit`. Creations must succeed
/// (a creation that cannot pay compiles nothing and would measure nothing); a call of an
/// adversarial module's `call` may revert or halt.
fn run(chain: &mut Chain, msg: &Message, commit: bool) -> (u64, Duration) {
    let mut pending = PendingState::new(&chain.state);
    let start = Instant::now();
    let outcome = execute_tx(&chain.env, msg, &mut pending).expect("valid");
    let elapsed = start.elapsed();
    assert!(
        outcome.success || !(commit || msg.kind.is_create()),
        "{outcome:?}"
    );
    if commit {
        let changes = pending.into_changes();
        chain.state.apply(&changes);
    }
    (outcome.gas_used, elapsed)
}

fn runtime(artifacts: Option<&std::path::Path>) -> Arc<ContractRuntime> {
    let modules = NonZeroUsize::new(64).expect("non-zero");
    Arc::new(match artifacts {
        Some(dir) => ContractRuntime::with_artifacts(modules, dir).expect("engine"),
        None => ContractRuntime::new(modules).expect("engine"),
    })
}

fn spread(mut times: Vec<Duration>) -> (Duration, Duration, Duration) {
    times.sort();
    (times[0], times[times.len() / 2], times[times.len() - 1])
}

fn baseline() -> f64 {
    let mut chain = chain(runtime(None));
    let counter = DEPLOYER.create(0);
    let deploy = message(&chain, TxKind::Create, example("counter.wat"));
    run(&mut chain, &deploy, true);
    let increment = Bytes::from(keccak256("increment()")[..4].to_vec());
    let msg = message(&chain, TxKind::Call(counter), increment);
    run(&mut chain, &msg, true);
    let msg = message(&chain, TxKind::Call(counter), msg.input.clone());
    let mut per_gas = Vec::new();
    for _ in 0..RUNS {
        let iterations = 2_000;
        let mut gas = 0;
        let start = Instant::now();
        for _ in 0..iterations {
            gas += run(&mut chain, &msg, false).0;
        }
        per_gas.push(start.elapsed().as_nanos() as f64 / gas as f64);
    }
    per_gas.sort_by(f64::total_cmp);
    per_gas[RUNS / 2]
}

fn main() {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!("cores: {cores}; {RUNS} runs per row; median (min–max)\n");
    let baseline = baseline();
    println!("baseline: counter increment(), warm module: {baseline:.2} ns/gas\n");
    println!(
        "| shape | module bytes | creation gas | compile ms | ns/gas | × baseline |\n|---|---|---|---|---|---|"
    );
    for (name, code) in shapes() {
        let mut times = Vec::new();
        let mut gas = 0;
        for _ in 0..RUNS {
            let mut chain = chain(runtime(None));
            let msg = message(&chain, TxKind::Create, code.clone());
            let (used, elapsed) = run(&mut chain, &msg, false);
            gas = used;
            times.push(elapsed);
        }
        let (min, median, max) = spread(times);
        let per_gas = median.as_nanos() as f64 / gas as f64;
        println!(
            "| {name} | {} | {gas} | {:.1} ({:.1}–{:.1}) | {per_gas:.2} | {:.1} |",
            code.len(),
            median.as_secs_f64() * 1e3,
            min.as_secs_f64() * 1e3,
            max.as_secs_f64() * 1e3,
            per_gas / baseline
        );
    }

    println!(
        "\n| reading back | module bytes | load gas | restore ms | ns/gas |\n|---|---|---|---|---|"
    );
    for (name, code) in shapes() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let runtime = runtime(Some(dir.path()));
        let mut chain = chain(runtime.clone());
        let address = DEPLOYER.create(0);
        let msg = message(&chain, TxKind::Create, code.clone());
        run(&mut chain, &msg, true);
        let mut times = Vec::new();
        let mut load_gas = 0;
        for _ in 0..RUNS {
            runtime.clear_cache();
            let msg = message(&chain, TxKind::Call(address), Bytes::new());
            let before = runtime.cache_stats().restored;
            let (_, elapsed) = run(&mut chain, &msg, false);
            assert_eq!(runtime.cache_stats().restored, before + 1, "read back");
            times.push(elapsed);
            load_gas = validate_module(&code).expect("valid").load_gas;
        }
        let (min, median, max) = spread(times);
        println!(
            "| {name} | {} | {load_gas} | {:.2} ({:.2}–{:.2}) | {:.2} |",
            code.len(),
            median.as_secs_f64() * 1e3,
            min.as_secs_f64() * 1e3,
            max.as_secs_f64() * 1e3,
            median.as_nanos() as f64 / load_gas as f64
        );
    }
}
