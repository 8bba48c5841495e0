//! The Prometheus endpoint: node, pool and RPC metrics.

mod common;

use common::*;

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
