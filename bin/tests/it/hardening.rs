//! Abuse through the public interface: each test reproduces a way a client could exhaust the
//! node and checks the bound that stops it.

use crate::common::*;

/// An account holding enough for a few transactions cannot fill the pool: once its pooled
/// transactions would cost more than its balance, the next is refused with geth's overdraft
/// error, and other senders are still admitted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_funded_account_cannot_fill_the_pool() {
    let node = TestNode::manual().await;
    let rpc = node.rpc();
    let attacker = random_signer();
    let max_fee = 10 * GWEI;
    // 0.05 ETH: 238 transfers of 21,000 gas at a 10 gwei fee cap.
    let funding = U256::from(50_000_000_000_000_000u64);
    rpc.send_eip1559(
        &node.signer(0),
        attacker.address(),
        funding,
        Bytes::new(),
        21_000,
        max_fee,
        GWEI,
    )
    .await
    .expect("funding admitted");
    rpc.mine().await;

    let affordable = funding / U256::from(21_000 * max_fee + 1);
    let mut admitted = 0u64;
    let refusal = loop {
        let tx = eip1559(
            admitted,
            Address::repeat_byte(0x42),
            U256::from(1u8),
            max_fee,
            GWEI,
        );
        match rpc.send_raw(&raw(&sign(&attacker, tx))).await {
            Ok(_) => admitted += 1,
            Err(err) => break err,
        }
        assert!(
            admitted <= 1_000,
            "the pool kept admitting past the balance"
        );
    };
    assert_eq!(refusal.message, "transaction would cause overdraft");
    assert_eq!(
        U256::from(admitted),
        affordable,
        "exactly what the balance covers"
    );

    let honest = rpc
        .send_eip1559(
            &node.signer(1),
            Address::repeat_byte(0x43),
            U256::from(1u8),
            Bytes::new(),
            21_000,
            max_fee,
            GWEI,
        )
        .await;
    assert!(honest.is_ok(), "another sender is admitted: {honest:?}");
}

/// Large transactions cannot make the pool (and its journal) grow without bound: past
/// `[pool] max_bytes` a newcomer is refused unless it outbids what it would evict.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_transactions_cannot_grow_the_pool_past_its_byte_limit() {
    let node = TestNode::start(|c| {
        c.mining.manual = true;
        c.pool.max_bytes = 8 * 1024;
    })
    .await;
    let rpc = node.rpc();
    let data = Bytes::from(vec![1u8; 2 * 1024]);
    // Every calldata byte is non-zero: 16 gas each.
    let gas = 21_000 + 16 * data.len() as u64;
    let send = |i: usize, tip: u128| {
        let (rpc, data) = (rpc.clone(), data.clone());
        let signer = node.signer(i);
        async move {
            rpc.send_eip1559(
                &signer,
                Address::repeat_byte(0x44),
                U256::ZERO,
                data,
                gas,
                100 * GWEI,
                tip,
            )
            .await
        }
    };
    for i in 0..3 {
        send(i, GWEI).await.expect("fits in 8 KiB");
    }
    let refused = send(3, GWEI)
        .await
        .expect_err("a fourth 2 KiB transaction does not fit");
    assert_eq!(refused.message, "transaction underpriced");
    send(4, 2 * GWEI)
        .await
        .expect("a better tip evicts the cheapest");
    let status = rpc.call("txpool_status", json!([])).await;
    assert_eq!(status["pending"], json!("0x3"), "{status}");
}

/// Sends `count` sUSD transfers (each logs one `Transfer`) from dev account 0, one block each.
async fn token_transfers(node: &TestNode, count: usize) {
    let rpc = node.rpc();
    for _ in 0..count {
        let hash = rpc
            .send_eip1559(
                &node.signer(0),
                SUSD,
                U256::ZERO,
                calldata(IERC20::transferCall {
                    to: Address::repeat_byte(0x45),
                    value: U256::from(1u8),
                }),
                100_000,
                100 * GWEI,
                GWEI,
            )
            .await
            .expect("token transfer admitted");
        rpc.wait_receipt_json(hash).await;
    }
}

