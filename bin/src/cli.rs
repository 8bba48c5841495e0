//! Command-line parsing: flags override the TOML configuration, which overrides defaults.

use std::{net::IpAddr, num::NonZeroUsize, path::PathBuf};

use alloy_primitives::Address;
use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use supervm_node::{
    exec_bench::{self, ExecBenchParams, Workload},
    rpc_bench::{self, PhaseReport, RpcBenchParams},
    soak::SoakParams,
    Node, NodeConfig,
};

use crate::soak::{self, SoakArgs};
use supervm_node::testnet;
use supervm_oracle_feeder::{load_signer, process_env, Feeder, FeederConfig, SystemClock};

/// SuperVM: an Ethereum-compatible node where gas can be paid in any registered token.
#[derive(Debug, Parser)]
#[command(name = "supervm", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a single-node development chain with funded, unlocked accounts.
    Dev(DevArgs),
    /// Run a node from a configuration file.
    Node(NodeArgs),
    /// Report fee-token prices to the oracle contract from HTTP price APIs (see docs/oracle.md).
    ///
    /// The reporter key comes from the keystore or environment variable named in the
    /// configuration's [key] section, never from the command line.
    OracleFeeder(FeederArgs),
    /// Measure the node's performance (see docs/benchmarks.md).
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Manage a node's ed25519 key (validator vote and p2p identity; see docs/network.md).
    #[command(subcommand)]
    Key(KeyCommand),
    /// A local network of validators and followers on 127.0.0.1 (see docs/network.md).
    #[command(subcommand)]
    Testnet(TestnetCommand),
}

