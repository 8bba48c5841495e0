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
    config.grpc.port = 0;
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
            .args([
                "dev",
                "--port",
                "0",
                "--metrics-port",
                "0",
                "--grpc-port",
                "0",
                "--data-dir",
            ])
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

// ---------------------------------------------------------------------------------------------
// Fee tokens: addresses, hand-written ABI encoding (the test crate has no `sol!`: alloy's
// `sol-types` feature is not enabled for it), Solidity storage slots, CIP-64 (type 0x7b)
// transactions, custom genesis files and JSON-RPC shortcuts.
// ---------------------------------------------------------------------------------------------

/// Sample USD of the dev genesis (6 decimals).
pub const SUSD: Address = address!("0x00000000000000000000000000000000000005d1");
/// Sample BTC of the dev genesis (8 decimals).
pub const SBTC: Address = address!("0x00000000000000000000000000000000000005d2");
/// GOLD of the dev genesis (18 decimals).
pub const GOLD: Address = address!("0x00000000000000000000000000000000000005d3");
/// The system contracts, at the addresses the node itself uses.
pub use supervm_primitives::system::{FEE_PREFERENCE, ORACLE, TOKEN_REGISTRY};
/// The type byte of CIP-64 transactions.
pub const CIP64_TYPE: u8 = 0x7b;

/// 10^n as U256.
pub fn pow10(n: u64) -> U256 {
    U256::from(10u64).pow(U256::from(n))
}

/// The 4-byte selector of a Solidity function signature such as `transfer(address,uint256)`.
pub fn selector(signature: &str) -> [u8; 4] {
    let hash = keccak256(signature.as_bytes());
    [hash[0], hash[1], hash[2], hash[3]]
}

/// An address as one ABI word.
pub fn word_address(address: Address) -> B256 {
    address.into_word()
}

/// A uint256 as one ABI word.
pub fn word_uint(value: U256) -> B256 {
    B256::from(value.to_be_bytes::<32>())
}

/// A bool as one ABI word.
pub fn word_bool(value: bool) -> B256 {
    word_uint(U256::from(value as u8))
}

/// Calldata: selector of `signature` followed by static ABI words.
pub fn abi_call(signature: &str, words: &[B256]) -> Bytes {
    let mut data = selector(signature).to_vec();
    for word in words {
        data.extend_from_slice(word.as_slice());
    }
    data.into()
}

/// The ABI tail of a dynamic `string`: its length word, then the bytes padded to 32.
pub fn abi_string_tail(value: &str) -> Vec<u8> {
    let bytes = value.as_bytes();
    let mut tail = word_uint(U256::from(bytes.len())).to_vec();
    tail.extend_from_slice(bytes);
    tail.resize(32 + bytes.len().div_ceil(32) * 32, 0);
    tail
}

/// The `i`-th 32-byte word of ABI data (panics if the data is too short).
pub fn abi_word(data: &[u8], i: usize) -> U256 {
    let word = data.get(i * 32..i * 32 + 32).unwrap_or_else(|| {
        panic!(
            "ABI data too short for word {i}: 0x{}",
            alloy::primitives::hex::encode(data)
        )
    });
    U256::from_be_slice(word)
}

/// Decodes the `i`-th word as an address (checking that the padding is zero).
pub fn abi_address(data: &[u8], i: usize) -> Address {
    let word = abi_word(data, i);
    assert!(
        word < (U256::from(1u8) << 160),
        "ABI word {i} is not an address: {word:#x}"
    );
    Address::from_word(B256::from(word.to_be_bytes::<32>()))
}

/// Decodes the `i`-th word as a bool (0 or 1 only).
pub fn abi_bool(data: &[u8], i: usize) -> bool {
    let word = abi_word(data, i);
    assert!(
        word <= U256::from(1u8),
        "ABI word {i} is not a bool: {word:#x}"
    );
    word == U256::from(1u8)
}

/// Decodes ABI data holding a single dynamic `string` (a return value or an error argument).
pub fn abi_string(data: &[u8]) -> String {
    let offset: usize = abi_word(data, 0).to();
    let len: usize = U256::from_be_slice(&data[offset..offset + 32]).to();
    String::from_utf8(data[offset + 32..offset + 32 + len].to_vec()).expect("ABI string is UTF-8")
}

