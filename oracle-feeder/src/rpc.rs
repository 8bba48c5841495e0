//! The node's JSON-RPC API as the feeder uses it: alloy's [`RootProvider`] over the feeder's
//! own HTTP client.
//!
//! alloy does the JSON-RPC framing and the typed `eth_*` calls. Its own HTTP transport is built
//! on a different major version of reqwest than the one the feeder fetches prices with (and in
//! this workspace without TLS), so `HttpTransport` carries alloy's request packets over the
//! feeder's client instead: one HTTP stack in the binary, `https` nodes, the configured timeout.
//! Failures keep the node's message verbatim ("nonce too low", "already known", a revert
//! reason): [`crate::submit`] decides from it what to retry.

use std::{
    task::{Context, Poll},
    time::Duration,
};

use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_json_rpc::{RequestPacket, ResponsePacket};
use alloy_primitives::{Address, Bytes, B256};
use alloy_provider::{Provider, RootProvider};
use alloy_rpc_types_eth::{TransactionInput, TransactionRequest};
use alloy_transport::{RpcError as AlloyError, TransportError, TransportErrorKind, TransportFut};
use reqwest::Url;

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

    /// Sorts an alloy failure of `method` into no answer, a bad answer or the node's error.
    fn from_alloy(method: &str, err: TransportError) -> Self {
        let method = method.to_string();
        match err {
            AlloyError::ErrorResp(payload) => Self::Node {
                method,
                code: payload.code,
                message: payload.message.into_owned(),
                data: payload.data.map(|d| d.get().to_string()),
            },
            AlloyError::DeserError { err, text } => Self::Decode {
                method,
                message: format!("{err}: {}", head(&text)),
            },
            AlloyError::NullResp => Self::Decode {
                method,
                message: "null result".into(),
            },
            other => Self::Transport {
                method,
                message: other.to_string(),
            },
        }
    }
}

/// alloy's transport over the feeder's reqwest client: POSTs a request packet to the node and
/// reads the response packet. A body that is a JSON-RPC response is read whatever the HTTP
/// status, so an error a proxy forwards with a 4xx or 5xx still reaches the caller as the node's
/// error.
#[derive(Clone, Debug)]
struct HttpTransport {
    http: reqwest::Client,
    url: Url,
}

impl HttpTransport {
    async fn send(self, request: RequestPacket) -> Result<ResponsePacket, TransportError> {
        let response = self
            .http
            .post(self.url)
            .json(&request)
            .send()
            .await
            .map_err(TransportErrorKind::custom)?;
        let status = response.status();
        let body = response.bytes().await.map_err(TransportErrorKind::custom)?;
        serde_json::from_slice(&body).map_err(|err| {
            let text = String::from_utf8_lossy(&body);
            if status.is_success() {
                TransportError::deser_err(err, text)
            } else {
                TransportErrorKind::http_error(status.as_u16(), head(&text))
            }
        })
    }
}

impl tower::Service<RequestPacket> for HttpTransport {
    type Response = ResponsePacket;
    type Error = TransportError;
    type Future = TransportFut<'static>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: RequestPacket) -> Self::Future {
        Box::pin(self.clone().send(request))
    }
}

/// A JSON-RPC client of one node: the calls the feeder makes.
#[derive(Debug)]
pub struct RpcClient {
    provider: RootProvider,
}

impl RpcClient {
    /// A client of `url`; every call is bounded by `timeout`.
    pub fn new(url: Url, timeout: Duration) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("supervm-oracle-feeder/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let client = alloy_rpc_client::RpcClient::new(HttpTransport { http, url }, false);
        Ok(Self {
            provider: RootProvider::new(client),
        })
    }

    /// `eth_chainId`.
    pub async fn chain_id(&self) -> Result<u64, RpcError> {
        self.provider
            .get_chain_id()
            .await
            .map_err(|e| RpcError::from_alloy("eth_chainId", e))
    }

    /// `eth_getTransactionCount(address, "pending")`.
    pub async fn pending_nonce(&self, address: Address) -> Result<u64, RpcError> {
        self.provider
            .get_transaction_count(address)
            .pending()
            .await
            .map_err(|e| RpcError::from_alloy("eth_getTransactionCount", e))
    }

    /// `eth_estimateGas` of a call from `from` to `to` with `data`.
    pub async fn estimate_gas(
        &self,
        from: Address,
        to: Address,
        data: &Bytes,
    ) -> Result<u64, RpcError> {
        self.provider
            .estimate_gas(call_request(Some(from), to, data))
            .await
            .map_err(|e| RpcError::from_alloy("eth_estimateGas", e))
    }

    /// `eth_call` at the latest block.
    pub async fn eth_call(&self, to: Address, data: &Bytes) -> Result<Bytes, RpcError> {
        self.provider
            .call(call_request(None, to, data))
            .block(BlockId::latest())
            .await
            .map_err(|e| RpcError::from_alloy("eth_call", e))
    }

    /// `eth_maxPriorityFeePerGas`.
    pub async fn max_priority_fee(&self) -> Result<u128, RpcError> {
        self.provider
            .get_max_priority_fee_per_gas()
            .await
            .map_err(|e| RpcError::from_alloy("eth_maxPriorityFeePerGas", e))
    }

    /// `baseFeePerGas` of the latest block.
    pub async fn latest_base_fee(&self) -> Result<u128, RpcError> {
        const METHOD: &str = "eth_getBlockByNumber";
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(|e| RpcError::from_alloy(METHOD, e))?;
        let decode = |message: &str| RpcError::Decode {
            method: METHOD.into(),
            message: message.into(),
        };
        let block = block.ok_or_else(|| decode("the node has no latest block"))?;
        block
            .header
            .base_fee_per_gas
            .map(u128::from)
            .ok_or_else(|| decode("latest block has no baseFeePerGas"))
    }

    /// `eth_sendRawTransaction`: the hash the node gives the transaction.
    pub async fn send_raw_transaction(&self, raw: &Bytes) -> Result<B256, RpcError> {
        self.provider
            .send_raw_transaction(raw)
            .await
            .map(|pending| *pending.tx_hash())
            .map_err(|e| RpcError::from_alloy("eth_sendRawTransaction", e))
    }

    /// The `status` of a transaction's receipt: `None` while not mined.
    pub async fn receipt_status(&self, hash: B256) -> Result<Option<bool>, RpcError> {
        self.provider
            .get_transaction_receipt(hash)
            .await
            .map(|receipt| receipt.map(|r| r.status()))
            .map_err(|e| RpcError::from_alloy("eth_getTransactionReceipt", e))
    }
}

/// The transaction object of `eth_call` / `eth_estimateGas`. The calldata goes in both `input`
/// and `data`, so nodes that read only the older `data` field see it too.
fn call_request(from: Option<Address>, to: Address, data: &Bytes) -> TransactionRequest {
    TransactionRequest {
        from,
        input: TransactionInput::both(data.clone()),
        ..TransactionRequest::default()
    }
    .to(to)
}

/// The first characters of a body, for error messages.
fn head(text: &str) -> String {
    const MAX: usize = 200;
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}
