//! WebAssembly contracts cannot buy compile or instantiation time they do not pay for
//! (hardening findings 1, 2, 8 and 11): modules whose compile time would grow faster than their
//! size are refused with the limit they break, a creation pays for compiling its module, every
//! instantiation pays for what it initialises, a restart reads compiled modules back instead of
//! compiling them, and `eth_call`/`eth_estimateGas` run under a gas cap and a time limit.

use crate::common::*;

/// Gas of the `[rpc] gas_cap` test: far below a block, enough for a transfer.
const SMALL_GAS_CAP: u64 = 100_000;

fn module(wat: &str) -> Bytes {
    wat::parse_str(wat).expect("valid WAT").into()
}

/// A contract module whose `call` export has `body` (a function that may declare locals).
fn contract(extra: &str, call: &str) -> Bytes {
    module(&format!(
        r#"(module (memory (export "memory") 1) {extra} (func (export "call") {call}))"#
    ))
}

fn creation(signer: &PrivateKeySigner, nonce: u64, code: Bytes, gas: u64) -> Bytes {
    let mut tx = eip1559(nonce, Address::ZERO, U256::ZERO, 10 * GWEI, GWEI);
    tx.to = TxKind::Create;
    tx.input = code;
    tx.gas_limit = gas;
    raw(&sign(signer, tx))
}

#[tokio::test]
async fn modules_that_would_compile_slowly_are_refused_with_the_limit_they_break() {
    let node = TestNode::automine().await;
    let rpc = node.rpc();
    let signer = node.signer(3);
    let nested = |depth: usize| format!("{}{}", "(block ".repeat(depth), ")".repeat(depth));
    let cases = [
        (
            contract("", &nested(129)),
            "contract module has 129 levels of nested blocks in function 0, the limit is 128",
        ),
        (
            contract(
                "",
                &format!("{} (local.set 0 (i32.const 1))", "(local i32)".repeat(1025)),
            ),
            "contract module has 1025 locals in function 0, the limit is 1024",
        ),
        (
            contract(&"(global i64 (i64.const 7))".repeat(1025), ""),
            "contract module has 1025 globals, the limit is 1024",
        ),
        (
            contract("", &"(drop (i64.const 1))".repeat(12_000)),
            "contract module has ",
        ),
    ];
    for (code, message) in cases {
        let err = rpc
            .expect_rejected(&creation(&signer, 0, code, 30_000_000), message)
            .await;
        assert!(
            err.message.contains("the limit is"),
            "the refusal names the limit: {err:?}"
        );
    }
    // Within every limit, the deepest nesting allowed deploys.
    let hash = rpc
        .send_raw(&creation(&signer, 0, contract("", &nested(128)), 5_000_000))
        .await
        .expect("a module at the limits is accepted");
    assert_eq!(rpc.wait_receipt_json(hash).await["status"], "0x1");
}

#[tokio::test]
async fn a_creation_pays_for_storing_and_compiling_its_module() {
    let node = TestNode::automine().await;
    let rpc = node.rpc();
    let code = contract("", "");
    let len = code.len() as u64;
    // 50 gas per byte stored, 300 per byte and 7,500 per function (one: `call`) compiled, on
    // top of the intrinsic gas.
    let create_cost = 350 * len + 7_500;
    // 21,000 + 32,000, calldata (16 per non-zero byte, 4 per zero byte), 2 per word (EIP-3860).
    let calldata: u64 = code.iter().map(|b| if *b == 0 { 4 } else { 16 }).sum();
    let intrinsic = 53_000 + calldata + 2 * len.div_ceil(32);
    let request = |gas: u64| json!([{"from": node.account(0), "data": code, "gas": format!("{gas:#x}")}, "latest"]);
    let err = rpc
        .call_err("eth_call", request(intrinsic + create_cost - 1))
        .await;
    assert_eq!(
        err.message,
        format!("out of gas: storing and compiling the {len}-byte module costs {create_cost}")
    );
    rpc.call("eth_call", request(intrinsic + create_cost)).await;
    let estimate = rpc
        .estimate(json!({"from": node.account(0), "data": code}))
        .await;
    assert_eq!(estimate, intrinsic + create_cost);
}

