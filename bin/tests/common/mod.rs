//! Shared helpers for the end-to-end tests: launching nodes (in-process or the `supervm`
//! binary), JSON-RPC clients (alloy providers and a raw HTTP client), and transaction signing.
//!
//! Every test gets its own node on 127.0.0.1 with OS-assigned ports and its own temporary data
//! directory. Waits are bounded by generous timeouts so that a broken node fails a test instead
//! of hanging it; nothing here asserts on timing.

#![allow(dead_code, unused_imports)]

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

pub use alloy::{
    consensus::{
        SignableTransaction, Signed, Transaction as _, TxEip1559, TxEip2930, TxEnvelope, TxLegacy,
    },
    eips::{
        eip2718::Encodable2718,
        eip2930::{AccessList, AccessListItem},
        BlockId, BlockNumberOrTag,
    },
    network::{
        Ethereum, EthereumWallet, ReceiptResponse as _, TransactionBuilder,
        TransactionResponse as _,
    },
    primitives::{address, b256, bytes, keccak256, Address, Bytes, Signature, TxKind, B256, U256},
    providers::{DynProvider, Provider, ProviderBuilder, RootProvider, WsConnect},
    rpc::types::{
        Block, BlockTransactions, FeeHistory, Filter, Header, Log, Transaction, TransactionReceipt,
        TransactionRequest,
    },
    signers::{local::PrivateKeySigner, SignerSync},
    transports::http::reqwest,
};
pub use serde_json::{json, Value};
pub use supervm_node::{DevAccount, Node, NodeConfig};

/// Chain id of the development chain.
pub const CHAIN_ID: u64 = 31337;
/// One gwei in wei.
pub const GWEI: u128 = 1_000_000_000;
/// Block gas limit of the development genesis.
pub const BLOCK_GAS_LIMIT: u64 = 30_000_000;
/// Base fee of the development genesis block.
pub const GENESIS_BASE_FEE: u64 = 1_000_000_000;
/// Balance of every dev account in the genesis: 10,000 ether.
pub fn dev_balance() -> U256 {
    U256::from(10_000u64) * U256::from(10u64).pow(U256::from(18u64))
}
/// One ether in wei.
pub fn ether(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18u64))
}

/// How long to wait for anything (a receipt, a block, a process start) before failing.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// The dev accounts of the default mnemonic, derived the way the node does.
pub fn dev_accounts() -> Vec<DevAccount> {
    supervm_node::derive_dev_accounts(supervm_node::config::DEV_MNEMONIC, 10)
        .expect("derive dev accounts")
}

/// A configuration for tests: free ports, a given data directory, automine.
pub fn test_config(data_dir: &Path) -> NodeConfig {
    let mut config = NodeConfig::default();
    config.rpc.port = 0;
    config.metrics.port = 0;
    config.storage.data_dir = Some(data_dir.to_path_buf());
    config
}

/// An in-process node with its data directory.
pub struct TestNode {
    pub node: Node,
    pub dir: tempfile::TempDir,
}

impl TestNode {
    /// Launches a node in a fresh temporary directory; `tweak` adjusts the test config.
    pub async fn start(tweak: impl FnOnce(&mut NodeConfig)) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("supervm-e2e-")
            .tempdir()
            .expect("tempdir");
        Self::start_in(dir, tweak).await
    }

    /// Launches a node in automine mode.
    pub async fn automine() -> Self {
        Self::start(|_| {}).await
    }

    /// Launches a node that mines only on `evm_mine`.
    pub async fn manual() -> Self {
        Self::start(|c| c.mining.manual = true).await
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

pub fn http_url(addr: SocketAddr) -> reqwest::Url {
    format!("http://{addr}").parse().expect("url")
}

/// A JSON-RPC error object.
#[derive(Clone, Debug, PartialEq)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    pub data: Option<Value>,
}

/// A plain JSON-RPC-over-HTTP client, to see exactly what the node answers.
#[derive(Clone)]
pub struct RawRpc {
    pub client: reqwest::Client,
    pub url: reqwest::Url,
    next_id: Arc<AtomicU64>,
}

impl RawRpc {
    pub fn new(url: reqwest::Url) -> Self {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .build()
            .expect("http client");
        Self {
            client,
            url,
            next_id: Arc::new(AtomicU64::new(1)),
        }
    }

