//! `supervm bench rpc`: a JSON-RPC load generator that measures transaction ingestion the
//! way wallets drive it — signed transactions over keep-alive HTTP connections.
//!
//! Transactions are signed before any clock starts (signing is the client's cost, not the
//! node's). Each round measures three phases on the same number of connections:
//! - `chain_id`: `eth_chainId` round trips, the baseline: what the HTTP and JSON-RPC layers
//!   cost without any admission work;
//! - `admission`: `eth_sendRawTransaction` only, on a node mining on an interval, so the
//!   figure is the pool's admission rate; every accepted transaction is then waited for until
//!   it is committed (untimed) and only committed ones are counted;
//! - `end_to_end`: send until every receipt is readable, on an automining node;
//! - `admission_attacked` (with `--invalid-connections K`): `admission` again while K more
//!   connections send invalid transactions without pause — forged signatures, another chain
//!   id, a used nonce — to show what such a burst costs honest senders.
//!
//! Without `--url` every phase of every round gets a fresh in-process node (ephemeral store,
//! its own two-thread runtime) so rounds do not inherit each other's state. With `--url` the
//! phases run against that node in whatever mining mode it has, with the development
//! accounts of the default mnemonic as senders.
//!
//! Each sender has at most one transaction in flight, so its nonces arrive in order whatever
//! connection carries them; connections take the next idle sender, so all of them stay busy
//! while at least as many senders have work left.

use std::{
    collections::VecDeque,
    net::SocketAddr,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use alloy_consensus::SignableTransaction;
use alloy_primitives::{keccak256, Address, B256, U256};
use hyper::body::Bytes;
use parking_lot::Mutex;
use serde::Deserialize;
use supervm_primitives::TxEnvelope;
use tokio::runtime::Runtime;

use crate::{
    bench_client::{percentile, quantity, BenchClientError, Connection},
    bench_tx::{sign_transfer, TransferFees, TransferKind},
    config::DEV_MNEMONIC,
    derive_dev_accounts, DevAccount, Node, NodeConfig,
};

/// Fee cap of the benchmark transactions (1,000 gwei): far above any base fee a run reaches.
const MAX_FEE_PER_GAS: u128 = 1_000_000_000_000;
/// Tip of the benchmark transactions (1 gwei).
const TIP_PER_GAS: u128 = 1_000_000_000;
/// Receipts asked for in one batch request.
const RECEIPT_BATCH: usize = 500;
/// How long the benchmark waits for its transactions to be committed before giving up.
const COMMIT_TIMEOUT: Duration = Duration::from_secs(300);

/// What to measure.
#[derive(Clone, Debug)]
pub struct RpcBenchParams {
    /// The node to load; `None` starts a fresh in-process node for every phase.
    pub url: Option<String>,
    /// Keep-alive HTTP connections.
    pub connections: usize,
    /// Sending accounts (development accounts of the default mnemonic).
    pub senders: usize,
    /// Requests per phase (transactions for the sending phases).
    pub txs: usize,
    /// Rounds of the phases, to show the spread on a noisy machine.
    pub rounds: usize,
    /// Extra connections that send invalid transactions (bad signatures, wrong chain id,
    /// nonce too low) without pause during a fourth phase, `admission_attacked`; 0 skips it.
    pub invalid_connections: usize,
}

/// What a phase measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// `eth_chainId` round trips (baseline).
    ChainId,
    /// `eth_sendRawTransaction` only, interval mining.
    Admission,
    /// Send until every receipt is readable, automine.
    EndToEnd,
    /// `Admission` while other connections send invalid transactions.
    AdmissionAttacked,
}

impl Phase {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::ChainId => "chain_id",
            Self::Admission => "admission",
            Self::EndToEnd => "end_to_end",
            Self::AdmissionAttacked => "admission_attacked",
        }
    }
}

/// Figures of one phase in one round.
#[derive(Clone, Debug)]
pub struct PhaseReport {
    /// The phase.
    pub phase: Phase,
    /// Round number, from 1.
    pub round: usize,
    /// Connections used.
    pub connections: usize,
    /// Sending accounts.
    pub senders: usize,
    /// Requests sent.
    pub requests: usize,
    /// Transactions committed (0 for the baseline, which sends none).
    pub committed: usize,
    /// Requests (baseline) or committed transactions per second of the timed part.
    pub per_sec: f64,
    /// Median latency of one request as the client sees it, microseconds.
    pub p50_us: f64,
    /// 99th percentile latency, microseconds.
    pub p99_us: f64,
    /// Timed duration, seconds.
    pub secs: f64,
    /// Invalid transactions refused during the phase (`admission_attacked` only).
    pub refused: usize,
    /// Median latency of a refused invalid transaction, microseconds.
    pub refused_p50_us: f64,
}