/// Decodes ABI data holding a single dynamic `address[]`.
pub fn abi_address_array(data: &[u8]) -> Vec<Address> {
    let offset: usize = abi_word(data, 0).to();
    let len: usize = U256::from_be_slice(&data[offset..offset + 32]).to();
    (0..len)
        .map(|i| abi_address(&data[offset + 32..], i))
        .collect()
}

/// Solidity's `Error(string)` revert data for `reason`.
pub fn error_string_data(reason: &str) -> Bytes {
    let mut data = selector("Error(string)").to_vec();
    data.extend_from_slice(word_uint(U256::from(32u8)).as_slice());
    data.extend_from_slice(&abi_string_tail(reason));
    data.into()
}

/// The reason of `Error(string)` revert data, if it is that.
pub fn revert_reason(data: &[u8]) -> Option<String> {
    let rest = data.strip_prefix(&selector("Error(string)")[..])?;
    Some(abi_string(rest))
}

/// ERC-20 calldata.
pub mod erc20 {
    use super::*;

    pub fn name() -> Bytes {
        abi_call("name()", &[])
    }
    pub fn symbol() -> Bytes {
        abi_call("symbol()", &[])
    }
    pub fn decimals() -> Bytes {
        abi_call("decimals()", &[])
    }
    pub fn total_supply() -> Bytes {
        abi_call("totalSupply()", &[])
    }
    pub fn balance_of(owner: Address) -> Bytes {
        abi_call("balanceOf(address)", &[word_address(owner)])
    }
    pub fn allowance(owner: Address, spender: Address) -> Bytes {
        abi_call(
            "allowance(address,address)",
            &[word_address(owner), word_address(spender)],
        )
    }
    pub fn transfer(to: Address, value: U256) -> Bytes {
        abi_call(
            "transfer(address,uint256)",
            &[word_address(to), word_uint(value)],
        )
    }
    pub fn approve(spender: Address, value: U256) -> Bytes {
        abi_call(
            "approve(address,uint256)",
            &[word_address(spender), word_uint(value)],
        )
    }
    pub fn transfer_from(from: Address, to: Address, value: U256) -> Bytes {
        abi_call(
            "transferFrom(address,address,uint256)",
            &[word_address(from), word_address(to), word_uint(value)],
        )
    }
    /// topic0 of `Transfer(address indexed, address indexed, uint256)`.
    pub fn transfer_topic() -> B256 {
        keccak256("Transfer(address,address,uint256)")
    }
    /// topic0 of `Approval(address indexed, address indexed, uint256)`.
    pub fn approval_topic() -> B256 {
        keccak256("Approval(address,address,uint256)")
    }
    /// Solidity's slot of `balances[owner]` with the mapping at slot 0.
    pub fn balance_slot(owner: Address) -> B256 {
        let mut preimage = word_address(owner).to_vec();
        preimage.extend_from_slice(word_uint(U256::ZERO).as_slice());
        keccak256(preimage)
    }
    /// Solidity's slot of `allowances[owner][spender]` with the mapping at slot 1.
    pub fn allowance_slot(owner: Address, spender: Address) -> B256 {
        let mut inner = word_address(owner).to_vec();
        inner.extend_from_slice(word_uint(U256::from(1u8)).as_slice());
        let mut outer = word_address(spender).to_vec();
        outer.extend_from_slice(keccak256(inner).as_slice());
        keccak256(outer)
    }
    /// Slot of `totalSupply`.
    pub fn total_supply_slot() -> B256 {
        word_uint(U256::from(2u8))
    }
}

/// Token-registry, fee-preference and oracle calldata.
pub mod system_abi {
    use super::*;