    /// Posts a raw body; returns the HTTP status and the body text.
    pub async fn post_raw(&self, body: impl Into<reqwest::Body>) -> (reqwest::StatusCode, String) {
        let response = self
            .client
            .post(self.url.clone())
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("http request failed");
        let status = response.status();
        let text = response.text().await.expect("http body");
        (status, text)
    }

    /// Posts a JSON value; returns the parsed JSON answer (panics if the answer is not JSON).
    pub async fn post_json(&self, body: &Value) -> Value {
        let (status, text) = self.post_raw(body.to_string()).await;
        serde_json::from_str(&text)
            .unwrap_or_else(|err| panic!("answer is not JSON ({err}); HTTP {status}, body: {text}"))
    }

    /// Sends one request without panicking on transport failures (for a node that may be
    /// killed at any moment): `Err` if there was no JSON answer.
    pub async fn try_request(&self, method: &str, params: Value) -> Result<Value, String> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let response = self
            .client
            .post(self.url.clone())
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let text = response.text().await.map_err(|e| e.to_string())?;
        serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))
    }

    /// Sends one request; returns the whole response object.
    pub async fn request(&self, method: &str, params: Value) -> Value {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let answer = self
            .post_json(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await;
        assert_eq!(answer["jsonrpc"], "2.0", "{method}: bad envelope: {answer}");
        assert_eq!(answer["id"], json!(id), "{method}: id not echoed: {answer}");
        answer
    }

    /// Sends one request; the result, or the error.
    pub async fn try_call(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        let answer = self.request(method, params).await;
        if let Some(error) = answer.get("error") {
            return Err(parse_error(error));
        }
        Ok(answer
            .get("result")
            .cloned()
            .unwrap_or_else(|| panic!("{method}: neither result nor error: {answer}")))
    }

    /// Sends one request that must succeed; its result.
    pub async fn call(&self, method: &str, params: Value) -> Value {
        let params_text = params.to_string();
        match self.try_call(method, params).await {
            Ok(result) => result,
            Err(err) => panic!("{method}({params_text}) failed: {err:?}"),
        }
    }

    /// Sends one request that must fail; its error.
    pub async fn call_err(&self, method: &str, params: Value) -> RpcError {
        let params_text = params.to_string();
        match self.try_call(method, params).await {
            Ok(result) => {
                panic!("{method}({params_text}) should have failed but returned {result}")
            }
            Err(err) => err,
        }
    }

    /// `eth_sendRawTransaction`.
    pub async fn send_raw(&self, raw: &Bytes) -> Result<B256, RpcError> {
        self.try_call("eth_sendRawTransaction", json!([raw]))
            .await
            .map(|v| {
                serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("bad tx hash {v}: {e}"))
            })
    }

    /// `eth_sendRawTransaction` that must be rejected with code -32000 and a message starting
    /// with `prefix`.
    pub async fn expect_rejected(&self, raw: &Bytes, prefix: &str) -> RpcError {
        let err = match self.send_raw(raw).await {
            Ok(hash) => panic!("transaction {hash} was accepted; expected rejection '{prefix}…'"),
            Err(err) => err,
        };
        assert!(
            err.message.starts_with(prefix),
            "expected an error starting with '{prefix}', got {err:?}"
        );
        assert_eq!(
            err.code, -32000,
            "expected code -32000 for '{prefix}', got {err:?}"
        );
        err
    }

    /// `evm_mine`: one block now.
    pub async fn mine(&self) {
        self.call("evm_mine", json!([])).await;
    }

    pub async fn block_number(&self) -> u64 {
        quantity(&self.call("eth_blockNumber", json!([])).await)
    }

    pub async fn nonce(&self, address: Address, tag: &str) -> u64 {
        quantity(
            &self
                .call("eth_getTransactionCount", json!([address, tag]))
                .await,
        )
    }

    pub async fn balance(&self, address: Address, tag: &str) -> U256 {
        let v = self.call("eth_getBalance", json!([address, tag])).await;
        serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("bad balance {v}: {e}"))
    }

    /// `eth_getBlockByNumber` as raw JSON (null if absent).
    pub async fn block_json(&self, tag: Value, full: bool) -> Value {
        self.call("eth_getBlockByNumber", json!([tag, full])).await
    }

    /// `eth_getTransactionReceipt` as raw JSON, polled until present.
    pub async fn wait_receipt_json(&self, hash: B256) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let receipt = self.call("eth_getTransactionReceipt", json!([hash])).await;
            if !receipt.is_null() {
                return receipt;
            }
            assert!(
                Instant::now() < deadline,
                "no receipt for {hash} after {TIMEOUT:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

pub fn parse_error(error: &Value) -> RpcError {
    RpcError {
        code: error["code"]
            .as_i64()
            .unwrap_or_else(|| panic!("error without integer code: {error}")),
        message: error["message"]
            .as_str()
            .unwrap_or_else(|| panic!("error without message: {error}"))
            .to_string(),
        data: error.get("data").cloned(),
    }
}

/// Parses a JSON quantity ("0x1a") into u64.
pub fn quantity(v: &Value) -> u64 {
    let s = v.as_str().unwrap_or_else(|| panic!("not a quantity: {v}"));
    let digits = s
        .strip_prefix("0x")
        .unwrap_or_else(|| panic!("quantity without 0x: {s}"));
    u64::from_str_radix(digits, 16).unwrap_or_else(|e| panic!("bad quantity {s}: {e}"))
}

/// Parses a JSON quantity into u128.
pub fn quantity128(v: &Value) -> u128 {
    let s = v.as_str().unwrap_or_else(|| panic!("not a quantity: {v}"));
    let digits = s
        .strip_prefix("0x")
        .unwrap_or_else(|| panic!("quantity without 0x: {s}"));
    u128::from_str_radix(digits, 16).unwrap_or_else(|e| panic!("bad quantity {s}: {e}"))
}

/// Polls `eth_getTransactionReceipt` through a provider until the receipt exists.
pub async fn wait_receipt<P: Provider<Ethereum>>(provider: &P, hash: B256) -> TransactionReceipt {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Some(receipt) = provider
            .get_transaction_receipt(hash)
            .await
            .expect("eth_getTransactionReceipt")
        {
            return receipt;
        }
        assert!(
            Instant::now() < deadline,
            "no receipt for {hash} after {TIMEOUT:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Signs a transaction with `signer` (no chain id is added: what `tx` says is signed).
pub fn sign<T>(signer: &PrivateKeySigner, tx: T) -> TxEnvelope
where
    T: SignableTransaction<Signature>,
    TxEnvelope: From<Signed<T>>,
{
    let signature = signer.sign_hash_sync(&tx.signature_hash()).expect("sign");
    TxEnvelope::from(tx.into_signed(signature))
}

/// The EIP-2718 encoding of a signed transaction, as `eth_sendRawTransaction` takes it.
pub fn raw(tx: &TxEnvelope) -> Bytes {
    tx.encoded_2718().into()
}

/// An EIP-1559 transfer.
pub fn eip1559(nonce: u64, to: Address, value: U256, max_fee: u128, tip: u128) -> TxEip1559 {
    TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: max_fee,
        max_priority_fee_per_gas: tip,
        to: TxKind::Call(to),
        value,
        access_list: AccessList::default(),
        input: Bytes::new(),
    }
}

/// A legacy EIP-155 transfer.
pub fn legacy(nonce: u64, to: Address, value: U256, gas_price: u128) -> TxLegacy {
    TxLegacy {
        chain_id: Some(CHAIN_ID),
        nonce,
        gas_price,
        gas_limit: 21_000,
        to: TxKind::Call(to),
        value,
        input: Bytes::new(),
    }
}

/// Calldata cost per EIP-2028.
pub fn calldata_gas(data: &[u8]) -> u64 {
    data.iter().map(|b| if *b == 0 { 4 } else { 16 }).sum()
}

/// The EIP-1559 base fee of the block after a parent with these values (denominator 8,
/// elasticity 2), written out independently of the node's code.
pub fn expected_next_base_fee(
    parent_gas_used: u64,
    parent_gas_limit: u64,
    parent_base_fee: u64,
) -> u64 {
    let target = parent_gas_limit / 2;
    let base = parent_base_fee as u128;
    if parent_gas_used == target {
        parent_base_fee
    } else if parent_gas_used > target {
        let delta = base * (parent_gas_used - target) as u128 / target as u128 / 8;
        (base + delta.max(1)) as u64
    } else {
        let delta = base * (target - parent_gas_used) as u128 / target as u128 / 8;
        (base - delta) as u64
    }
}

/// A fresh random account.
pub fn random_signer() -> PrivateKeySigner {
    PrivateKeySigner::random()
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
        let stderr_path = data_dir.parent().unwrap_or(data_dir).join(log_name);
        let stderr = std::fs::File::create(&stderr_path).expect("create log file");
        let mut child = Command::new(env!("CARGO_BIN_EXE_supervm"))
            .args(["dev", "--port", "0", "--metrics-port", "0", "--data-dir"])
            .arg(data_dir)
            .args(extra)
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

    pub fn http_url(&self) -> reqwest::Url {
        http_url(self.rpc_addr)
    }

    pub fn rpc(&self) -> RawRpc {
        RawRpc::new(self.http_url())
    }

    pub fn provider(&self) -> RootProvider<Ethereum> {
        RootProvider::new_http(self.http_url())
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

/// A minimal JSON-RPC client over a raw WebSocket, to see subscription ids and notifications
/// exactly as the node sends them.
pub struct WsClient {
    stream: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    next_id: u64,
    /// Notifications received while waiting for a response, in arrival order.
    pending: std::collections::VecDeque<Value>,
}

impl WsClient {
    pub async fn connect(url: &str) -> Self {
        let (stream, _) = tokio::time::timeout(TIMEOUT, tokio_tungstenite::connect_async(url))
            .await
            .expect("websocket connect timed out")
            .unwrap_or_else(|e| panic!("websocket connect to {url} failed: {e}"));
        Self {
            stream,
            next_id: 1,
            pending: Default::default(),
        }
    }

    async fn next_message(&mut self) -> Value {
        use futures::StreamExt;
        loop {
            let message = tokio::time::timeout(TIMEOUT, self.stream.next())
                .await
                .expect("no websocket message within the timeout")
                .expect("websocket closed")
                .expect("websocket error");
            match message {
                tokio_tungstenite::tungstenite::Message::Text(text) => {
                    return serde_json::from_str(text.as_str()).unwrap_or_else(|e| {
                        panic!("websocket message is not JSON ({e}): {}", text.as_str())
                    });
                }
                tokio_tungstenite::tungstenite::Message::Binary(bytes) => {
                    return serde_json::from_slice(&bytes)
                        .expect("binary websocket message is not JSON");
                }
                tokio_tungstenite::tungstenite::Message::Close(frame) => {
                    panic!("websocket closed by the node: {frame:?}")
                }
                _ => continue, // ping / pong
            }
        }
    }

    /// Sends a request and waits for its response (notifications arriving first are kept).
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        use futures::SinkExt;
        let id = self.next_id;
        self.next_id += 1;
        let text =
            json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string();
        self.stream
            .send(tokio_tungstenite::tungstenite::Message::Text(text.into()))
            .await
            .expect("websocket send");
        loop {
            let message = self.next_message().await;
            if message.get("id") == Some(&json!(id)) {
                return message;
            }
            assert_eq!(
                message["method"], "eth_subscription",
                "unexpected websocket message: {message}"
            );
            self.pending.push_back(message);
        }
    }

    /// A request that must succeed; its result.
    pub async fn call(&mut self, method: &str, params: Value) -> Value {
        let answer = self.request(method, params.clone()).await;
        match answer.get("result") {
            Some(result) if answer.get("error").is_none() => result.clone(),
            _ => panic!("{method}({params}) over websocket failed: {answer}"),
        }
    }

    /// The next `eth_subscription` notification: (subscription id, result).
    pub async fn notification(&mut self) -> (Value, Value) {
        let message = match self.pending.pop_front() {
            Some(message) => message,
            None => self.next_message().await,
        };
        assert_eq!(message["jsonrpc"], "2.0", "{message}");
        assert_eq!(
            message["method"], "eth_subscription",
            "expected a notification, got {message}"
        );
        assert!(
            message.get("id").is_none(),
            "notifications carry no id: {message}"
        );
        (
            message["params"]["subscription"].clone(),
            message["params"]["result"].clone(),
        )
    }
}
