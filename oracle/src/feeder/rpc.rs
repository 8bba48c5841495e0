//! A small JSON-RPC 2.0 client over HTTP POST: the handful of `eth_*` calls the feeder needs.
//!
//! Plain reqwest rather than an alloy provider: the feeder needs five methods, wants to see the
//! node's error messages verbatim ("nonce too low", "already known", a revert reason) to decide
//! what to retry, and should not pull a provider stack into the oracle crate.

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use alloy_primitives::{Address, Bytes, B256, U128, U64};
use reqwest::Url;
use serde::{de::DeserializeOwned, Deserialize};
use serde_json::{json, Value};

/// A failed JSON-RPC call.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RpcError {
    /// No answer (connection refused, timeout, …).
    #[error("{method}: transport error: {message}")]
    Transport {
        /// The method called.
        method: String,
        /// What went wrong.
        message: String,
    },
    /// The answer is not a JSON-RPC response of the expected shape.
    #[error("{method}: unexpected answer: {message}")]
    Decode {
        /// The method called.
        method: String,
        /// What went wrong.
        message: String,
    },
    /// The node answered with a JSON-RPC error.
    #[error("{method}: node error {code}: {message}{}", data_suffix(.data))]
    Node {
        /// The method called.
        method: String,
        /// JSON-RPC error code.
        code: i64,
        /// The node's message.
        message: String,
        /// Extra data (revert data, for instance), as JSON text.
        data: Option<String>,
    },
}

fn data_suffix(data: &Option<String>) -> String {
    data.as_ref().map(|d| format!(" ({d})")).unwrap_or_default()
}

impl RpcError {
    /// The node's message, if the node answered with an error.
    pub fn node_message(&self) -> Option<&str> {
        match self {
            Self::Node { message, .. } => Some(message),
            _ => None,
        }
    }
}

#[derive(Deserialize)]
struct Response {
    #[serde(default)]
    result: Option<Value>,
    #[serde(default)]
    error: Option<ErrorObject>,
}

#[derive(Deserialize)]
struct ErrorObject {
    code: i64,
    message: String,
    #[serde(default)]
    data: Option<Value>,
}

/// A JSON-RPC client of one node.
#[derive(Debug)]
pub struct RpcClient {
    http: reqwest::Client,
    url: Url,
    next_id: AtomicU64,
}

impl RpcClient {
    /// A client of `url`; every call is bounded by `timeout`.
    pub fn new(url: Url, timeout: Duration) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("supervm-oracle-feeder/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            http,
            url,
            next_id: AtomicU64::new(1),
        })
    }

    /// Calls `method` with `params` and decodes the result as `T`.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        params: Value,
    ) -> Result<T, RpcError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let transport = |message: String| RpcError::Transport {
            method: method.to_string(),
            message,
        };
        let decode = |message: String| RpcError::Decode {
            method: method.to_string(),
            message,
        };
        let response = self
            .http
            .post(self.url.clone())
            .json(&body)
            .send()
            .await
            .map_err(|e| transport(e.to_string()))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| transport(e.to_string()))?;
        let answer: Response = serde_json::from_str(&text)
            .map_err(|e| decode(format!("HTTP {status}, {e}: {}", head(&text))))?;
        if let Some(error) = answer.error {
            return Err(RpcError::Node {
                method: method.to_string(),
                code: error.code,
                message: error.message,
                data: error.data.map(|d| d.to_string()),
            });
        }
        let result = answer
            .result
            .ok_or_else(|| decode("neither result nor error".into()))?;
        serde_json::from_value(result).map_err(|e| decode(e.to_string()))
    }

    /// `eth_chainId`.
    pub async fn chain_id(&self) -> Result<u64, RpcError> {
        Ok(self.call::<U64>("eth_chainId", json!([])).await?.to())
    }

    /// `eth_getTransactionCount(address, "pending")`.
    pub async fn pending_nonce(&self, address: Address) -> Result<u64, RpcError> {
        Ok(self
            .call::<U64>("eth_getTransactionCount", json!([address, "pending"]))
            .await?
            .to())
    }

    /// `eth_estimateGas` of a call from `from` to `to` with `data`.
    pub async fn estimate_gas(
        &self,
        from: Address,
        to: Address,
        data: &Bytes,
    ) -> Result<u64, RpcError> {
        Ok(self
            .call::<U64>(
                "eth_estimateGas",
                json!([{"from": from, "to": to, "data": data}]),
            )
            .await?
            .to())
    }

    /// `eth_call` at the latest block.
    pub async fn eth_call(&self, to: Address, data: &Bytes) -> Result<Bytes, RpcError> {
        self.call("eth_call", json!([{"to": to, "data": data}, "latest"]))
            .await
    }

    /// `eth_maxPriorityFeePerGas`.
    pub async fn max_priority_fee(&self) -> Result<u128, RpcError> {
        Ok(self
            .call::<U128>("eth_maxPriorityFeePerGas", json!([]))
            .await?
            .to())
    }

    /// `baseFeePerGas` of the latest block.
    pub async fn latest_base_fee(&self) -> Result<u128, RpcError> {
        let block: Value = self
            .call("eth_getBlockByNumber", json!(["latest", false]))
            .await?;
        let base_fee = block
            .get("baseFeePerGas")
            .cloned()
            .ok_or_else(|| RpcError::Decode {
                method: "eth_getBlockByNumber".into(),
                message: "latest block has no baseFeePerGas".into(),
            })?;
        serde_json::from_value::<U128>(base_fee)
            .map(|v| v.to())
            .map_err(|e| RpcError::Decode {
                method: "eth_getBlockByNumber".into(),
                message: e.to_string(),
            })
    }

    /// `eth_sendRawTransaction`.
    pub async fn send_raw_transaction(&self, raw: &Bytes) -> Result<B256, RpcError> {
        self.call("eth_sendRawTransaction", json!([raw])).await
    }

    /// The `status` of a transaction's receipt: `None` while not mined.
    pub async fn receipt_status(&self, hash: B256) -> Result<Option<bool>, RpcError> {
        let receipt: Value = self
            .call("eth_getTransactionReceipt", json!([hash]))
            .await?;
        if receipt.is_null() {
            return Ok(None);
        }
        let status = receipt.get("status").cloned().unwrap_or(Value::Null);
        let status: U64 = serde_json::from_value(status).map_err(|e| RpcError::Decode {
            method: "eth_getTransactionReceipt".into(),
            message: format!("receipt status: {e}"),
        })?;
        Ok(Some(status == U64::from(1)))
    }
}

/// The first characters of a body, for error messages.
fn head(text: &str) -> String {
    const MAX: usize = 200;
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}
