//! WebAssembly contracts through `execute_tx` and the block executor: the example contracts,
//! the host API, nested calls into registered tokens, gas, limits, bad modules and
//! determinism across thread counts.

use std::{num::NonZeroUsize, sync::Arc};

use crate::common::{contracts, Memory};
use alloy_primitives::{keccak256, Address, Bytes, TxKind, B256, KECCAK256_EMPTY, U256};
use alloy_sol_types::{SolCall, SolEvent};
use supervm_gas::TxFees;
use supervm_primitives::{system::IERC20, ChainSpec, FeeToken, StateChanges};
use supervm_vm::{
    execute_tx, genesis_state,
    system::{decode_revert_message, layout},
    BlockEnv, BlockExecutor, ContractRuntime, HaltReason, InvalidTx, Message, PendingState,
    RateSnapshot, TxOutcome,
};

const DEPLOYER: Address = Address::repeat_byte(0xd0);
const ALICE: Address = Address::repeat_byte(0xa1);
const BOB: Address = Address::repeat_byte(0xb0);
const BASE_FEE: u64 = 1_000_000_000;
const GAS: u64 = 5_000_000;

fn example(name: &str) -> Bytes {
    let path = format!(
        "{}/../examples/contracts/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    wat::parse_file(&path)
        .unwrap_or_else(|err| panic!("{path}: {err}"))
        .into()
}

/// Every host function, so that each test module also checks the linker offers them all
/// with these types.
const IMPORTS: &str = r#"
  (import "supervm_v1" "calldata_size" (func $calldata_size (result i32)))
  (import "supervm_v1" "calldata_copy" (func $calldata_copy (param i32 i32 i32)))
  (import "supervm_v1" "return_data_size" (func $return_data_size (result i32)))
  (import "supervm_v1" "return_data_copy" (func $return_data_copy (param i32 i32 i32)))
  (import "supervm_v1" "return" (func $return (param i32 i32)))
  (import "supervm_v1" "revert" (func $revert (param i32 i32)))
  (import "supervm_v1" "storage_read" (func $storage_read (param i32 i32)))
  (import "supervm_v1" "storage_write" (func $storage_write (param i32 i32)))
  (import "supervm_v1" "caller" (func $caller (param i32)))
  (import "supervm_v1" "origin" (func $origin (param i32)))
  (import "supervm_v1" "address" (func $address (param i32)))
  (import "supervm_v1" "value" (func $value (param i32)))
  (import "supervm_v1" "balance" (func $balance (param i32 i32)))
  (import "supervm_v1" "block_number" (func $block_number (result i64)))
  (import "supervm_v1" "block_timestamp" (func $block_timestamp (result i64)))
  (import "supervm_v1" "chain_id" (func $chain_id (result i64)))
  (import "supervm_v1" "base_fee" (func $base_fee (result i64)))
  (import "supervm_v1" "gas_left" (func $gas_left (result i64)))
  (import "supervm_v1" "keccak256" (func $keccak256 (param i32 i32 i32)))
  (import "supervm_v1" "log" (func $log (param i32 i32 i32 i32)))
  (import "supervm_v1" "call_contract" (func $call (param i32 i32 i32 i32 i64) (result i32)))
  (memory (export "memory") 1)
  ;; Stores `v` as a big-endian 256-bit word at `p`.
  (func $word (param $p i32) (param $v i64)
    (local $i i32)
    (memory.fill (local.get $p) (i32.const 0) (i32.const 24))
    (local.set $i (i32.const 31))
    (loop $bytes
      (i64.store8 (i32.add (local.get $p) (local.get $i)) (local.get $v))
      (local.set $v (i64.shr_u (local.get $v) (i64.const 8)))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $bytes (i32.ge_u (local.get $i) (i32.const 24)))))
  ;; The big-endian u64 at `p`.
  (func $u64 (param $p i32) (result i64)
    (local $i i32) (local $v i64)
    (loop $bytes
      (local.set $v (i64.or (i64.shl (local.get $v) (i64.const 8))
                            (i64.load8_u (i32.add (local.get $p) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $bytes (i32.lt_u (local.get $i) (i32.const 8))))
    (local.get $v))
"#;

/// A contract module with every host function imported and a memory exported.
fn module(body: &str) -> Bytes {
    wat::parse_str(format!("(module {IMPORTS} {body})"))
        .expect("test module is valid WAT")
        .into()
}

/// Returns, as 12 words: caller, origin, address, value, own balance, block number,
/// timestamp, chain id, base fee, gas left, keccak256(calldata), calldata size.
fn probe() -> Bytes {
    module(
        r#"(func (export "call")
          (call $caller (i32.const 12))
          (call $origin (i32.const 44))
          (call $address (i32.const 76))
          (call $value (i32.const 96))
          (call $balance (i32.const 76) (i32.const 128))
          (call $word (i32.const 160) (call $block_number))
          (call $word (i32.const 192) (call $block_timestamp))
          (call $word (i32.const 224) (call $chain_id))
          (call $word (i32.const 256) (call $base_fee))
          (call $word (i32.const 288) (call $gas_left))
          (call $calldata_copy (i32.const 1024) (i32.const 0) (call $calldata_size))
          (call $keccak256 (i32.const 1024) (call $calldata_size) (i32.const 320))
          (call $word (i32.const 352) (i64.extend_i32_u (call $calldata_size)))
          (call $return (i32.const 0) (i32.const 384)))"#,
    )
}

fn forwarder() -> Bytes {
    example("forwarder.wat")
}

fn forward(gas: u64, to: Address, input: &[u8]) -> Bytes {
    [&gas.to_be_bytes()[..], to.as_slice(), input]
        .concat()
        .into()
}

/// Calls itself until the depth limit refuses, then reverts with the refusal all the way up.
fn recursive() -> Bytes {
    module(
        r#"(func (export "call")
          (call $address (i32.const 0))
          (if (call $call (i32.const 0) (i32.const 64) (i32.const 0) (i32.const 0) (i64.const -1))
            (then
              (call $return_data_copy (i32.const 128) (i32.const 0) (call $return_data_size))
              (call $revert (i32.const 128) (call $return_data_size)))))"#,
    )
}

/// Committed state and the block contracts run in, one transaction per "block".
struct Chain {
    state: Memory,
    env: BlockEnv,
    tokens: Vec<Address>,
}

impl Chain {
    fn new() -> Self {
        Self::with_runtime(contracts())
    }

    fn with_runtime(runtime: Arc<ContractRuntime>) -> Self {
        let spec = ChainSpec::dev(31337, [DEPLOYER, ALICE, BOB]);
        let state = Memory::new(&genesis_state(&spec).expect("valid genesis"));
        let rates = RateSnapshot::read(&mut PendingState::new(&state)).expect("rates");
        Self {
            env: BlockEnv {
                number: 7,
                timestamp: 1_700_000_000,
                beneficiary: Address::repeat_byte(0xbe),
                base_fee: BASE_FEE,
                gas_limit: 30_000_000,
                base_fee_recipient: None,
                rates: Arc::new(rates),
                chain_id: 31337,
                contracts: runtime,
            },
            tokens: spec.supervm.tokens.iter().map(|t| t.address).collect(),
            state,
        }
    }

    fn nonce(&self, address: Address) -> u64 {
        self.state
            .accounts
            .get(&address)
            .map_or(0, |account| account.nonce)
    }

    fn message(&self, from: Address, kind: TxKind, input: Bytes, value: U256) -> Message {
        Message {
            caller: from,
            kind,
            value,
            input,
            gas_limit: GAS,
            fees: Some(TxFees {
                max_fee_per_gas: u128::from(BASE_FEE),
                max_priority_fee_per_gas: 0,
            }),
            nonce: Some(self.nonce(from)),
            access_list: None,
            fee_currency: Some(FeeToken::Native),
        }
    }

    /// Executes and commits `msg`; an invalid one commits nothing.
    fn execute(&mut self, msg: &Message) -> Result<TxOutcome, InvalidTx> {
        let mut pending = PendingState::new(&self.state);
        let outcome = execute_tx(&self.env, msg, &mut pending)?;
        let changes = pending.into_changes();
        self.state.apply(&changes);
        Ok(outcome)
    }

    fn deploy(&mut self, from: Address, code: Bytes) -> (Address, TxOutcome) {
        let msg = self.message(from, TxKind::Create, code, U256::ZERO);
        let outcome = self.execute(&msg).expect("valid creation");
        (outcome.contract_address.expect("a creation"), outcome)
    }

    fn call(&mut self, from: Address, to: Address, input: impl Into<Bytes>) -> TxOutcome {
        let msg = self.message(from, TxKind::Call(to), input.into(), U256::ZERO);
        self.execute(&msg).expect("valid call")
    }

    fn slot(&self, address: Address, slot: B256) -> U256 {
        self.state
            .storage
            .get(&(address, slot))
            .copied()
            .unwrap_or_default()
    }
}

fn word(outcome: &TxOutcome) -> U256 {
    assert!(outcome.success, "call failed: {outcome:?}");
    U256::from_be_slice(&outcome.output)
}

fn reverted_with(outcome: &TxOutcome, message: &str) {
    assert!(!outcome.success);
    assert_eq!(outcome.halt_reason, None, "a revert, not a halt");
    assert_eq!(
        decode_revert_message(&outcome.output).as_deref(),
        Some(message)
    );
}

fn selector(signature: &str) -> Bytes {
    keccak256(signature.as_bytes())[..4].to_vec().into()
}

#[test]
fn counter_deploys_counts_logs_and_reverts() {
    let mut chain = Chain::new();
    let code = example("counter.wat");
    let (counter, outcome) = chain.deploy(DEPLOYER, code.clone());
    assert!(outcome.success, "{outcome:?}");
    assert_eq!(counter, DEPLOYER.create(0), "the Ethereum CREATE address");
    let account = chain.state.accounts[&counter];
    assert_eq!(account.nonce, 1);
    assert_eq!(account.code_hash, keccak256(&code));
    assert_eq!(
        chain.state.codes[&account.code_hash], code,
        "the module is the code"
    );

    for expected in 1..=2u64 {
        let outcome = chain.call(ALICE, counter, selector("increment()"));
        assert_eq!(word(&outcome), U256::from(expected));
        let topics = outcome.logs[0].topics();
        assert_eq!(topics[0], keccak256("Incremented(address,uint256)"));
        assert_eq!(topics[1], ALICE.into_word());
        assert_eq!(
            outcome.logs[0].data.data,
            U256::from(expected).to_be_bytes_vec()
        );
        assert_eq!(outcome.logs[0].address, counter);
    }
    assert_eq!(
        word(&chain.call(BOB, counter, selector("get()"))),
        U256::from(2)
    );
    assert_eq!(
        chain.slot(counter, B256::ZERO),
        U256::from(2),
        "slot 0 holds the count"
    );
    chain.call(BOB, counter, selector("decrement()"));
    chain.call(BOB, counter, selector("decrement()"));
    let failed = chain.call(BOB, counter, selector("decrement()"));
    reverted_with(&failed, "counter: cannot go below zero");
    assert!(failed.gas_used < GAS, "a revert returns unused gas");
    assert_eq!(chain.slot(counter, B256::ZERO), U256::ZERO);
    reverted_with(
        &chain.call(BOB, counter, selector("nope()")),
        "counter: unknown function",
    );
}

#[test]
fn erc20_answers_the_standard_abi_and_mints_to_the_deployer() {
    let mut chain = Chain::new();
    let (token, deployed) = chain.deploy(DEPLOYER, example("erc20.wat"));
    assert!(deployed.success, "{deployed:?}");
    let supply = U256::from(10).pow(U256::from(24));
    let minted = IERC20::Transfer::decode_log(&deployed.logs[0]).expect("Transfer log");
    assert_eq!(
        (minted.from, minted.to, minted.value),
        (Address::ZERO, DEPLOYER, supply)
    );

    let call = |chain: &mut Chain, from, data: Vec<u8>| chain.call(from, token, data);
    let name = call(&mut chain, ALICE, IERC20::nameCall {}.abi_encode());
    assert_eq!(
        IERC20::nameCall::abi_decode_returns(&name.output).unwrap(),
        "SuperVM Example Token"
    );
    let symbol = call(&mut chain, ALICE, IERC20::symbolCall {}.abi_encode());
    assert_eq!(
        IERC20::symbolCall::abi_decode_returns(&symbol.output).unwrap(),
        "SVX"
    );
    let decimals = call(&mut chain, ALICE, IERC20::decimalsCall {}.abi_encode());
    assert_eq!(word(&decimals), U256::from(18));
    let total = call(&mut chain, ALICE, IERC20::totalSupplyCall {}.abi_encode());
    assert_eq!(word(&total), supply);
    let balance_of = |chain: &mut Chain, owner| {
        word(&chain.call(ALICE, token, IERC20::balanceOfCall { owner }.abi_encode()))
    };
    assert_eq!(balance_of(&mut chain, DEPLOYER), supply);

    let sent = call(
        &mut chain,
        DEPLOYER,
        IERC20::transferCall {
            to: ALICE,
            value: U256::from(100),
        }
        .abi_encode(),
    );
    assert_eq!(word(&sent), U256::from(1), "returns true");
    let transfer = IERC20::Transfer::decode_log(&sent.logs[0]).unwrap();
    assert_eq!(
        (transfer.from, transfer.to, transfer.value),
        (DEPLOYER, ALICE, U256::from(100))
    );
    assert_eq!(balance_of(&mut chain, ALICE), U256::from(100));
    assert_eq!(balance_of(&mut chain, DEPLOYER), supply - U256::from(100));
    assert_eq!(
        chain.slot(token, layout::balance_slot(ALICE)),
        U256::from(100),
        "balances live where Solidity keeps them"
    );

    let approved = call(
        &mut chain,
        ALICE,
        IERC20::approveCall {
            spender: BOB,
            value: U256::from(50),
        }
        .abi_encode(),
    );
    let approval = IERC20::Approval::decode_log(&approved.logs[0]).unwrap();
    assert_eq!(
        (approval.owner, approval.spender, approval.value),
        (ALICE, BOB, U256::from(50))
    );
    let moved = call(
        &mut chain,
        BOB,
        IERC20::transferFromCall {
            from: ALICE,
            to: BOB,
            value: U256::from(30),
        }
        .abi_encode(),
    );
    assert_eq!(word(&moved), U256::from(1));
    let allowance = call(
        &mut chain,
        BOB,
        IERC20::allowanceCall {
            owner: ALICE,
            spender: BOB,
        }
        .abi_encode(),
    );
    assert_eq!(word(&allowance), U256::from(20));
    assert_eq!(
        chain.slot(token, layout::allowance_slot(ALICE, BOB)),
        U256::from(20)
    );
    reverted_with(
        &call(
            &mut chain,
            BOB,
            IERC20::transferFromCall {
                from: ALICE,
                to: BOB,
                value: U256::from(21),
            }
            .abi_encode(),
        ),
        "ERC20: insufficient allowance",
    );
    reverted_with(
        &call(
            &mut chain,
            ALICE,
            IERC20::transferCall {
                to: BOB,
                value: U256::from(71),
            }
            .abi_encode(),
        ),
        "ERC20: transfer amount exceeds balance",
    );
    reverted_with(
        &call(
            &mut chain,
            ALICE,
            IERC20::transferCall {
                to: Address::ZERO,
                value: U256::from(1),
            }
            .abi_encode(),
        ),
        "ERC20: transfer to the zero address",
    );
    assert_eq!(balance_of(&mut chain, ALICE), U256::from(70));
    assert_eq!(balance_of(&mut chain, BOB), U256::from(30));
}

#[test]
fn the_host_api_reports_the_call_context() {
    let mut chain = Chain::new();
    let (probe, _) = chain.deploy(DEPLOYER, probe());
    let value = U256::from(12_345);
    let input: Bytes = b"hello contract".to_vec().into();
    let msg = chain.message(ALICE, TxKind::Call(probe), input.clone(), value);
    let outcome = chain.execute(&msg).expect("valid");
    assert!(outcome.success, "{outcome:?}");
    let words: Vec<U256> = outcome.output.chunks(32).map(U256::from_be_slice).collect();
    let address = |word: U256| Address::from_word(word.into());
    assert_eq!(address(words[0]), ALICE, "caller");
    assert_eq!(address(words[1]), ALICE, "origin");
    assert_eq!(address(words[2]), probe, "address");
    assert_eq!(words[3], value, "value");
    assert_eq!(words[4], value, "balance of the contract, value included");
    assert_eq!(words[5], U256::from(7), "block number");
    assert_eq!(words[6], U256::from(1_700_000_000u64), "timestamp");
    assert_eq!(words[7], U256::from(31337), "chain id");
    assert_eq!(words[8], U256::from(BASE_FEE), "base fee");
    assert!(
        words[9] > U256::ZERO && words[9] < U256::from(GAS),
        "gas left"
    );
    assert_eq!(B256::from(words[10]), keccak256(&input), "keccak256");
    assert_eq!(words[11], U256::from(input.len()), "calldata size");
}

#[test]
fn nested_calls_reach_registered_tokens_and_forward_at_most_63_64ths() {
    let mut chain = Chain::new();
    let susd = chain.tokens[0];
    let (forwarder, _) = chain.deploy(DEPLOYER, forwarder());
    let fund = IERC20::transferCall {
        to: forwarder,
        value: U256::from(1_000),
    };
    assert!(chain.call(DEPLOYER, susd, fund.abi_encode()).success);

    let pay_bob = IERC20::transferCall {
        to: BOB,
        value: U256::from(250),
    }
    .abi_encode();
    let bob_before = chain.slot(susd, layout::balance_slot(BOB));
    let outcome = chain.call(ALICE, forwarder, forward(u64::MAX, susd, &pay_bob));
    assert_eq!(
        word(&outcome),
        U256::from(1),
        "the token's `true` comes back"
    );
    let log = IERC20::Transfer::decode_log(&outcome.logs[0]).unwrap();
    assert_eq!(log.address, susd, "the token logged the transfer");
    assert_eq!(
        (log.from, log.to),
        (forwarder, BOB),
        "the contract is the token's caller"
    );
    assert_eq!(
        chain.slot(susd, layout::balance_slot(forwarder)),
        U256::from(750)
    );
    assert_eq!(
        chain.slot(susd, layout::balance_slot(BOB)),
        bob_before + U256::from(250)
    );

    let too_much = IERC20::transferCall {
        to: BOB,
        value: U256::from(751),
    }
    .abi_encode();
    let failed = chain.call(ALICE, forwarder, forward(u64::MAX, susd, &too_much));
    reverted_with(&failed, "ERC20: transfer amount exceeds balance");
    assert_eq!(
        chain.slot(susd, layout::balance_slot(forwarder)),
        U256::from(750)
    );

    let (probe, _) = chain.deploy(DEPLOYER, probe());
    // Enough for the probe's instantiation and first load, far less than the caller has.
    let limited = chain.call(ALICE, forwarder, forward(50_000, probe, &[]));
    let gas_left = U256::from_be_slice(&limited.output[288..320]);
    assert!(
        gas_left < U256::from(50_000),
        "the callee gets the limit asked for"
    );
    let all = chain.call(ALICE, forwarder, forward(u64::MAX, probe, &[]));
    let gas_left: u64 = U256::from_be_slice(&all.output[288..320]).to();
    let available = GAS - 21_000 - 200 * 28;
    assert!(
        gas_left < available - available / 64,
        "{gas_left}: a 64th of the gas stays with the caller"
    );
    assert!(gas_left > available / 2);
}

#[test]
fn call_depth_is_limited_and_the_refusal_reverts_cleanly() {
    let mut chain = Chain::new();
    let (recursive, _) = chain.deploy(DEPLOYER, recursive());
    let msg = Message {
        gas_limit: 30_000_000,
        ..chain.message(ALICE, TxKind::Call(recursive), Bytes::new(), U256::ZERO)
    };
    let outcome = chain.execute(&msg).expect("valid");
    reverted_with(
        &outcome,
        "call depth limit reached: contracts nest at most 64 calls",
    );
}

/// Runs `code`'s `call` export and returns the outcome with the state changes of the call.
fn run_call(code: Bytes) -> (TxOutcome, Chain, Address) {
    let mut chain = Chain::new();
    let (contract, deployed) = chain.deploy(DEPLOYER, code);
    assert!(deployed.success, "{deployed:?}");
    let outcome = chain.call(ALICE, contract, Bytes::new());
    (outcome, chain, contract)
}

#[test]
fn runaway_contracts_halt_with_clear_errors_and_change_nothing() {
    let cases = [
        (
            r#"(data (i32.const 32) "\01")
               (func (export "call")
                 (call $storage_write (i32.const 0) (i32.const 0))
                 (loop $forever (br $forever)))"#,
            "out of gas",
        ),
        (
            r#"(func (export "call")
                 (loop $grow
                   (br_if $grow (i32.ne (memory.grow (i32.const 16)) (i32.const -1)))))"#,
            "memory limit exceeded: the contract asked for 257 pages of 64 KiB, the limit is 256 (16 MiB)",
        ),
        (
            r#"(func $deeper (call $deeper)) (export "call" (func $deeper))"#,
            "call stack exhausted: the contract used more than 512 KiB of stack",
        ),
        (
            r#"(func (export "call") unreachable)"#,
            "wasm trap: wasm `unreachable` instruction executed",
        ),
        (
            r#"(func (export "call")
                 (call $log (i32.const 0) (i32.const 5) (i32.const 0) (i32.const 0)))"#,
            "a log has at most 4 topics, the contract gave 5",
        ),
        (
            r#"(func (export "call")
                 (call $storage_read (i32.const 65535) (i32.const 0)))"#,
            "memory access out of bounds: 32 bytes at 65535",
        ),
    ];
    for (body, reason) in cases {
        let (outcome, chain, contract) = run_call(module(body));
        assert!(!outcome.success);
        let message = outcome.halt_reason.as_ref().map(ToString::to_string);
        assert_eq!(message.as_deref(), Some(reason), "the reason clients see");
        assert_eq!(outcome.gas_used, GAS, "{reason}: a halt uses all gas");
        assert_eq!(chain.nonce(ALICE), 1, "the transaction is included");
        assert!(outcome.logs.is_empty());
        assert_eq!(
            chain.slot(contract, B256::ZERO),
            U256::ZERO,
            "no write survives"
        );
    }
}

