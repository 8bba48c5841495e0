//! `supervm bench network`: a local network of validator processes (written by
//! [`crate::testnet`]) under a steady load of signed transfers, against one `supervm dev`
//! process on the same genesis as the baseline, in the same run. It reports finalized
//! transactions per second and the time from submission (the node's answer to
//! `eth_sendRawTransaction`) to the block holding the transaction appearing on the first node,
//! and reads the first node's metrics to say where a block's time goes.

use std::{
    collections::HashMap,
    net::{Ipv4Addr, SocketAddr, TcpListener},
    path::{Path, PathBuf},
    process::Stdio,
    sync::Arc,
    time::{Duration, Instant},
};

use alloy_primitives::{Address, B256};
use hyper::body::Bytes;
use parking_lot::Mutex;
use tokio::process::{Child, Command};

use crate::{
    bench_client::{percentile, quantity, Connection},
    bench_tx::{sign_transfer, TransferFees, TransferKind},
    config::DEV_MNEMONIC,
    derive_dev_accounts,
    testnet::{self, InitParams},
    NodeConfig,
};

/// How long a node may take to answer its first request.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// How long transactions still pending when the load ends may take to be finalized.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);
/// Transactions per JSON-RPC batch request.
const BATCH: usize = 25;

/// What to measure.
#[derive(Clone, Debug)]
pub struct NetworkBenchParams {
    /// The `supervm` executable to start the nodes from.
    pub binary: PathBuf,
    /// Validators of the network.
    pub validators: usize,
    /// Length of each load phase.
    pub duration: Duration,
    /// Transactions offered per second, all nodes together.
    pub tps: u64,
    /// Sending accounts (development accounts, funded in the genesis).
    pub senders: usize,
    /// Genesis block gas limit.
    pub gas_limit: u64,
    /// Rounds of the two setups.
    pub rounds: usize,
}

impl NetworkReport {
    /// The report as a Markdown table row (see [`NetworkReport::HEADER`]).
    pub fn row(&self) -> String {
        format!(
            "| {} | {} | {} | {} | {:.0} | {:.0} | {:.0} | {} | {:.1} | {:.1} | {:.1} |",
            self.setup,
            self.round,
            self.sent,
            self.finalized,
            self.tx_per_sec,
            self.p50_ms,
            self.p99_ms,
            self.blocks,
            self.build_ms,
            self.verify_ms,
            self.commit_ms
        )
    }

    /// The table's header.
    pub const HEADER: &'static str = "| setup | round | sent | finalized | finalized tx/s | p50 ms | p99 ms | blocks | build ms | verify ms | commit ms |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|";
}

/// One setup, one round.
#[derive(Clone, Debug)]
pub struct NetworkReport {
    /// `N validators` or `dev (1 node)`.
    pub setup: String,
    /// Round, from 1.
    pub round: usize,
    /// Transactions the nodes admitted.
    pub sent: usize,
    /// Of those, found in a block.
    pub finalized: usize,
    /// Finalized transactions per second, first submission to last finalization.
    pub tx_per_sec: f64,
    /// Median submission-to-block time, ms.
    pub p50_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// Blocks produced during the phase.
    pub blocks: u64,
    /// Mean time for a proposer to build and execute a block, ms (0 for dev).
    pub build_ms: f64,
    /// Mean time for a validator to re-execute another's proposal, ms (0 for dev).
    pub verify_ms: f64,
    /// Mean time to commit a block (executing it first when not yet executed), ms.
    pub commit_ms: f64,
}

/// Why the benchmark could not run.
#[derive(Debug, thiserror::Error)]
pub enum NetworkBenchError {
    /// A node could not be set up or started, or failed.
    #[error("{0}")]
    Node(String),
}

fn node_error(err: impl std::fmt::Display) -> NetworkBenchError {
    NetworkBenchError::Node(err.to_string())
}

