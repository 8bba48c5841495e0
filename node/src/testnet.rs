//! `supervm testnet`: a local network of validators (and followers) on 127.0.0.1 in one
//! directory — keys, genesis, one configuration per node and `testnet.json` for scripts —
//! and a runner that starts them all with prefixed logs and stops them together.

use std::{
    net::{Ipv4Addr, SocketAddr, TcpListener},
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use alloy_primitives::{keccak256, Address, B256};
use serde::{Deserialize, Serialize};
use supervm_consensus::bft::keys;
use supervm_primitives::{validators::ConsensusGenesis, ChainSpec};

use crate::{
    config::{ConsensusMode, PeerConfig},
    derive_dev_accounts, NodeConfig,
};

/// Why a testnet could not be written, read or run.
#[derive(Debug, thiserror::Error)]
pub enum TestnetError {
    /// A file or process operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        source: std::io::Error,
    },
    /// The request or a file is invalid.
    #[error("{0}")]
    Invalid(String),
}

/// Maps an I/O error to [`TestnetError::Io`] saying what was being done.
fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> TestnetError {
    let what = what.into();
    move |source| TestnetError::Io { what, source }
}
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

/// What `supervm testnet init` makes.
#[derive(Clone, Debug)]
pub struct InitParams {
    /// Voting nodes.
    pub validators: usize,
    /// Non-voting nodes that follow the chain.
    pub followers: usize,
    /// Directory to write into (created; must not hold a testnet already).
    pub dir: PathBuf,
    /// First port; every node takes four consecutive ones. 0 picks free ports.
    pub base_port: u16,
    /// Chain id of the network.
    pub chain_id: u64,
    /// Target time between blocks, milliseconds.
    pub block_time_ms: u64,
    /// Block gas limit of the genesis (the development chain's is 30 million).
    pub gas_limit: u64,
}

/// `DIR/testnet.json`: where every node is, for scripts and for `testnet run`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Testnet {
    /// The chain id.
    pub chain_id: u64,
    /// The genesis file every node runs.
    pub genesis: PathBuf,
    /// The nodes, validators first.
    pub nodes: Vec<TestnetNode>,
}

/// One node of `testnet.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestnetNode {
    /// `validator-N` or `follower-N`.
    pub name: String,
    /// `validator` or `follower`.
    pub role: String,
    /// Its configuration file (`supervm node --config`).
    pub config: PathBuf,
    /// JSON-RPC over HTTP.
    pub rpc: String,
    /// JSON-RPC over WebSocket.
    pub ws: String,
    /// gRPC explorer API (`host:port`).
    pub grpc: String,
    /// Prometheus metrics.
    pub metrics: String,
    /// Where it accepts other nodes.
    pub p2p: SocketAddr,
    /// Its ed25519 public key (p2p identity; the validator's voting key).
    pub public_key: B256,
    /// Where its blocks' tips go, and so the `miner` of the blocks it proposes: the last 20
    /// bytes of the keccak-256 of its public key, distinct per node.
    pub beneficiary: Address,
}

/// A node's beneficiary: derived from its public key so every proposer is recognisable in
/// block headers.
fn beneficiary(public_key: &B256) -> Address {
    Address::from_slice(&keccak256(public_key)[12..])
}

/// The four ports of node `index`: JSON-RPC, gRPC, metrics, p2p.
fn ports(base: u16, index: usize) -> Result<[u16; 4], TestnetError> {
    if base == 0 {
        let mut picked = [0; 4];
        for port in &mut picked {
            *port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .and_then(|listener| listener.local_addr())
                .map_err(io("picking a free port"))?
                .port();
        }
        return Ok(picked);
    }
    let first = usize::from(base) + index * 4;
    let port = |offset: usize| {
        u16::try_from(first + offset).map_err(|_| {
            TestnetError::Invalid("--base-port leaves no room for every node's ports".into())
        })
    };
    Ok([port(0)?, port(1)?, port(2)?, port(3)?])
}