#[derive(Debug, Subcommand)]
enum KeyCommand {
    /// Create a key file (mode 0600, never overwritten) and print its public key.
    Generate {
        /// The key file to create.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum TestnetCommand {
    /// Write keys, a genesis with the validator set, one configuration per node and
    /// DIR/testnet.json.
    Init(TestnetInitArgs),
    /// Start every node of DIR with prefixed logs; Ctrl-C stops them all.
    Run {
        /// The directory `testnet init` wrote.
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
    },
}

#[derive(Debug, Args)]
struct TestnetInitArgs {
    /// Validators (voting nodes).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=100))]
    validators: u64,
    /// Followers (nodes that verify and execute finalized blocks without voting).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=100))]
    followers: u64,
    /// Directory to create the testnet in.
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    /// First port: node N uses BASE+4N (JSON-RPC), +1 (gRPC), +2 (metrics), +3 (p2p);
    /// 0 picks free ports.
    #[arg(long, default_value_t = 8545)]
    base_port: u16,
    /// Chain id.
    #[arg(long, default_value_t = supervm_primitives::chain_spec::DEV_CHAIN_ID)]
    chain_id: u64,
    /// Target time between blocks, milliseconds.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    block_time_ms: u64,
    /// Block gas limit of the genesis.
    #[arg(long, default_value_t = supervm_primitives::chain_spec::DEV_GAS_LIMIT, value_parser = clap::value_parser!(u64).range(21_000..))]
    gas_limit: u64,
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Build signed blocks on a fresh temporary store, execute and import them, and print
    /// committed transactions per second for each thread count.
    Exec(ExecArgs),
    /// Load a node over JSON-RPC with pre-signed transfers on keep-alive connections and
    /// print admission and end-to-end throughput and latency, against an `eth_chainId`
    /// baseline measured on the same connections.
    Rpc(RpcArgs),
    /// Load one `supervm dev` process for a long time with transfers, token-fee
    /// transactions, contract calls, log queries, subscriptions and gRPC streams, sampling
    /// its memory, descriptors and p99 latency; fails when memory keeps growing.
    Soak(SoakArgs),
    /// Start a local network of validator processes and load it with signed transfers:
    /// finalized tx/s and submission-to-finality latency, against one `supervm dev` process
    /// on the same genesis in the same run.
    Network(NetworkArgs),
}

#[derive(Debug, Args)]
struct NetworkArgs {
    /// Validators.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=16))]
    validators: u64,
    /// Seconds of load per setup and round.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    seconds: u64,
    /// Transactions offered per second, all nodes together.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    tps: u64,
    /// Sending accounts (1 to 10 development accounts); each sends to one node.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=10))]
    senders: u64,
    /// Genesis block gas limit (a 1-second block of 21,000-gas transfers holds gas-limit / 21,000).
    #[arg(long, default_value_t = 100_000_000, value_parser = clap::value_parser!(u64).range(21_000..))]
    gas_limit: u64,
    /// Rounds of both setups (the spread shows the machine's noise).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=20))]
    rounds: u64,
}

#[derive(Debug, Args)]
struct RpcArgs {
    /// Node to load (http://HOST:PORT); absent = a fresh in-process node for every phase.
    #[arg(long)]
    url: Option<String>,
    /// Keep-alive HTTP connections.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=1024))]
    connections: u64,
    /// Sending accounts (development accounts of the default mnemonic).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    senders: u64,
    /// Requests per phase (transactions in the sending phases).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    txs: u64,
    /// Rounds of the phases (the spread shows the machine's noise).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=100))]
    rounds: u64,
    /// Also measure admission while this many more connections send invalid transactions
    /// (phase `admission_attacked`).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=1024))]
    invalid_connections: u64,
    /// Print one JSON object per phase and round, one per line.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct ExecArgs {
    /// Accounts in the state (senders and recipients); 2 makes every transaction conflict.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(2..))]
    accounts: u64,
    /// Transactions per block.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    txs: u64,
    /// Executor threads; a comma-separated list measures each, in one run [default: cores].
    #[arg(long, value_delimiter = ',')]
    threads: Vec<NonZeroUsize>,
    /// Block contents.
    #[arg(long, value_enum, default_value_t = WorkloadArg::Native)]
    workload: WorkloadArg,
    /// Executions of each block for the execution figure (the median is reported).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    iterations: u64,
    /// Print one JSON object per thread count, one per line.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum WorkloadArg {
    /// Native transfers.
    Native,
    /// sUSD transfers paying gas in sUSD.
    Token,
    /// Native transfers paying gas in sUSD through CIP-64.
    Cip64,
    /// Native, sUSD, and CIP-64 (gas in sUSD) transfers in turn.
    Mixed,
}

#[derive(Debug, Args)]
struct DevArgs {
    /// JSON-RPC port (HTTP and WebSocket); 0 picks a free port.
    #[arg(long, default_value_t = 8545)]
    port: u16,
    /// JSON-RPC listen address.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Database directory [default: <user data dir>/supervm/<chain id>].
    #[arg(long, value_name = "DIR", conflicts_with = "ephemeral")]
    data_dir: Option<PathBuf>,
    /// Use a fresh temporary database, deleted on exit.
    #[arg(long)]
    ephemeral: bool,
    /// The database's page cache, MiB [default: 256].
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u32).range(1..))]
    cache_mib: Option<u32>,
    /// Mine a block every SECS seconds instead of on every transaction.
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    block_time: Option<u64>,
    /// Mine only when `evm_mine` is called.
    #[arg(long, conflicts_with = "block_time")]
    no_mining: bool,
    /// Chain id of the development chain.
    #[arg(long, default_value_t = supervm_primitives::chain_spec::DEV_CHAIN_ID)]
    chain_id: u64,
    /// Start from this geth-format genesis file instead of the development genesis.
    #[arg(long, value_name = "FILE")]
    genesis: Option<PathBuf>,
    /// gRPC explorer API port; 0 picks a free port.
    #[arg(long, default_value_t = 50051)]
    grpc_port: u16,
    /// Do not serve the gRPC explorer API.
    #[arg(long)]
    no_grpc: bool,
    /// Prometheus metrics port; 0 picks a free port.
    #[arg(long, default_value_t = 9001)]
    metrics_port: u16,
    /// Do not serve metrics.
    #[arg(long)]
    no_metrics: bool,
    /// Number of development accounts.
    #[arg(long, default_value_t = 10)]
    accounts: u32,
    /// Mnemonic of the development accounts.
    #[arg(long, default_value = supervm_node::config::DEV_MNEMONIC)]
    mnemonic: String,
    /// Address that receives transaction tips.
    #[arg(long, value_name = "ADDRESS")]
    beneficiary: Option<Address>,
    /// Threads executing each block (Block-STM); 0 = one per core.
    #[arg(long, value_name = "N", default_value_t = 0)]
    exec_threads: usize,
}