#[test]
fn a_failing_deploy_creates_nothing() {
    let mut chain = Chain::new();
    let code = module(r#"(func (export "call")) (func (export "deploy") (loop $l (br $l)))"#);
    let (address, outcome) = chain.deploy(DEPLOYER, code.clone());
    assert_eq!(outcome.halt_reason, Some(HaltReason::OutOfGas));
    assert_eq!(outcome.gas_used, GAS);
    assert!(!chain.state.accounts.contains_key(&address));
    assert!(!chain.state.codes.contains_key(&keccak256(&code)));
    assert_eq!(chain.nonce(DEPLOYER), 1);
}

#[test]
fn bad_modules_are_refused_before_execution() {
    let wat = |text: &str| -> Vec<u8> { wat::parse_str(text).expect("valid WAT") };
    let valid_tail = r#"(memory (export "memory") 1) (func (export "call"))"#;
    let too_large = wat(&format!(
        "(module {valid_tail} (data (i32.const 0) \"{}\"))",
        "\\00".repeat(300 * 1024)
    ));
    let cases: Vec<(Vec<u8>, String)> = vec![
        (
            alloy_primitives::hex::decode("6080604052").unwrap(),
            "contract code is not a WebAssembly module: it must start with \\0asm".into(),
        ),
        (
            b"\0asm\x01\0\0\0\x01".to_vec(),
            "invalid WebAssembly module: ".into(),
        ),
        (
            too_large.clone(),
            format!("contract module is {} bytes, the limit is 262144", too_large.len()),
        ),
        (
            wat(&format!(r#"(module (import "env" "abort" (func)) {valid_tail})"#)),
            "forbidden import env.abort: contracts may only import the functions of supervm_v1 (see docs/contracts.md)".into(),
        ),
        (
            wat(&format!(r#"(module (import "supervm_v1" "now" (func (result i64))) {valid_tail})"#)),
            "forbidden import supervm_v1.now".into(),
        ),
        (
            wat(&format!(r#"(module (import "supervm_v1" "caller" (func (param i64))) {valid_tail})"#)),
            "import supervm_v1.caller has type (param i64) (result ), the host function is (param i32) (result )".into(),
        ),
        (
            wat(r#"(module (func (export "call")))"#),
            "contract must export its linear memory as \"memory\"".into(),
        ),
        (
            wat(r#"(module (memory (export "memory") 1))"#),
            "contract must export a function \"call\"".into(),
        ),
        (
            wat(r#"(module (memory (export "memory") 1) (func (export "call") (param i32)))"#),
            "export call must be a function without parameters or results, found (param i32) (result )".into(),
        ),
        (
            wat(r#"(module (memory (export "memory") 257) (func (export "call")))"#),
            "contract memory starts at 257 pages of 64 KiB, the limit is 256 (16 MiB)".into(),
        ),
        (
            wat(r#"(module (memory (export "memory") 1 1 shared) (func (export "call")))"#),
            "invalid WebAssembly module: threads must be enabled".into(),
        ),
        (
            wat(r#"(module (memory (export "memory") 1)
                 (func (export "call") (drop (f32x4.relaxed_madd (v128.const i64x2 0 0)
                   (v128.const i64x2 0 0) (v128.const i64x2 0 0)))))"#),
            "invalid WebAssembly module: relaxed SIMD support is not enabled".into(),
        ),
    ];
    for (code, expected) in cases {
        let chain = Chain::new();
        let msg = chain.message(DEPLOYER, TxKind::Create, code.into(), U256::ZERO);
        let mut pending = PendingState::new(&chain.state);
        let err = execute_tx(&chain.env, &msg, &mut pending).unwrap_err();
        assert!(
            matches!(err, InvalidTx::InvalidContract(_)),
            "{err} is a module error"
        );
        assert!(
            err.to_string().starts_with(&expected),
            "{err}\nshould start with\n{expected}"
        );
        assert_eq!(
            pending.into_changes(),
            StateChanges::default(),
            "nothing written"
        );
    }
}

#[test]
fn modules_compile_once_and_the_cache_never_changes_results() {
    let runtime = Arc::new(ContractRuntime::new(NonZeroUsize::MIN).expect("engine"));
    let mut chain = Chain::with_runtime(runtime.clone());
    let (counter, _) = chain.deploy(DEPLOYER, example("counter.wat"));
    assert_eq!(runtime.cache_stats().misses, 1, "compiled at deploy");
    chain.call(ALICE, counter, selector("increment()"));
    let warm = chain.call(ALICE, counter, selector("get()"));
    let stats = runtime.cache_stats();
    assert_eq!((stats.misses, stats.hits, stats.modules), (1, 2, 1));

    // A second module evicts the first from a one-module cache.
    chain.deploy(DEPLOYER, probe());
    let cold = chain.call(ALICE, counter, selector("get()"));
    assert_eq!(
        runtime.cache_stats().misses,
        3,
        "evicted, compiled again from the code"
    );
    assert_eq!(
        warm.gas_used, cold.gas_used,
        "gas does not depend on the cache"
    );
    assert_eq!(warm.output, cold.output);
    runtime.clear_cache();
    assert_eq!(runtime.cache_stats().modules, 0);
    let after = chain.call(ALICE, counter, selector("get()"));
    assert_eq!(word(&after), U256::from(1));
}

#[test]
fn contract_blocks_give_the_same_results_and_root_on_any_thread_count() {
    let senders: Vec<Address> = (1..=12u8).map(Address::repeat_byte).collect();
    let mut spec_accounts = senders.clone();
    spec_accounts.push(DEPLOYER);
    let spec = ChainSpec::dev(31337, spec_accounts);
    let mut chain = Chain::new();
    chain.state = Memory::new(&genesis_state(&spec).expect("genesis"));
    let (token, _) = chain.deploy(DEPLOYER, example("erc20.wat"));
    let (shared, _) = chain.deploy(DEPLOYER, example("counter.wat"));
    let (forwarder, _) = chain.deploy(DEPLOYER, forwarder());
    for sender in &senders {
        let fund = IERC20::transferCall {
            to: *sender,
            value: U256::from(1_000_000),
        };
        assert!(chain.call(DEPLOYER, token, fund.abi_encode()).success);
    }

    // One block: every sender deploys its own counter, increments it and the shared one,
    // moves tokens to a neighbour directly and through the forwarder, and some fail.
    let mut msgs = Vec::new();
    for (i, sender) in senders.iter().enumerate() {
        let first = chain.nonce(*sender);
        let own = sender.create(first);
        let mut nonce = first;
        let mut push = |kind, input: Bytes| {
            let mut msg = chain.message(*sender, kind, input, U256::ZERO);
            msg.nonce = Some(nonce);
            nonce += 1;
            msgs.push(msg);
        };
        push(TxKind::Create, example("counter.wat"));
        push(TxKind::Call(own), selector("increment()"));
        push(TxKind::Call(shared), selector("increment()"));
        let next = senders[(i + 1) % senders.len()];
        let amount = U256::from(if i % 5 == 4 { 5_000_000 } else { 10 + i });
        let transfer = IERC20::transferCall {
            to: next,
            value: amount,
        }
        .abi_encode();
        push(TxKind::Call(token), transfer.clone().into());
        push(TxKind::Call(forwarder), forward(u64::MAX, token, &transfer));
        push(TxKind::Call(shared), selector("decrement()"));
    }

    let reference = BlockExecutor::new(NonZeroUsize::MIN)
        .execute(&chain.env, &msgs, &chain.state)
        .expect("state readable");
    let expected_results = format!("{:?}", reference.results);
    let expected = reference.state.into_changes();
    assert!(
        expected_results.contains("success: false"),
        "some calls fail"
    );
    let mut committed = chain.state.clone();
    committed.apply(&expected);
    let expected_root = committed.root();
    for threads in [2, 4, 8] {
        for _ in 0..5 {
            let output = BlockExecutor::new(NonZeroUsize::new(threads).unwrap())
                .execute(&chain.env, &msgs, &chain.state)
                .expect("state readable");
            assert_eq!(
                format!("{:?}", output.results),
                expected_results,
                "{threads} threads"
            );
            let changes = output.state.into_changes();
            assert_eq!(changes, expected, "{threads} threads");
            let mut state = chain.state.clone();
            state.apply(&changes);
            assert_eq!(state.root(), expected_root);
        }
    }
    assert!(expected.codes.len() == 1, "one counter module, stored once");
    assert!(
        expected
            .accounts
            .values()
            .flatten()
            .any(|account| account.code_hash != KECCAK256_EMPTY && account.nonce == 1),
        "new contracts"
    );
}