/// A running set of node processes, killed when dropped.
struct Processes {
    children: Vec<Child>,
    /// JSON-RPC address of each node.
    rpc: Vec<SocketAddr>,
    /// Metrics address of the first node.
    metrics: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Processes {
    async fn stop(mut self) {
        for child in &mut self.children {
            if let Some(pid) = child
                .id()
                .and_then(|id| rustix::process::Pid::from_raw(id as i32))
            {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
            }
        }
        for child in &mut self.children {
            if tokio::time::timeout(Duration::from_secs(20), child.wait())
                .await
                .is_err()
            {
                let _ = child.kill().await;
            }
        }
    }
}

fn spawn(binary: &Path, args: &[&std::ffi::OsStr], log: &Path) -> Result<Child, NetworkBenchError> {
    let log = std::fs::File::create(log).map_err(node_error)?;
    Command::new(binary)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(log))
        .kill_on_drop(true)
        .spawn()
        .map_err(|err| node_error(format!("cannot start {}: {err}", binary.display())))
}

fn address(url: &str) -> Result<SocketAddr, NetworkBenchError> {
    url.trim_start_matches("http://")
        .trim_end_matches("/metrics")
        .parse()
        .map_err(|err| node_error(format!("bad address {url}: {err}")))
}

/// A network of `validators` processes with a larger pool, so the offered load is limited by
/// block production, not by admission.
async fn start_network(params: &NetworkBenchParams) -> Result<Processes, NetworkBenchError> {
    let dir = tempfile::Builder::new()
        .prefix("supervm-bench-network-")
        .tempdir()
        .map_err(node_error)?;
    let net = testnet::init(&InitParams {
        validators: params.validators,
        followers: 0,
        dir: dir.path().to_path_buf(),
        base_port: 0,
        chain_id: supervm_primitives::chain_spec::DEV_CHAIN_ID,
        block_time_ms: 1000,
        gas_limit: params.gas_limit,
    })
    .map_err(node_error)?;
    let mut children = Vec::new();
    let mut rpc = Vec::new();
    for node in &net.nodes {
        let mut config = NodeConfig::load(&node.config).map_err(node_error)?;
        config.pool.max_pending = 100_000;
        config.pool.max_bytes = 256 << 20;
        let text = toml::to_string(&config).map_err(node_error)?;
        std::fs::write(&node.config, text).map_err(node_error)?;
        children.push(spawn(
            &params.binary,
            &[
                "node".as_ref(),
                "--config".as_ref(),
                node.config.as_os_str(),
            ],
            &dir.path().join(format!("{}.log", node.name)),
        )?);
        rpc.push(address(&node.rpc)?);
    }
    let metrics = address(&net.nodes[0].metrics)?;
    Ok(Processes {
        children,
        rpc,
        metrics,
        _dir: dir,
    })
}

fn free_port() -> Result<u16, NetworkBenchError> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(node_error)
}

/// One `supervm dev` process mining a block per second on the network's genesis.
async fn start_dev(params: &NetworkBenchParams) -> Result<Processes, NetworkBenchError> {
    let dir = tempfile::Builder::new()
        .prefix("supervm-bench-dev-")
        .tempdir()
        .map_err(node_error)?;
    let net = testnet::init(&InitParams {
        validators: 1,
        followers: 0,
        dir: dir.path().join("net"),
        base_port: 0,
        chain_id: supervm_primitives::chain_spec::DEV_CHAIN_ID,
        block_time_ms: 1000,
        gas_limit: params.gas_limit,
    })
    .map_err(node_error)?;
    let (rpc_port, metrics_port) = (free_port()?, free_port()?);
    let data = dir.path().join("data");
    let child = spawn(
        &params.binary,
        &[
            "dev".as_ref(),
            "--genesis".as_ref(),
            net.genesis.as_os_str(),
            "--port".as_ref(),
            rpc_port.to_string().as_ref(),
            "--grpc-port".as_ref(),
            "0".as_ref(),
            "--metrics-port".as_ref(),
            metrics_port.to_string().as_ref(),
            "--block-time".as_ref(),
            "1".as_ref(),
            "--data-dir".as_ref(),
            data.as_os_str(),
        ],
        &dir.path().join("dev.log"),
    )?;
    Ok(Processes {
        children: vec![child],
        rpc: vec![SocketAddr::from((Ipv4Addr::LOCALHOST, rpc_port))],
        metrics: SocketAddr::from((Ipv4Addr::LOCALHOST, metrics_port)),
        _dir: dir,
    })
}

