//! WebAssembly contracts end to end: deployed and called by a dev account through alloy
//! against a running node, read back with eth_getCode / eth_call / eth_getLogs, gas estimated,
//! reverts and halts reported, nested calls into a registered token, and bad contracts refused
//! or stopped while the node keeps going.

use crate::common::*;
use supervm_rpc::grpc::proto::{
    transaction_service_client::TransactionServiceClient, GetReceiptRequest,
};

fn example(name: &str) -> Bytes {
    let path = format!(
        "{}/../examples/contracts/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    wat::parse_file(&path)
        .unwrap_or_else(|err| panic!("{path}: {err}"))
        .into()
}

fn module(wat: &str) -> Bytes {
    wat::parse_str(wat).expect("valid WAT").into()
}

/// Deploys `code` from `provider`'s wallet and returns the contract address.
async fn deploy(provider: &DynProvider<Ethereum>, code: Bytes) -> Address {
    let pending = provider
        .send_transaction(TransactionRequest::default().with_deploy_code(code))
        .await
        .expect("creation accepted");
    let receipt = wait_receipt(provider, *pending.tx_hash()).await;
    assert!(receipt.status(), "creation succeeded: {receipt:?}");
    receipt
        .contract_address
        .expect("receipt names the contract")
}

/// Sends a call with an explicit gas limit (no estimate) and returns its receipt.
async fn send(
    provider: &DynProvider<Ethereum>,
    to: Address,
    input: Bytes,
    gas: Option<u64>,
) -> TransactionReceipt {
    let mut request = TransactionRequest::default().with_to(to).with_input(input);
    if let Some(gas) = gas {
        request = request.with_gas_limit(gas);
    }
    let pending = provider.send_transaction(request).await.expect("accepted");
    wait_receipt(provider, *pending.tx_hash()).await
}

/// `eth_call` through alloy; the decoded return value.
async fn call<C: SolCall>(provider: &DynProvider<Ethereum>, to: Address, call: C) -> C::Return {
    let out = provider
        .call(
            TransactionRequest::default()
                .with_to(to)
                .with_input(calldata(call)),
        )
        .await
        .expect("eth_call succeeds");
    C::abi_decode_returns_validate(&out).expect("ABI return value")
}

#[tokio::test]
async fn example_contracts_deploy_and_answer_ethereum_clients() {
    let node = TestNode::automine().await;
    let provider = node.wallet_provider(node.signer(0));
    let rpc = node.rpc();
    let deployer = node.account(0);
    let nonce = rpc.nonce(deployer, "latest").await;

    let code = example("counter.wat");
    let counter = deploy(&provider, code.clone()).await;
    assert_eq!(
        counter,
        deployer.create(nonce),
        "the Ethereum CREATE address"
    );
    assert_eq!(provider.get_code_at(counter).await.unwrap(), code);

    let increment = calldata(ICounter::incrementCall {});
    let estimate = provider
        .estimate_gas(
            TransactionRequest::default()
                .with_from(deployer)
                .with_to(counter)
                .with_input(increment.clone()),
        )
        .await
        .expect("estimate");
    let receipt = send(&provider, counter, increment.clone(), None).await;
    assert!(receipt.status());
    assert_eq!(
        receipt.gas_used, estimate,
        "the estimate is what the call uses"
    );
    assert_eq!(
        call(&provider, counter, ICounter::getCall {}).await,
        U256::from(1)
    );

    let logs = provider
        .get_logs(&Filter::new().address(counter).from_block(0))
        .await
        .expect("eth_getLogs");
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].topics()[0], ICounter::Incremented::SIGNATURE_HASH);
    assert_eq!(logs[0].topics()[1], deployer.into_word());
    assert_eq!(logs[0].transaction_hash, Some(receipt.transaction_hash));

    // Reverts: eth_call explains, a mined transaction fails and changes nothing.
    let decrement = calldata(ICounter::decrementCall {});
    assert!(send(&provider, counter, decrement.clone(), None)
        .await
        .status());
    let err = rpc
        .call_err(
            "eth_call",
            json!([{"from": deployer, "to": counter, "data": decrement}, "latest"]),
        )
        .await;
    assert_eq!(err.code, 3);
    assert_eq!(
        err.message,
        "execution reverted: counter: cannot go below zero"
    );
    assert_eq!(
        revert_reason(&serde_json::from_value::<Bytes>(err.data.unwrap()).unwrap()).as_deref(),
        Some("counter: cannot go below zero")
    );
    let failed = send(&provider, counter, decrement, Some(100_000)).await;
    assert!(!failed.status());
    assert!(failed.gas_used < 100_000, "a revert returns unused gas");
    assert_eq!(
        call(&provider, counter, ICounter::getCall {}).await,
        U256::ZERO
    );

    // Out of gas: all gas used, nothing changed.
    let starved = send(&provider, counter, increment, Some(21_500)).await;
    assert!(!starved.status());
    assert_eq!(starved.gas_used, 21_500);
    assert_eq!(
        call(&provider, counter, ICounter::getCall {}).await,
        U256::ZERO
    );

    // The ERC-20 example is usable by any ERC-20 client.
    let token = deploy(&provider, example("erc20.wat")).await;
    let supply = U256::from(10).pow(U256::from(24));
    assert_eq!(rpc.token_balance(token, deployer).await, supply);
    assert_eq!(call(&provider, token, IERC20::symbolCall {}).await, "SVX");
    let alice = node.account(1);
    let sent = send(
        &provider,
        token,
        calldata(IERC20::transferCall {
            to: alice,
            value: U256::from(500),
        }),
        None,
    )
    .await;
    assert!(sent.status());
    assert_eq!(rpc.token_balance(token, alice).await, U256::from(500));
    let transfers = provider
        .get_logs(
            &Filter::new()
                .address(token)
                .event_signature(IERC20::Transfer::SIGNATURE_HASH)
                .topic2(alice.into_word())
                .from_block(0),
        )
        .await
        .expect("eth_getLogs");
    assert_eq!(transfers.len(), 1, "only the transfer to alice");
    assert_eq!(transfers[0].data().data, uint_data(U256::from(500)));
    let err = rpc
        .call_err(
            "eth_estimateGas",
            json!([{"from": alice, "to": token, "data": calldata(IERC20::transferCall { to: deployer, value: U256::from(501) })}]),
        )
        .await;
    assert_eq!(
        err.message,
        "execution reverted: ERC20: transfer amount exceeds balance"
    );
}