impl PhaseReport {
    /// The report as one JSON object on one line.
    pub fn to_json(&self) -> String {
        format!(
            concat!(
                "{{\"phase\":\"{}\",\"round\":{},\"connections\":{},\"senders\":{},",
                "\"requests\":{},\"committed\":{},\"per_sec\":{:.0},\"p50_us\":{:.1},",
                "\"p99_us\":{:.1},\"secs\":{:.3},\"refused\":{},\"refused_p50_us\":{:.1}}}"
            ),
            self.phase.name(),
            self.round,
            self.connections,
            self.senders,
            self.requests,
            self.committed,
            self.per_sec,
            self.p50_us,
            self.p99_us,
            self.secs,
            self.refused,
            self.refused_p50_us,
        )
    }
}

/// Why the benchmark could not run.
#[derive(Debug, thiserror::Error)]
pub enum RpcBenchError {
    /// A parameter is out of range.
    #[error("invalid parameter: {0}")]
    Params(String),
    /// The in-process node could not start.
    #[error("cannot start the node: {0}")]
    Node(#[from] crate::NodeError),
    /// The runtime could not be built.
    #[error("cannot start a runtime: {0}")]
    Runtime(std::io::Error),
    /// The HTTP exchange failed.
    #[error("{0}")]
    Http(String),
    /// The node answered with a JSON-RPC error or an unexpected result.
    #[error("{0}")]
    Rpc(String),
}

impl From<BenchClientError> for RpcBenchError {
    fn from(err: BenchClientError) -> Self {
        match err {
            BenchClientError::Http(message) => Self::Http(message),
            BenchClientError::Rpc(message) => Self::Rpc(message),
        }
    }
}

/// Runs every round and returns one report per phase and round.
pub fn run(params: &RpcBenchParams) -> Result<Vec<PhaseReport>, RpcBenchError> {
    check(params)?;
    let client = runtime(2)?;
    // One more account than senders: the attacker of `admission_attacked`.
    let mut accounts = derive_dev_accounts(DEV_MNEMONIC, params.senders as u32 + 1)
        .map_err(RpcBenchError::Params)?;
    let attacker = accounts
        .pop()
        .ok_or_else(|| RpcBenchError::Params("no accounts".into()))?;
    let mut reports = Vec::new();
    let mut phases = vec![Phase::ChainId, Phase::Admission, Phase::EndToEnd];
    if params.invalid_connections > 0 {
        phases.push(Phase::AdmissionAttacked);
    }
    for round in 1..=params.rounds {
        for &phase in &phases {
            let target = Target::start(params, phase)?;
            let report = client.block_on(measure(
                params,
                phase,
                round,
                target.addr,
                &accounts,
                &attacker,
            ));
            target.stop();
            reports.push(report?);
        }
    }
    Ok(reports)
}

fn check(params: &RpcBenchParams) -> Result<(), RpcBenchError> {
    if params.connections == 0 || params.senders == 0 || params.txs == 0 || params.rounds == 0 {
        return Err(RpcBenchError::Params(
            "--connections, --senders, --txs and --rounds must be at least 1".into(),
        ));
    }
    if params.senders > 10_000 {
        return Err(RpcBenchError::Params(format!(
            "--senders {} is more than 10000",
            params.senders
        )));
    }
    Ok(())
}

fn runtime(threads: usize) -> Result<Runtime, RpcBenchError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .map_err(RpcBenchError::Runtime)
}

/// The node a phase runs against: an in-process node on its own runtime, or `--url`.
struct Target {
    addr: SocketAddr,
    node: Option<(Runtime, Node)>,
}