/// Waits until every node answers `eth_blockNumber`.
async fn wait_ready(rpc: &[SocketAddr]) -> Result<(), NetworkBenchError> {
    for addr in rpc {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Ok(mut connection) = Connection::open(*addr).await {
                if connection
                    .call("eth_blockNumber", serde_json::json!([]))
                    .await
                    .is_ok()
                {
                    break;
                }
            }
            if Instant::now() > deadline {
                return Err(node_error(format!("the node at {addr} did not start")));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    Ok(())
}

/// Signed native transfers: `per_sender` from each of `senders` accounts, nonces from 0.
fn sign_load(
    senders: usize,
    per_sender: usize,
) -> Result<Vec<Vec<(B256, Bytes)>>, NetworkBenchError> {
    let accounts = derive_dev_accounts(DEV_MNEMONIC, senders as u32).map_err(node_error)?;
    let fees = TransferFees {
        max_fee_per_gas: 1_000_000_000_000,
        tip_per_gas: 1_000_000_000,
        token_max_fee_per_gas: 0,
        token_tip_per_gas: 0,
    };
    accounts
        .iter()
        .map(|account| {
            (0..per_sender as u64)
                .map(|nonce| {
                    let tx = sign_transfer(
                        &account.signer,
                        supervm_primitives::chain_spec::DEV_CHAIN_ID,
                        nonce,
                        Address::repeat_byte(0x42),
                        TransferKind::Native,
                        fees,
                    )
                    .map_err(node_error)?;
                    Ok((tx.hash(), Bytes::from(tx.encoded())))
                })
                .collect()
        })
        .collect()
}

/// When each transaction was admitted and when it appeared in a block.
#[derive(Default)]
struct Timeline {
    submitted: HashMap<B256, Instant>,
    finalized: HashMap<B256, Instant>,
}

/// Sends one sender's transactions to `addr` in batches, paced to `per_sec`.
async fn send(
    addr: SocketAddr,
    txs: Vec<(B256, Bytes)>,
    per_sec: f64,
    timeline: Arc<Mutex<Timeline>>,
) -> Result<(), NetworkBenchError> {
    let mut connection = Connection::open(addr).await.map_err(node_error)?;
    let period = Duration::from_secs_f64(BATCH as f64 / per_sec);
    let mut tick = tokio::time::interval(period);
    for batch in txs.chunks(BATCH) {
        tick.tick().await;
        let body: Vec<serde_json::Value> = batch
            .iter()
            .enumerate()
            .map(|(id, (_, raw))| {
                serde_json::json!({"jsonrpc": "2.0", "id": id, "method": "eth_sendRawTransaction",
                                   "params": [alloy_primitives::hex::encode_prefixed(raw)]})
            })
            .collect();
        let reply = connection
            .post(Bytes::from(serde_json::Value::Array(body).to_string()))
            .await
            .map_err(node_error)?;
        let now = Instant::now();
        let replies: Vec<serde_json::Value> = serde_json::from_slice(&reply).map_err(node_error)?;
        let mut timeline = timeline.lock();
        for reply in replies {
            let id = reply["id"].as_u64().unwrap_or(u64::MAX) as usize;
            if let (Some((hash, _)), true) = (batch.get(id), reply.get("result").is_some()) {
                timeline.submitted.insert(*hash, now);
            }
        }
    }
    Ok(())
}

/// Follows the first node's blocks until `stop`, recording when each transaction appeared;
/// returns the number of blocks seen.
async fn observe(
    addr: SocketAddr,
    timeline: Arc<Mutex<Timeline>>,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Result<u64, NetworkBenchError> {
    let mut connection = Connection::open(addr).await.map_err(node_error)?;
    let mut next = quantity(
        &connection
            .call("eth_blockNumber", serde_json::json!([]))
            .await
            .map_err(node_error)?,
    )
    .map_err(node_error)?
        + 1;
    let first = next;
    while !*stop.borrow() {
        let head = quantity(
            &connection
                .call("eth_blockNumber", serde_json::json!([]))
                .await
                .map_err(node_error)?,
        )
        .map_err(node_error)?;
        while next <= head {
            let block = connection
                .call(
                    "eth_getBlockByNumber",
                    serde_json::json!([format!("{next:#x}"), false]),
                )
                .await
                .map_err(node_error)?;
            let now = Instant::now();
            let mut timeline = timeline.lock();
            for hash in block["transactions"].as_array().into_iter().flatten() {
                if let Some(hash) = hash.as_str().and_then(|h| h.parse::<B256>().ok()) {
                    timeline.finalized.insert(hash, now);
                }
            }
            next += 1;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    Ok(next - first)
}

/// `sum / count` of a histogram in Prometheus text, in milliseconds (0 without samples).
fn mean_ms(metrics: &str, name: &str) -> f64 {
    let value = |suffix: &str| {
        metrics
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{name}_{suffix} ")))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let count = value("count");
    if count == 0.0 {
        0.0
    } else {
        value("sum") / count * 1000.0
    }
}

/// GET /metrics (empty when the node does not answer).
async fn scrape(addr: SocketAddr) -> String {
    metrics_text(addr).await.unwrap_or_default()
}

async fn metrics_text(addr: SocketAddr) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.ok()?;
    let text = String::from_utf8_lossy(&response);
    text.split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
}

/// Loads `nodes` for the phase and measures it.
async fn measure(
    setup: String,
    round: usize,
    nodes: &Processes,
    params: &NetworkBenchParams,
) -> Result<NetworkReport, NetworkBenchError> {
    wait_ready(&nodes.rpc).await?;
    let per_sender =
        (params.tps as f64 * params.duration.as_secs_f64() / params.senders as f64).ceil() as usize;
    let load = sign_load(params.senders, per_sender)?;
    let timeline = Arc::new(Mutex::new(Timeline::default()));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let observer = tokio::spawn(observe(nodes.rpc[0], timeline.clone(), stopped));
    let started = Instant::now();
    let per_sec = params.tps as f64 / params.senders as f64;
    let mut senders = Vec::new();
    for (index, txs) in load.into_iter().enumerate() {
        let addr = nodes.rpc[index % nodes.rpc.len()];
        senders.push(tokio::spawn(send(addr, txs, per_sec, timeline.clone())));
    }
    for sender in senders {
        sender.await.map_err(node_error)??;
    }
    let deadline = Instant::now() + DRAIN_TIMEOUT;
    while Instant::now() < deadline {
        let done = {
            let timeline = timeline.lock();
            timeline
                .submitted
                .keys()
                .all(|hash| timeline.finalized.contains_key(hash))
        };
        if done {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = stop.send(true);
    let blocks = observer.await.map_err(node_error)??;
    let metrics = scrape(nodes.metrics).await;
    let timeline = timeline.lock();
    let mut latencies: Vec<u32> = Vec::new();
    let mut last = started;
    for (hash, submitted) in &timeline.submitted {
        if let Some(finalized) = timeline.finalized.get(hash) {
            let ms = finalized.saturating_duration_since(*submitted).as_millis();
            latencies.push(u32::try_from(ms).unwrap_or(u32::MAX));
            last = last.max(*finalized);
        }
    }
    latencies.sort_unstable();
    let elapsed = last.duration_since(started).as_secs_f64().max(f64::EPSILON);
    Ok(NetworkReport {
        setup,
        round,
        sent: timeline.submitted.len(),
        finalized: latencies.len(),
        tx_per_sec: latencies.len() as f64 / elapsed,
        p50_ms: percentile(&latencies, 50),
        p99_ms: percentile(&latencies, 99),
        blocks,
        build_ms: mean_ms(&metrics, "supervm_block_build_seconds"),
        verify_ms: mean_ms(&metrics, "supervm_block_verify_seconds"),
        commit_ms: mean_ms(&metrics, "supervm_block_import_seconds"),
    })
}

/// Runs every round of both setups; `report` receives each result as it is measured.
pub async fn run(
    params: &NetworkBenchParams,
    mut report: impl FnMut(&NetworkReport),
) -> Result<Vec<NetworkReport>, NetworkBenchError> {
    if params.senders == 0 || params.senders > 10 {
        return Err(node_error(
            "--senders must be 1 to 10 (the development accounts the genesis funds)",
        ));
    }
    let mut reports = Vec::new();
    for round in 1..=params.rounds {
        let network = start_network(params).await?;
        let result = measure(
            format!("{} validators", params.validators),
            round,
            &network,
            params,
        )
        .await;
        network.stop().await;
        let measured = result?;
        report(&measured);
        reports.push(measured);

        let dev = start_dev(params).await?;
        let result = measure("dev (1 node)".into(), round, &dev, params).await;
        dev.stop().await;
        let measured = result?;
        report(&measured);
        reports.push(measured);
    }
    Ok(reports)
}