#[derive(Debug, Args)]
struct NodeArgs {
    /// TOML configuration file (see docs/configuration.md).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Override `[storage] data_dir`.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Override `[rpc] port`.
    #[arg(long)]
    port: Option<u16>,
}

#[derive(Debug, Args)]
struct FeederArgs {
    /// TOML configuration file (see docs/oracle.md).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
}

/// What an invocation runs, with its configuration loaded and checked.
#[derive(Debug)]
pub enum Task {
    /// A node (`dev` or `node`).
    Node(Box<NodeConfig>),
    /// The oracle price feeder.
    Feeder(Box<FeederConfig>),
    /// `bench exec`, printing JSON lines when `json` is set.
    BenchExec {
        /// What to measure.
        params: ExecBenchParams,
        /// Machine-readable output.
        json: bool,
    },
    /// `bench rpc`, printing JSON lines when `json` is set.
    BenchRpc {
        /// What to measure.
        params: RpcBenchParams,
        /// Machine-readable output.
        json: bool,
    },
    /// `bench soak`, also writing CSV to `out`.
    BenchSoak {
        /// What to run.
        params: SoakParams,
        /// CSV file.
        out: Option<PathBuf>,
    },
    /// `bench network`.
    BenchNetwork(supervm_node::network_bench::NetworkBenchParams),
    /// `key generate`.
    KeyGenerate(PathBuf),
    /// `testnet init`.
    TestnetInit(testnet::InitParams),
    /// `testnet run`.
    TestnetRun(PathBuf),
}

impl Cli {
    /// Loads the configuration this invocation asks for.
    pub fn task(&self) -> anyhow::Result<Task> {
        match &self.command {
            Command::OracleFeeder(args) => {
                Ok(Task::Feeder(Box::new(FeederConfig::load(&args.config)?)))
            }
            Command::Dev(_) | Command::Node(_) => Ok(Task::Node(Box::new(self.node_config()?))),
            Command::Bench(BenchCommand::Exec(args)) => Ok(Task::BenchExec {
                params: args.params()?,
                json: args.json,
            }),
            Command::Bench(BenchCommand::Rpc(args)) => Ok(Task::BenchRpc {
                params: args.params()?,
                json: args.json,
            }),
            Command::Bench(BenchCommand::Soak(args)) => {
                let (params, out) = args.params()?;
                Ok(Task::BenchSoak { params, out })
            }
            Command::Bench(BenchCommand::Network(args)) => Ok(Task::BenchNetwork(
                supervm_node::network_bench::NetworkBenchParams {
                    binary: std::env::current_exe()?,
                    validators: args.validators as usize,
                    duration: std::time::Duration::from_secs(args.seconds),
                    tps: args.tps,
                    senders: args.senders as usize,
                    gas_limit: args.gas_limit,
                    rounds: args.rounds as usize,
                },
            )),
            Command::Key(KeyCommand::Generate { out }) => Ok(Task::KeyGenerate(out.clone())),
            Command::Testnet(TestnetCommand::Init(args)) => {
                Ok(Task::TestnetInit(testnet::InitParams {
                    validators: args.validators as usize,
                    followers: args.followers as usize,
                    dir: args.dir.clone(),
                    base_port: args.base_port,
                    chain_id: args.chain_id,
                    block_time_ms: args.block_time_ms,
                    gas_limit: args.gas_limit,
                }))
            }
            Command::Testnet(TestnetCommand::Run { dir }) => Ok(Task::TestnetRun(dir.clone())),
        }
    }