/// `eth_getLogs` answers are bounded: past `[rpc] max_logs_per_query` the query is refused
/// with the range that fits, as reth does, instead of the node collecting every log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_queries_are_bounded_and_name_the_range_that_fits() {
    let node = TestNode::start(|c| c.rpc.max_logs_per_query = 2).await;
    let rpc = node.rpc();
    token_transfers(&node, 3).await;
    let all = json!([{"address": SUSD, "fromBlock": "0x0", "toBlock": "latest"}]);
    let err = rpc.call_err("eth_getLogs", all).await;
    assert_eq!(err.code, -32000);
    assert!(
        err.message
            .starts_with("query exceeds max results 2 logs or 16777216 bytes of log data, retry with the range 0-2"),
        "{}",
        err.message
    );
    let fits = rpc
        .call(
            "eth_getLogs",
            json!([{"address": SUSD, "fromBlock": "0x0", "toBlock": "0x2"}]),
        )
        .await;
    assert_eq!(fits.as_array().map(Vec::len), Some(2), "{fits}");

    let addresses: Vec<Address> = (0..1001u64)
        .map(|i| Address::from_word(B256::from(U256::from(i))))
        .collect();
    let oversized = json!([{"address": addresses}]);
    let err = rpc.call_err("eth_getLogs", oversized).await;
    assert_eq!(err.code, -32602);
    assert_eq!(
        err.message,
        "exceed max addresses: 1001 given, the limit is 1000"
    );
}

/// Polling filters are bounded in number and size, and an idle one expires on time even
/// when no other filter is installed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_filters_are_bounded_and_expire() {
    let node = TestNode::start(|c| {
        c.rpc.max_filters = 2;
        c.rpc.filter_timeout_secs = 1;
    })
    .await;
    let rpc = node.rpc();
    let first = rpc.call("eth_newBlockFilter", json!([])).await;
    rpc.call("eth_newFilter", json!([{}])).await;
    let err = rpc.call_err("eth_newBlockFilter", json!([])).await;
    assert!(
        err.message
            .starts_with("too many filters: 2 are installed, the limit is 2"),
        "{}",
        err.message
    );
    let topics: Vec<B256> = (0..1001u64).map(|i| B256::from(U256::from(i))).collect();
    let err = rpc
        .call_err("eth_newFilter", json!([{"topics": [topics]}]))
        .await;
    assert_eq!(
        err.message,
        "exceed max topics per search position: the limit is 1000"
    );

    tokio::time::sleep(std::time::Duration::from_millis(1_600)).await;
    let err = rpc.call_err("eth_getFilterChanges", json!([first])).await;
    assert_eq!(
        err.message, "filter not found",
        "expired without a new install"
    );
    rpc.call("eth_newBlockFilter", json!([])).await;
}

/// One WebSocket connection cannot hold more than `[rpc] max_subscriptions_per_connection`
/// subscriptions (each would copy every matching log of every block).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_per_connection_are_bounded() {
    let node = TestNode::start(|c| c.rpc.max_subscriptions_per_connection = 3).await;
    let mut ws = WsClient::connect(&node.ws_url()).await;
    for _ in 0..3 {
        let id = ws.call("eth_subscribe", json!(["logs", {}])).await;
        assert!(id.is_string(), "{id}");
    }
    let refused = ws.request("eth_subscribe", json!(["logs", {}])).await;
    assert!(refused.get("error").is_some(), "{refused}");
    assert_eq!(
        ws.call("eth_blockNumber", json!([])).await,
        json!("0x0"),
        "the connection still serves calls"
    );
}

/// The node's answer to a refused WebSocket upgrade: the status the handshake got.
async fn refused_upgrade_status(url: &str) -> reqwest::StatusCode {
    match WsClient::try_connect(url).await {
        Ok(_) => panic!("the WebSocket upgrade to {url} was accepted"),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            reqwest::StatusCode::from_u16(response.status().as_u16()).expect("a status code")
        }
        Err(err) => panic!("the WebSocket upgrade failed without an HTTP status: {err}"),
    }
}

/// A WebSocket upgrade request sent as plain HTTP, to read the body of its refusal.
async fn upgrade_over_http(node: &TestNode) -> (reqwest::StatusCode, Value) {
    let response = reqwest::Client::new()
        .get(node.http_url())
        .header("connection", "Upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .timeout(TIMEOUT)
        .send()
        .await
        .expect("upgrade request");
    let status = response.status();
    let text = response.text().await.expect("refusal body");
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("refusal body is not JSON ({e}): {text}"));
    (status, body)
}

/// A WebSocket connection, retried until the node has a slot for it (a slot is freed once
/// the node has seen the previous connection end).
async fn ws_connect_once_free(url: &str) -> WsClient {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        match WsClient::try_connect(url).await {
            Ok(ws) => return ws,
            Err(err) if tokio::time::Instant::now() < deadline => {
                let _ = err;
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(err) => panic!("no WebSocket slot was freed within {TIMEOUT:?}: {err}"),
        }
    }
}

