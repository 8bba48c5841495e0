//! Signing and submitting `report(token, numerator, denominator)` transactions.
//!
//! Each attempt builds a fresh EIP-1559 transaction from the node's current view: the pending
//! nonce, a gas estimate (which also tells us early that the call would revert, e.g. because
//! this key is not a whitelisted reporter), the suggested tip and the latest base fee. Failed
//! attempts are retried with exponential backoff, a bounded number of times per round. Nonce
//! conflicts ("nonce too low") refresh the nonce; "already known" means the very same signed
//! transaction is already in the pool, which is a success.

use std::sync::Arc;

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::{eip2718::Encodable2718, eip2930::AccessList};
use alloy_primitives::{Address, Bytes, TxKind, B256, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use parking_lot::Mutex;

use crate::{
    backoff::Backoff,
    fraction::Fraction,
    rpc::{RpcClient, RpcError},
};
use supervm_primitives::system::IOracle;

/// One failed attempt.
#[derive(Debug, thiserror::Error)]
pub enum AttemptError {
    /// The pending nonce could not be read.
    #[error("reading the nonce: {0}")]
    Nonce(RpcError),
    /// `eth_estimateGas` failed: the report would revert (not a whitelisted reporter, bad
    /// price) or the node is unreachable. No fixed gas limit is substituted: a transaction that
    /// the node says would fail is not sent.
    #[error("estimating gas (the report would revert, or the node is unreachable): {0}")]
    Estimate(RpcError),
    /// The fee suggestion or the latest base fee could not be read.
    #[error("reading fees: {0}")]
    Fees(RpcError),
    /// The signer failed.
    #[error("signing: {0}")]
    Sign(String),
    /// `eth_sendRawTransaction` was refused or did not answer.
    #[error("sending: {0}")]
    Send(RpcError),
}

impl AttemptError {
    /// The node rejected the nonce as already used: refresh it and try again at once.
    fn nonce_too_low(&self) -> bool {
        matches!(self, Self::Send(e) if e.node_message().is_some_and(|m| {
            let m = m.to_ascii_lowercase();
            m.contains("nonce too low") || m.contains("replacement transaction underpriced")
        }))
    }
}

/// Why a report was not submitted this round.
#[derive(Debug, thiserror::Error)]
#[error("report not submitted after {attempts} attempts: {last}")]
pub struct ReportError {
    /// Attempts made.
    pub attempts: u32,
    /// The last failure.
    pub last: AttemptError,
}

/// A report the node accepted into its pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Submitted {
    /// Transaction hash.
    pub hash: B256,
    /// Its nonce.
    pub nonce: u64,
    /// Its gas limit.
    pub gas_limit: u64,
    /// `maxFeePerGas` (wei).
    pub max_fee_per_gas: u128,
    /// `maxPriorityFeePerGas` (wei).
    pub max_priority_fee_per_gas: u128,
}

/// Signs and submits reports with one key.
#[derive(Debug)]
pub struct Reporter {
    rpc: Arc<RpcClient>,
    signer: PrivateKeySigner,
    chain_id: u64,
    oracle: Address,
    backoff: Backoff,
    /// The nonce after our last accepted transaction: the node's pending count may lag behind
    /// it for a moment (load balancers, pool bookkeeping), and a nonce is never reused.
    next_nonce: Mutex<Option<u64>>,
}

impl Reporter {
    /// A reporter signing for `chain_id` and calling `oracle`.
    pub fn new(
        rpc: Arc<RpcClient>,
        signer: PrivateKeySigner,
        chain_id: u64,
        oracle: Address,
        backoff: Backoff,
    ) -> Self {
        Self {
            rpc,
            signer,
            chain_id,
            oracle,
            backoff,
            next_nonce: Mutex::new(None),
        }
    }

    /// The reporter's address.
    pub fn address(&self) -> Address {
        self.signer.address()
    }

    /// The calldata of `report(token, numerator, denominator)`.
    pub fn calldata(token: Address, price: Fraction) -> Bytes {
        IOracle::reportCall {
            token,
            numerator: price.numerator(),
            denominator: price.denominator(),
        }
        .abi_encode()
        .into()
    }

