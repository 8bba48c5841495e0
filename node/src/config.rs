//! The node's configuration: one typed struct with defaults, loaded from TOML and overridden by
//! CLI flags. `docs/configuration.md` documents every field; a test keeps the two in step.

use std::{
    collections::BTreeMap,
    net::{IpAddr, Ipv4Addr},
    path::{Path, PathBuf},
};

use alloy_primitives::Address;
use serde::{Deserialize, Serialize};
use supervm_primitives::FeeToken;

/// The mnemonic anvil and hardhat use for their development accounts. Public: never hold
/// real value in these accounts.
pub const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";

/// Complete node configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct NodeConfig {
    /// Which chain to run.
    pub chain: ChainConfig,
    /// Where data lives.
    pub storage: StorageConfig,
    /// The JSON-RPC server.
    pub rpc: RpcConfig,
    /// The gRPC explorer API.
    pub grpc: GrpcConfig,
    /// The Prometheus metrics endpoint.
    pub metrics: MetricsConfig,
    /// Block production and the miner's fee-token policy (`[miner]` in TOML).
    #[serde(rename = "miner")]
    pub mining: MiningConfig,
    /// Transaction pool limits.
    pub pool: supervm_txpool::PoolConfig,
    /// Block execution.
    pub execution: ExecutionConfig,
    /// Development accounts.
    pub dev: DevConfig,
    /// Who produces blocks: the dev sealer, or this node as a validator or follower of a
    /// BFT network.
    pub consensus: ConsensusConfig,
    /// The peer-to-peer network of validators and followers.
    pub p2p: P2pConfig,
}

/// How this node takes part in block production.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConsensusMode {
    /// One node seals every block itself (`supervm dev`).
    #[default]
    Dev,
    /// Proposes, votes on and finalizes blocks with the genesis validator set.
    Validator,
    /// Verifies the validators' certificates and executes finalized blocks, without voting.
    Follower,
}

/// `[consensus]`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsensusConfig {
    /// `dev`, `validator` or `follower`.
    pub mode: ConsensusMode,
    /// This node's ed25519 key file (`supervm key generate`); required outside dev mode.
    pub key_file: Option<PathBuf>,
    /// Target time between blocks, milliseconds.
    pub block_time_ms: u64,
    /// How long a view waits for its leader's proposal, milliseconds.
    pub leader_timeout_ms: u64,
    /// How long a view waits for a notarization once the proposal is in, milliseconds.
    pub certification_timeout_ms: u64,
    /// How often a timed-out view's vote to skip it is sent again, milliseconds.
    pub timeout_retry_ms: u64,
    /// After how long without progress an inactive leader's views are skipped at once,
    /// milliseconds.
    pub skip_timeout_ms: u64,
    /// How long a request for a missing block or certificate waits for one peer,
    /// milliseconds.
    pub fetch_timeout_ms: u64,
    /// Threads of the consensus runtime (network, votes, storage of the engine).
    pub threads: usize,
    /// Execution time a proposal may take, milliseconds: the proposer holds as many
    /// transactions as it executes in that time at its measured rate.
    pub max_build_ms: u64,
}

impl Default for ConsensusConfig {
    fn default() -> Self {
        Self {
            mode: ConsensusMode::Dev,
            key_file: None,
            block_time_ms: 1000,
            leader_timeout_ms: 2000,
            certification_timeout_ms: 3000,
            timeout_retry_ms: 5000,
            skip_timeout_ms: 10_000,
            fetch_timeout_ms: 2000,
            threads: 2,
            max_build_ms: 500,
        }
    }
}