impl Target {
    fn start(params: &RpcBenchParams, phase: Phase) -> Result<Self, RpcBenchError> {
        if let Some(url) = &params.url {
            return Ok(Self {
                addr: resolve(url)?,
                node: None,
            });
        }
        let mut config = NodeConfig::default();
        config.storage.ephemeral = true;
        config.rpc.port = 0;
        config.grpc.enabled = false;
        config.metrics.enabled = false;
        config.dev.accounts = u32::try_from((params.senders + 1).max(10))
            .map_err(|_| RpcBenchError::Params("too many senders".into()))?;
        // The whole run fits in the pool, so admission is never refused for room.
        config.pool.max_pending = config.pool.max_pending.max(params.txs + 1024);
        // Every bench connection comes from this machine: no per-address cap.
        config.rpc.max_connections_per_ip = 0;
        config.mining.block_time = (phase != Phase::EndToEnd).then_some(1);
        let runtime = runtime(2)?;
        let node = runtime.block_on(Node::launch(config))?;
        Ok(Self {
            addr: node.rpc_addr(),
            node: Some((runtime, node)),
        })
    }

    fn stop(self) {
        if let Some((runtime, node)) = self.node {
            runtime.block_on(node.stop());
        }
    }
}

fn resolve(url: &str) -> Result<SocketAddr, RpcBenchError> {
    let uri: hyper::Uri = url
        .parse()
        .map_err(|err| RpcBenchError::Params(format!("invalid --url {url}: {err}")))?;
    if uri.scheme_str() != Some("http") {
        return Err(RpcBenchError::Params(format!(
            "invalid --url {url}: only http:// is supported"
        )));
    }
    let host = uri
        .host()
        .ok_or_else(|| RpcBenchError::Params(format!("invalid --url {url}: no host")))?;
    let port = uri.port_u16().unwrap_or(80);
    std::net::ToSocketAddrs::to_socket_addrs(&(host, port))
        .map_err(|err| RpcBenchError::Params(format!("cannot resolve {url}: {err}")))?
        .next()
        .ok_or_else(|| RpcBenchError::Params(format!("cannot resolve {url}")))
}

/// A JSON-RPC reply, read only as far as success or failure.
#[derive(Deserialize)]
struct Reply {
    error: Option<ReplyError>,
}

#[derive(Deserialize)]
struct ReplyError {
    message: String,
}

/// One sender's pre-encoded requests, sent strictly in order.
struct SenderQueue {
    requests: VecDeque<Bytes>,
}

/// The work of one phase: senders waiting for a connection to carry their next request.
struct Work {
    ready: Mutex<VecDeque<SenderQueue>>,
}

impl Work {
    fn next(&self) -> Option<(SenderQueue, Bytes)> {
        let mut ready = self.ready.lock();
        while let Some(mut queue) = ready.pop_front() {
            if let Some(request) = queue.requests.pop_front() {
                return Some((queue, request));
            }
        }
        None
    }

    fn give_back(&self, queue: SenderQueue) {
        if !queue.requests.is_empty() {
            self.ready.lock().push_back(queue);
        }
    }
}

/// What the connections measured.
struct Sent {
    latencies_us: Vec<u32>,
    accepted: usize,
    elapsed: Duration,
}

async fn measure(
    params: &RpcBenchParams,
    phase: Phase,
    round: usize,
    addr: SocketAddr,
    accounts: &[DevAccount],
    attacker: &DevAccount,
) -> Result<PhaseReport, RpcBenchError> {
    let mut control = Connection::open(addr).await?;
    let (queues, hashes, expected_nonces) = match phase {
        Phase::ChainId => (chain_id_requests(params), Vec::new(), Vec::new()),
        _ => sign_transfers(&mut control, params, accounts).await?,
    };
    let attack = match phase {
        Phase::AdmissionAttacked => {
            Some(Attack::start(&mut control, params, addr, attacker).await?)
        }
        _ => None,
    };
    let mut connections = Vec::with_capacity(params.connections);
    for _ in 0..params.connections {
        connections.push(Connection::open(addr).await?);
    }
    let requests: usize = queues.iter().map(|q| q.requests.len()).sum();
    let started = Instant::now();
    let sent = send_all(connections, queues, phase != Phase::ChainId).await?;
    let (refused, mut refused_latencies) = match attack {
        Some(attack) => attack.stop().await?,
        None => (0, Vec::new()),
    };
    let (committed, secs) = match phase {
        Phase::ChainId => (0, sent.elapsed.as_secs_f64()),
        Phase::Admission | Phase::AdmissionAttacked => {
            let secs = sent.elapsed.as_secs_f64();
            wait_committed(&mut control, accounts, &expected_nonces).await?;
            (count_successful(&mut control, &hashes).await?, secs)
        }
        Phase::EndToEnd => {
            wait_committed(&mut control, accounts, &expected_nonces).await?;
            let secs = started.elapsed().as_secs_f64();
            (count_successful(&mut control, &hashes).await?, secs)
        }
    };
    if phase != Phase::ChainId && sent.accepted != requests {
        return Err(RpcBenchError::Rpc(format!(
            "{} of {requests} transactions were refused",
            requests - sent.accepted
        )));
    }
    let mut latencies = sent.latencies_us;
    latencies.sort_unstable();
    refused_latencies.sort_unstable();
    let counted = if phase == Phase::ChainId {
        requests
    } else {
        committed
    };
    Ok(PhaseReport {
        phase,
        round,
        connections: params.connections,
        senders: params.senders,
        requests,
        committed,
        per_sec: counted as f64 / secs.max(f64::EPSILON),
        p50_us: percentile(&latencies, 50),
        p99_us: percentile(&latencies, 99),
        secs,
        refused,
        refused_p50_us: percentile(&refused_latencies, 50),
    })
}

