//! Nodes under test: in-process ([`TestNode`]) or the `supervm` binary ([`BinNode`]).

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
};

use super::{
    reqwest, Address, DynProvider, Ethereum, EthereumWallet, NodeConfig, PrivateKeySigner,
    Provider, ProviderBuilder, RawRpc, RootProvider, Value, TIMEOUT,
};
use supervm_node::{DevAccount, Node};

/// The dev accounts of the default mnemonic, derived the way the node does.
pub fn dev_accounts() -> Vec<DevAccount> {
    supervm_node::derive_dev_accounts(supervm_node::config::DEV_MNEMONIC, 10)
        .expect("derive dev accounts")
}

/// A configuration for tests: free ports, a given data directory, automine.
fn test_config(data_dir: &Path) -> NodeConfig {
    let mut config = NodeConfig::default();
    config.rpc.port = 0;
    config.metrics.port = 0;
    config.grpc.port = 0;
    config.storage.data_dir = Some(data_dir.to_path_buf());
    config
}

fn temp_data_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("supervm-e2e-")
        .tempdir()
        .expect("tempdir")
}

pub fn http_url(addr: SocketAddr) -> reqwest::Url {
    format!("http://{addr}").parse().expect("url")
}

/// An in-process node with its data directory.
pub struct TestNode {
    pub node: Node,
    pub dir: tempfile::TempDir,
}

impl TestNode {
    /// Launches a node in a fresh temporary directory; `tweak` adjusts the test config.
    pub async fn start(tweak: impl FnOnce(&mut NodeConfig)) -> Self {
        Self::start_in(temp_data_dir(), tweak).await
    }

    /// Launches a node in automine mode.
    pub async fn automine() -> Self {
        Self::start(|_| {}).await
    }

    /// Launches a node that mines only on `evm_mine`.
    pub async fn manual() -> Self {
        Self::start(|c| c.mining.manual = true).await
    }

    /// Launches a node on a custom genesis (written as `genesis.json` next to the store).
    pub async fn with_genesis(genesis: &Value, tweak: impl FnOnce(&mut NodeConfig)) -> Self {
        let dir = temp_data_dir();
        let path = dir.path().join("genesis.json");
        std::fs::write(&path, serde_json::to_string_pretty(genesis).unwrap())
            .expect("write genesis");
        Self::start_in(dir, move |c| {
            c.chain.genesis = Some(path);
            tweak(c);
        })
        .await
    }

    /// Launches a node on an existing data directory.
    pub async fn start_in(dir: tempfile::TempDir, tweak: impl FnOnce(&mut NodeConfig)) -> Self {
        let mut config = test_config(dir.path());
        tweak(&mut config);
        let node = tokio::time::timeout(TIMEOUT, Node::launch(config))
            .await
            .expect("node launch timed out")
            .expect("node launch failed");
        Self { node, dir }
    }

    /// Stops the node (store closed) and hands back its data directory.
    pub async fn stop(self) -> tempfile::TempDir {
        tokio::time::timeout(TIMEOUT, self.node.stop())
            .await
            .expect("node stop timed out");
        self.dir
    }

    pub fn rpc_addr(&self) -> SocketAddr {
        self.node.rpc_addr()
    }

    pub fn http_url(&self) -> reqwest::Url {
        http_url(self.rpc_addr())
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.rpc_addr())
    }

    /// A provider without fillers or wallet: every call goes to the node as written.
    pub fn provider(&self) -> RootProvider<Ethereum> {
        RootProvider::new_http(self.http_url())
    }

    /// A provider with alloy's recommended fillers (nonce, gas, chain id) and a wallet.
    pub fn wallet_provider(&self, signer: PrivateKeySigner) -> DynProvider<Ethereum> {
        ProviderBuilder::new()
            .wallet(EthereumWallet::from(signer))
            .connect_http(self.http_url())
            .erased()
    }

    /// A raw JSON-RPC client.
    pub fn rpc(&self) -> RawRpc {
        RawRpc::new(self.http_url())
    }

    /// Dev account `i`'s signer.
    pub fn signer(&self, i: usize) -> PrivateKeySigner {
        self.node.dev_accounts()[i].signer.clone()
    }

    /// Dev account `i`'s address.
    pub fn account(&self, i: usize) -> Address {
        self.node.dev_accounts()[i].address
    }
}

/// A `supervm dev` process, killed (SIGKILL) when dropped.
pub struct BinNode {
    pub child: Child,
    pub rpc_addr: SocketAddr,
    pub stderr_path: PathBuf,
}

impl BinNode {
    /// Runs `supervm dev --port 0 --metrics-port 0 --data-dir DIR [extra…]` and waits for the
    /// "RPC listening on" line on its standard output.
    pub fn spawn(data_dir: &Path, extra: &[&str], log_name: &str) -> Self {
        let mut args: Vec<std::ffi::OsString> = [
            "dev",
            "--port",
            "0",
            "--metrics-port",
            "0",
            "--grpc-port",
            "0",
            "--data-dir",
        ]
        .iter()
        .map(Into::into)
        .collect();
        args.push(data_dir.into());
        args.extend(extra.iter().map(Into::into));
        Self::spawn_args(&args, data_dir.parent().unwrap_or(data_dir).join(log_name))
    }

    /// Runs `supervm ARGS…`, its standard error going to `stderr_path`, and waits for the
    /// "RPC listening on" line on its standard output.
    pub fn spawn_args(args: &[std::ffi::OsString], stderr_path: PathBuf) -> Self {
        let stderr = std::fs::File::create(&stderr_path).expect("create log file");
        let mut child = Command::new(env!("CARGO_BIN_EXE_supervm"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr))
            .spawn()
            .expect("spawn supervm");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        // Keep draining stdout for the life of the process so it never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.trim().strip_prefix("RPC listening on http://") {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(rest.trim().to_string());
                    }
                }
            }
        });
        let addr = match rx.recv_timeout(TIMEOUT) {
            Ok(addr) => addr,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                let log = std::fs::read_to_string(&stderr_path).unwrap_or_default();
                panic!("supervm did not print 'RPC listening on http://…' within {TIMEOUT:?}; stderr:\n{log}");
            }
        };
        let rpc_addr = addr
            .parse()
            .unwrap_or_else(|e| panic!("cannot parse RPC address {addr:?}: {e}"));
        Self {
            child,
            rpc_addr,
            stderr_path,
        }
    }

    pub fn rpc(&self) -> RawRpc {
        RawRpc::new(http_url(self.rpc_addr))
    }

    pub fn provider(&self) -> RootProvider<Ethereum> {
        RootProvider::new_http(http_url(self.rpc_addr))
    }

    /// SIGKILL (on unix) and reap.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The process's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }
}

impl Drop for BinNode {
    fn drop(&mut self) {
        self.kill();
    }
}
