//! The Prometheus endpoint: node, pool and RPC metrics.

use crate::common::*;

async fn scrape(node: &TestNode) -> String {
    let addr = node
        .node
        .metrics_addr()
        .expect("metrics are enabled by default");
    let response = reqwest::Client::new()
        .get(format!("http://{addr}/metrics"))
        .timeout(TIMEOUT)
        .send()
        .await
        .expect("GET /metrics");
    assert!(
        response.status().is_success(),
        "GET /metrics: HTTP {}",
        response.status()
    );
    response.text().await.expect("metrics body")
}

/// The value of the first sample whose line starts with `prefix` (name plus optional labels).
fn sample(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find(|line| line.starts_with(prefix) && line[prefix.len()..].starts_with([' ', '{']))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

fn assert_has(text: &str, name: &str) {
    assert!(
        text.lines()
            .any(|line| !line.starts_with('#') && line.starts_with(name)),
        "metric {name} missing from /metrics:\n{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_pool_and_rpc_metrics() {
    let node = TestNode::automine().await;
    let rpc = node.rpc();
    let signer = node.signer(0);
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
    rpc.call("eth_chainId", json!([])).await;
    rpc.call("eth_chainId", json!([])).await;
    let head = rpc.block_number().await;
    assert_eq!(head, 2);
    let _ = rpc.try_call("eth_noSuchMethod", json!([])).await;

    let text = scrape(&node).await;
    for name in [
        "supervm_head_block_number",
        "supervm_block_import_seconds",
        "supervm_block_transactions",
        "supervm_txpool_pending",
        "supervm_txpool_queued",
        "supervm_rpc_requests_total",
        "supervm_rpc_request_duration_seconds",
    ] {
        assert_has(&text, name);
    }
    assert_eq!(
        sample(&text, "supervm_head_block_number"),
        Some(head as f64),
        "head gauge:\n{text}"
    );
    assert_eq!(
        sample(&text, "supervm_block_import_seconds_count"),
        Some(2.0),
        "two blocks imported:\n{text}"
    );
    assert_eq!(sample(&text, "supervm_block_transactions_count"), Some(2.0));
    assert_eq!(
        sample(&text, "supervm_block_transactions_sum"),
        Some(2.0),
        "one transaction per block"
    );
    assert_eq!(sample(&text, "supervm_txpool_pending"), Some(0.0));
    assert_eq!(sample(&text, "supervm_txpool_queued"), Some(0.0));

    // Requests are counted per method.
    let chain_id_line = text
        .lines()
        .find(|line| {
            line.starts_with("supervm_rpc_requests_total{")
                && line.contains("method=\"eth_chainId\"")
        })
        .unwrap_or_else(|| panic!("no supervm_rpc_requests_total sample for eth_chainId:\n{text}"));
    let count: f64 = chain_id_line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(
        count >= 2.0,
        "eth_chainId was called twice: {chain_id_line}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("supervm_rpc_requests_total{")
                && l.contains("method=\"eth_sendRawTransaction\"")),
        "eth_sendRawTransaction counted:\n{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("supervm_rpc_request_duration_seconds")
                && l.contains("method=\"eth_chainId\"")),
        "request durations per method:\n{text}"
    );
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_gauges_follow_the_pool() {
    let node = TestNode::manual().await;
    let rpc = node.rpc();
    let signer = node.signer(1);
    let to = random_signer().address();
    for nonce in [0, 1, 5] {
        rpc.send_raw(&raw(&sign(
            &signer,
            eip1559(nonce, to, U256::from(1u64), 10 * GWEI, GWEI),
        )))
        .await
        .unwrap();
    }
    let text = scrape(&node).await;
    assert_eq!(
        sample(&text, "supervm_txpool_pending"),
        Some(2.0),
        "nonces 0 and 1 are pending:\n{text}"
    );
    assert_eq!(
        sample(&text, "supervm_txpool_queued"),
        Some(1.0),
        "nonce 5 waits for a gap:\n{text}"
    );
    rpc.mine().await;
    let text = scrape(&node).await;
    assert_eq!(
        sample(&text, "supervm_txpool_pending"),
        Some(0.0),
        "mined:\n{text}"
    );
    assert_eq!(
        sample(&text, "supervm_txpool_queued"),
        Some(1.0),
        "still waiting:\n{text}"
    );
    assert_eq!(sample(&text, "supervm_head_block_number"), Some(1.0));
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_can_be_disabled() {
    let node = TestNode::start(|c| c.metrics.enabled = false).await;
    assert_eq!(node.node.metrics_addr(), None);
    assert_eq!(node.rpc().block_number().await, 0);
    node.stop().await;
}

/// Counts `supervm_rpc_requests_total` for `method`, if there is such a sample.
fn requests_of(text: &str, method: &str) -> Option<f64> {
    sample(
        text,
        &format!("supervm_rpc_requests_total{{method=\"{method}\"}}"),
    )
}

/// Calls of methods the node does not serve cannot add label sets: 300 made-up names (250 alone,
/// 50 in a batch) all answer "method not found", are counted under `method="unknown"`, and leave
/// `/metrics` about as large as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn made_up_methods_do_not_inflate_the_metrics() {
    let node = TestNode::manual().await;
    let rpc = node.rpc();
    let not_found = |answer: &Value, method: &str| {
        assert_eq!(
            answer["error"]["code"],
            json!(-32601),
            "{method} must be unknown: {answer}"
        );
        assert_eq!(
            answer["error"]["message"],
            json!("Method not found"),
            "{method}: {answer}"
        );
    };

    // Every label set the test may create exists before the baseline: a served method, the
    // `unknown` label and the `batch` latency.
    rpc.call("eth_chainId", json!([])).await;
    not_found(&rpc.request("eth_warmUp", json!([])).await, "eth_warmUp");
    let warm_batch = json!([{"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}]);
    rpc.post_json(&warm_batch).await;
    let before = scrape(&node).await;
    assert_eq!(requests_of(&before, "unknown"), Some(1.0), "{before}");

    let made_up: Vec<String> = (0..300)
        .map(|i| match i % 3 {
            0 => format!("eth_madeUp{i}"),
            1 => format!("madeup_method{i}"),
            _ => format!("debug_x{i}"),
        })
        .collect();
    let (alone, batched) = made_up.split_at(250);
    for method in alone {
        not_found(&rpc.request(method, json!([])).await, method);
    }
    let batch: Vec<Value> = batched
        .iter()
        .enumerate()
        .map(|(id, method)| json!({"jsonrpc": "2.0", "id": id, "method": method, "params": []}))
        .collect();
    let answers = rpc.post_json(&Value::Array(batch)).await;
    let answers = answers.as_array().expect("a batch answer is an array");
    assert_eq!(answers.len(), batched.len(), "{answers:?}");
    for answer in answers {
        let id = answer["id"].as_u64().expect("batch answers carry their id") as usize;
        not_found(answer, &batched[id]);
    }

    let after = scrape(&node).await;
    for method in &made_up {
        assert!(
            !after.contains(&format!("method=\"{method}\"")),
            "made-up method {method} became a label:\n{after}"
        );
    }
    assert_eq!(
        requests_of(&after, "unknown"),
        Some(301.0),
        "the warm-up call and the 300 made-up calls count as unknown:\n{after}"
    );
    assert_eq!(
        requests_of(&after, "eth_chainId"),
        Some(2.0),
        "served methods keep their own label:\n{after}"
    );
    // Only sample values changed (counts, sums): a few digits per line.
    let growth = after.len().saturating_sub(before.len());
    assert!(
        growth < 2048,
        "/metrics grew from {} to {} bytes after 300 made-up method names",
        before.len(),
        after.len()
    );
    node.stop().await;
}