/// Writes the testnet; returns its description (also in `DIR/testnet.json`).
pub fn init(params: &InitParams) -> Result<Testnet, TestnetError> {
    let max = supervm_primitives::validators::MAX_VALIDATORS;
    if !(1..=max).contains(&params.validators) {
        return Err(TestnetError::Invalid(format!(
            "--validators must be 1 to {max}"
        )));
    }
    if params.gas_limit < 21_000 {
        return Err(TestnetError::Invalid(format!(
            "--gas-limit {} is below the 21000 gas of a transfer",
            params.gas_limit
        )));
    }
    let manifest = params.dir.join("testnet.json");
    if manifest.exists() {
        return Err(TestnetError::Invalid(format!(
            "{} already holds a testnet; choose another --dir or delete it",
            params.dir.display()
        )));
    }
    std::fs::create_dir_all(&params.dir)
        .map_err(io(format!("creating {}", params.dir.display())))?;
    let dir = params
        .dir
        .canonicalize()
        .map_err(io(format!("resolving {}", params.dir.display())))?;

    struct Planned {
        name: String,
        mode: ConsensusMode,
        key_file: PathBuf,
        public_key: B256,
        ports: [u16; 4],
    }
    let mut planned = Vec::new();
    let roles = (0..params.validators)
        .map(|i| (format!("validator-{i}"), ConsensusMode::Validator))
        .chain((0..params.followers).map(|i| (format!("follower-{i}"), ConsensusMode::Follower)));
    for (index, (name, mode)) in roles.enumerate() {
        let node_dir = dir.join(&name);
        std::fs::create_dir_all(&node_dir)
            .map_err(io(format!("creating {}", node_dir.display())))?;
        let key_file = node_dir.join("node.key");
        let public =
            keys::generate(&key_file).map_err(|err| TestnetError::Invalid(err.to_string()))?;
        planned.push(Planned {
            name,
            mode,
            key_file,
            public_key: keys::public_key_bytes(&public),
            ports: ports(params.base_port, index)?,
        });
    }

    let defaults = NodeConfig::default();
    let accounts = derive_dev_accounts(&defaults.dev.mnemonic, defaults.dev.accounts)
        .map_err(TestnetError::Invalid)?;
    let mut spec = ChainSpec::dev(params.chain_id, accounts.iter().map(|a| a.address));
    spec.genesis.gas_limit = params.gas_limit;
    spec.supervm.consensus = Some(ConsensusGenesis {
        namespace: format!("supervm-testnet-{}", params.chain_id),
        validators: planned
            .iter()
            .filter(|p| p.mode == ConsensusMode::Validator)
            .map(|p| p.public_key)
            .collect(),
    });
    let genesis = dir.join("genesis.json");
    let json = spec
        .to_json()
        .map_err(|err| TestnetError::Invalid(format!("encoding the genesis: {err}")))?;
    std::fs::write(&genesis, json).map_err(io(format!("writing {}", genesis.display())))?;

    let localhost = std::net::IpAddr::V4(Ipv4Addr::LOCALHOST);
    let mut nodes = Vec::new();
    for node in &planned {
        let [rpc, grpc, metrics, p2p] = node.ports;
        let mut config = NodeConfig::default();
        config.chain.genesis = Some(genesis.clone());
        config.storage.data_dir = Some(dir.join(&node.name).join("data"));
        config.rpc.port = rpc;
        config.grpc.port = grpc;
        config.metrics.port = metrics;
        config.consensus.mode = node.mode;
        config.mining.beneficiary = beneficiary(&node.public_key);
        config.consensus.key_file = Some(node.key_file.clone());
        config.consensus.block_time_ms = params.block_time_ms;
        config.p2p.listen = SocketAddr::new(localhost, p2p);
        config.p2p.peers = planned
            .iter()
            .filter(|other| other.name != node.name)
            .map(|other| PeerConfig {
                public_key: other.public_key,
                address: SocketAddr::new(localhost, other.ports[3]),
            })
            .collect();
        let path = dir.join(&node.name).join("config.toml");
        let text = toml::to_string(&config)
            .map_err(|err| TestnetError::Invalid(format!("encoding {}: {err}", path.display())))?;
        std::fs::write(&path, text).map_err(io(format!("writing {}", path.display())))?;
        nodes.push(TestnetNode {
            name: node.name.clone(),
            role: crate::mode_name(node.mode).into(),
            config: path,
            rpc: format!("http://127.0.0.1:{rpc}"),
            ws: format!("ws://127.0.0.1:{rpc}"),
            grpc: format!("127.0.0.1:{grpc}"),
            metrics: format!("http://127.0.0.1:{metrics}/metrics"),
            p2p: SocketAddr::new(localhost, p2p),
            public_key: node.public_key,
            beneficiary: beneficiary(&node.public_key),
        });
    }
    let testnet = Testnet {
        chain_id: params.chain_id,
        genesis,
        nodes,
    };
    let json = serde_json::to_string_pretty(&testnet)
        .map_err(|err| TestnetError::Invalid(format!("encoding testnet.json: {err}")))?;
    std::fs::write(&manifest, json).map_err(io(format!("writing {}", manifest.display())))?;
    Ok(testnet)
}