impl ConsensusConfig {
    /// Checks what the engine cannot run with, naming the field.
    pub fn validate(&self) -> Result<(), String> {
        if self.mode != ConsensusMode::Dev && self.key_file.is_none() {
            return Err(
                "[consensus] key_file is required for a validator or follower: create one with \
                 `supervm key generate --out FILE`"
                    .into(),
            );
        }
        if self.block_time_ms == 0 || self.leader_timeout_ms == 0 || self.timeout_retry_ms == 0 {
            return Err(
                "[consensus] block_time_ms, leader_timeout_ms and timeout_retry_ms must be positive"
                    .into(),
            );
        }
        if self.certification_timeout_ms <= self.leader_timeout_ms {
            return Err(format!(
                "[consensus] certification_timeout_ms ({}) must be above leader_timeout_ms ({})",
                self.certification_timeout_ms, self.leader_timeout_ms
            ));
        }
        if self.skip_timeout_ms <= self.certification_timeout_ms
            || self.skip_timeout_ms <= self.timeout_retry_ms
        {
            return Err(format!(
                "[consensus] skip_timeout_ms ({}) must be above certification_timeout_ms ({}) and \
                 timeout_retry_ms ({})",
                self.skip_timeout_ms, self.certification_timeout_ms, self.timeout_retry_ms
            ));
        }
        if self.fetch_timeout_ms == 0 || self.threads == 0 || self.max_build_ms == 0 {
            return Err(
                "[consensus] fetch_timeout_ms, threads and max_build_ms must be positive".into(),
            );
        }
        if self.max_build_ms >= self.leader_timeout_ms {
            return Err(format!(
                "[consensus] max_build_ms ({}) must be below leader_timeout_ms ({}): a proposal \
                 built slower than the other validators wait for it is never voted on",
                self.max_build_ms, self.leader_timeout_ms
            ));
        }
        Ok(())
    }
}

/// `[p2p]`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct P2pConfig {
    /// Where this node accepts connections from other nodes.
    pub listen: std::net::SocketAddr,
    /// Every other validator and follower: its public key and address.
    pub peers: Vec<PeerConfig>,
}

impl Default for P2pConfig {
    fn default() -> Self {
        Self {
            listen: std::net::SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 30303),
            peers: Vec::new(),
        }
    }
}

/// One entry of `[p2p] peers`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerConfig {
    /// The peer's ed25519 public key (32 bytes, hex).
    pub public_key: alloy_primitives::B256,
    /// Where it listens (`IP:PORT`).
    pub address: std::net::SocketAddr,
}

/// `[chain]`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChainConfig {
    /// A geth-format genesis JSON file; absent = the built-in development genesis.
    pub genesis: Option<PathBuf>,
    /// Chain id of the built-in development genesis (ignored with `genesis`).
    pub chain_id: u64,
}

impl Default for ChainConfig {
    fn default() -> Self {
        Self {
            genesis: None,
            chain_id: supervm_primitives::chain_spec::DEV_CHAIN_ID,
        }
    }
}

/// `[storage]`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// Directory of the database; absent = `<user data dir>/supervm/<chain id>`.
    pub data_dir: Option<PathBuf>,
    /// Use a fresh temporary directory, deleted when the node exits.
    pub ephemeral: bool,
    /// The database's page cache, MiB: the bound on the memory the store takes.
    pub cache_mib: u32,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            data_dir: None,
            ephemeral: false,
            cache_mib: (supervm_storage::DEFAULT_CACHE_BYTES / (1024 * 1024)) as u32,
        }
    }
}

impl StorageConfig {
    /// Checks the values the store cannot run with.
    pub fn validate(&self) -> Result<(), String> {
        if self.cache_mib == 0 {
            return Err("[storage] cache_mib is 0: it must be at least 1".into());
        }
        Ok(())
    }

    /// The page cache in bytes.
    pub fn cache_bytes(&self) -> usize {
        (self.cache_mib as usize).saturating_mul(1024 * 1024)
    }
}