    pub fn governance() -> Bytes {
        abi_call("governance()", &[])
    }
    pub fn tokens() -> Bytes {
        abi_call("tokens()", &[])
    }
    pub fn is_registered(token: Address) -> Bytes {
        abi_call("isRegistered(address)", &[word_address(token)])
    }
    pub fn is_enabled(token: Address) -> Bytes {
        abi_call("isEnabled(address)", &[word_address(token)])
    }
    pub fn set_enabled(token: Address, enabled: bool) -> Bytes {
        abi_call(
            "setEnabled(address,bool)",
            &[word_address(token), word_bool(enabled)],
        )
    }
    /// `registerToken(address,string,string,uint8,address,uint256)`.
    pub fn register_token(
        token: Address,
        name: &str,
        symbol: &str,
        decimals: u8,
        holder: Address,
        supply: U256,
    ) -> Bytes {
        let name_tail = abi_string_tail(name);
        let symbol_tail = abi_string_tail(symbol);
        let head_len = 6 * 32;
        let mut data =
            selector("registerToken(address,string,string,uint8,address,uint256)").to_vec();
        for word in [
            word_address(token),
            word_uint(U256::from(head_len)),
            word_uint(U256::from(head_len + name_tail.len())),
            word_uint(U256::from(decimals)),
            word_address(holder),
            word_uint(supply),
        ] {
            data.extend_from_slice(word.as_slice());
        }
        data.extend_from_slice(&name_tail);
        data.extend_from_slice(&symbol_tail);
        data.into()
    }
    pub fn set_fee_token(token: Address) -> Bytes {
        abi_call("setFeeToken(address)", &[word_address(token)])
    }
    pub fn fee_token_of(account: Address) -> Bytes {
        abi_call("feeTokenOf(address)", &[word_address(account)])
    }
    pub fn rate_of(token: Address) -> Bytes {
        abi_call("rateOf(address)", &[word_address(token)])
    }
}

/// A CIP-64 (type 0x7b) transaction, encoded by hand from Celo's specification:
/// `0x7b || rlp([chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gas, to, value, data,
/// accessList, feeCurrency, yParity, r, s])`, signing hash `keccak256(0x7b || rlp(fields))`.
#[derive(Clone, Debug)]
pub struct Cip64Tx {
    pub chain_id: u64,
    pub nonce: u64,
    pub max_priority_fee_per_gas: u128,
    pub max_fee_per_gas: u128,
    pub gas_limit: u64,
    pub to: Address,
    pub value: U256,
    pub input: Bytes,
    pub access_list: AccessList,
    /// `None` encodes as the empty string.
    pub fee_currency: Option<Address>,
}

impl Cip64Tx {
    fn encode_fields(&self, out: &mut Vec<u8>) {
        use alloy::rlp::Encodable;
        self.chain_id.encode(out);
        self.nonce.encode(out);
        self.max_priority_fee_per_gas.encode(out);
        self.max_fee_per_gas.encode(out);
        self.gas_limit.encode(out);
        self.to.encode(out);
        self.value.encode(out);
        self.input.encode(out);
        self.access_list.encode(out);
        match &self.fee_currency {
            Some(token) => token.encode(out),
            None => out.push(alloy::rlp::EMPTY_STRING_CODE),
        }
    }

    fn typed_list(payload: Vec<u8>) -> Vec<u8> {
        let mut out = vec![CIP64_TYPE];
        alloy::rlp::Header {
            list: true,
            payload_length: payload.len(),
        }
        .encode(&mut out);
        out.extend_from_slice(&payload);
        out
    }

    /// keccak256(0x7b || rlp(fields without the signature)).
    pub fn signing_hash(&self) -> B256 {
        let mut payload = Vec::new();
        self.encode_fields(&mut payload);
        keccak256(Self::typed_list(payload))
    }

    /// The signed network encoding and its hash.
    pub fn sign(&self, signer: &PrivateKeySigner) -> (Bytes, B256) {
        use alloy::rlp::Encodable;
        let signature = signer.sign_hash_sync(&self.signing_hash()).expect("sign");
        let mut payload = Vec::new();
        self.encode_fields(&mut payload);
        (signature.v() as u8).encode(&mut payload);
        signature.r().encode(&mut payload);
        signature.s().encode(&mut payload);
        let raw = Self::typed_list(payload);
        let hash = keccak256(&raw);
        (raw.into(), hash)
    }
}

/// A token of a custom genesis (`config.supervm.tokens[]`).
#[derive(Clone, Debug)]
pub struct GenesisTokenSpec {
    pub address: Address,
    pub name: String,
    pub symbol: String,
    pub decimals: u8,
    pub balances: Vec<(Address, U256)>,
    /// (numerator, denominator) token base units per wei; `None` = no price.
    pub rate: Option<(U256, U256)>,
    pub enabled: bool,
}