    /// Submits a report, retrying with backoff; the accepted transaction or the last error.
    pub async fn report(
        &self,
        symbol: &str,
        token: Address,
        price: Fraction,
    ) -> Result<Submitted, ReportError> {
        let data = Self::calldata(token, price);
        let mut failed = 0;
        loop {
            match self.attempt(&data).await {
                Ok(submitted) => {
                    tracing::info!(
                        token = %symbol,
                        tx = %submitted.hash,
                        nonce = submitted.nonce,
                        gas_limit = submitted.gas_limit,
                        max_fee_per_gas = submitted.max_fee_per_gas,
                        price = %price,
                        "report submitted"
                    );
                    return Ok(submitted);
                }
                Err(err) => {
                    failed += 1;
                    let nonce_conflict = err.nonce_too_low();
                    if nonce_conflict {
                        *self.next_nonce.lock() = None;
                    }
                    if failed >= self.backoff.attempts {
                        tracing::error!(token = %symbol, attempts = failed, error = %err, "report failed, giving up until the next round");
                        return Err(ReportError {
                            attempts: failed,
                            last: err,
                        });
                    }
                    // A nonce conflict is fixed by the refresh: retry at once.
                    let delay = if nonce_conflict {
                        std::time::Duration::ZERO
                    } else {
                        self.backoff.delay(failed - 1)
                    };
                    tracing::warn!(
                        token = %symbol,
                        attempt = failed,
                        retry_in_ms = delay.as_millis() as u64,
                        error = %err,
                        "report attempt failed"
                    );
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    /// One attempt: nonce, gas, fees, sign, send.
    async fn attempt(&self, data: &Bytes) -> Result<Submitted, AttemptError> {
        let from = self.signer.address();
        let pending = self
            .rpc
            .pending_nonce(from)
            .await
            .map_err(AttemptError::Nonce)?;
        let local = *self.next_nonce.lock();
        let nonce = local.map_or(pending, |local| local.max(pending));
        let estimate = self
            .rpc
            .estimate_gas(from, self.oracle, data)
            .await
            .map_err(AttemptError::Estimate)?;
        // Headroom of 50 %: the estimate runs against the latest block, the transaction in a
        // later one, and `report` stores the block timestamp. On a chain whose latest block is
        // a genesis with timestamp 0, the estimate prices that store as a no-op while the real
        // one writes a fresh slot (+17,100 gas, +35 % for a first report). Unused gas is not
        // charged, so the headroom only raises the balance the pool checks.
        let gas_limit = estimate.saturating_add(estimate / 2);
        let tip = self
            .rpc
            .max_priority_fee()
            .await
            .map_err(AttemptError::Fees)?;
        let base_fee = self
            .rpc
            .latest_base_fee()
            .await
            .map_err(AttemptError::Fees)?;
        let max_fee = base_fee.saturating_mul(2).saturating_add(tip);
        let tx = TxEip1559 {
            chain_id: self.chain_id,
            nonce,
            gas_limit,
            max_fee_per_gas: max_fee,
            max_priority_fee_per_gas: tip,
            to: TxKind::Call(self.oracle),
            value: U256::ZERO,
            access_list: AccessList::default(),
            input: data.clone(),
        };
        let signature = self
            .signer
            .sign_hash_sync(&tx.signature_hash())
            .map_err(|e| AttemptError::Sign(e.to_string()))?;
        let envelope = TxEnvelope::Eip1559(tx.into_signed(signature));
        let hash = *envelope.tx_hash();
        let raw: Bytes = envelope.encoded_2718().into();
        match self.rpc.send_raw_transaction(&raw).await {
            Ok(_) => {}
            Err(err) if already_known(&err) => {
                tracing::debug!(tx = %hash, "the node already has this transaction");
            }
            Err(err) => return Err(AttemptError::Send(err)),
        }
        *self.next_nonce.lock() = Some(nonce + 1);
        Ok(Submitted {
            hash,
            nonce,
            gas_limit,
            max_fee_per_gas: max_fee,
            max_priority_fee_per_gas: tip,
        })
    }
}

/// The node already holds this exact transaction (an earlier attempt got through but its
/// answer was lost).
fn already_known(err: &RpcError) -> bool {
    err.node_message().is_some_and(|m| {
        let m = m.to_ascii_lowercase();
        m.contains("already known") || m.contains("known transaction")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::{
        sync::atomic::{AtomicUsize, Ordering},
        time::Duration,
    };

    use alloy_primitives::address;
    use axum::{extract::State, routing::post, Json, Router};
    use serde_json::{json, Value};

    /// A fake node: answers the feeder's calls; `send` decides the answers to
    /// `eth_sendRawTransaction`, `estimate_fails` makes every estimate revert.
    struct FakeNode {
        sends: AtomicUsize,
        nonce_reads: AtomicUsize,
        send_answers: Vec<Value>,
        estimate_fails: bool,
        raw: Mutex<Vec<Bytes>>,
    }

    async fn handle(State(node): State<Arc<FakeNode>>, Json(request): Json<Value>) -> Json<Value> {
        let id = request["id"].clone();
        let ok = |result: Value| Json(json!({"jsonrpc": "2.0", "id": id, "result": result}));
        let fail = |message: &str| {
            Json(
                json!({"jsonrpc": "2.0", "id": request["id"], "error": {"code": -32000, "message": message}}),
            )
        };
        match request["method"].as_str().unwrap_or_default() {
            "eth_getTransactionCount" => {
                let reads = node.nonce_reads.fetch_add(1, Ordering::SeqCst);
                ok(json!(format!("{:#x}", 7 + reads)))
            }
            "eth_estimateGas" if node.estimate_fails => {
                fail("execution reverted: not a reporter for this token")
            }
            "eth_estimateGas" => ok(json!("0x10000")),
            "eth_maxPriorityFeePerGas" => ok(json!("0x3b9aca00")),
            "eth_getBlockByNumber" => {
                let mut block =
                    alloy_rpc_types_eth::Block::<alloy_rpc_types_eth::Transaction>::default();
                block.header.inner.base_fee_per_gas = Some(0x77359400);
                ok(json!(block))
            }
            "eth_sendRawTransaction" => {
                let n = node.sends.fetch_add(1, Ordering::SeqCst);
                let raw: Bytes = serde_json::from_value(request["params"][0].clone()).unwrap();
                node.raw.lock().push(raw);
                match node.send_answers.get(n) {
                    Some(Value::String(message)) => fail(message),
                    _ => ok(json!(B256::repeat_byte(0xab))),
                }
            }
            other => fail(&format!("unexpected method {other}")),
        }
    }

    async fn reporter(node: Arc<FakeNode>) -> Reporter {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new().route("/", post(handle)).with_state(node);
        tokio::spawn(async move { axum::serve(listener, app).await });
        let rpc = RpcClient::new(
            format!("http://{addr}/").parse().unwrap(),
            Duration::from_secs(5),
        )
        .unwrap();
        let signer: PrivateKeySigner =
            "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
                .parse()
                .unwrap();
        Reporter::new(
            Arc::new(rpc),
            signer,
            31337,
            supervm_primitives::system::ORACLE,
            Backoff {
                attempts: 3,
                base: Duration::from_millis(1),
                cap: Duration::from_millis(2),
            },
        )
    }

    fn price() -> Fraction {
        Fraction::new(U256::from(3), U256::from(1_000_000_000u64)).unwrap()
    }

    #[tokio::test]
    async fn signs_a_decodable_eip1559_report() {
        let node = Arc::new(FakeNode {
            sends: AtomicUsize::new(0),
            nonce_reads: AtomicUsize::new(0),
            send_answers: vec![],
            estimate_fails: false,
            raw: Mutex::new(vec![]),
        });
        let reporter = reporter(node.clone()).await;
        let token = address!("0x00000000000000000000000000000000000005d1");
        let submitted = reporter.report("sUSD", token, price()).await.unwrap();
        assert_eq!(submitted.nonce, 7);
        assert_eq!(submitted.gas_limit, 0x10000 + 0x8000);
        assert_eq!(submitted.max_priority_fee_per_gas, 1_000_000_000);
        assert_eq!(submitted.max_fee_per_gas, 2 * 2_000_000_000 + 1_000_000_000);

        use alloy_consensus::transaction::SignerRecoverable;
        use alloy_eips::eip2718::Decodable2718;
        let raw = node.raw.lock()[0].clone();
        let tx = TxEnvelope::decode_2718(&mut raw.as_ref()).unwrap();
        assert_eq!(*tx.tx_hash(), submitted.hash);
        assert_eq!(tx.recover_signer().unwrap(), reporter.address());
        let TxEnvelope::Eip1559(signed) = tx else {
            panic!("not EIP-1559")
        };
        assert_eq!(signed.tx().chain_id, 31337);
        let call = IOracle::reportCall::abi_decode(&signed.tx().input).unwrap();
        assert_eq!(call.token, token);
        assert_eq!(call.numerator, U256::from(3));
        assert_eq!(call.denominator, U256::from(1_000_000_000u64));
    }

    #[tokio::test]
    async fn nonce_too_low_refreshes_and_already_known_succeeds() {
        let node = Arc::new(FakeNode {
            sends: AtomicUsize::new(0),
            nonce_reads: AtomicUsize::new(0),
            send_answers: vec![json!("nonce too low"), json!("already known")],
            estimate_fails: false,
            raw: Mutex::new(vec![]),
        });
        let reporter = reporter(node.clone()).await;
        let submitted = reporter
            .report("sUSD", Address::ZERO, price())
            .await
            .unwrap();
        // First attempt used nonce 7, the refreshed one 8.
        assert_eq!(submitted.nonce, 8);
        assert_eq!(node.sends.load(Ordering::SeqCst), 2);
        // The next report never goes below the nonce after the accepted one.
        let next = reporter
            .report("sUSD", Address::ZERO, price())
            .await
            .unwrap();
        assert_eq!(next.nonce, 9);
    }

    #[tokio::test]
    async fn a_failing_estimate_is_retried_then_given_up() {
        let node = Arc::new(FakeNode {
            sends: AtomicUsize::new(0),
            nonce_reads: AtomicUsize::new(0),
            send_answers: vec![],
            estimate_fails: true,
            raw: Mutex::new(vec![]),
        });
        let reporter = reporter(node.clone()).await;
        let err = reporter
            .report("sUSD", Address::ZERO, price())
            .await
            .unwrap_err();
        assert_eq!(err.attempts, 3);
        assert!(matches!(err.last, AttemptError::Estimate(_)));
        assert!(
            err.to_string().contains("not a reporter for this token"),
            "{err}"
        );
        assert_eq!(
            node.sends.load(Ordering::SeqCst),
            0,
            "nothing is sent without an estimate"
        );
    }
}