/// `[rpc]`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RpcConfig {
    /// Listen address for HTTP and WebSocket.
    pub addr: IpAddr,
    /// Port (0 = any free port).
    pub port: u16,
    /// Allowed CORS origins; `["*"]` allows any.
    pub cors: Vec<String>,
    /// Largest accepted request body, in bytes.
    pub max_request_body_bytes: u32,
    /// Largest response, in bytes.
    pub max_response_body_bytes: u32,
    /// Most HTTP requests being served plus WebSocket connections open at once.
    pub max_connections: u32,
    /// Most WebSocket connections open at once; below `max_connections`, so WebSocket clients
    /// can never take the slots HTTP clients need.
    pub max_ws_connections: u32,
    /// Most connections (HTTP and WebSocket) open at once from one IP address; 0 = no cap.
    /// Loopback clients are counted too.
    pub max_connections_per_ip: u32,
    /// Seconds after which a WebSocket connection with no subscription and no request is
    /// closed; 0 = never.
    pub ws_idle_timeout_secs: u64,
    /// Maximum requests in one batch.
    pub max_batch_size: u32,
    /// Most `eth_subscribe` subscriptions one WebSocket connection may hold.
    pub max_subscriptions_per_connection: u32,
    /// Most notifications queued for a WebSocket connection that does not read them.
    pub ws_message_buffer: u32,
    /// Most polling filters (`eth_newFilter`, `eth_newBlockFilter`) installed at once.
    pub max_filters: usize,
    /// Most blocks one `eth_getLogs` (or log filter poll) may scan.
    pub max_log_block_range: u64,
    /// Most logs one `eth_getLogs` answer may hold.
    pub max_logs_per_query: usize,
    /// Most bytes of log data one `eth_getLogs` answer may hold.
    pub max_log_bytes_per_query: usize,
    /// Seconds after which a polling filter nobody polls is removed.
    pub filter_timeout_secs: u64,
    /// Most gas one `eth_call` or `eth_estimateGas` execution may use (geth's `--rpc.gascap`).
    pub gas_cap: u64,
    /// Milliseconds an `eth_call` or `eth_estimateGas` may take before the client gets
    /// `execution aborted` (geth's `--rpc.evmtimeout`).
    pub call_timeout_ms: u64,
    /// Most `eth_call`/`eth_estimateGas` executions at once; 0 = one per available core.
    pub max_concurrent_calls: usize,
    /// Serve the admin namespaces (`miner_*`, `evm_*`) even on a non-loopback address.
    pub allow_remote_admin: bool,
}

impl Default for RpcConfig {
    fn default() -> Self {
        Self {
            addr: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 8545,
            cors: vec!["*".into()],
            max_request_body_bytes: 10 * 1024 * 1024,
            max_response_body_bytes: 100 * 1024 * 1024,
            max_connections: 500,
            max_ws_connections: 100,
            max_connections_per_ip: 64,
            ws_idle_timeout_secs: 300,
            max_batch_size: 1000,
            max_subscriptions_per_connection: 64,
            ws_message_buffer: 64,
            max_filters: 1000,
            max_log_block_range: 100_000,
            max_logs_per_query: 10_000,
            max_log_bytes_per_query: 16 * 1024 * 1024,
            filter_timeout_secs: 300,
            gas_cap: 50_000_000,
            call_timeout_ms: 5_000,
            max_concurrent_calls: 0,
            allow_remote_admin: false,
        }
    }
}

impl RpcConfig {
    /// Checks the values the server cannot run with.
    pub fn validate(&self) -> Result<(), String> {
        if self.max_ws_connections >= self.max_connections {
            return Err(format!(
                "[rpc] max_ws_connections ({}) must be below max_connections ({}): WebSocket \
                 connections must not be able to take every slot HTTP requests need",
                self.max_ws_connections, self.max_connections
            ));
        }
        if self.ws_message_buffer == 0 {
            return Err("[rpc] ws_message_buffer is 0: it must be at least 1".into());
        }
        if self.filter_timeout_secs == 0 {
            return Err("[rpc] filter_timeout_secs is 0: it must be at least 1".into());
        }
        if self.max_log_block_range == 0 {
            return Err("[rpc] max_log_block_range is 0: it must be at least 1".into());
        }
        if self.gas_cap < 21_000 {
            return Err(format!(
                "[rpc] gas_cap is {}: it must be at least 21000, the gas of a transfer",
                self.gas_cap
            ));
        }
        if self.call_timeout_ms == 0 {
            return Err("[rpc] call_timeout_ms is 0: it must be at least 1".into());
        }
        Ok(())
    }

    /// The bounds on `eth_call` and `eth_estimateGas` this configuration asks for.
    pub fn call_limits(&self) -> supervm_rpc::CallLimits {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        supervm_rpc::CallLimits {
            gas_cap: self.gas_cap,
            timeout: std::time::Duration::from_millis(self.call_timeout_ms),
            max_concurrent: match self.max_concurrent_calls {
                0 => cores,
                n => n,
            },
        }
    }
}