/// Idle WebSocket clients cannot lock HTTP clients out (#19 finding 4): WebSocket connections
/// have a cap of their own (`[rpc] max_ws_connections`), below the total. Past it an upgrade
/// is refused with 429 and a body naming the limit, HTTP requests are still answered, and a
/// closed WebSocket connection frees its slot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_connections_have_their_own_cap_and_leave_http_working() {
    let node = TestNode::start(|c| c.rpc.max_ws_connections = 4).await;
    let mut open = Vec::new();
    for _ in 0..4 {
        open.push(WsClient::connect(&node.ws_url()).await);
    }
    assert_eq!(
        refused_upgrade_status(&node.ws_url()).await,
        reqwest::StatusCode::TOO_MANY_REQUESTS
    );
    let (status, body) = upgrade_over_http(&node).await;
    assert_eq!(status, reqwest::StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], json!(-32005), "{body}");
    assert_eq!(
        body["error"]["message"],
        json!("too many WebSocket connections: the limit is 4"),
        "{body}"
    );

    for _ in 0..3 {
        // A new client each time: a new HTTP connection.
        assert_eq!(
            node.rpc().call("eth_blockNumber", json!([])).await,
            json!("0x0"),
            "HTTP is served while the WebSocket slots are taken"
        );
    }
    for ws in &mut open {
        assert_eq!(ws.call("eth_blockNumber", json!([])).await, json!("0x0"));
    }

    open.pop().expect("four open").close().await;
    let mut fifth = ws_connect_once_free(&node.ws_url()).await;
    assert_eq!(fifth.call("eth_chainId", json!([])).await, json!("0x7a69"));
}

/// One client address cannot take every connection: past `[rpc] max_connections_per_ip`
/// open connections, HTTP and WebSocket counted together, the next connection from the same
/// address (loopback included) is refused with 429 naming the limit, while the admitted ones
/// keep working; closing one admits a newcomer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_per_ip_address_are_capped_over_http_and_websocket() {
    let node = TestNode::start(|c| c.rpc.max_connections_per_ip = 3).await;
    // Three connections from 127.0.0.1: one keep-alive HTTP connection and two WebSockets.
    let kept = node.rpc();
    assert_eq!(kept.call("eth_blockNumber", json!([])).await, json!("0x0"));
    let mut first = WsClient::connect(&node.ws_url()).await;
    let second = WsClient::connect(&node.ws_url()).await;

    let request = json!({"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []});
    let (status, text) = node.rpc().post_raw(request.to_string()).await;
    assert_eq!(status, reqwest::StatusCode::TOO_MANY_REQUESTS, "{text}");
    let body: Value = serde_json::from_str(&text).expect("refusal body is JSON");
    assert_eq!(body["error"]["code"], json!(-32005), "{body}");
    assert_eq!(
        body["error"]["message"],
        json!("too many connections from 127.0.0.1: the limit is 3 per IP address"),
        "{body}"
    );
    assert_eq!(
        refused_upgrade_status(&node.ws_url()).await,
        reqwest::StatusCode::TOO_MANY_REQUESTS
    );

    assert_eq!(
        kept.call("eth_blockNumber", json!([])).await,
        json!("0x0"),
        "the admitted HTTP connection is still served"
    );
    assert_eq!(first.call("eth_blockNumber", json!([])).await, json!("0x0"));

    second.close().await;
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let (status, text) = node.rpc().post_raw(request.to_string()).await;
        if status == reqwest::StatusCode::OK {
            assert_eq!(
                serde_json::from_str::<Value>(&text).expect("JSON")["result"],
                "0x0"
            );
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no connection slot freed within {TIMEOUT:?}: {status} {text}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A WebSocket connection that answers pings but sends nothing is closed after
/// `[rpc] ws_idle_timeout_secs`, freeing its slot, as is one whose last request is that old;
/// a connection holding a subscription stays open and keeps receiving notifications.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_websocket_connections_are_closed_but_subscribers_stay() {
    let node = TestNode::start(|c| {
        c.mining.manual = true;
        c.rpc.ws_idle_timeout_secs = 1;
        c.rpc.max_ws_connections = 3;
    })
    .await;
    let within = std::time::Duration::from_secs(10);
    let mut idle = WsClient::connect(&node.ws_url()).await;
    let mut caller = WsClient::connect(&node.ws_url()).await;
    let mut subscriber = WsClient::connect(&node.ws_url()).await;
    let id = subscriber.call("eth_subscribe", json!(["newHeads"])).await;
    assert_eq!(caller.call("eth_chainId", json!([])).await, json!("0x7a69"));

    assert!(
        idle.closed_by_node(within).await,
        "a connection without requests is still open {within:?} after a 1 s idle timeout"
    );
    assert!(
        caller.closed_by_node(within).await,
        "a connection whose last request is old is still open {within:?} after it"
    );
    // The subscriber has sent nothing for longer than the timeout too.
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    node.rpc().mine().await;
    let (subscription, header) = subscriber.notification().await;
    assert_eq!(subscription, id);
    assert_eq!(header["number"], json!("0x1"), "{header}");

    let mut newcomer = ws_connect_once_free(&node.ws_url()).await;
    assert_eq!(
        newcomer.call("eth_blockNumber", json!([])).await,
        json!("0x1")
    );
}
