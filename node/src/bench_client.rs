//! A minimal JSON-RPC client for the benchmarks: one keep-alive HTTP/1.1 connection per
//! instance, so a benchmark controls exactly how many connections load the node and pays
//! no client-side pooling or retry cost.

use std::net::SocketAddr;

use alloy_primitives::Address;
use http_body_util::{BodyExt, Full};
use hyper::{body::Bytes, client::conn::http1::SendRequest, Request};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Why a benchmark request failed.
#[derive(Debug, thiserror::Error)]
pub enum BenchClientError {
    /// The HTTP exchange failed.
    #[error("{0}")]
    Http(String),
    /// The node answered with a JSON-RPC error or an unexpected result.
    #[error("{0}")]
    Rpc(String),
}

/// One keep-alive HTTP/1.1 connection.
pub(crate) struct Connection {
    sender: SendRequest<Full<Bytes>>,
}

impl Connection {
    pub(crate) async fn open(addr: SocketAddr) -> Result<Self, BenchClientError> {
        let http = |err: &dyn std::fmt::Display| BenchClientError::Http(format!("{addr}: {err}"));
        let stream = TcpStream::connect(addr).await.map_err(|e| http(&e))?;
        stream.set_nodelay(true).map_err(|e| http(&e))?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| http(&e))?;
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(%err, "benchmark connection closed");
            }
        });
        Ok(Self { sender })
    }

    /// Posts one JSON-RPC body and returns the response body.
    pub(crate) async fn post(&mut self, body: Bytes) -> Result<Bytes, BenchClientError> {
        let http = |err: &dyn std::fmt::Display| BenchClientError::Http(err.to_string());
        self.sender.ready().await.map_err(|e| http(&e))?;
        let request = Request::post("/")
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(hyper::header::HOST, "localhost")
            .body(Full::new(body))
            .map_err(|e| http(&e))?;
        let response = self
            .sender
            .send_request(request)
            .await
            .map_err(|e| http(&e))?;
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| http(&e))?
            .to_bytes();
        if !status.is_success() {
            return Err(BenchClientError::Http(format!(
                "HTTP {status}: {}",
                String::from_utf8_lossy(&bytes)
            )));
        }
        Ok(bytes)
    }

    /// Calls one method and returns its result.
    pub(crate) async fn call(
        &mut self,
        method: &str,
        params: serde_json::Value,
    ) -> Result<serde_json::Value, BenchClientError> {
        let body =
            serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let reply = self.post(Bytes::from(body.to_string())).await?;
        let reply: serde_json::Value = serde_json::from_slice(&reply)
            .map_err(|err| BenchClientError::Rpc(format!("{method}: invalid JSON reply: {err}")))?;
        match reply.get("error") {
            Some(error) => Err(BenchClientError::Rpc(format!("{method}: {error}"))),
            None => Ok(reply.get("result").cloned().unwrap_or_default()),
        }
    }
}

impl Connection {
    /// The next nonce of `address`, counting its pooled transactions.
    pub(crate) async fn pending_nonce(
        &mut self,
        address: Address,
    ) -> Result<u64, BenchClientError> {
        let nonce = self
            .call(
                "eth_getTransactionCount",
                serde_json::json!([address, "pending"]),
            )
            .await?;
        quantity(&nonce)
    }
}

pub(crate) fn quantity(value: &serde_json::Value) -> Result<u64, BenchClientError> {
    value
        .as_str()
        .and_then(|s| u64::from_str_radix(s.trim_start_matches("0x"), 16).ok())
        .ok_or_else(|| BenchClientError::Rpc(format!("expected a quantity, got {value}")))
}

/// The `pct` percentile of sorted latencies (0 when there are none).
pub(crate) fn percentile(sorted: &[u32], pct: usize) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = (sorted.len() * pct).div_ceil(100).saturating_sub(1);
    f64::from(sorted[index.min(sorted.len() - 1)])
}