#[tokio::test]
async fn contracts_call_registered_tokens() {
    let node = TestNode::automine().await;
    let provider = node.wallet_provider(node.signer(0));
    let rpc = node.rpc();
    let pending = provider
        .send_transaction(TransactionRequest::default().with_deploy_code(example("forwarder.wat")))
        .await
        .expect("creation accepted");
    let hash = *pending.tx_hash();
    let forwarder = wait_receipt(&provider, hash)
        .await
        .contract_address
        .expect("receipt names the contract");

    // Explorers see the contract address over gRPC too.
    let addr = node.node.grpc_addr().expect("gRPC enabled");
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .expect("connect gRPC");
    let grpc_receipt = TransactionServiceClient::new(channel)
        .get_receipt(GetReceiptRequest {
            hash: hash.to_string(),
        })
        .await
        .expect("GetReceipt")
        .into_inner();
    assert_eq!(grpc_receipt.contract_address, forwarder.to_string());
    let funded = send(
        &provider,
        SUSD,
        calldata(IERC20::transferCall {
            to: forwarder,
            value: U256::from(1_000),
        }),
        None,
    )
    .await;
    assert!(funded.status());

    let bob = node.account(2);
    let before = rpc.token_balance(SUSD, bob).await;
    let forward = |input: &Bytes| -> Bytes {
        [&u64::MAX.to_be_bytes()[..], SUSD.as_slice(), input]
            .concat()
            .into()
    };
    let receipt = send(
        &provider,
        forwarder,
        forward(&calldata(IERC20::transferCall {
            to: bob,
            value: U256::from(400),
        })),
        None,
    )
    .await;
    assert!(receipt.status(), "{receipt:?}");
    assert_eq!(rpc.token_balance(SUSD, bob).await, before + U256::from(400));
    assert_eq!(rpc.token_balance(SUSD, forwarder).await, U256::from(600));
    let log = &receipt.inner.logs()[0];
    assert_eq!(log.address(), SUSD, "the token logs the transfer");
    assert_eq!(log.topics()[1], forwarder.into_word());

    let err = rpc
        .call_err(
            "eth_call",
            json!([{"to": forwarder, "data": forward(&calldata(IERC20::transferCall { to: bob, value: U256::from(601) }))}, "latest"]),
        )
        .await;
    assert_eq!(
        err.message,
        "execution reverted: ERC20: transfer amount exceeds balance"
    );
}

