//! A plain JSON-RPC-over-HTTP client, to see exactly what the node answers, and the parsing of
//! its JSON values.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use alloy_sol_types::SolCall;

use super::{
    abi::{calldata, IERC20},
    json, reqwest,
    tx::{raw, sign},
    AccessList, Address, Bytes, Ethereum, PrivateKeySigner, Provider, TransactionReceipt,
    TxEip1559, TxKind, Value, WsClient, B256, CHAIN_ID, GWEI, TIMEOUT, U256,
};

/// A JSON-RPC error object.
#[derive(Clone, Debug, PartialEq)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    pub data: Option<Value>,
}

/// A plain JSON-RPC-over-HTTP client.
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

    /// The WebSocket endpoint of the node (the HTTP port serves both).
    fn ws_url(&self) -> String {
        let mut url = self.url.clone();
        url.set_scheme("ws").expect("ws scheme");
        url.to_string()
    }

    /// `eth_getTransactionReceipt` as raw JSON once the transaction is mined: asked again on
    /// every new head (an `eth_subscribe("newHeads")` notification) until present.
    pub async fn wait_receipt_json(&self, hash: B256) -> Value {
        let mut heads = WsClient::connect(&self.ws_url()).await;
        heads.call("eth_subscribe", json!(["newHeads"])).await;
        loop {
            let receipt = self.call("eth_getTransactionReceipt", json!([hash])).await;
            if !receipt.is_null() {
                return receipt;
            }
            heads.notification().await;
        }
    }

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

    /// A view call at `tag` that must succeed; its return value, decoded strictly (canonical
    /// encoding: clean address padding, bools 0 or 1).
    pub async fn view_at<C: SolCall>(&self, to: Address, call: C, tag: &str) -> C::Return {
        let data = calldata(call);
        let out = match self.eth_call_at(None, to, &data, tag).await {
            Ok(out) => out,
            Err(err) => panic!("eth_call to {to} with {data} at {tag} failed: {err:?}"),
        };
        C::abi_decode_returns_validate(&out).unwrap_or_else(|e| {
            panic!(
                "{} of {to} returned {out}, not its ABI return type: {e}",
                C::SIGNATURE
            )
        })
    }

    /// [`RawRpc::view_at`] at `latest`.
    pub async fn view<C: SolCall>(&self, to: Address, call: C) -> C::Return {
        self.view_at(to, call, "latest").await
    }

    /// ERC-20 `balanceOf` at `latest`.
    pub async fn token_balance(&self, token: Address, owner: Address) -> U256 {
        self.view(token, IERC20::balanceOfCall { owner }).await
    }

    /// ERC-20 `totalSupply` at `latest`.
    pub async fn token_supply(&self, token: Address) -> U256 {
        self.view(token, IERC20::totalSupplyCall {}).await
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

    /// The max fee (wei) every test transaction offers unless it says otherwise: twice the
    /// latest base fee plus a 1 gwei tip, so that it stays valid for a few blocks.
    pub async fn usual_max_fee(&self) -> u128 {
        2 * self.latest_base_fee().await + GWEI
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

    /// Sends an EIP-1559 call with estimated gas, a 1 gwei tip and [`RawRpc::usual_max_fee`];
    /// waits for the receipt.
    pub async fn transact(
        &self,
        signer: &PrivateKeySigner,
        to: Address,
        value: U256,
        input: Bytes,
    ) -> Transacted {
        let gas_limit = self
            .estimate(json!({"from": signer.address(), "to": to, "value": value, "data": input}))
            .await;
        let tip = GWEI;
        let max_fee = self.usual_max_fee().await;
        let hash = self
            .send_eip1559(signer, to, value, input, gas_limit, max_fee, tip)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "transaction from {} to {to} rejected: {e:?}",
                    signer.address()
                )
            });
        Transacted {
            receipt: self.wait_receipt_json(hash).await,
            gas_limit,
            max_fee,
            tip,
        }
    }
}

/// A mined transaction sent by [`RawRpc::transact`]: its receipt and the fee fields it signed.
#[derive(Clone, Debug)]
pub struct Transacted {
    pub receipt: Value,
    pub gas_limit: u64,
    pub max_fee: u128,
    pub tip: u128,
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

/// Parses a JSON quantity or hex string into U256.
pub fn u256_of(v: &Value) -> U256 {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("not a U256: {v} ({e})"))
}

/// Parses a JSON address.
pub fn address_of(v: &Value) -> Address {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("not an address: {v} ({e})"))
}

/// Polls `eth_getTransactionReceipt` through a provider until the receipt exists (a provider
/// over HTTP cannot subscribe to new heads; [`RawRpc::wait_receipt_json`] does).
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
