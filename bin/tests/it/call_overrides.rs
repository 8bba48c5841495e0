//! `eth_call` and `eth_estimateGas` with geth's state overrides (balance, nonce, code, `state`,
//! `stateDiff`), and the call parameters the node refuses rather than ignores.

use crate::common::*;

fn counter_code() -> Bytes {
    let path = format!(
        "{}/../examples/contracts/counter.wat",
        env!("CARGO_MANIFEST_DIR")
    );
    wat::parse_file(&path)
        .unwrap_or_else(|err| panic!("{path}: {err}"))
        .into()
}

fn word(n: u64) -> B256 {
    B256::from(U256::from(n))
}

#[tokio::test]
async fn overrides_change_what_a_call_sees_and_nothing_else() {
    let node = TestNode::automine().await;
    let rpc = node.rpc();
    let pauper = Address::repeat_byte(0x77);
    let counter = Address::repeat_byte(0xc0);
    let get = calldata(ICounter::getCall {});

    // Balance: a pauper sending one ether fails without the override, succeeds with it.
    let send = json!({"from": pauper, "to": node.account(1), "value": "0xde0b6b3a7640000"});
    let err = rpc.call_err("eth_call", json!([send, "latest"])).await;
    assert!(err.message.contains("insufficient funds"), "{err:?}");
    let rich = json!({pauper.to_string(): {"balance": "0x56bc75e2d63100000"}});
    rpc.call("eth_call", json!([send, "latest", rich])).await;
    let estimate = rpc
        .call("eth_estimateGas", json!([send, "latest", rich]))
        .await;
    assert_eq!(quantity(&estimate), 21_000);

    // Code: the counter's code at an empty address runs, reading empty storage.
    let code_only = json!({counter.to_string(): {"code": counter_code()}});
    let call = json!({"to": counter, "data": get});
    let count = |answer: Value| {
        U256::from_str_radix(answer.as_str().expect("hex").trim_start_matches("0x"), 16)
            .expect("a word")
    };
    assert_eq!(
        count(
            rpc.call("eth_call", json!([call, "latest", code_only]))
                .await
        ),
        U256::ZERO
    );

    // Storage: a deployed counter at 1 reads 5 with a stateDiff, 0 with its state replaced.
    let provider = node.wallet_provider(node.signer(0));
    let pending = provider
        .send_transaction(TransactionRequest::default().with_deploy_code(counter_code()))
        .await
        .expect("creation accepted");
    let real = wait_receipt(&provider, *pending.tx_hash())
        .await
        .contract_address
        .expect("created");
    rpc.transact(
        &node.signer(0),
        real,
        U256::ZERO,
        calldata(ICounter::incrementCall {}),
    )
    .await;
    let call = json!({"to": real, "data": get});
    assert_eq!(
        count(rpc.call("eth_call", json!([call, "latest"])).await),
        U256::from(1)
    );
    let diff = json!({real.to_string(): {"stateDiff": {word(0).to_string(): word(5).to_string()}}});
    assert_eq!(
        count(rpc.call("eth_call", json!([call, "latest", diff])).await),
        U256::from(5)
    );
    let replaced = json!({real.to_string(): {"state": {}}});
    assert_eq!(
        count(
            rpc.call("eth_call", json!([call, "latest", replaced]))
                .await
        ),
        U256::ZERO
    );
    assert_eq!(
        count(rpc.call("eth_call", json!([call, "latest"])).await),
        U256::from(1)
    );

    // Nothing was written.
    assert_eq!(rpc.balance(pauper, "latest").await, U256::ZERO);
    let code = rpc.call("eth_getCode", json!([counter, "latest"])).await;
    assert_eq!(code, "0x");
}

#[tokio::test]
async fn call_parameters_the_node_cannot_honour_are_refused() {
    let node = TestNode::automine().await;
    let rpc = node.rpc();
    let call = json!({"from": node.account(0), "to": node.account(1)});
    let both = json!({node.account(1).to_string(): {"state": {}, "stateDiff": {}}});
    let err = rpc
        .call_err("eth_call", json!([call, "latest", both]))
        .await;
    assert_eq!(err.code, -32602);
    assert!(
        err.message.contains("has both 'state' and 'stateDiff'"),
        "{err:?}"
    );

    let err = rpc
        .call_err("eth_call", json!([call, "latest", {}, {"number": "0x10"}]))
        .await;
    assert_eq!(
        (err.code, err.message.as_str()),
        (
            -32602,
            "block overrides (the fourth parameter) are not supported"
        )
    );

    let unknown = json!({"from": node.account(0), "to": node.account(1), "gasLimit": "0x5208"});
    for method in ["eth_call", "eth_estimateGas"] {
        let err = rpc.call_err(method, json!([unknown, "latest"])).await;
        assert_eq!(err.code, -32602, "{method}");
        assert_eq!(
            err.message,
            "unknown field \"gasLimit\" in the transaction object"
        );
    }
    // feeCurrency is known.
    let priced = json!({"from": node.account(0), "to": node.account(1), "feeCurrency": SUSD});
    rpc.call("eth_estimateGas", json!([priced, "latest"])).await;
}
