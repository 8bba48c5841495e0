//! The soak's load: every task runs at a fixed pace until told to stop and records what it
//! saw in [`Stats`]; a failure is counted and the task carries on (a soak measures how the
//! node holds up, so one refused request must not end it).

use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use alloy_primitives::{hex, keccak256, Address};
use alloy_sol_types::{SolCall, SolEvent};
use futures::{SinkExt, StreamExt};
use serde_json::json;
use supervm_primitives::system::IERC20;
use supervm_rpc::grpc::proto::{block_service_client::BlockServiceClient, StreamBlocksRequest};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

use super::stats::Stats;
use crate::{
    bench_client::{quantity, BenchClientError, Connection},
    bench_tx::{sign_transfer, TransferFees, TransferKind, SUSD},
    DevAccount,
};

/// Native fee cap (1,000 gwei) and tip (1 gwei); sUSD equivalents at the dev rate 3/1e9.
const FEES: TransferFees = TransferFees {
    max_fee_per_gas: 1_000_000_000_000,
    tip_per_gas: 1_000_000_000,
    token_max_fee_per_gas: 3_000,
    token_tip_per_gas: 3,
};
/// The order in which each sender cycles through the kinds of transfer.
const KINDS: [TransferKind; 4] = [
    TransferKind::Native,
    TransferKind::Token,
    TransferKind::Native,
    TransferKind::Cip64,
];
/// Blocks each log query spans.
const LOG_RANGE: u64 = 50;
/// How far behind the head a gRPC stream starts.
const STREAM_BACKLOG: u64 = 100;

/// What to run against the node.
pub(super) struct LoadPlan {
    /// JSON-RPC address (HTTP and WebSocket).
    pub rpc: SocketAddr,
    /// gRPC address.
    pub grpc: SocketAddr,
    /// Chain id for signing.
    pub chain_id: u64,
    /// Sending accounts, one task each.
    pub senders: Vec<DevAccount>,
    /// Transactions per second over all senders.
    pub tps: u32,
    /// State reads (`eth_call`, `eth_getBalance`, `eth_getBlockByNumber`) per second.
    pub reads_per_sec: u32,
    /// `eth_getLogs` queries per second.
    pub log_queries_per_sec: u32,
    /// WebSocket clients subscribed to `newHeads` and sUSD logs.
    pub subscribers: usize,
    /// gRPC `StreamBlocks` clients.
    pub streams: usize,
    /// How long a WebSocket or gRPC session lasts before its client reconnects.
    pub session: Duration,
}