#[tokio::test]
async fn every_call_pays_for_the_globals_its_instance_initialises() {
    let node = TestNode::automine().await;
    let rpc = node.rpc();
    let provider = node.wallet_provider(node.signer(0));
    let plain = deploy(&provider, contract("", "")).await;
    let globals = deploy(
        &provider,
        contract(&"(global (mut i64) (i64.const 7))".repeat(1000), ""),
    )
    .await;
    let plain_gas = rpc
        .estimate(json!({"from": node.account(0), "to": plain}))
        .await;
    let globals_gas = rpc
        .estimate(json!({"from": node.account(0), "to": globals}))
        .await;
    assert_eq!(
        globals_gas - plain_gas,
        1000 * 20 + 64 * (words(&globals, &rpc).await - words(&plain, &rpc).await),
        "20 gas per global at every instantiation, beside loading the larger module"
    );
}

/// Words of the code deployed at `address`.
async fn words(address: &Address, rpc: &RawRpc) -> u64 {
    let code = rpc.call("eth_getCode", json!([address, "latest"])).await;
    let hex = code.as_str().expect("code is a string");
    ((hex.len() as u64 - 2) / 2).div_ceil(32)
}

async fn deploy(provider: &DynProvider<Ethereum>, code: Bytes) -> Address {
    let pending = provider
        .send_transaction(TransactionRequest::default().with_deploy_code(code))
        .await
        .expect("creation accepted");
    let receipt = wait_receipt(provider, *pending.tx_hash()).await;
    assert!(receipt.status(), "creation succeeded");
    receipt.contract_address.expect("a created address")
}

/// Reads one sample of the node's `/metrics`.
async fn metric(node: &TestNode, name: &str) -> u64 {
    let addr = node.node.metrics_addr().expect("metrics are served");
    let body = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .expect("metrics answer")
        .text()
        .await
        .expect("metrics body");
    body.lines()
        .find_map(|line| line.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("{name} missing from /metrics:\n{body}"))
        .parse()
        .unwrap_or_else(|err| panic!("{name}: {err}"))
}

#[tokio::test]
async fn a_restart_reads_compiled_contracts_back_instead_of_compiling_them() {
    let node = TestNode::automine().await;
    let provider = node.wallet_provider(node.signer(0));
    let counter = deploy(&provider, contract("", "")).await;
    assert_eq!(metric(&node, "supervm_contract_modules_compiled").await, 1);
    let dir = node.stop().await;

    let node = TestNode::start_in(dir, |_| {}).await;
    let rpc = node.rpc();
    rpc.call("eth_call", json!([{"to": counter}, "latest"]))
        .await;
    assert_eq!(
        metric(&node, "supervm_contract_modules_compiled").await,
        0,
        "nothing compiled after the restart"
    );
    assert_eq!(metric(&node, "supervm_contract_modules_restored").await, 1);
}

#[tokio::test]
async fn calls_run_under_the_rpc_gas_cap_and_time_limit() {
    let spin = contract("", "(loop $l (br $l))");
    let node = TestNode::start(|c| c.rpc.gas_cap = SMALL_GAS_CAP).await;
    let rpc = node.rpc();
    let provider = node.wallet_provider(node.signer(0));
    let spinner = deploy(&provider, spin.clone()).await;
    let err = rpc
        .call_err(
            "eth_estimateGas",
            json!([{"from": node.account(0), "to": spinner}]),
        )
        .await;
    assert_eq!(
        err.message,
        format!("gas required exceeds allowance ({SMALL_GAS_CAP})")
    );
    // A request asking for more than the cap runs with the cap: out of gas, not a block's gas.
    let err = rpc
        .call_err(
            "eth_call",
            json!([{"to": spinner, "gas": "0x1c9c380"}, "latest"]),
        )
        .await;
    assert_eq!(err.message, "out of gas");
    node.stop().await;

    let node = TestNode::start(|c| c.rpc.call_timeout_ms = 1).await;
    let rpc = node.rpc();
    let spin = contract(r#"(func (export "deploy") (loop $l (br $l)))"#, "");
    let err = rpc
        .call_err(
            "eth_call",
            json!([{"from": node.account(0), "data": spin, "gas": "0x1c9c380"}, "latest"]),
        )
        .await;
    assert_eq!(
        (err.code, err.message.as_str()),
        (-32000, "execution aborted (timeout = 1ms)")
    );
    assert!(
        rpc.block_number().await < u64::MAX,
        "the node still answers"
    );
}
