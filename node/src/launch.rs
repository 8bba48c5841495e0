//! Starting and stopping every service of a node.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use parking_lot::RwLock;
use prometheus_client::registry::Registry;
use supervm_consensus::{
    bft::network::{self as bft_network, NetworkHandle},
    DevSealer, MiningMode, SystemClock,
};
use supervm_primitives::{ChainSpec, ChainSpecError};
use supervm_rpc::{RpcContext, RpcMetrics, RpcServer, RpcServerConfig};
use supervm_storage::{StorageError, Store};
use supervm_txpool::{Journal, PoolEnv, TxPool};
use supervm_vm::{StateError, StoreState};
use tokio::{
    sync::{broadcast, watch},
    task::JoinHandle,
};

use crate::{
    chain::Chain,
    config::{ConsensusMode, NodeConfig},
    dev_accounts::{derive_dev_accounts, DevAccount},
    metrics::{self, NodeMetrics},
};

/// Committed blocks the new-block channel holds for subscribers (WebSocket subscriptions,
/// gRPC streams). The channel keeps its last values alive whether or not anyone still needs
/// them, so this bounds that memory (up to a few hundred KiB per full block). A subscriber more
/// than this many blocks behind is told so: a WebSocket subscription is closed, a gRPC stream
/// catches up from storage.
const NEW_BLOCK_EVENTS: usize = 128;

/// Submitted transactions queued for gossip; a burst larger than this is sent only to the
/// pool of the node that received it (it still reaches a block when that node leads).
const GOSSIP_QUEUE: usize = 16_384;