/// The running load.
pub(super) struct Load {
    stop: Arc<AtomicBool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Load {
    /// Starts every task on the current runtime. `head` is the latest block number the
    /// sampler saw; streams start a little behind it.
    pub fn start(plan: LoadPlan, stats: &Arc<Stats>, head: &Arc<AtomicU64>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let mut tasks = Vec::new();
        let per_sender = period(plan.tps as f64 / plan.senders.len().max(1) as f64);
        for account in plan.senders {
            tasks.push(tokio::spawn(send_transfers(
                plan.rpc,
                plan.chain_id,
                account,
                per_sender,
                stats.clone(),
                stop.clone(),
            )));
        }
        if plan.reads_per_sec > 0 {
            tasks.push(tokio::spawn(read_state(
                plan.rpc,
                period(f64::from(plan.reads_per_sec)),
                stats.clone(),
                stop.clone(),
            )));
        }
        if plan.log_queries_per_sec > 0 {
            tasks.push(tokio::spawn(query_logs(
                plan.rpc,
                period(f64::from(plan.log_queries_per_sec)),
                stats.clone(),
                stop.clone(),
            )));
        }
        for _ in 0..plan.subscribers {
            tasks.push(tokio::spawn(subscribe(
                plan.rpc,
                plan.session,
                stats.clone(),
                stop.clone(),
            )));
        }
        for _ in 0..plan.streams {
            tasks.push(tokio::spawn(stream_blocks(
                plan.grpc,
                plan.session,
                head.clone(),
                stats.clone(),
                stop.clone(),
            )));
        }
        Self { stop, tasks }
    }

    /// Stops every task and waits for them.
    pub async fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// The interval between two events at `per_sec` events per second.
fn period(per_sec: f64) -> Duration {
    Duration::from_secs_f64(1.0 / per_sec.max(0.001))
}

/// A ticker that skips missed ticks: when the node falls behind, the load does not burst.
fn ticker(period: Duration) -> tokio::time::Interval {
    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    ticker
}

/// A JSON-RPC connection that reopens itself after a transport failure.
struct Client {
    addr: SocketAddr,
    connection: Option<Connection>,
    stats: Arc<Stats>,
}

impl Client {
    fn new(addr: SocketAddr, stats: Arc<Stats>) -> Self {
        Self {
            addr,
            connection: None,
            stats,
        }
    }

    /// Calls `method` and records its latency; `None` after recording a failure.
    async fn call(&mut self, method: &str, params: serde_json::Value) -> Option<serde_json::Value> {
        if self.connection.is_none() {
            match Connection::open(self.addr).await {
                Ok(connection) => self.connection = Some(connection),
                Err(err) => {
                    self.stats.error(format!("connect: {err}"));
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    return None;
                }
            }
        }
        let connection = self.connection.as_mut()?;
        let started = Instant::now();
        let result = connection.call(method, params).await;
        self.stats.latency(started.elapsed().as_micros());
        match result {
            Ok(value) => Some(value),
            Err(err) => {
                if matches!(err, BenchClientError::Http(_)) {
                    self.connection = None;
                }
                self.stats.error(err);
                None
            }
        }
    }
}

/// One account's transfers, paced at `every`, cycling through [`KINDS`]; after a refusal
/// the nonce is read again from the pool.
async fn send_transfers(
    rpc: SocketAddr,
    chain_id: u64,
    account: DevAccount,
    every: Duration,
    stats: Arc<Stats>,
    stop: Arc<AtomicBool>,
) {
    let mut client = Client::new(rpc, stats.clone());
    let mut ticker = ticker(every);
    let mut nonce = None;
    let mut sent = 0usize;
    while !stop.load(Ordering::Relaxed) {
        ticker.tick().await;
        let next = match nonce {
            Some(next) => next,
            None => {
                let pending = client
                    .call(
                        "eth_getTransactionCount",
                        json!([account.address, "pending"]),
                    )
                    .await;
                match pending.as_ref().map(quantity) {
                    Some(Ok(next)) => next,
                    Some(Err(err)) => {
                        stats.error(err);
                        continue;
                    }
                    None => continue,
                }
            }
        };
        let kind = KINDS[sent % KINDS.len()];
        sent += 1;
        let seed = [account.address.as_slice(), &next.to_be_bytes()].concat();
        let to = Address::from_slice(&keccak256(seed)[12..]);
        let tx = match sign_transfer(&account.signer, chain_id, next, to, kind, FEES) {
            Ok(tx) => tx,
            Err(err) => {
                stats.error(format!("signing: {err}"));
                continue;
            }
        };
        let raw = hex::encode_prefixed(tx.encoded());
        match client.call("eth_sendRawTransaction", json!([raw])).await {
            Some(_) => {
                stats.submitted();
                nonce = Some(next + 1);
            }
            None => nonce = None,
        }
    }
}

/// State reads in turn: an sUSD `balanceOf` through `eth_call`, a balance, the latest block.
async fn read_state(rpc: SocketAddr, every: Duration, stats: Arc<Stats>, stop: Arc<AtomicBool>) {
    let mut client = Client::new(rpc, stats);
    let mut ticker = ticker(every);
    let mut turn = 0u64;
    while !stop.load(Ordering::Relaxed) {
        ticker.tick().await;
        let holder = Address::from_slice(&keccak256(turn.to_be_bytes())[12..]);
        let (method, params) = match turn % 3 {
            0 => (
                "eth_call",
                json!([{
                    "to": SUSD,
                    "data": hex::encode_prefixed(IERC20::balanceOfCall { owner: holder }.abi_encode()),
                }, "latest"]),
            ),
            1 => ("eth_getBalance", json!([holder, "latest"])),
            _ => ("eth_getBlockByNumber", json!(["latest", false])),
        };
        turn += 1;
        client.call(method, params).await;
    }
}

/// `eth_getLogs` for sUSD `Transfer` events over the last [`LOG_RANGE`] blocks.
async fn query_logs(rpc: SocketAddr, every: Duration, stats: Arc<Stats>, stop: Arc<AtomicBool>) {
    let mut client = Client::new(rpc, stats.clone());
    let mut ticker = ticker(every);
    let transfer = IERC20::Transfer::SIGNATURE_HASH;
    while !stop.load(Ordering::Relaxed) {
        ticker.tick().await;
        let Some(head) = client.call("eth_blockNumber", json!([])).await else {
            continue;
        };
        let head = match quantity(&head) {
            Ok(head) => head,
            Err(err) => {
                stats.error(err);
                continue;
            }
        };
        let filter = json!({
            "fromBlock": format!("{:#x}", head.saturating_sub(LOG_RANGE)),
            "toBlock": format!("{head:#x}"),
            "address": SUSD,
            "topics": [transfer],
        });
        client.call("eth_getLogs", json!([filter])).await;
    }
}

/// A WebSocket client subscribed to `newHeads` and sUSD logs, reconnecting every `session`.
async fn subscribe(rpc: SocketAddr, session: Duration, stats: Arc<Stats>, stop: Arc<AtomicBool>) {
    let url = format!("ws://{rpc}");
    while !stop.load(Ordering::Relaxed) {
        if let Err(err) = subscription_session(&url, session, &stats, &stop).await {
            stats.error(format!("WebSocket: {err}"));
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

async fn subscription_session(
    url: &str,
    session: Duration,
    stats: &Stats,
    stop: &AtomicBool,
) -> Result<(), String> {
    let (mut socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .map_err(|err| format!("connect: {err}"))?;
    let requests = [
        json!({"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe", "params": ["newHeads"]}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "eth_subscribe", "params": ["logs", {"address": SUSD}]}),
    ];
    for request in requests {
        socket
            .send(Message::Text(request.to_string().into()))
            .await
            .map_err(|err| format!("subscribe: {err}"))?;
    }
    let ends = tokio::time::Instant::now() + session;
    while !stop.load(Ordering::Relaxed) {
        let wait = ends.min(tokio::time::Instant::now() + Duration::from_secs(1));
        match tokio::time::timeout_at(wait, socket.next()).await {
            Err(_) if tokio::time::Instant::now() >= ends => break,
            Err(_) => continue,
            Ok(None) => return Err("closed by the node".into()),
            Ok(Some(Err(err))) => return Err(err.to_string()),
            Ok(Some(Ok(Message::Text(text)))) => {
                let message: serde_json::Value = serde_json::from_str(text.as_str())
                    .map_err(|err| format!("invalid JSON: {err}"))?;
                if message.get("error").is_some() {
                    return Err(format!("subscription refused: {message}"));
                }
                if message.get("method").and_then(serde_json::Value::as_str)
                    == Some("eth_subscription")
                {
                    stats.notification();
                }
            }
            Ok(Some(Ok(_))) => {}
        }
    }
    let _ = socket.close(None).await;
    Ok(())
}

/// A gRPC `StreamBlocks` client starting [`STREAM_BACKLOG`] blocks behind the head,
/// reconnecting every `session`.
async fn stream_blocks(
    grpc: SocketAddr,
    session: Duration,
    head: Arc<AtomicU64>,
    stats: Arc<Stats>,
    stop: Arc<AtomicBool>,
) {
    while !stop.load(Ordering::Relaxed) {
        let from = head.load(Ordering::Relaxed).saturating_sub(STREAM_BACKLOG);
        if let Err(err) = stream_session(grpc, from, session, &stats, &stop).await {
            stats.error(format!("gRPC: {err}"));
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

async fn stream_session(
    grpc: SocketAddr,
    from: u64,
    session: Duration,
    stats: &Stats,
    stop: &AtomicBool,
) -> Result<(), String> {
    let mut client = BlockServiceClient::connect(format!("http://{grpc}"))
        .await
        .map_err(|err| format!("connect: {err}"))?;
    let mut stream = client
        .stream_blocks(StreamBlocksRequest {
            from_number: from,
            full_transactions: false,
        })
        .await
        .map_err(|status| format!("StreamBlocks: {status}"))?
        .into_inner();
    let ends = tokio::time::Instant::now() + session;
    while !stop.load(Ordering::Relaxed) {
        let wait = ends.min(tokio::time::Instant::now() + Duration::from_secs(1));
        match tokio::time::timeout_at(wait, stream.message()).await {
            Err(_) if tokio::time::Instant::now() >= ends => break,
            Err(_) => continue,
            Ok(Ok(Some(_))) => stats.streamed(),
            Ok(Ok(None)) => return Err("stream ended by the node".into()),
            Ok(Err(status)) => return Err(status.to_string()),
        }
    }
    Ok(())
}