    /// The node configuration of `dev` and `node`.
    fn node_config(&self) -> anyhow::Result<NodeConfig> {
        match &self.command {
            Command::Dev(args) => {
                let mut config = NodeConfig::default();
                config.rpc.port = args.port;
                config.rpc.addr = args.host;
                config.storage.data_dir = args.data_dir.clone();
                config.storage.ephemeral = args.ephemeral;
                if let Some(cache_mib) = args.cache_mib {
                    config.storage.cache_mib = cache_mib;
                }
                config.mining.block_time = args.block_time;
                config.mining.manual = args.no_mining;
                config.chain.chain_id = args.chain_id;
                config.chain.genesis = args.genesis.clone();
                config.grpc.port = args.grpc_port;
                config.grpc.enabled = !args.no_grpc;
                config.metrics.port = args.metrics_port;
                config.metrics.enabled = !args.no_metrics;
                config.dev.accounts = args.accounts;
                config.dev.mnemonic = args.mnemonic.clone();
                config.execution.threads = args.exec_threads;
                if let Some(beneficiary) = args.beneficiary {
                    config.mining.beneficiary = beneficiary;
                }
                Ok(config)
            }
            Command::Node(args) => {
                let mut config = NodeConfig::load(&args.config)?;
                if let Some(dir) = &args.data_dir {
                    config.storage.data_dir = Some(dir.clone());
                }
                if let Some(port) = args.port {
                    config.rpc.port = port;
                }
                Ok(config)
            }
            Command::OracleFeeder(_)
            | Command::Bench(_)
            | Command::Key(_)
            | Command::Testnet(_) => {
                anyhow::bail!("this command does not run a node")
            }
        }
    }
}

/// Runs the task until Ctrl-C or SIGTERM.
pub async fn run(task: Task) -> anyhow::Result<()> {
    match task {
        Task::Node(config) => run_node(*config).await,
        Task::Feeder(config) => run_feeder(*config).await,
        Task::KeyGenerate(out) => run_key_generate(&out),
        Task::BenchNetwork(params) => {
            println!("{}", supervm_node::network_bench::NetworkReport::HEADER);
            supervm_node::network_bench::run(&params, |report| println!("{}", report.row()))
                .await?;
            Ok(())
        }
        Task::TestnetInit(params) => run_testnet_init(&params),
        Task::TestnetRun(dir) => Ok(testnet::run(&dir, async {
            if let Err(err) = wait_for_signal().await {
                tracing::error!(%err, "cannot wait for Ctrl-C");
            }
        })
        .await?),
        Task::BenchExec { params, json } => {
            tokio::task::spawn_blocking(move || run_exec_bench(&params, json)).await?
        }
        Task::BenchRpc { params, json } => {
            tokio::task::spawn_blocking(move || run_rpc_bench(&params, json)).await?
        }
        Task::BenchSoak { params, out } => {
            tokio::task::spawn_blocking(move || soak::run(&params, out)).await?
        }
    }
}

impl RpcArgs {
    fn params(&self) -> anyhow::Result<RpcBenchParams> {
        let size = |value: u64, flag: &str| {
            usize::try_from(value).with_context(|| format!("{flag} is too large"))
        };
        Ok(RpcBenchParams {
            url: self.url.clone(),
            connections: size(self.connections, "--connections")?,
            senders: size(self.senders, "--senders")?,
            txs: size(self.txs, "--txs")?,
            rounds: size(self.rounds, "--rounds")?,
            invalid_connections: size(self.invalid_connections, "--invalid-connections")?,
        })
    }
}

