//! Polling filters (eth_newBlockFilter, eth_newFilter, eth_getFilterChanges, …), eth_getLogs,
//! and WebSocket subscriptions (newHeads, logs).
//!
//! No contract can be deployed on this chain, so no transaction emits logs: log queries can
//! only be checked to be accepted and empty. Block filters and newHeads carry real data.

use crate::common::*;
use futures::StreamExt;

async fn block_hash(rpc: &RawRpc, number: u64) -> Value {
    let block = rpc.block_json(json!(format!("{number:#x}")), false).await;
    assert!(!block.is_null(), "block {number} exists");
    block["hash"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_filter_reports_each_new_block_once() {
    let node = TestNode::manual().await;
    let rpc = node.rpc();

    let id = rpc.call("eth_newBlockFilter", json!([])).await;
    assert!(id.is_string(), "filter id is a string: {id}");
    assert_eq!(
        rpc.call("eth_getFilterChanges", json!([id])).await,
        json!([]),
        "no block yet"
    );

    for _ in 0..3 {
        rpc.mine().await;
    }
    let expected = json!([
        block_hash(&rpc, 1).await,
        block_hash(&rpc, 2).await,
        block_hash(&rpc, 3).await
    ]);
    assert_eq!(
        rpc.call("eth_getFilterChanges", json!([id])).await,
        expected,
        "the three new blocks, in order"
    );
    assert_eq!(
        rpc.call("eth_getFilterChanges", json!([id])).await,
        json!([]),
        "nothing new the second time"
    );

    // A block with a transaction.
    let signer = node.signer(0);
    let hash = rpc
        .send_raw(&raw(&sign(
            &signer,
            eip1559(
                0,
                random_signer().address(),
                U256::from(1u64),
                10 * GWEI,
                GWEI,
            ),
        )))
        .await
        .unwrap();
    rpc.mine().await;
    let receipt = rpc.wait_receipt_json(hash).await;
    assert_eq!(
        rpc.call("eth_getFilterChanges", json!([id])).await,
        json!([receipt["blockHash"]])
    );

    // A second filter only sees blocks after its creation; alloy's typed API agrees.
    let provider = node.provider();
    let second = provider
        .new_block_filter()
        .await
        .expect("eth_newBlockFilter");
    rpc.mine().await;
    let changes: Vec<B256> = provider
        .get_filter_changes(second)
        .await
        .expect("eth_getFilterChanges");
    assert_eq!(changes.len(), 1);
    assert_eq!(json!(changes[0]), block_hash(&rpc, 5).await);
    let first_changes = rpc.call("eth_getFilterChanges", json!([id])).await;
    assert_eq!(
        first_changes,
        json!([block_hash(&rpc, 5).await]),
        "filters are independent"
    );

    // Uninstall: true, then false; the id is gone.
    assert_eq!(
        rpc.call("eth_uninstallFilter", json!([id])).await,
        json!(true)
    );
    assert_eq!(
        rpc.call("eth_uninstallFilter", json!([id])).await,
        json!(false)
    );
    let err = rpc.call_err("eth_getFilterChanges", json!([id])).await;
    assert!(!err.message.is_empty(), "{err:?}");
    assert!(provider
        .uninstall_filter(second)
        .await
        .expect("eth_uninstallFilter"));

    // Unknown filter ids.
    let err = rpc
        .call_err("eth_getFilterChanges", json!(["0xdeadbeef"]))
        .await;
    assert!(!err.message.is_empty(), "{err:?}");
    let err = rpc
        .call_err("eth_getFilterLogs", json!(["0xdeadbeef"]))
        .await;
    assert!(!err.message.is_empty(), "{err:?}");
    assert_eq!(
        rpc.call("eth_uninstallFilter", json!(["0xdeadbeef"])).await,
        json!(false)
    );
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_queries_are_empty_and_well_formed() {
    let node = TestNode::automine().await;
    let rpc = node.rpc();
    let provider = node.provider();
    let signer = node.signer(1);
    let to = random_signer().address();
    for nonce in 0..2 {
        let hash = rpc
            .send_raw(&raw(&sign(
                &signer,
                eip1559(nonce, to, U256::from(1u64), 10 * GWEI, GWEI),
            )))
            .await
            .unwrap();
        rpc.wait_receipt_json(hash).await;
    }
    let head_hash = block_hash(&rpc, 2).await;
    let topic = B256::repeat_byte(0x11);

    // eth_getLogs with ranges, addresses, topics, a block hash.
    for filter in [
        json!({"fromBlock": "0x0", "toBlock": "latest"}),
        json!({"fromBlock": "earliest", "toBlock": "0x2"}),
        json!({}),
        json!({"fromBlock": "0x1", "toBlock": "0x2", "address": to}),
        json!({"fromBlock": "0x0", "address": [to, signer.address()], "topics": [topic]}),
        json!({"fromBlock": "0x0", "topics": [null, [topic, B256::ZERO]]}),
        json!({"blockHash": head_hash}),
    ] {
        assert_eq!(
            rpc.call("eth_getLogs", json!([filter.clone()])).await,
            json!([]),
            "eth_getLogs({filter})"
        );
    }
    let logs = provider
        .get_logs(
            &Filter::new()
                .from_block(0)
                .to_block(BlockNumberOrTag::Latest)
                .address(to),
        )
        .await
        .expect("eth_getLogs through alloy");
    assert!(logs.is_empty());

    // Malformed filters are parameter errors.
    let err = rpc
        .call_err("eth_getLogs", json!([{"fromBlock": "0xzz"}]))
        .await;
    assert_eq!(err.code, -32602, "{err:?}");
    let err = rpc
        .call_err("eth_getLogs", json!([{"address": "0x1234"}]))
        .await;
    assert_eq!(err.code, -32602, "{err:?}");

    // Log filters: created, polled, read, uninstalled.
    let id = rpc
        .call(
            "eth_newFilter",
            json!([{"fromBlock": "0x0", "toBlock": "latest"}]),
        )
        .await;
    assert!(id.is_string(), "filter id is a string: {id}");
    assert_eq!(rpc.call("eth_getFilterLogs", json!([id])).await, json!([]));
    assert_eq!(
        rpc.call("eth_getFilterChanges", json!([id])).await,
        json!([])
    );
    let hash = rpc
        .send_raw(&raw(&sign(
            &signer,
            eip1559(2, to, U256::from(1u64), 10 * GWEI, GWEI),
        )))
        .await
        .unwrap();
    rpc.wait_receipt_json(hash).await;
    assert_eq!(
        rpc.call("eth_getFilterChanges", json!([id])).await,
        json!([]),
        "a transfer emits no log"
    );
    assert_eq!(rpc.call("eth_getFilterLogs", json!([id])).await, json!([]));

    let typed = provider
        .new_filter(&Filter::new().address(to).event_signature(topic))
        .await
        .expect("eth_newFilter");
    assert!(provider
        .get_filter_logs(typed)
        .await
        .expect("eth_getFilterLogs")
        .is_empty());
    assert!(provider.uninstall_filter(typed).await.unwrap());

    assert_eq!(
        rpc.call("eth_uninstallFilter", json!([id])).await,
        json!(true)
    );
    assert_eq!(
        rpc.call("eth_uninstallFilter", json!([id])).await,
        json!(false)
    );
    let err = rpc.call_err("eth_getFilterLogs", json!([id])).await;
    assert!(!err.message.is_empty(), "{err:?}");
    node.stop().await;
}

/// alloy's WebSocket provider receives every new header, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_new_heads_with_alloy() {
    let node = TestNode::manual().await;
    let rpc = node.rpc();
    let ws = ProviderBuilder::new()
        .connect_ws(WsConnect::new(node.ws_url()))
        .await
        .expect("connect alloy over websocket");
    assert_eq!(
        ws.get_chain_id().await.expect("eth_chainId over websocket"),
        CHAIN_ID
    );
    assert_eq!(ws.get_block_number().await.unwrap(), 0);

    let subscription = ws.subscribe_blocks().await.expect("eth_subscribe newHeads");
    let mut stream = subscription.into_stream();
    for _ in 0..3 {
        rpc.mine().await;
    }
    for number in 1..=3u64 {
        let header = tokio::time::timeout(TIMEOUT, stream.next())
            .await
            .unwrap_or_else(|_| panic!("no newHeads notification for block {number}"))
            .expect("subscription ended");
        assert_eq!(header.number, number, "headers arrive in order");
        assert_eq!(
            header.hash,
            header.inner.hash_slow(),
            "header hash is keccak(rlp(header))"
        );
        let block = node
            .provider()
            .get_block_by_number(number.into())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(header.hash, block.header.hash);
        assert_eq!(
            header.inner, block.header.inner,
            "newHeads header equals the block's header"
        );
    }

    // A block with a transaction comes through too.
    let signer = node.signer(2);
    rpc.send_raw(&raw(&sign(
        &signer,
        eip1559(
            0,
            random_signer().address(),
            U256::from(1u64),
            10 * GWEI,
            GWEI,
        ),
    )))
    .await
    .unwrap();
    rpc.mine().await;
    let header = tokio::time::timeout(TIMEOUT, stream.next())
        .await
        .expect("newHeads for block 4")
        .unwrap();
    assert_eq!(header.number, 4);
    assert_eq!(header.gas_used, 21_000);

    // A logs subscription is accepted.
    let logs = ws
        .subscribe_logs(&Filter::new())
        .await
        .expect("eth_subscribe logs");
    ws.unsubscribe(*logs.local_id())
        .await
        .expect("eth_unsubscribe");
    node.stop().await;
}

/// The wire format of subscriptions: ids, notifications, eth_unsubscribe.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_subscriptions_on_the_wire() {
    let node = TestNode::manual().await;
    let rpc = node.rpc();
    let mut ws = WsClient::connect(&node.ws_url()).await;

    assert_eq!(
        ws.call("eth_blockNumber", json!([])).await,
        json!("0x0"),
        "plain calls work over websocket"
    );
    let heads = ws.call("eth_subscribe", json!(["newHeads"])).await;
    assert!(heads.is_string(), "subscription id is a string: {heads}");
    let logs = ws.call("eth_subscribe", json!(["logs", {}])).await;
    assert!(logs.is_string());
    let logs_filtered = ws
        .call(
            "eth_subscribe",
            json!(["logs", {"address": random_signer().address(), "topics": [B256::ZERO]}]),
        )
        .await;
    assert!(logs_filtered.is_string());
    assert_ne!(heads, logs);
    assert_ne!(logs, logs_filtered);

    rpc.mine().await;
    rpc.mine().await;
    for number in 1..=2u64 {
        let (id, header) = ws.notification().await;
        assert_eq!(
            id, heads,
            "only the newHeads subscription has something to say"
        );
        assert_eq!(quantity(&header["number"]), number);
        assert_eq!(header["hash"], block_hash(&rpc, number).await);
        assert_eq!(header["parentHash"], block_hash(&rpc, number - 1).await);
    }

    // Unsubscribed: true, then no more notifications for it.
    assert_eq!(
        ws.call("eth_unsubscribe", json!([heads])).await,
        json!(true)
    );
    let again = ws.request("eth_unsubscribe", json!([heads])).await;
    assert!(
        again.get("error").is_some() || again["result"] == json!(false),
        "second eth_unsubscribe: {again}"
    );
    let fresh = ws.call("eth_subscribe", json!(["newHeads"])).await;
    rpc.mine().await;
    let (id, header) = ws.notification().await;
    assert_eq!(
        id, fresh,
        "the first notification after unsubscribing is for the new subscription"
    );
    assert_eq!(quantity(&header["number"]), 3);
    assert_eq!(ws.call("eth_unsubscribe", json!([logs])).await, json!(true));
    assert_eq!(
        ws.call("eth_unsubscribe", json!([logs_filtered])).await,
        json!(true)
    );

    // Bad subscriptions.
    let bogus = ws.request("eth_subscribe", json!(["noSuchKind"])).await;
    assert!(
        bogus.get("error").is_some(),
        "unknown subscription kind must fail: {bogus}"
    );
    let bad_filter = ws
        .request("eth_subscribe", json!(["logs", {"address": "0xzz"}]))
        .await;
    assert!(
        bad_filter.get("error").is_some(),
        "malformed logs filter must fail: {bad_filter}"
    );
    // Subscriptions need a websocket.
    let over_http = rpc.request("eth_subscribe", json!(["newHeads"])).await;
    assert!(
        over_http.get("error").is_some(),
        "eth_subscribe over HTTP must fail: {over_http}"
    );

    // The connection still works.
    assert_eq!(ws.call("eth_blockNumber", json!([])).await, json!("0x3"));
    node.stop().await;
}
