//! gRPC stream catch-up: a client streams N blocks (with receipts) from genesis over
//! `StreamBlocks` on 127.0.0.1 and the rate in blocks per second is reported.
//!
//! ```text
//! cargo bench -p supervm-node --bench grpc_stream -- [--blocks 10000]
//! ```
//!
//! Baseline in the same run: reading the same blocks and receipts straight from storage in
//! the node's process (no encoding, no network), so the ratio is the API's overhead.

use std::time::Instant;

use supervm_node::{Node, NodeConfig};
use supervm_rpc::grpc::proto::{block_service_client::BlockServiceClient, StreamBlocksRequest};
use tokio_stream::StreamExt;

fn blocks_arg() -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--blocks")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let blocks = blocks_arg();
    let mut config = NodeConfig::default();
    config.rpc.port = 0;
    config.grpc.port = 0;
    config.metrics.enabled = false;
    config.storage.ephemeral = true;
    config.mining.manual = true;
    let node = Node::launch(config).await.expect("launch node");
    let rpc = format!("http://{}", node.rpc_addr());
    let http = reqwest::Client::new();
    let setup = Instant::now();
    for _ in 0..blocks {
        let body =
            serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "evm_mine", "params": []});
        http.post(&rpc).json(&body).send().await.expect("evm_mine");
    }
    eprintln!("  mined {blocks} empty blocks in {:.1?}", setup.elapsed());

    let started = Instant::now();
    let read = tokio::task::spawn_blocking({
        let reader = node.store().reader().expect("reader");
        move || {
            let mut count = 0u64;
            for number in 0..=blocks {
                reader.block(number).expect("read").expect("block");
                reader.block_receipts(number).expect("receipts");
                count += 1;
            }
            count
        }
    })
    .await
    .expect("baseline");
    let baseline = started.elapsed();

    let addr = node.grpc_addr().expect("gRPC enabled");
    let mut client = BlockServiceClient::connect(format!("http://{addr}"))
        .await
        .expect("connect");
    let started = Instant::now();
    let mut stream = client
        .stream_blocks(StreamBlocksRequest {
            from_number: 0,
            full_transactions: false,
        })
        .await
        .expect("stream")
        .into_inner();
    let mut received = 0u64;
    while received <= blocks {
        let item = stream
            .next()
            .await
            .expect("stream ended")
            .expect("stream error");
        assert_eq!(
            item.block.and_then(|b| b.header).map(|h| h.number),
            Some(received)
        );
        received += 1;
    }
    let streamed = started.elapsed();
    let rate = received as f64 / streamed.as_secs_f64();
    let baseline_rate = read as f64 / baseline.as_secs_f64();
    println!(
        "stream catch-up: {received} blocks in {:.3}s = {rate:.0} blocks/s (baseline storage read {baseline_rate:.0} blocks/s, ratio {:.3})",
        streamed.as_secs_f64(),
        rate / baseline_rate
    );
    drop(stream);
    node.stop().await;
}