/// Connections sending invalid transactions until told to stop.
struct Attack {
    stop: Arc<AtomicBool>,
    /// Each connection's latencies of refused transactions.
    workers: Vec<tokio::task::JoinHandle<Result<Vec<u32>, RpcBenchError>>>,
}

/// Invalid transactions of each kind prepared for one attack.
const INVALID_PER_KIND: usize = 64;

impl Attack {
    /// Prepares the invalid transactions and starts sending them. "Nonce too low" needs a
    /// used nonce: the attacker's first transfer is committed before the attack starts.
    async fn start(
        control: &mut Connection,
        params: &RpcBenchParams,
        addr: SocketAddr,
        attacker: &DevAccount,
    ) -> Result<Self, RpcBenchError> {
        let chain_id = quantity(&control.call("eth_chainId", serde_json::json!([])).await?)?;
        let first = control.pending_nonce(attacker.address).await?;
        let opening = transfer(attacker, chain_id, first, 0)?;
        control
            .call(
                "eth_sendRawTransaction",
                serde_json::json!([alloy_primitives::hex::encode_prefixed(opening.encoded())]),
            )
            .await?;
        wait_committed(control, std::slice::from_ref(attacker), &[first + 1]).await?;
        let mut bodies = Vec::with_capacity(3 * INVALID_PER_KIND);
        for i in 0..INVALID_PER_KIND as u64 {
            let stale = transfer(attacker, chain_id, first, i + 1)?;
            let other_chain = transfer(attacker, chain_id + 1, first + 1, i)?;
            let forged = match transfer(attacker, chain_id, first + 1, i)? {
                TxEnvelope::Eip1559(signed) => {
                    let digest = keccak256(i.to_be_bytes());
                    let signature = alloy_primitives::Signature::new(
                        U256::from_be_bytes(digest.0),
                        U256::from_be_bytes(keccak256(digest).0),
                        i % 2 == 0,
                    );
                    TxEnvelope::Eip1559(signed.strip_signature().into_signed(signature))
                }
                other => other,
            };
            for tx in [stale, other_chain, forged] {
                let raw = alloy_primitives::hex::encode_prefixed(tx.encoded());
                bodies.push(request_body(
                    bodies.len(),
                    "eth_sendRawTransaction",
                    Some(raw),
                ));
            }
        }
        let bodies = Arc::new(bodies);
        let stop = Arc::new(AtomicBool::new(false));
        let mut workers = Vec::with_capacity(params.invalid_connections);
        for worker in 0..params.invalid_connections {
            let mut connection = Connection::open(addr).await?;
            let (bodies, stop) = (bodies.clone(), stop.clone());
            workers.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut next = worker;
                while !stop.load(Ordering::Relaxed) {
                    let body = bodies[next % bodies.len()].clone();
                    next += 1;
                    let sent_at = Instant::now();
                    let reply = connection.post(body).await?;
                    latencies
                        .push(u32::try_from(sent_at.elapsed().as_micros()).unwrap_or(u32::MAX));
                    let reply: Reply = serde_json::from_slice(&reply)
                        .map_err(|err| RpcBenchError::Rpc(format!("invalid JSON reply: {err}")))?;
                    if reply.error.is_none() {
                        return Err(RpcBenchError::Rpc(
                            "an invalid transaction was accepted".into(),
                        ));
                    }
                }
                Ok(latencies)
            }));
        }
        Ok(Self { stop, workers })
    }

    /// Stops the attack; returns how many invalid transactions were refused and their
    /// latencies.
    async fn stop(self) -> Result<(usize, Vec<u32>), RpcBenchError> {
        self.stop.store(true, Ordering::Relaxed);
        let mut latencies = Vec::new();
        for worker in self.workers {
            let mut times = worker
                .await
                .map_err(|err| RpcBenchError::Http(format!("attack task failed: {err}")))??;
            latencies.append(&mut times);
        }
        Ok((latencies.len(), latencies))
    }
}