/// `[grpc]`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GrpcConfig {
    /// Serve the gRPC explorer API.
    pub enabled: bool,
    /// Listen address.
    pub addr: IpAddr,
    /// Port (0 = any free port).
    pub port: u16,
    /// Most `StreamBlocks` streams open at once, all clients together.
    pub max_block_streams: usize,
    /// Most calls in flight (HTTP/2 streams) on one connection.
    pub max_concurrent_streams_per_connection: u32,
}

impl Default for GrpcConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            addr: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 50051,
            max_block_streams: 32,
            max_concurrent_streams_per_connection: 64,
        }
    }
}

/// `[metrics]`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Serve `/metrics`.
    pub enabled: bool,
    /// Listen address.
    pub addr: IpAddr,
    /// Port (0 = any free port).
    pub port: u16,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            addr: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 9001,
        }
    }
}

/// `[miner]`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct MiningConfig {
    /// Seconds between blocks; absent = automine (a block as soon as transactions are pending).
    pub block_time: Option<u64>,
    /// Mine only on `evm_mine`.
    pub manual: bool,
    /// Receives transaction tips.
    pub beneficiary: Address,
    /// Fee tokens this node's blocks accept (zero address = native); absent = all.
    pub accepted_tokens: Option<Vec<Address>>,
    /// Minimum tip per gas in wei (native units), per fee token (zero address = native).
    pub min_tips: BTreeMap<Address, u64>,
    /// Largest share of a block's gas, in basis points, per fee token.
    pub share_caps_bps: BTreeMap<Address, u64>,
}

impl MiningConfig {
    /// Checks the policy values.
    pub fn validate(&self) -> Result<(), String> {
        for (token, bps) in &self.share_caps_bps {
            if *bps == 0 || *bps > 10_000 {
                return Err(format!(
                    "[miner] share_caps_bps for {token} is {bps}: it must be between 1 and 10000"
                ));
            }
        }
        Ok(())
    }

    /// The miner policy this configuration starts with (changeable at runtime by `miner_*`).
    pub fn policy(&self) -> supervm_txpool::MinerPolicy {
        supervm_txpool::MinerPolicy {
            accepted: match &self.accepted_tokens {
                None => supervm_txpool::AcceptedTokens::All,
                Some(list) => supervm_txpool::AcceptedTokens::Only(
                    list.iter().copied().map(FeeToken::from_address).collect(),
                ),
            },
            min_tips: self
                .min_tips
                .iter()
                .map(|(t, v)| (FeeToken::from_address(*t), u128::from(*v)))
                .collect(),
            share_caps_bps: self
                .share_caps_bps
                .iter()
                .map(|(t, v)| (FeeToken::from_address(*t), *v))
                .collect(),
        }
    }
}

/// `[execution]`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExecutionConfig {
    /// Threads that execute a block's transactions (Block-STM) and recover senders in
    /// batches; 0 = one per available core.
    pub threads: usize,
    /// Compiled contract modules kept in memory, least recently used dropped first; shared
    /// by block building and `eth_call`. At least 1.
    pub contract_cache_modules: usize,
}

impl Default for ExecutionConfig {
    fn default() -> Self {
        Self {
            threads: 0,
            contract_cache_modules: supervm_vm::wasm::DEFAULT_CACHE_MODULES,
        }
    }
}

impl ExecutionConfig {
    /// The contract runtime (engine and module cache) this configuration asks for, keeping
    /// compiled modules in the directory `artifacts` so a restart does not compile them again.
    pub fn contracts(
        &self,
        artifacts: &std::path::Path,
    ) -> Result<supervm_vm::ContractRuntime, String> {
        let modules = std::num::NonZeroUsize::new(self.contract_cache_modules)
            .ok_or("execution.contract_cache_modules must be at least 1")?;
        supervm_vm::ContractRuntime::with_artifacts(modules, artifacts)
            .map_err(|err| err.to_string())
    }

    /// The executor this configuration asks for.
    pub fn executor(&self) -> supervm_vm::BlockExecutor {
        match std::num::NonZeroUsize::new(self.threads) {
            Some(threads) => supervm_vm::BlockExecutor::new(threads),
            None => supervm_vm::BlockExecutor::default(),
        }
    }
}

/// `[dev]`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DevConfig {
    /// Number of accounts derived from the mnemonic, funded in the dev genesis, and unlocked
    /// for `eth_sendTransaction`.
    pub accounts: u32,
    /// BIP-39 mnemonic of the dev accounts (path m/44'/60'/0'/0/i).
    pub mnemonic: String,
}