/// Runs `bench rpc` and prints one line per phase and round, then the spread per phase.
fn run_rpc_bench(params: &RpcBenchParams, json: bool) -> anyhow::Result<()> {
    let reports = rpc_bench::run(params).context("running the RPC benchmark")?;
    if json {
        for report in &reports {
            println!("{}", report.to_json());
        }
        return Ok(());
    }
    println!(
        "{:<18} {:>5} {:>8} {:>9} {:>10} {:>9} {:>9} {:>8} {:>10}",
        "phase",
        "round",
        "requests",
        "committed",
        "per sec",
        "p50 µs",
        "p99 µs",
        "refused",
        "ref p50 µs"
    );
    for report in &reports {
        println!(
            "{:<18} {:>5} {:>8} {:>9} {:>10.0} {:>9.0} {:>9.0} {:>8} {:>10.0}",
            report.phase.name(),
            report.round,
            report.requests,
            report.committed,
            report.per_sec,
            report.p50_us,
            report.p99_us,
            report.refused,
            report.refused_p50_us
        );
    }
    println!();
    println!("spread over {} rounds (min / median / max):", params.rounds);
    for phase in [
        rpc_bench::Phase::ChainId,
        rpc_bench::Phase::Admission,
        rpc_bench::Phase::EndToEnd,
        rpc_bench::Phase::AdmissionAttacked,
    ] {
        if !reports.iter().any(|r| r.phase == phase) {
            continue;
        }
        let of = |field: fn(&PhaseReport) -> f64| {
            let mut values: Vec<f64> = reports
                .iter()
                .filter(|r| r.phase == phase)
                .map(field)
                .collect();
            values.sort_by(f64::total_cmp);
            match (values.first(), values.get(values.len() / 2), values.last()) {
                (Some(min), Some(median), Some(max)) => {
                    format!("{min:.0} / {median:.0} / {max:.0}")
                }
                _ => "-".into(),
            }
        };
        println!(
            "{:<18} per sec {:<24} p50 µs {:<18} p99 µs {}",
            phase.name(),
            of(|r| r.per_sec),
            of(|r| r.p50_us),
            of(|r| r.p99_us)
        );
    }
    Ok(())
}

impl ExecArgs {
    fn params(&self) -> anyhow::Result<ExecBenchParams> {
        let threads = if self.threads.is_empty() {
            vec![std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN)]
        } else {
            self.threads.clone()
        };
        Ok(ExecBenchParams {
            accounts: usize::try_from(self.accounts).context("--accounts is too large")?,
            txs: usize::try_from(self.txs).context("--txs is too large")?,
            threads,
            workload: match self.workload {
                WorkloadArg::Native => Workload::Native,
                WorkloadArg::Token => Workload::Token,
                WorkloadArg::Cip64 => Workload::Cip64,
                WorkloadArg::Mixed => Workload::Mixed,
            },
            iterations: usize::try_from(self.iterations).context("--iterations is too large")?,
        })
    }
}

/// Runs `bench exec` and prints its figures.
fn run_exec_bench(params: &ExecBenchParams, json: bool) -> anyhow::Result<()> {
    let reports = exec_bench::run(params).context("running the execution benchmark")?;
    let baseline = reports.first().map(|r| r.tps);
    for report in &reports {
        if json {
            println!("{}", report.to_json());
            continue;
        }
        let ratio = baseline.map_or(1.0, |base| report.tps / base);
        println!(
            "workload={} accounts={} txs={} threads={} committed={} | execute {:.0} tx/s ({:.2}x first) \
             {:.2} ms, aborts {}{} | import {:.0} tx/s: recover {:.2} ms, root {:.2} ms, commit {:.2} ms",
            report.workload.name(),
            report.accounts,
            report.txs,
            report.threads,
            report.committed,
            report.tps,
            ratio,
            report.execute_secs * 1e3,
            report.aborts,
            report
                .fell_back_at
                .map_or_else(String::new, |at| format!(", sequential from tx {at}")),
            report.import_tps,
            report.recover_secs * 1e3,
            report.root_secs * 1e3,
            report.commit_secs * 1e3,
        );
    }
    Ok(())
}