#[tokio::test]
async fn bad_contracts_are_refused_or_stopped_and_the_node_keeps_going() {
    let node = TestNode::automine().await;
    let rpc = node.rpc();
    let signer = node.signer(3);
    let sender = node.account(3);
    let create = |nonce: u64, code: Bytes, gas: u64| {
        let mut tx = eip1559(nonce, Address::ZERO, U256::ZERO, 10 * GWEI, GWEI);
        tx.to = TxKind::Create;
        tx.input = code;
        tx.gas_limit = gas;
        raw(&sign(&signer, tx))
    };

    let refused = [
        (
            Bytes::from(vec![0x00, 0x61, 0x73, 0x6d, 0x01]),
            "invalid WebAssembly module: ",
        ),
        (
            module(
                r#"(module (import "env" "time" (func (result i64))) (memory (export "memory") 1) (func (export "call")))"#,
            ),
            "forbidden import env.time: contracts may only import the functions of supervm_v1",
        ),
        (
            module(r#"(module (memory (export "memory") 1000) (func (export "call")))"#),
            "contract memory starts at 1000 pages of 64 KiB, the limit is 256 (16 MiB)",
        ),
    ];
    for (code, message) in refused {
        rpc.expect_rejected(&create(0, code, 1_000_000), message)
            .await;
    }
    assert_eq!(rpc.nonce(sender, "latest").await, 0, "nothing was included");

    // Valid modules that misbehave when called: each call fails with a clear reason.
    let runaway = [
        (
            r#"(func (export "call") (loop $l (br $l)))"#,
            "out of gas",
        ),
        (
            r#"(func (export "call") (loop $l (br_if $l (i32.ne (memory.grow (i32.const 64)) (i32.const -1)))))"#,
            "memory limit exceeded: the contract asked for 257 pages of 64 KiB, the limit is 256 (16 MiB)",
        ),
        (
            r#"(func $f (call $f)) (export "call" (func $f))"#,
            "call stack exhausted: the contract used more than 512 KiB of stack",
        ),
    ];
    let mut nonce = 0;
    for (body, reason) in runaway {
        let code = module(&format!(
            r#"(module (import "supervm_v1" "storage_write" (func $w (param i32 i32)))
                 (memory (export "memory") 1) {body})"#
        ));
        let hash = rpc
            .send_raw(&create(nonce, code, 1_000_000))
            .await
            .expect("accepted");
        let receipt = rpc.wait_receipt_json(hash).await;
        assert_eq!(receipt["status"], json!("0x1"));
        let contract: Address = serde_json::from_value(receipt["contractAddress"].clone()).unwrap();
        nonce += 1;

        let err = rpc
            .call_err(
                "eth_call",
                json!([{"to": contract, "gas": "0xf4240"}, "latest"]),
            )
            .await;
        assert_eq!((err.code, err.message.as_str()), (-32000, reason));
        let mut tx = eip1559(nonce, contract, U256::ZERO, 10 * GWEI, GWEI);
        tx.gas_limit = 1_000_000;
        let hash = rpc
            .send_raw(&raw(&sign(&signer, tx)))
            .await
            .expect("accepted");
        let receipt = rpc.wait_receipt_json(hash).await;
        assert_eq!(receipt["status"], json!("0x0"), "{reason}");
        assert_eq!(
            quantity(&receipt["gasUsed"]),
            1_000_000,
            "{reason}: all gas used"
        );
        nonce += 1;
    }
    let err = rpc
        .call_err(
            "eth_estimateGas",
            json!([{"from": sender, "data": module(r#"(module (memory (export "memory") 1) (func (export "call")) (func (export "deploy") (loop $l (br $l))))"#)}]),
        )
        .await;
    assert_eq!(
        err.message,
        format!("gas required exceeds allowance ({BLOCK_GAS_LIMIT})")
    );

    // The node still mines ordinary transactions.
    let before = rpc.block_number().await;
    let hash = rpc
        .send_raw(&raw(&sign(
            &signer,
            eip1559(nonce, node.account(4), U256::from(1), 10 * GWEI, GWEI),
        )))
        .await
        .expect("transfer accepted");
    assert_eq!(rpc.wait_receipt_json(hash).await["status"], json!("0x1"));
    assert!(rpc.block_number().await > before);
}
