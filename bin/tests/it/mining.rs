//! Miner policy and the pool over RPC: accepted tokens, minimum tips, share caps, the
//! `txpool_*` views, admin exposure, and the journal across restarts.

use crate::common::*;

/// A CIP-64 transfer from dev account `i` paying in `token` (fee fields in its units).
async fn send_cip64(node: &TestNode, i: usize, token: Address, max_fee: u128, tip: u128) -> B256 {
    let rpc = node.rpc();
    let signer = node.signer(i);
    let nonce = rpc.nonce(signer.address(), "pending").await;
    let tx = Cip64Tx::transfer(nonce, Address::repeat_byte(0x55), token, max_fee, tip);
    rpc.send_raw(&tx.signed_raw(&signer))
        .await
        .unwrap_or_else(|e| panic!("cip64 rejected: {e:?}"))
}

async fn send_native(node: &TestNode, i: usize, tip: u128) -> B256 {
    let rpc = node.rpc();
    let signer = node.signer(i);
    rpc.send_eip1559(
        &signer,
        Address::repeat_byte(0x66),
        U256::from(1),
        Bytes::new(),
        21_000,
        100 * GWEI,
        tip,
    )
    .await
    .unwrap_or_else(|e| panic!("native rejected: {e:?}"))
}

async fn is_mined(rpc: &RawRpc, hash: B256) -> bool {
    !rpc.call("eth_getTransactionReceipt", json!([hash]))
        .await
        .is_null()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_native_only_miner_leaves_token_fees_pending_until_it_accepts_them() {
    let node = TestNode::start(|c| {
        c.mining.manual = true;
        c.mining.accepted_tokens = Some(vec![Address::ZERO]);
    })
    .await;
    let rpc = node.rpc();
    let policy = rpc.call("miner_getPolicy", json!([])).await;
    assert_eq!(policy["acceptedTokens"], json!([Address::ZERO]));

    let in_token = send_cip64(&node, 1, SUSD, 100, 10).await;
    let native = send_native(&node, 2, GWEI).await;
    rpc.mine().await;
    assert!(is_mined(&rpc, native).await, "native fee mined");
    assert!(!is_mined(&rpc, in_token).await, "sUSD fee left pending");
    let status = rpc.call("txpool_status", json!([])).await;
    assert_eq!(quantity(&status["pending"]), 1);
    let content = rpc.call("txpool_content", json!([])).await;
    let sender = format!("{:#x}", node.account(1));
    let entry = &content["pending"][sender.as_str()]["0"];
    assert_eq!(address_of(&entry["feeToken"]), SUSD, "{content}");
    let inspect = rpc.call("txpool_inspect", json!([])).await;
    let line = inspect["pending"][sender.as_str()]["0"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        line.contains("21000 gas") && line.contains("fee paid in"),
        "{line}"
    );
    let from = rpc
        .call("txpool_contentFrom", json!([node.account(1)]))
        .await;
    assert!(from["pending"]["0"].is_object(), "{from}");

    // Now the miner accepts sUSD: the transaction is mined.
    assert_eq!(
        rpc.call("miner_setAcceptedTokens", json!([[Address::ZERO, SUSD]]))
            .await,
        json!(true)
    );
    rpc.mine().await;
    assert!(is_mined(&rpc, in_token).await);
    assert_eq!(
        rpc.call("miner_setAcceptedTokens", json!(["all"])).await,
        json!(true)
    );
    assert_eq!(
        rpc.call("miner_getPolicy", json!([])).await["acceptedTokens"],
        json!("all")
    );
    let err = rpc
        .call_err("miner_setAcceptedTokens", json!(["some"]))
        .await;
    assert_eq!(err.code, -32602);
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minimum_tips_and_share_caps() {
    let node = TestNode::start(|c| c.mining.manual = true).await;
    let rpc = node.rpc();
    assert_eq!(
        rpc.call(
            "miner_setMinTip",
            json!([Address::ZERO, format!("{:#x}", 2 * GWEI)])
        )
        .await,
        json!(true)
    );
    let cheap = send_native(&node, 1, GWEI).await;
    let generous = send_native(&node, 2, 3 * GWEI).await;
    rpc.mine().await;
    assert!(is_mined(&rpc, generous).await);
    assert!(
        !is_mined(&rpc, cheap).await,
        "below the minimum tip it waits"
    );
    rpc.call("miner_setMinTip", json!([Address::ZERO, "0x0"]))
        .await;
    rpc.mine().await;
    assert!(is_mined(&rpc, cheap).await);

    // sUSD may fill at most 0.1% of a 30M block: one 21000-gas transfer, not two.
    assert_eq!(
        rpc.call("miner_setShareCap", json!([SUSD, 10])).await,
        json!(true)
    );
    let first = send_cip64(&node, 3, SUSD, 100, 10).await;
    let second = send_cip64(&node, 4, SUSD, 100, 10).await;
    rpc.mine().await;
    let mined = [is_mined(&rpc, first).await, is_mined(&rpc, second).await];
    assert_eq!(mined.iter().filter(|m| **m).count(), 1, "{mined:?}");
    rpc.mine().await;
    assert!(is_mined(&rpc, first).await && is_mined(&rpc, second).await);
    let err = rpc.call_err("miner_setShareCap", json!([SUSD, 0])).await;
    assert_eq!(err.code, -32602);
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn miner_namespace_is_admin_only() {
    let remote = TestNode::start(|c| c.rpc.addr = "0.0.0.0".parse().unwrap()).await;
    let rpc = RawRpc::new(http_url(std::net::SocketAddr::from((
        [127, 0, 0, 1],
        remote.rpc_addr().port(),
    ))));
    assert_eq!(
        rpc.call_err("miner_getPolicy", json!([])).await.code,
        -32601
    );
    assert_eq!(rpc.call_err("evm_mine", json!([])).await.code, -32601);
    assert!(
        rpc.call("txpool_status", json!([])).await.is_object(),
        "txpool is public"
    );
    remote.stop().await;
    let allowed = TestNode::start(|c| {
        c.rpc.addr = "0.0.0.0".parse().unwrap();
        c.rpc.allow_remote_admin = true;
    })
    .await;
    let rpc = RawRpc::new(http_url(std::net::SocketAddr::from((
        [127, 0, 0, 1],
        allowed.rpc_addr().port(),
    ))));
    assert!(rpc.call("miner_getPolicy", json!([])).await.is_object());
    allowed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journaled_transactions_survive_a_restart() {
    let node = TestNode::start(|c| c.mining.manual = true).await;
    let rpc = node.rpc();
    let first = send_native(&node, 1, GWEI).await;
    let queued = {
        let signer = node.signer(2);
        let tx = eip1559(
            1,
            Address::repeat_byte(0x77),
            U256::from(1),
            100 * GWEI,
            GWEI,
        );
        rpc.send_raw(&raw(&sign(
            &signer,
            TxEip1559 {
                chain_id: CHAIN_ID,
                ..tx
            },
        )))
        .await
        .expect("queued")
    };
    assert_eq!(
        quantity(&rpc.call("txpool_status", json!([])).await["queued"]),
        1
    );
    let dir = node.stop().await;
    let node = TestNode::start_in(dir, |c| c.mining.manual = true).await;
    let rpc = node.rpc();
    let status = rpc.call("txpool_status", json!([])).await;
    assert_eq!(
        (quantity(&status["pending"]), quantity(&status["queued"])),
        (1, 1),
        "{status}"
    );
    assert!(!rpc
        .call("eth_getTransactionByHash", json!([queued]))
        .await
        .is_null());
    rpc.mine().await;
    assert!(is_mined(&rpc, first).await);
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automine_commits_no_empty_blocks_and_mines_skipped_transactions_on_a_policy_change() {
    let node = TestNode::start(|c| c.mining.accepted_tokens = Some(vec![Address::ZERO])).await;
    let rpc = node.rpc();
    let skipped = send_cip64(&node, 1, SUSD, 100, 10).await;
    let native = send_native(&node, 2, GWEI).await;
    let receipt = rpc.wait_receipt_json(native).await;
    // The skipped transaction started no block of its own: the native one is in block 1.
    assert_eq!(quantity(&receipt["blockNumber"]), 1, "{receipt}");
    assert_eq!(rpc.block_number().await, 1);
    assert!(!is_mined(&rpc, skipped).await);
    // Relaxing the policy mines it at once, with no other transaction arriving.
    rpc.call("miner_setAcceptedTokens", json!(["all"])).await;
    let receipt = rpc.wait_receipt_json(skipped).await;
    assert_eq!(quantity(&receipt["blockNumber"]), 2, "{receipt}");
    assert_eq!(rpc.block_number().await, 2);
    node.stop().await;
}

/// The policy judges the fee token execution charges, not the one resolved at admission.
/// A `setFeeToken(sUSD)` earlier in the block makes the sender's next transfer — admitted as
/// native, since no preference was stored then — pay in sUSD; a native-only miner leaves it
/// pending (not dropped) and mines it once it accepts sUSD.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_policy_judges_the_token_execution_charges() {
    let node = TestNode::manual().await;
    let rpc = node.rpc();
    let dev = node.signer(0);
    let chooser = random_signer();
    let max_fee = 100 * GWEI;
    // 50 sUSD: enough for a 21,000-gas fee (6.3 sUSD at 100 gwei), not for a 1M-gas one
    // (300 sUSD), so the preference call itself pays natively.
    rpc.send_eip1559(
        &dev,
        chooser.address(),
        ether(1),
        Bytes::new(),
        21_000,
        max_fee,
        GWEI,
    )
    .await
    .expect("ETH funding admitted");
    let susd = calldata(IERC20::transferCall {
        to: chooser.address(),
        value: U256::from(50_000_000u64),
    });
    rpc.send_eip1559(&dev, SUSD, U256::ZERO, susd, 100_000, max_fee, GWEI)
        .await
        .expect("sUSD funding admitted");
    rpc.mine().await;
    rpc.call("miner_setAcceptedTokens", json!([[Address::ZERO]]))
        .await;

    let choose = rpc
        .send_eip1559(
            &chooser,
            FEE_PREFERENCE,
            U256::ZERO,
            calldata(IFeePreference::setFeeTokenCall { token: SUSD }),
            1_000_000,
            max_fee,
            GWEI,
        )
        .await
        .expect("setFeeToken admitted");
    let transfer = rpc
        .send_eip1559(
            &chooser,
            Address::repeat_byte(0x77),
            U256::from(1u8),
            Bytes::new(),
            21_000,
            max_fee,
            GWEI,
        )
        .await
        .expect("transfer admitted (as native: no preference is stored yet)");
    rpc.mine().await;

    let chosen = rpc.wait_receipt_json(choose).await;
    assert_eq!(chosen["feeToken"], json!(Address::ZERO), "{chosen}");
    assert!(
        rpc.call("eth_getTransactionReceipt", json!([transfer]))
            .await
            .is_null(),
        "the transfer would pay in sUSD, which this miner refuses"
    );
    let content = rpc
        .call("txpool_contentFrom", json!([chooser.address()]))
        .await;
    assert!(
        content["pending"].get("1").is_some(),
        "the transfer waits in the pool, not dropped: {content}"
    );

    rpc.call("miner_setAcceptedTokens", json!(["all"])).await;
    rpc.mine().await;
    let paid = rpc.wait_receipt_json(transfer).await;
    assert_eq!(paid["feeToken"], json!(SUSD), "{paid}");
}
