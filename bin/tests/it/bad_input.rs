//! Bad input over raw HTTP: malformed JSON-RPC, wrong parameters, undecodable and invalid
//! transactions, oversized bodies. Each gets the right error, and the node keeps serving.

use crate::common::*;

/// The node still answers and still mines after whatever came before.
async fn assert_alive(node: &TestNode) {
    let rpc = node.rpc();
    let head = rpc.block_number().await;
    assert_eq!(rpc.call("eth_chainId", json!([])).await, json!("0x7a69"));
    let _ = head;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_rpc() {
    let node = TestNode::automine().await;
    let rpc = node.rpc();

    // Every mismatch is collected so that one run reports all of them.
    let mut problems: Vec<String> = Vec::new();
    let mut expect_code = |what: String, answer: &Value, code: i64| {
        let got = answer
            .get("error")
            .and_then(|e| e.get("code"))
            .and_then(Value::as_i64);
        if got != Some(code) {
            problems.push(format!("{what}: expected error {code}, got {answer}"));
        }
    };

    // Invalid JSON: parse error, id null.
    for body in [
        "{\"jsonrpc\":\"2.0\",\"method\":",
        "not json at all",
        "{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"eth_chainId\", \"params\": [}",
    ] {
        let (_, text) = rpc.post_raw(body.to_string()).await;
        let answer: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("answer to {body:?} is not JSON ({e}): {text}"));
        expect_code(format!("invalid JSON {body:?}"), &answer, -32700);
        assert_eq!(answer["id"], Value::Null);
    }

    // Valid JSON that is not a request object: invalid request (JSON-RPC 2.0, section 5).
    for body in [json!(42), json!("eth_chainId"), json!(null), json!(true)] {
        let answer = rpc.post_json(&body).await;
        expect_code(format!("non-object request {body}"), &answer, -32600);
    }
    // An object that is not a valid request: invalid request.
    for body in [
        json!({"jsonrpc": "2.0", "method": 1, "params": "bar", "id": 1}),
        json!({"jsonrpc": "2.0", "id": 7}),
    ] {
        let answer = rpc.post_json(&body).await;
        expect_code(format!("invalid request object {body}"), &answer, -32600);
    }
    // Empty batch: one invalid-request error.
    let answer = rpc.post_json(&json!([])).await;
    expect_code("empty batch []".into(), &answer, -32600);
    // A batch of non-objects: one invalid-request error each.
    let answer = rpc.post_json(&json!([1, 2, 3])).await;
    match answer.as_array() {
        Some(items) if items.len() == 3 => {
            for item in items {
                expect_code("batch [1, 2, 3] item".into(), item, -32600);
            }
        }
        _ => problems.push(format!(
            "batch [1, 2, 3]: expected 3 invalid-request errors, got {answer}"
        )),
    }
    // Unknown method.
    let err = rpc.call_err("eth_noSuchMethod", json!([])).await;
    assert_eq!(err.code, -32601, "{err:?}");
    let err = rpc
        .call_err("debug_traceTransaction", json!([B256::ZERO]))
        .await;
    assert_eq!(err.code, -32601, "{err:?}");

    // Wrong parameter types and counts.
    let address = node.account(0);
    for (method, params) in [
        ("eth_getBalance", json!(["0xzz", "latest"])),
        ("eth_getBalance", json!([address, "notatag"])),
        ("eth_getBalance", json!([123, "latest"])),
        ("eth_getBalance", json!([])),
        ("eth_getBalance", json!({"address": 1})),
        ("eth_getBlockByNumber", json!(["0xzz", false])),
        ("eth_getBlockByNumber", json!(["latest", "yes"])),
        (
            "eth_getBlockByNumber",
            json!(["0x10000000000000000", false]),
        ),
        ("eth_getBlockByHash", json!(["0x1234", false])),
        ("eth_getTransactionByHash", json!(["0xnothex"])),
        ("eth_getTransactionReceipt", json!([42])),
        (
            "eth_getTransactionCount",
            json!([address, {"blockHash": "0x12"}]),
        ),
        ("eth_getStorageAt", json!([address, "xyz", "latest"])),
        ("eth_call", json!(["not an object"])),
        ("eth_call", json!([{"to": "0x1"}])),
        ("eth_estimateGas", json!([{"value": "lots"}])),
        ("eth_feeHistory", json!(["0x1", "latest", "notalist"])),
        ("eth_sendRawTransaction", json!([])),
        ("eth_sendRawTransaction", json!([12])),
    ] {
        let err = rpc.call_err(method, params.clone()).await;
        assert_eq!(
            err.code, -32602,
            "{method}({params}) should be invalid params: {err:?}"
        );
        assert!(!err.message.is_empty());
    }

    // A batch mixing valid and invalid requests: one answer per request with an id.
    let batch = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
        {"jsonrpc": "2.0", "id": 2, "method": "eth_noSuchMethod", "params": []},
        {"jsonrpc": "2.0", "id": 3, "method": "eth_getBalance", "params": ["0xzz", "latest"]},
        42,
        {"jsonrpc": "2.0", "id": 5, "method": "eth_blockNumber", "params": []},
        {"jsonrpc": "2.0", "id": 6, "method": "eth_getBalance", "params": [address, "latest"]},
        {"jsonrpc": "2.0", "id": 7, "method": "eth_sendRawTransaction", "params": ["0xdeadbeef"]},
    ]);
    let answer = rpc.post_json(&batch).await;
    let items = answer
        .as_array()
        .unwrap_or_else(|| panic!("batch answer must be an array: {answer}"));
    assert_eq!(items.len(), 7, "{answer}");
    let by_id = |id: Value| {
        items
            .iter()
            .find(|item| item["id"] == id)
            .unwrap_or_else(|| panic!("no answer with id {id} in {answer}"))
            .clone()
    };
    assert_eq!(by_id(json!(1))["result"], json!("0x7a69"));
    assert_eq!(parse_error(&by_id(json!(2))["error"]).code, -32601);
    assert_eq!(parse_error(&by_id(json!(3))["error"]).code, -32602);
    assert_eq!(parse_error(&by_id(Value::Null)["error"]).code, -32600);
    assert_eq!(by_id(json!(5))["result"], json!("0x0"));
    assert_eq!(
        by_id(json!(6))["result"],
        json!(format!("{:#x}", dev_balance()))
    );
    assert!(by_id(json!(7)).get("error").is_some());

    assert_alive(&node).await;
    assert!(
        problems.is_empty(),
        "malformed requests got the wrong errors:\n{}",
        problems.join("\n")
    );
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_transactions() {
    let node = TestNode::automine().await;
    let rpc = node.rpc();
    let signer = node.signer(0);
    let valid = raw(&sign(
        &signer,
        eip1559(
            0,
            random_signer().address(),
            U256::from(1u64),
            10 * GWEI,
            GWEI,
        ),
    ));

    // Malformed hex and garbage RLP: an error naming the problem, never a panic or a hang.
    let mut truncated = valid.to_vec();
    truncated.truncate(valid.len() - 5);
    let mut trailing = valid.to_vec();
    trailing.extend_from_slice(&[0x00, 0x01]);
    let bodies: Vec<Value> = vec![
        json!("0xzz"),
        json!("0x123"),
        json!("deadbeef-not-hex"),
        json!("0x"),
        json!("0x00"),
        json!("0xdeadbeef"),
        json!("0xc0"),
        json!("0x02c0"),
        json!("0x05f86c"),
        json!("0xf8ffffffffffffffffff"),
        json!(Bytes::from(truncated)),
        json!(Bytes::from(trailing)),
        json!(Bytes::from(vec![0xff; 1000])),
    ];
    for body in bodies {
        let err = rpc.call_err("eth_sendRawTransaction", json!([body])).await;
        assert!(
            err.code == -32602 || err.code == -32000,
            "eth_sendRawTransaction({body}): expected -32602 or -32000, got {err:?}"
        );
        assert!(
            err.message.len() > 5,
            "eth_sendRawTransaction({body}): message should say what is wrong: {err:?}"
        );
        assert!(!err.message.to_lowercase().contains("panic"), "{err:?}");
    }
    assert_eq!(rpc.block_number().await, 0, "nothing was mined");

    // The valid transaction still goes through.
    let hash = rpc.send_raw(&valid).await.expect("valid transaction");
    rpc.wait_receipt_json(hash).await;
    assert_alive(&node).await;
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_transactions_are_rejected_with_geth_messages() {
    let node = TestNode::automine().await;
    let rpc = node.rpc();
    let signer = node.signer(0);
    let to = random_signer().address();
    let one = U256::from(1u64);

    // Wrong chain id, in a typed and in a legacy transaction.
    let mut tx = eip1559(0, to, one, 10 * GWEI, GWEI);
    tx.chain_id = 1;
    rpc.expect_rejected(&raw(&sign(&signer, tx)), "invalid chain id for signer")
        .await;
    let mut tx = legacy(0, to, one, 10 * GWEI);
    tx.chain_id = Some(1);
    rpc.expect_rejected(&raw(&sign(&signer, tx)), "invalid chain id for signer")
        .await;

    // A signature that recovers to no key (r = 0).
    let tx = eip1559(0, to, one, 10 * GWEI, GWEI);
    let bad = TxEnvelope::from(tx.into_signed(Signature::new(U256::ZERO, U256::from(1u64), false)));
    rpc.expect_rejected(&raw(&bad), "invalid sender").await;

    // Intrinsic gas: below 21000, and below the calldata cost.
    let mut tx = eip1559(0, to, one, 10 * GWEI, GWEI);
    tx.gas_limit = 20_999;
    rpc.expect_rejected(&raw(&sign(&signer, tx)), "intrinsic gas too low")
        .await;
    let mut tx = eip1559(0, to, one, 10 * GWEI, GWEI);
    tx.input = Bytes::from(vec![1u8; 10]);
    rpc.expect_rejected(&raw(&sign(&signer, tx)), "intrinsic gas too low")
        .await;
    let mut tx = TxEip2930 {
        chain_id: CHAIN_ID,
        nonce: 0,
        gas_price: 10 * GWEI,
        gas_limit: 21_000,
        to: TxKind::Call(to),
        value: one,
        access_list: AccessList(vec![AccessListItem {
            address: to,
            storage_keys: vec![],
        }]),
        input: Bytes::new(),
    };
    rpc.expect_rejected(&raw(&sign(&signer, tx.clone())), "intrinsic gas too low")
        .await;
    tx.gas_limit = 23_400;
    let hash = rpc
        .send_raw(&raw(&sign(&signer, tx)))
        .await
        .expect("exactly the intrinsic gas is enough");
    let receipt = rpc.wait_receipt_json(hash).await;
    assert_eq!(quantity(&receipt["gasUsed"]), 23_400);
    // Nonce 0 is used now.

    // Above the block gas limit.
    let mut tx = eip1559(1, to, one, 10 * GWEI, GWEI);
    tx.gas_limit = BLOCK_GAS_LIMIT + 1;
    rpc.expect_rejected(&raw(&sign(&signer, tx)), "exceeds block gas limit")
        .await;

    // Fee fields.
    rpc.expect_rejected(
        &raw(&sign(&signer, eip1559(1, to, one, 1, 0))),
        "max fee per gas less than block base fee",
    )
    .await;
    rpc.expect_rejected(
        &raw(&sign(&signer, eip1559(1, to, one, 2 * GWEI, 3 * GWEI))),
        "max priority fee per gas higher than max fee per gas",
    )
    .await;

    // Nonces: already used, and far ahead of the account.
    rpc.expect_rejected(
        &raw(&sign(
            &signer,
            eip1559(0, to, U256::from(2u64), 10 * GWEI, GWEI),
        )),
        "nonce too low",
    )
    .await;
    rpc.expect_rejected(
        &raw(&sign(&signer, eip1559(1_000, to, one, 10 * GWEI, GWEI))),
        "nonce too high",
    )
    .await;

    // Funds: an empty account, and a value beyond the balance.
    let pauper = random_signer();
    rpc.expect_rejected(
        &raw(&sign(&pauper, eip1559(0, to, one, 10 * GWEI, GWEI))),
        "insufficient funds for gas * price + value",
    )
    .await;
    rpc.expect_rejected(
        &raw(&sign(
            &signer,
            eip1559(1, to, dev_balance(), 10 * GWEI, GWEI),
        )),
        "insufficient funds for gas * price + value",
    )
    .await;
    // Value alone fits, gas × price on top does not.
    let balance = rpc.balance(signer.address(), "latest").await;
    rpc.expect_rejected(
        &raw(&sign(
            &signer,
            eip1559(1, to, balance - U256::from(21_000u64), 10 * GWEI, GWEI),
        )),
        "insufficient funds for gas * price + value",
    )
    .await;

    // Contract creation.
    let mut tx = eip1559(1, to, U256::ZERO, 10 * GWEI, GWEI);
    tx.to = TxKind::Create;
    tx.input = Bytes::from(vec![0x60, 0x00]);
    tx.gas_limit = 100_000;
    let err = rpc
        .send_raw(&raw(&sign(&signer, tx)))
        .await
        .expect_err("EVM bytecode must be rejected");
    assert_eq!(
        err.message, "contract code is not a WebAssembly module: it must start with \\0asm",
        "{err:?}"
    );

    // Oversized: more than 320 KiB encoded.
    let mut tx = eip1559(1, to, one, 10 * GWEI, GWEI);
    tx.input = Bytes::from(vec![0x01; 330 * 1024]);
    tx.gas_limit = 21_000 + 16 * 130 * 1024;
    rpc.expect_rejected(&raw(&sign(&signer, tx)), "oversized data")
        .await;
    // A large transaction under the limit is fine.
    let mut tx = eip1559(1, to, one, 10 * GWEI, GWEI);
    tx.input = Bytes::from(vec![0x01; 100 * 1024]);
    tx.gas_limit = 21_000 + 16 * 100 * 1024;
    let hash = rpc
        .send_raw(&raw(&sign(&signer, tx)))
        .await
        .expect("100 KiB transaction is accepted");
    let receipt = rpc.wait_receipt_json(hash).await;
    assert_eq!(receipt["status"], json!("0x1"));
    assert_eq!(quantity(&receipt["gasUsed"]), 21_000 + 16 * 100 * 1024);

    // None of the rejected transactions changed anything.
    assert_eq!(rpc.nonce(signer.address(), "latest").await, 2);
    assert_eq!(rpc.block_number().await, 2);
    assert_eq!(rpc.balance(pauper.address(), "latest").await, U256::ZERO);
    assert_alive(&node).await;
    node.stop().await;
}

/// Pool-level rejections need transactions to stay in the pool: manual mining.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_duplicates_and_replacements() {
    let node = TestNode::manual().await;
    let rpc = node.rpc();
    let provider = node.provider();
    let signer = node.signer(5);
    let to = random_signer().address();
    let one = U256::from(1u64);

    let original = raw(&sign(&signer, eip1559(0, to, one, 10 * GWEI, GWEI)));
    let original_hash = rpc.send_raw(&original).await.expect("first submission");
    rpc.expect_rejected(&original, "already known").await;

    // Same nonce: +5% is not enough, +10% on both fee fields is.
    rpc.expect_rejected(
        &raw(&sign(
            &signer,
            eip1559(0, to, one, 10 * GWEI * 105 / 100, GWEI * 105 / 100),
        )),
        "replacement transaction underpriced",
    )
    .await;
    rpc.expect_rejected(
        &raw(&sign(&signer, eip1559(0, to, one, 20 * GWEI, GWEI))),
        "replacement transaction underpriced",
    )
    .await;
    let legacy_replacement = raw(&sign(&signer, legacy(0, to, one, 10 * GWEI)));
    rpc.expect_rejected(&legacy_replacement, "replacement transaction underpriced")
        .await;
    let replacement = sign(
        &signer,
        eip1559(0, to, U256::from(2u64), 11 * GWEI, GWEI * 11 / 10),
    );
    let replacement_hash = rpc
        .send_raw(&raw(&replacement))
        .await
        .expect("replacement with a 10% bump");
    assert_ne!(replacement_hash, original_hash);
    assert_eq!(rpc.nonce(signer.address(), "pending").await, 1);

    rpc.mine().await;
    let receipt = wait_receipt(&provider, replacement_hash).await;
    assert_eq!(receipt.block_number, Some(1));
    assert!(
        provider
            .get_transaction_receipt(original_hash)
            .await
            .unwrap()
            .is_none(),
        "the replaced transaction is never mined"
    );
    assert!(
        provider
            .get_transaction_by_hash(original_hash)
            .await
            .unwrap()
            .is_none(),
        "the replaced transaction is gone"
    );
    assert_eq!(rpc.balance(to, "latest").await, U256::from(2u64));
    // Mined: the same bytes again are now a used nonce.
    let err = rpc
        .send_raw(&raw(&replacement))
        .await
        .expect_err("resending a mined transaction");
    assert!(
        err.message.starts_with("nonce too low") || err.message.starts_with("already known"),
        "{err:?}"
    );
    assert_alive(&node).await;
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_http_body() {
    let node = TestNode::automine().await;
    let rpc = node.rpc();

    // 11 MiB of calldata in an eth_call: over the 10 MiB body limit.
    let data = format!("0x{}", "ab".repeat(11 * 512 * 1024));
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "eth_call", "params": [{"to": node.account(1), "data": data}, "latest"]})
        .to_string();
    assert!(body.len() > 10 * 1024 * 1024);
    let response = rpc
        .client
        .post(rpc.url.clone())
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await;
    match response {
        Ok(response) => {
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            let json_error = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v.get("error").cloned());
            assert!(
                status == reqwest::StatusCode::PAYLOAD_TOO_LARGE || json_error.is_some(),
                "an 11 MiB body must be rejected; got HTTP {status}: {}",
                &text[..text.len().min(300)]
            );
            assert!(
                !status.is_success() || json_error.is_some(),
                "HTTP {status} without an error: {text:.300}"
            );
        }
        // The server may also close the connection before reading the whole body.
        Err(err) => eprintln!("oversized body: connection closed by the node ({err})"),
    }

    // A large body under the limit is read and answered (result or error, as an eth_call).
    let data = format!("0x{}", "ab".repeat(4 * 1024 * 1024));
    let answer = rpc
        .post_json(&json!({"jsonrpc": "2.0", "id": 2, "method": "eth_call", "params": [{"to": node.account(1), "data": data}, "latest"]}))
        .await;
    assert_eq!(answer["id"], json!(2));
    assert!(answer.get("result").is_some() || answer.get("error").is_some());
    assert_alive(&node).await;
    node.stop().await;
}