/// A geth-format genesis JSON for chain 31337 (30M gas, base fee 1 gwei) with the given native
/// allocation and SuperVM section.
pub fn genesis_json(
    alloc: &[(Address, U256)],
    governance: Address,
    base_fee_recipient: Option<Address>,
    tokens: &[GenesisTokenSpec],
) -> Value {
    let alloc: serde_json::Map<String, Value> = alloc
        .iter()
        .map(|(a, b)| (format!("{a:#x}"), json!({ "balance": format!("{b:#x}") })))
        .collect();
    let tokens: Vec<Value> = tokens
        .iter()
        .map(|t| {
            let balances: serde_json::Map<String, Value> = t
                .balances
                .iter()
                .map(|(a, v)| (format!("{a:#x}"), json!(format!("{v:#x}"))))
                .collect();
            let mut token = json!({
                "address": format!("{:#x}", t.address),
                "name": t.name,
                "symbol": t.symbol,
                "decimals": t.decimals,
                "balances": balances,
                "enabled": t.enabled,
            });
            if let Some((n, d)) = t.rate {
                token["rate"] =
                    json!({"numerator": format!("{n:#x}"), "denominator": format!("{d:#x}")});
            }
            token
        })
        .collect();
    json!({
        "config": {
            "chainId": CHAIN_ID,
            "supervm": {
                "governance": format!("{governance:#x}"),
                "baseFeeRecipient": base_fee_recipient.map(|a| format!("{a:#x}")),
                "tokens": tokens,
            }
        },
        "nonce": "0x0",
        "timestamp": "0x0",
        "extraData": "0x",
        "gasLimit": format!("{BLOCK_GAS_LIMIT:#x}"),
        "difficulty": "0x0",
        "baseFeePerGas": format!("{GENESIS_BASE_FEE:#x}"),
        "alloc": alloc,
    })
}

impl TestNode {
    /// Launches a node on a custom genesis (written as `genesis.json` next to the store).
    pub async fn with_genesis(genesis: &Value, tweak: impl FnOnce(&mut NodeConfig)) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("supervm-e2e-")
            .tempdir()
            .expect("tempdir");
        let path = dir.path().join("genesis.json");
        std::fs::write(&path, serde_json::to_string_pretty(genesis).unwrap())
            .expect("write genesis");
        Self::start_in(dir, move |c| {
            c.chain.genesis = Some(path);
            tweak(c);
        })
        .await
    }
}

/// Parses a JSON quantity or hex string into U256.
pub fn u256_of(v: &Value) -> U256 {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("not a U256: {v} ({e})"))
}

/// Parses a JSON address.
pub fn address_of(v: &Value) -> Address {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("not an address: {v} ({e})"))
}

/// `ceil(a × n / d)`.
pub fn mul_div_ceil(a: U256, n: U256, d: U256) -> U256 {
    let product = a.checked_mul(n).expect("mul_div overflow in the test");
    product.div_ceil(d)
}

/// `floor(a × n / d)`.
pub fn mul_div_floor(a: U256, n: U256, d: U256) -> U256 {
    a.checked_mul(n).expect("mul_div overflow in the test") / d
}

/// The fee split of a type 0/1/2 transaction paid in a token at rate n/d, from the rules:
/// debit = ceil(L·maxFee·r), refund = floor((L·maxFee − G·price)·r), tip = floor(G·(price −
/// baseFee)·r), base = the rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExpectedFee {
    pub debit: U256,
    pub refund: U256,
    pub tip: U256,
    pub base: U256,
}

impl ExpectedFee {
    pub fn paid(&self) -> U256 {
        self.debit - self.refund
    }

    #[allow(clippy::too_many_arguments)]
    pub fn converted(
        gas_limit: u64,
        max_fee: u128,
        gas_used: u64,
        price: u128,
        base_fee: u128,
        n: U256,
        d: U256,
    ) -> Self {
        let max = U256::from(gas_limit) * U256::from(max_fee);
        let paid = U256::from(gas_used) * U256::from(price);
        let debit = mul_div_ceil(max, n, d);
        let refund = mul_div_floor(max - paid, n, d);
        let tip = mul_div_floor(U256::from(gas_used) * U256::from(price - base_fee), n, d);
        Self {
            debit,
            refund,
            tip,
            base: debit - refund - tip,
        }
    }