impl Default for DevConfig {
    fn default() -> Self {
        Self {
            accounts: 10,
            mnemonic: DEV_MNEMONIC.into(),
        }
    }
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The TOML is malformed or has unknown or mistyped fields.
    #[error("invalid config file {path}: {message}")]
    Toml {
        /// The file.
        path: String,
        /// What is wrong, with line and column.
        message: String,
    },
}

impl NodeConfig {
    /// Loads a TOML file; missing fields take their defaults, unknown fields are errors.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_toml(&text).map_err(|message| ConfigError::Toml {
            path: path.display().to_string(),
            message,
        })
    }

    /// Parses TOML text.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|err| err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip_through_toml() {
        let text = toml::to_string(&NodeConfig::default()).unwrap();
        assert_eq!(NodeConfig::from_toml(&text).unwrap(), NodeConfig::default());
    }

    #[test]
    fn unknown_and_mistyped_fields_are_named() {
        let err = NodeConfig::from_toml("[rpc]\nprot = 1\n").unwrap_err();
        assert!(err.contains("prot"), "{err}");
        let err = NodeConfig::from_toml("[rpc]\nport = \"x\"\n").unwrap_err();
        assert!(err.contains("port"), "{err}");
    }

    #[test]
    fn websocket_connections_must_leave_room_for_http() {
        assert_eq!(RpcConfig::default().validate(), Ok(()));
        let config = RpcConfig {
            max_connections: 100,
            max_ws_connections: 100,
            ..RpcConfig::default()
        };
        let err = config.validate().unwrap_err();
        assert!(
            err.contains("max_ws_connections (100) must be below max_connections (100)"),
            "{err}"
        );
    }

    #[test]
    fn consensus_settings_the_engine_cannot_run_with_are_named() {
        assert_eq!(ConsensusConfig::default().validate(), Ok(()));
        let config = NodeConfig::from_toml("[consensus]\nmode = \"validator\"\n").unwrap();
        let err = config.consensus.validate().unwrap_err();
        assert!(err.contains("key_file is required"), "{err}");
        let config = ConsensusConfig {
            certification_timeout_ms: 2000,
            ..ConsensusConfig::default()
        };
        let err = config.validate().unwrap_err();
        assert!(
            err.contains("certification_timeout_ms (2000) must be above"),
            "{err}"
        );
        let config = ConsensusConfig {
            skip_timeout_ms: 3000,
            ..ConsensusConfig::default()
        };
        assert!(config.validate().unwrap_err().contains("skip_timeout_ms"));
        let err = NodeConfig::from_toml("[consensus]\nmode = \"miner\"\n").unwrap_err();
        assert!(err.contains("miner"), "{err}");
        let err = NodeConfig::from_toml(
            "[p2p]\npeers = [{ public_key = \"0x12\", address = \"1.2.3.4:5\" }]\n",
        )
        .unwrap_err();
        assert!(err.contains("public_key") || err.contains("0x12"), "{err}");
    }

    /// Every config field is documented in docs/configuration.md.
    #[test]
    fn every_field_is_documented() {
        let doc = include_str!("../../docs/configuration.md");
        let value = toml::Value::try_from(NodeConfig::default()).unwrap();
        let mut missing = Vec::new();
        if let toml::Value::Table(sections) = value {
            for (section, fields) in sections {
                assert!(
                    doc.contains(&format!("[{section}]")),
                    "section [{section}] undocumented"
                );
                if let toml::Value::Table(fields) = fields {
                    for field in fields.keys() {
                        if !doc.contains(&format!("`{field}`")) {
                            missing.push(format!("{section}.{field}"));
                        }
                    }
                }
            }
        }
        for optional in [
            "chain.genesis",
            "storage.data_dir",
            "miner.block_time",
            "miner.accepted_tokens",
            "consensus.key_file",
        ] {
            let field = optional.split('.').nth(1).unwrap_or_default();
            if !doc.contains(&format!("`{field}`")) {
                missing.push(optional.to_string());
            }
        }
        assert!(
            missing.is_empty(),
            "undocumented config fields: {missing:?}"
        );
    }
}