/// Why the node could not start.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The genesis file is invalid.
    #[error(transparent)]
    ChainSpec(#[from] ChainSpecError),
    /// The store could not be opened or initialised.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The data directory could not be created.
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// A server could not bind its address.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The error.
        source: std::io::Error,
    },
    /// The genesis tokens are invalid.
    #[error(transparent)]
    Genesis(#[from] supervm_vm::GenesisError),
    /// The head state could not be read.
    #[error(transparent)]
    State(#[from] StateError),
    /// A configuration value is out of range.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The dev accounts could not be derived.
    #[error("{0}")]
    DevAccounts(String),
    /// The consensus engine or p2p network could not start.
    #[error("consensus: {0}")]
    Consensus(#[from] supervm_consensus::bft::engine::EngineError),
}

/// A running node.
pub struct Node {
    chain: Arc<Chain>,
    store: Store,
    rpc: RpcServer,
    grpc_addr: Option<SocketAddr>,
    metrics_addr: Option<SocketAddr>,
    data_dir: PathBuf,
    spec: Arc<ChainSpec>,
    dev_accounts: Vec<DevAccount>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    network: Option<NetworkHandle>,
    _temp_dir: Option<tempfile::TempDir>,
}

impl Node {
    /// Opens the store, initialises genesis if needed and starts every service.
    pub async fn launch(config: NodeConfig) -> Result<Self, NodeError> {
        let dev_accounts = derive_dev_accounts(&config.dev.mnemonic, config.dev.accounts)
            .map_err(NodeError::DevAccounts)?;
        let spec = Arc::new(match &config.chain.genesis {
            Some(path) => ChainSpec::load(path)?,
            None => ChainSpec::dev(
                config.chain.chain_id,
                dev_accounts.iter().map(|a| a.address),
            ),
        });
        config.storage.validate().map_err(NodeError::Config)?;
        let (data_dir, temp_dir) = resolve_data_dir(&config, spec.chain_id())?;
        let store =
            Store::open_with_cache(&data_dir.join("chain.redb"), config.storage.cache_bytes())?;
        let store_handle = store.clone();
        let genesis_state = supervm_vm::genesis_state(&spec)?;
        let genesis = store.init_genesis(&spec, &genesis_state)?;
        tracing::info!(chain_id = spec.chain_id(), genesis = %genesis.hash, data_dir = %data_dir.display(), "store opened");

        let (events, _) = broadcast::channel(NEW_BLOCK_EVENTS);
        let mut registry = Registry::default();
        let node_metrics = Arc::new(NodeMetrics::register(&mut registry));
        node_metrics.set_head(store.reader()?.head_number());
        let rpc_metrics = RpcMetrics::register(&mut registry);
        config.mining.validate().map_err(NodeError::Config)?;
        config.rpc.validate().map_err(NodeError::Config)?;
        let policy = Arc::new(RwLock::new(config.mining.policy()));
        let executor = config.execution.executor();
        let contracts = Arc::new(
            config
                .execution
                .contracts(&data_dir.join("contracts"))
                .map_err(NodeError::Config)?,
        );
        let pool = Arc::new(open_pool(
            &config,
            &spec,
            &store,
            &data_dir,
            executor.threads(),
        )?);
        let chain = Arc::new(Chain {
            spec: spec.clone(),
            store: store.clone(),
            pool: pool.clone(),
            beneficiary: config.mining.beneficiary,
            events: events.clone(),
            metrics: node_metrics.clone(),
            policy: policy.clone(),
            executor,
            contracts: contracts.clone(),
            pending: Default::default(),
            genesis: genesis.clone(),
            proposal_size: match config.consensus.mode {
                ConsensusMode::Dev => crate::proposal_size::ProposalSize::unlimited(),
                _ => crate::proposal_size::ProposalSize::within(Duration::from_millis(
                    config.consensus.max_build_ms,
                )),
            },
        });
        let (shutdown, shutdown_rx) = watch::channel(false);
        let (submitted, _) = broadcast::channel(GOSSIP_QUEUE);
        let mut tasks = Vec::new();
        let (sealer, network, status) = if config.consensus.mode == ConsensusMode::Dev {
            let mode = match (config.mining.manual, config.mining.block_time) {
                (true, _) => MiningMode::Manual,
                (false, Some(secs)) => MiningMode::Interval(Duration::from_secs(secs.max(1))),
                (false, None) => MiningMode::Automine,
            };
            let (sealer, sealer_handle) =
                DevSealer::new(chain.clone(), pool.clone(), SystemClock, mode);
            tasks.push(tokio::spawn(sealer.run(shutdown_rx.clone())));
            (Some(sealer_handle), None, None)
        } else {
            let network_config = crate::network::network_config(
                &config,
                &spec,
                &data_dir,
                chain.executor.threads(),
                chain.clone(),
            )?;
            tracing::info!(
                mode = crate::network::mode_name(config.consensus.mode),
                listen = %network_config.listen,
                peers = network_config.peers.len(),
                validators = network_config.engine.validators.len(),
                "starting consensus"
            );
            let status = network_config.engine.status.clone();
            status.committed(store.reader()?.head_number());
            let handle = bft_network::spawn(network_config, chain.clone(), submitted.subscribe())?;
            (None, Some(handle), Some(status))
        };

        let rpc_addr = SocketAddr::new(config.rpc.addr, config.rpc.port);
        let context = RpcContext {
            spec: spec.clone(),
            store,
            pool: pool.clone(),
            sealer,
            consensus_mode: crate::network::mode_name(config.consensus.mode),
            consensus: status,
            submitted,
            signers: dev_accounts.iter().map(|a| a.signer.clone()).collect(),
            events,
            beneficiary: config.mining.beneficiary,
            client_version: format!("supervm/v{}", env!("CARGO_PKG_VERSION")),
            policy,
            contracts: contracts.clone(),
            calls: supervm_rpc::CallGate::new(config.rpc.call_limits()),
        };
        let rpc_config = RpcServerConfig {
            addr: rpc_addr,
            cors: config.rpc.cors.clone(),
            max_request_body_bytes: config.rpc.max_request_body_bytes,
            max_response_body_bytes: config.rpc.max_response_body_bytes,
            max_connections: config.rpc.max_connections,
            max_ws_connections: config.rpc.max_ws_connections,
            max_connections_per_ip: config.rpc.max_connections_per_ip,
            ws_idle_timeout: (config.rpc.ws_idle_timeout_secs > 0)
                .then(|| std::time::Duration::from_secs(config.rpc.ws_idle_timeout_secs)),
            max_batch_size: config.rpc.max_batch_size,
            max_subscriptions_per_connection: config.rpc.max_subscriptions_per_connection,
            ws_message_buffer: config.rpc.ws_message_buffer,
            logs: supervm_rpc::LogLimits {
                max_block_range: config.rpc.max_log_block_range,
                max_logs: config.rpc.max_logs_per_query,
                max_log_bytes: config.rpc.max_log_bytes_per_query,
                max_filters: config.rpc.max_filters,
                filter_timeout: std::time::Duration::from_secs(config.rpc.filter_timeout_secs),
            },
            admin: config.rpc.allow_remote_admin || config.rpc.addr.is_loopback(),
        };
        let context = Arc::new(context);
        let rpc = supervm_rpc::start(context.clone(), rpc_config, rpc_metrics)
            .await
            .map_err(|source| NodeError::Bind {
                addr: rpc_addr,
                source,
            })?;

        let grpc_addr = if config.grpc.enabled {
            let addr = SocketAddr::new(config.grpc.addr, config.grpc.port);
            let limits = supervm_rpc::grpc::GrpcLimits {
                max_block_streams: config.grpc.max_block_streams,
                max_concurrent_streams_per_connection: config
                    .grpc
                    .max_concurrent_streams_per_connection,
                max_concurrent_requests_per_connection: config
                    .grpc
                    .max_concurrent_streams_per_connection
                    as usize,
            };
            let (bound, task) =
                supervm_rpc::grpc::serve(context, addr, limits, shutdown_rx.clone())
                    .await
                    .map_err(|source| NodeError::Bind { addr, source })?;
            tasks.push(task);
            Some(bound)
        } else {
            None
        };

        let metrics_addr = if config.metrics.enabled {
            let addr = SocketAddr::new(config.metrics.addr, config.metrics.port);
            let sampled = metrics::Sampled {
                pool,
                contracts,
                consensus: network.as_ref().map(NetworkHandle::metrics),
            };
            let (bound, task) = metrics::serve(addr, registry, node_metrics, sampled, shutdown_rx)
                .await
                .map_err(|source| NodeError::Bind { addr, source })?;
            tasks.push(task);
            Some(bound)
        } else {
            None
        };
        Ok(Self {
            chain,
            store: store_handle,
            rpc,
            grpc_addr,
            metrics_addr,
            data_dir,
            spec,
            dev_accounts,
            shutdown,
            tasks,
            network,
            _temp_dir: temp_dir,
        })
    }

    /// The chain: block building, validation and finalization.
    pub fn chain(&self) -> &Arc<Chain> {
        &self.chain
    }

    /// Where the JSON-RPC server (HTTP and WebSocket) listens.
    pub fn rpc_addr(&self) -> SocketAddr {
        self.rpc.addr()
    }

    /// Where the gRPC explorer API listens, if enabled.
    pub fn grpc_addr(&self) -> Option<SocketAddr> {
        self.grpc_addr
    }

    /// Where `/metrics` is served, if enabled.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// The chain store (for in-process readers such as benchmarks).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The data directory in use.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The chain specification in use.
    pub fn chain_spec(&self) -> &ChainSpec {
        &self.spec
    }

    /// The development accounts (funded in the dev genesis, unlocked for
    /// `eth_sendTransaction`).
    pub fn dev_accounts(&self) -> &[DevAccount] {
        &self.dev_accounts
    }

    /// Resolves when the consensus engine stopped by itself (a fatal error: the node should
    /// exit); never in dev mode.
    pub async fn consensus_failed(&self) {
        match &self.network {
            Some(network) => {
                while !network.is_finished() {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
            None => std::future::pending().await,
        }
    }

    /// Stops every service and waits for them; the store is closed when this returns.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        self.rpc.stop().await;
        if let Some(network) = self.network {
            match tokio::task::spawn_blocking(move || network.stop()).await {
                Ok(Ok(())) => {}
                Ok(Err(err)) => tracing::error!(%err, "the consensus engine stopped with an error"),
                Err(err) => tracing::error!(%err, "cannot stop the consensus engine"),
            }
        }
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// The transaction pool, set to the block after the stored head, with the transactions
/// journaled by the previous run re-admitted.
fn open_pool(
    config: &NodeConfig,
    spec: &ChainSpec,
    store: &Store,
    data_dir: &Path,
    threads: usize,
) -> Result<TxPool, NodeError> {
    let reader = store.reader()?;
    let env = PoolEnv::next_block(spec, &reader)?;
    let journal = Journal::new(&data_dir.join("transactions.rlp"));
    let pool = TxPool::new(config.pool.clone(), env, Some(journal));
    let state = StoreState::new(&reader, reader.head_number());
    match pool.restore_journal(&state, threads) {
        Ok(restored) if restored.journaled > 0 => tracing::info!(
            restored = restored.admitted,
            journaled = restored.journaled,
            "transaction journal loaded"
        ),
        Ok(_) => {}
        Err(err) => {
            tracing::error!(%err, "cannot read the transaction journal; starting with an empty pool")
        }
    }
    Ok(pool)
}

fn resolve_data_dir(
    config: &NodeConfig,
    chain_id: u64,
) -> Result<(PathBuf, Option<tempfile::TempDir>), NodeError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| NodeError::DataDir { path, source }
    };
    if config.storage.ephemeral {
        let dir = tempfile::Builder::new()
            .prefix("supervm-")
            .tempdir()
            .map_err(io(Path::new("temp dir")))?;
        return Ok((dir.path().to_path_buf(), Some(dir)));
    }
    let dir = match &config.storage.data_dir {
        Some(dir) => dir.clone(),
        None => dirs::data_dir()
            .unwrap_or_else(std::env::temp_dir)
            .join("supervm")
            .join(chain_id.to_string()),
    };
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    Ok((dir, None))
}