fn request_body(id: usize, method: &str, param: Option<String>) -> Bytes {
    let params = param.map_or_else(String::new, |p| format!("\"{p}\""));
    Bytes::from(format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"{method}\",\"params\":[{params}]}}"
    ))
}

/// The baseline's requests, spread over as many queues as connections (no ordering needed).
fn chain_id_requests(params: &RpcBenchParams) -> Vec<SenderQueue> {
    let mut queues: Vec<SenderQueue> = (0..params.connections)
        .map(|_| SenderQueue {
            requests: VecDeque::new(),
        })
        .collect();
    for id in 0..params.txs {
        queues[id % params.connections]
            .requests
            .push_back(request_body(id, "eth_chainId", None));
    }
    queues
}

/// Signs the phase's transfers: `txs` spread evenly over the senders, nonces from each
/// sender's pending nonce, to distinct recipients. Returns the queues, every transaction's
/// hash and each sender's nonce once all are committed.
async fn sign_transfers(
    control: &mut Connection,
    params: &RpcBenchParams,
    accounts: &[DevAccount],
) -> Result<(Vec<SenderQueue>, Vec<B256>, Vec<u64>), RpcBenchError> {
    let chain_id = quantity(&control.call("eth_chainId", serde_json::json!([])).await?)?;
    let mut queues = Vec::with_capacity(accounts.len());
    let mut hashes = Vec::with_capacity(params.txs);
    let mut expected = Vec::with_capacity(accounts.len());
    for (index, account) in accounts.iter().enumerate() {
        let count = params.txs / accounts.len() + usize::from(index < params.txs % accounts.len());
        let first = control.pending_nonce(account.address).await?;
        let mut requests = VecDeque::with_capacity(count);
        for offset in 0..count as u64 {
            let envelope = transfer(account, chain_id, first + offset, 0)?;
            hashes.push(envelope.hash());
            let raw = alloy_primitives::hex::encode_prefixed(envelope.encoded());
            requests.push_back(request_body(
                hashes.len(),
                "eth_sendRawTransaction",
                Some(raw),
            ));
        }
        expected.push(first + count as u64);
        queues.push(SenderQueue { requests });
    }
    Ok((queues, hashes, expected))
}

/// A signed 1-wei transfer with `nonce`; `salt` varies the recipient so that transactions
/// with the same nonce differ.
fn transfer(
    account: &DevAccount,
    chain_id: u64,
    nonce: u64,
    salt: u64,
) -> Result<TxEnvelope, RpcBenchError> {
    let seed = [
        account.address.as_slice(),
        &nonce.to_be_bytes(),
        &salt.to_be_bytes(),
    ]
    .concat();
    let fees = TransferFees {
        max_fee_per_gas: MAX_FEE_PER_GAS,
        tip_per_gas: TIP_PER_GAS,
        token_max_fee_per_gas: 0,
        token_tip_per_gas: 0,
    };
    let to = Address::from_slice(&keccak256(seed)[12..]);
    sign_transfer(
        &account.signer,
        chain_id,
        nonce,
        to,
        TransferKind::Native,
        fees,
    )
    .map_err(|err| RpcBenchError::Rpc(format!("signing: {err}")))
}