/// Reads `DIR/testnet.json`.
pub fn load(dir: &Path) -> Result<Testnet, TestnetError> {
    let manifest = dir.join("testnet.json");
    let text = std::fs::read_to_string(&manifest).map_err(io(format!(
        "reading {} (create it with `supervm testnet init --dir {}`)",
        manifest.display(),
        dir.display()
    )))?;
    serde_json::from_str(&text)
        .map_err(|err| TestnetError::Invalid(format!("{}: {err}", manifest.display())))
}

/// Prints every line `child` writes, prefixed with its node's name.
fn forward_output(name: &str, child: &mut Child) {
    let stdout = child.stdout.take().map(BufReader::new);
    let stderr = child.stderr.take().map(BufReader::new);
    for reader in [
        stdout.map(|r| Box::new(r) as Box<dyn tokio::io::AsyncBufRead + Send + Unpin>),
        stderr.map(|r| Box::new(r) as Box<dyn tokio::io::AsyncBufRead + Send + Unpin>),
    ]
    .into_iter()
    .flatten()
    {
        let name = name.to_string();
        tokio::spawn(async move {
            let mut lines = reader.lines();
            while let Ok(Some(line)) = lines.next_line().await {
                println!("[{name}] {line}");
            }
        });
    }
}

/// Starts every node of the testnet in `dir` and stops them all when `stop` resolves;
/// a node that exits on its own is reported and the others keep running.
pub async fn run(
    dir: &Path,
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), TestnetError> {
    let testnet = load(dir)?;
    let exe = std::env::current_exe().map_err(io("finding the supervm executable"))?;
    let mut children = Vec::new();
    for node in &testnet.nodes {
        let mut child = Command::new(&exe)
            .arg("node")
            .arg("--config")
            .arg(&node.config)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(io(format!("starting {}", node.name)))?;
        forward_output(&node.name, &mut child);
        println!("[testnet] {} ({}) RPC {}", node.name, node.role, node.rpc);
        children.push((node.name.clone(), child));
    }
    tokio::pin!(stop);
    let mut running = children.len();
    let mut exited = vec![false; children.len()];
    while running > 0 {
        tokio::select! {
            () = &mut stop => break,
            () = tokio::time::sleep(Duration::from_millis(500)) => {
                for (index, (name, child)) in children.iter_mut().enumerate() {
                    if exited[index] {
                        continue;
                    }
                    if let Ok(Some(status)) = child.try_wait() {
                        println!("[testnet] {name} exited: {status}");
                        exited[index] = true;
                        running -= 1;
                    }
                }
            }
        }
    }
    println!("[testnet] stopping");
    for (name, child) in &mut children {
        terminate(name, child).await;
    }
    Ok(())
}

/// SIGTERM, then SIGKILL if the node has not exited after 20 seconds.
async fn terminate(name: &str, child: &mut Child) {
    if let Some(pid) = child
        .id()
        .and_then(|id| rustix::process::Pid::from_raw(id as i32))
    {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
    }
    if tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .is_err()
    {
        println!("[testnet] {name} did not stop in 20 s; killing it");
        let _ = child.kill().await;
    }
}
