//! Shared pieces of the fuzz targets: an in-process development node that the JSON-RPC,
//! gRPC and WASM targets drive over real sockets, exactly as a remote client would.
//!
//! A target reports a finding by panicking (the profile aborts on panic, which AFL records
//! as a crash) or by running past AFL's time limit (a hang). The node answering a malformed
//! request with an error is the expected, passing outcome.

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpStream},
    time::Duration,
};

use supervm_node::{Node, NodeConfig};
use tokio::runtime::Runtime;

/// How long one request may take before the harness calls it a hang.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A development node on ephemeral storage, listening on loopback ports chosen by the OS.
pub struct Harness {
    runtime: Runtime,
    node: Option<Node>,
    rpc: SocketAddr,
}

impl Harness {
    /// Starts the node; panics if it cannot (a broken harness, not a finding).
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
        Self {
            runtime,
            node: Some(node),
            rpc,
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

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(node) = self.node.take() {
            self.runtime.block_on(node.stop());
        }
    }
}