/// Sends every queued request over the connections; each connection takes the next idle
/// sender. With `stop_on_error`, a refused request ends the phase with its message.
async fn send_all(
    connections: Vec<Connection>,
    queues: Vec<SenderQueue>,
    stop_on_error: bool,
) -> Result<Sent, RpcBenchError> {
    let work = Arc::new(Work {
        ready: Mutex::new(queues.into()),
    });
    let started = Instant::now();
    let workers: Vec<_> = connections
        .into_iter()
        .map(|mut connection| {
            let work = work.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut accepted = 0usize;
                while let Some((queue, request)) = work.next() {
                    let sent_at = Instant::now();
                    let reply = connection.post(request).await?;
                    latencies
                        .push(u32::try_from(sent_at.elapsed().as_micros()).unwrap_or(u32::MAX));
                    let reply: Reply = serde_json::from_slice(&reply)
                        .map_err(|err| RpcBenchError::Rpc(format!("invalid JSON reply: {err}")))?;
                    match reply.error {
                        None => accepted += 1,
                        Some(error) if stop_on_error => {
                            return Err(RpcBenchError::Rpc(format!(
                                "request refused: {}",
                                error.message
                            )))
                        }
                        Some(_) => {}
                    }
                    work.give_back(queue);
                }
                Ok::<_, RpcBenchError>((latencies, accepted))
            })
        })
        .collect();
    let mut sent = Sent {
        latencies_us: Vec::new(),
        accepted: 0,
        elapsed: Duration::ZERO,
    };
    for worker in workers {
        let (latencies, accepted) = worker
            .await
            .map_err(|err| RpcBenchError::Http(format!("connection task failed: {err}")))??;
        sent.latencies_us.extend(latencies);
        sent.accepted += accepted;
    }
    sent.elapsed = started.elapsed();
    Ok(sent)
}

/// Waits until every sender's latest nonce reaches `expected` (all its transactions are in
/// committed blocks).
async fn wait_committed(
    control: &mut Connection,
    accounts: &[DevAccount],
    expected: &[u64],
) -> Result<(), RpcBenchError> {
    let deadline = Instant::now() + COMMIT_TIMEOUT;
    let batch = serde_json::Value::Array(
        accounts
            .iter()
            .enumerate()
            .map(|(id, account)| {
                serde_json::json!({"jsonrpc": "2.0", "id": id, "method": "eth_getTransactionCount", "params": [account.address, "latest"]})
            })
            .collect(),
    );
    let body = Bytes::from(batch.to_string());
    loop {
        let reply = control.post(body.clone()).await?;
        let replies: Vec<serde_json::Value> = serde_json::from_slice(&reply)
            .map_err(|err| RpcBenchError::Rpc(format!("invalid batch reply: {err}")))?;
        let mut done = replies.len() == expected.len();
        for reply in &replies {
            let id = reply.get("id").and_then(serde_json::Value::as_u64);
            let nonce = reply.get("result").map(quantity).transpose()?;
            match (id, nonce) {
                (Some(id), Some(nonce)) => {
                    done &= expected.get(id as usize).is_some_and(|want| nonce >= *want)
                }
                _ => return Err(RpcBenchError::Rpc(format!("nonce query failed: {reply}"))),
            }
        }
        if done {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(RpcBenchError::Rpc(format!(
                "transactions not committed after {COMMIT_TIMEOUT:?}"
            )));
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// How many of `hashes` have a successful receipt.
async fn count_successful(
    control: &mut Connection,
    hashes: &[B256],
) -> Result<usize, RpcBenchError> {
    let mut successful = 0;
    for chunk in hashes.chunks(RECEIPT_BATCH) {
        let batch = serde_json::Value::Array(
            chunk
                .iter()
                .enumerate()
                .map(|(id, hash)| {
                    serde_json::json!({"jsonrpc": "2.0", "id": id, "method": "eth_getTransactionReceipt", "params": [hash]})
                })
                .collect(),
        );
        let reply = control.post(Bytes::from(batch.to_string())).await?;
        let replies: Vec<serde_json::Value> = serde_json::from_slice(&reply)
            .map_err(|err| RpcBenchError::Rpc(format!("invalid batch reply: {err}")))?;
        successful += replies
            .iter()
            .filter(|reply| {
                reply
                    .get("result")
                    .and_then(|receipt| receipt.get("status"))
                    .and_then(serde_json::Value::as_str)
                    == Some("0x1")
            })
            .count();
    }
    Ok(successful)
}