    /// CIP-64: fee fields in token units; base fee converted with ceil.
    pub fn denominated(
        gas_limit: u64,
        max_fee: u128,
        tip_cap: u128,
        gas_used: u64,
        base_fee_wei: u128,
        n: U256,
        d: U256,
    ) -> (Self, U256) {
        let base_in_token = mul_div_ceil(U256::from(base_fee_wei), n, d);
        let price = U256::from(max_fee).min(base_in_token + U256::from(tip_cap));
        let max = U256::from(gas_limit) * U256::from(max_fee);
        let paid = U256::from(gas_used) * price;
        let fee = Self {
            debit: max,
            refund: max - paid,
            tip: U256::from(gas_used) * (price - base_in_token),
            base: U256::from(gas_used) * base_in_token,
        };
        (fee, price)
    }
}

impl RawRpc {
    /// `eth_call` at `tag`; `from` may be omitted.
    pub async fn eth_call_at(
        &self,
        from: Option<Address>,
        to: Address,
        data: &Bytes,
        tag: &str,
    ) -> Result<Bytes, RpcError> {
        let mut request = json!({"to": to, "data": data});
        if let Some(from) = from {
            request["from"] = json!(from);
        }
        self.try_call("eth_call", json!([request, tag]))
            .await
            .map(|v| {
                serde_json::from_value(v.clone())
                    .unwrap_or_else(|e| panic!("bad eth_call result {v}: {e}"))
            })
    }

    /// A view call that must succeed, at `latest`.
    pub async fn view(&self, to: Address, data: &Bytes) -> Bytes {
        match self.eth_call_at(None, to, data, "latest").await {
            Ok(out) => out,
            Err(err) => panic!("eth_call to {to} with {data} failed: {err:?}"),
        }
    }

    /// ERC-20 `balanceOf` at `latest`.
    pub async fn token_balance(&self, token: Address, owner: Address) -> U256 {
        abi_word(&self.view(token, &erc20::balance_of(owner)).await, 0)
    }

    /// ERC-20 `totalSupply` at `latest`.
    pub async fn token_supply(&self, token: Address) -> U256 {
        abi_word(&self.view(token, &erc20::total_supply()).await, 0)
    }

    /// `eth_getStorageAt` as a number.
    pub async fn storage_u256(&self, address: Address, slot: B256, tag: &str) -> U256 {
        let v = self
            .call("eth_getStorageAt", json!([address, slot, tag]))
            .await;
        let word: B256 = serde_json::from_value(v.clone())
            .unwrap_or_else(|e| panic!("bad storage word {v}: {e}"));
        U256::from_be_bytes(word.0)
    }

    /// `eth_estimateGas` for a request object.
    pub async fn estimate(&self, request: Value) -> u64 {
        quantity(&self.call("eth_estimateGas", json!([request])).await)
    }

    /// Base fee of the latest block.
    pub async fn latest_base_fee(&self) -> u128 {
        let block = self.block_json(json!("latest"), false).await;
        quantity128(&block["baseFeePerGas"])
    }

    /// Signs and submits an EIP-1559 transaction with the sender's pending nonce.
    #[allow(clippy::too_many_arguments)]
    pub async fn send_eip1559(
        &self,
        signer: &PrivateKeySigner,
        to: Address,
        value: U256,
        input: Bytes,
        gas_limit: u64,
        max_fee: u128,
        tip: u128,
    ) -> Result<B256, RpcError> {
        let nonce = self.nonce(signer.address(), "pending").await;
        let tx = TxEip1559 {
            chain_id: CHAIN_ID,
            nonce,
            gas_limit,
            max_fee_per_gas: max_fee,
            max_priority_fee_per_gas: tip,
            to: TxKind::Call(to),
            value,
            access_list: AccessList::default(),
            input,
        };
        self.send_raw(&raw(&sign(signer, tx))).await
    }

    /// Sends an EIP-1559 call with estimated gas, a 1 gwei tip and a max fee of twice the
    /// latest base fee plus the tip; waits for the receipt. Returns (receipt JSON, gas limit,
    /// max fee, tip).
    pub async fn transact(
        &self,
        signer: &PrivateKeySigner,
        to: Address,
        value: U256,
        input: Bytes,
    ) -> (Value, u64, u128, u128) {
        let gas = self
            .estimate(json!({"from": signer.address(), "to": to, "value": value, "data": input}))
            .await;
        let tip = GWEI;
        let max_fee = 2 * self.latest_base_fee().await + tip;
        let hash = self
            .send_eip1559(signer, to, value, input, gas, max_fee, tip)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "transaction from {} to {to} rejected: {e:?}",
                    signer.address()
                )
            });
        (self.wait_receipt_json(hash).await, gas, max_fee, tip)
    }
}
