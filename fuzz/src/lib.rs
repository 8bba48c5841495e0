//! Shared pieces of the fuzz targets: an in-process development node that the JSON-RPC,
//! gRPC and WASM targets drive over real sockets, exactly as a remote client would.
//!
//! A target reports a finding by panicking (the profile aborts on panic, which AFL records
//! as a crash) or by running past AFL's time limit (a hang). The node answering a malformed
//! request with an error is the expected, passing outcome.
//!
//! # The node and AFL's fork server
//!
//! afl.rs starts AFL's fork server where `fuzz!` is called: the process forks there, and the
//! child runs the inputs in a persistent loop until it crashes or times out. `fork` copies
//! only the calling thread. A node started *before* `fuzz!` therefore keeps running in the
//! fork server, not in the child: tried with the node started first, the child had one thread
//! and the fork server the node's; the child's requests were answered by the fork server's
//! node through the inherited listening sockets. That looks as if it works, but the child
//! only runs the client: a panic in the node would abort the fork server instead of the
//! child, so AFL would not save the input as a crash, and every child would share one node's
//! state. So the node must start *in the child*:
//! the targets call [`harness`] inside `fuzz!`, which starts the node on the first input a
//! child runs and keeps it for that child's later inputs (a child runs until it crashes or
//! times out). That first input takes the start-up time (well under a second here), which is
//! why fuzz/run.sh gives the node targets a generous time limit. Its coverage (genesis, the
//! start-up transactions) is seen once, and the node's background tasks run between inputs,
//! so AFL reports a low stability for these targets; the coverage of each request is still
//! fed back.

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpStream},
    sync::OnceLock,
    time::{Duration, Instant},
};

use supervm_node::{Node, NodeConfig};
use tokio::runtime::Runtime;

/// How long one request may take before the harness calls it a hang.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Raw transactions the harness submits at start-up, in this order, so that the chain the
/// fuzzed requests see has blocks, transactions of every type (legacy with and without
/// EIP-155, EIP-2930, EIP-1559, CIP-64 in a token and in the native coin), a contract
/// creation (examples/contracts/counter.wat), a contract call with a log and token fee
/// payments. They are the `tx_decode` seeds: signed by the dev mnemonic's accounts 0 to 2
/// for chain 31337, account 0's with nonces 0 to 5 in file-name order.
const CHAIN_TXS: [&[u8]; 8] = [
    include_bytes!("../corpus/tx_decode/0_legacy_155.bin"),
    include_bytes!("../corpus/tx_decode/1_eip2930.bin"),
    include_bytes!("../corpus/tx_decode/2_eip1559.bin"),
    include_bytes!("../corpus/tx_decode/3_eip1559_create_counter.bin"),
    include_bytes!("../corpus/tx_decode/4_cip64_susd.bin"),
    include_bytes!("../corpus/tx_decode/5_eip1559_call_increment.bin"),
    include_bytes!("../corpus/tx_decode/6_cip64_native.bin"),
    include_bytes!("../corpus/tx_decode/7_legacy_pre155.bin"),
];

/// The process's development node, started on first use (see the [module docs](self) for
/// why a target must not call this before `fuzz!`).
pub fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(Harness::start)
}

/// A development node on ephemeral storage, listening on loopback ports chosen by the OS.
pub struct Harness {
    runtime: Runtime,
    node: Option<Node>,
    rpc: SocketAddr,
}

impl Harness {
    /// Starts the node and mines [`CHAIN_TXS`]; panics if it cannot (a broken harness, not a
    /// finding: every input of the run then crashes, and AFL stops at its dry run).
    pub fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime starts");
        let mut config = NodeConfig::default();
        config.storage.ephemeral = true;
        config.rpc.port = 0;
        config.grpc.port = 0;
        config.metrics.enabled = false;
        let node = runtime
            .block_on(Node::launch(config))
            .expect("the development node starts");
        let rpc = node.rpc_addr();
        let harness = Self {
            runtime,
            node: Some(node),
            rpc,
        };
        harness.populate();
        harness
    }

    /// Submits [`CHAIN_TXS`] and waits until the last one has a receipt (the node automines).
    fn populate(&self) {
        let mut last = String::new();
        for raw in CHAIN_TXS {
            let hex = alloy_primitives::hex::encode_prefixed(raw);
            let answer = self.call("eth_sendRawTransaction", &format!("[\"{hex}\"]"));
            last = result_string(&answer)
                .unwrap_or_else(|| panic!("a start-up transaction was refused: {answer}"));
        }
        let deadline = Instant::now() + REQUEST_TIMEOUT;
        loop {
            let answer = self.call("eth_getTransactionReceipt", &format!("[\"{last}\"]"));
            if answer.contains("\"blockHash\"") {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the start-up transactions were not mined: {answer}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A JSON-RPC call with `params` (a JSON array); the response body as text.
    fn call(&self, method: &str, params: &str) -> String {
        let body = format!(r#"{{"jsonrpc":"2.0","id":1,"method":"{method}","params":{params}}}"#);
        let response = self.post(body.as_bytes());
        let text = String::from_utf8_lossy(&response).into_owned();
        match text.split_once("\r\n\r\n") {
            Some((_, body)) => body.to_owned(),
            None => text,
        }
    }

    /// The runtime the node runs on, for async clients.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// The gRPC endpoint as a URI.
    pub fn grpc_uri(&self) -> String {
        let addr = self
            .node
            .as_ref()
            .and_then(Node::grpc_addr)
            .expect("gRPC is enabled");
        format!("http://{addr}")
    }

    /// POSTs `body` to the JSON-RPC endpoint on a fresh connection and returns the whole
    /// HTTP response. Panics when the node does not answer in time.
    pub fn post(&self, body: &[u8]) -> Vec<u8> {
        let mut stream = TcpStream::connect(self.rpc).expect("the node accepts a connection");
        stream
            .set_read_timeout(Some(REQUEST_TIMEOUT))
            .expect("a read timeout can be set");
        let head = format!(
            "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        stream
            .write_all(head.as_bytes())
            .and_then(|()| stream.write_all(body))
            .expect("the request is sent");
        let mut response = Vec::new();
        stream
            .read_to_end(&mut response)
            .expect("the node answers before the timeout");
        assert!(
            response.starts_with(b"HTTP/1.1 "),
            "not an HTTP response: {:?}",
            String::from_utf8_lossy(&response)
        );
        response
    }
}

/// Prints what `outcome` returns (what the code under test answered) to stderr when the
/// environment has `FUZZ_PRINT_RESPONSES`, for a run of a target by hand on one input:
/// `FUZZ_PRINT_RESPONSES=1 target/release/rpc_request < FILE`. Otherwise `outcome` is not run.
pub fn print(outcome: impl FnOnce() -> String) {
    static PRINT: OnceLock<bool> = OnceLock::new();
    if *PRINT.get_or_init(|| std::env::var_os("FUZZ_PRINT_RESPONSES").is_some()) {
        eprintln!("{}", outcome());
    }
}

/// The string `result` of a JSON-RPC response body, if it has one.
fn result_string(body: &str) -> Option<String> {
    let (_, rest) = body.split_once("\"result\":\"")?;
    let (value, _) = rest.split_once('"')?;
    Some(value.to_owned())
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(node) = self.node.take() {
            self.runtime.block_on(node.stop());
        }
    }
}