/// Runs the price feeder until Ctrl-C or SIGTERM.
async fn run_feeder(config: FeederConfig) -> anyhow::Result<()> {
    let signer = load_signer(&config.key, process_env).context("loading the reporter key")?;
    let feeder = Feeder::connect(config, signer, std::sync::Arc::new(SystemClock))
        .await
        .context("starting the oracle feeder")?;
    feeder
        .run(async {
            if let Err(err) = wait_for_signal().await {
                tracing::error!(error = %err, "cannot listen for signals; stopping");
            }
        })
        .await
        .context("running the oracle feeder")?;
    Ok(())
}

/// Runs the node until Ctrl-C or SIGTERM.
async fn run_node(config: NodeConfig) -> anyhow::Result<()> {
    let node = Node::launch(config).await.context("starting the node")?;
    print_banner(&node);
    let failed = tokio::select! {
        signal = wait_for_signal() => {
            signal?;
            false
        }
        () = node.consensus_failed() => true,
    };
    tracing::info!("shutting down");
    node.stop().await;
    anyhow::ensure!(!failed, "the consensus engine stopped; see the log above");
    Ok(())
}

/// `supervm key generate`.
fn run_key_generate(out: &std::path::Path) -> anyhow::Result<()> {
    let public = supervm_consensus::bft::keys::generate(out)
        .with_context(|| format!("creating the key file {}", out.display()))?;
    println!("Key file:   {}", out.display());
    println!(
        "Public key: {}",
        supervm_consensus::bft::keys::public_key_bytes(&public)
    );
    Ok(())
}

/// `supervm testnet init`.
fn run_testnet_init(params: &testnet::InitParams) -> anyhow::Result<()> {
    let net = testnet::init(params)?;
    println!(
        "Testnet of chain {} in {}",
        net.chain_id,
        params.dir.display()
    );
    for node in &net.nodes {
        println!(
            "  {:<12} {:<9} RPC {}  p2p {}",
            node.name, node.role, node.rpc, node.p2p
        );
    }
    println!("Genesis: {}", net.genesis.display());
    println!(
        "Start it with: supervm testnet run --dir {}",
        params.dir.display()
    );
    Ok(())
}

fn print_banner(node: &Node) {
    let spec = node.chain_spec();
    println!("SuperVM {}", env!("CARGO_PKG_VERSION"));
    println!();
    if spec
        .genesis
        .alloc
        .keys()
        .any(|a| node.dev_accounts().iter().any(|d| d.address == *a))
    {
        println!("Available accounts (funded in the dev genesis)");
        println!("==================");
        for (i, account) in node.dev_accounts().iter().enumerate() {
            println!("({i}) {}", account.address);
        }
        println!();
        println!("Private keys");
        println!("==================");
        for (i, account) in node.dev_accounts().iter().enumerate() {
            println!(
                "({i}) 0x{}",
                alloy_primitives::hex::encode(account.signer.credential().to_bytes())
            );
        }
        println!();
        println!("WARNING: these keys are public (derived from a well-known mnemonic).");
        println!("Any funds sent to them on a real network WILL BE LOST.");
        println!();
    }
    if !spec.supervm.tokens.is_empty() {
        println!("Fee tokens (gas can be paid in these; see docs/fee-tokens.md)");
        println!("==================");
        for token in &spec.supervm.tokens {
            let rate = match token.rate {
                Some(rate) => format!("rate {}/{} per wei", rate.numerator, rate.denominator),
                None => "no price".to_string(),
            };
            println!(
                "{:<6} {} ({} decimals, {rate})",
                token.symbol, token.address, token.decimals
            );
        }
        println!();
    }
    println!("Chain id:     {}", spec.chain_id());
    println!("Data dir:     {}", node.data_dir().display());
    if let Some(addr) = node.grpc_addr() {
        println!("gRPC:         {addr} (explorer API, reflection on)");
    }
    if let Some(addr) = node.metrics_addr() {
        println!("Metrics:      http://{addr}/metrics");
    }
    println!("RPC listening on http://{}", node.rpc_addr());
    println!("WebSocket on ws://{}", node.rpc_addr());
}

async fn wait_for_signal() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result?,
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await?;
    Ok(())
}
