//! Helpers shared by the node's integration tests: an in-process node that mines only on
//! demand, signed dev-account transfers, and submission over JSON-RPC.

use alloy_consensus::{SignableTransaction, TxEip1559};
use alloy_primitives::{Address, TxKind, U256};
use alloy_signer::SignerSync;
use supervm_node::{DevAccount, Node, NodeConfig};
use supervm_primitives::{TxCip64, TxEnvelope};

const GWEI: u128 = 1_000_000_000;

/// A node on an ephemeral store that never mines by itself (no gRPC, no metrics), with one
/// execution thread; `config` is the starting configuration.
pub async fn node_with(mut config: NodeConfig) -> Node {
    config.storage.ephemeral = true;
    config.rpc.port = 0;
    config.grpc.enabled = false;
    config.metrics.enabled = false;
    config.mining.manual = true;
    config.execution.threads = 1;
    Node::launch(config).await.expect("launch")
}

/// [`node_with`] the default configuration.
pub async fn node() -> Node {
    node_with(NodeConfig::default()).await
}

/// A 1-wei transfer from `from` with `nonce`, gas paid natively or in `fee_currency` (CIP-64).
pub fn transfer(from: &DevAccount, nonce: u64, fee_currency: Option<Address>) -> TxEnvelope {
    let inner = TxEip1559 {
        chain_id: 31337,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 100 * GWEI,
        max_priority_fee_per_gas: GWEI,
        to: TxKind::Call(Address::repeat_byte(0x42)),
        value: U256::from(1),
        ..Default::default()
    };
    match fee_currency {
        None => {
            let signature = from.signer.sign_hash_sync(&inner.signature_hash()).unwrap();
            TxEnvelope::Eip1559(inner.into_signed(signature))
        }
        Some(token) => {
            let tx = TxCip64 {
                inner: TxEip1559 {
                    max_fee_per_gas: 3_000,
                    max_priority_fee_per_gas: 3,
                    ..inner
                },
                fee_currency: Some(token),
            };
            let signature = from.signer.sign_hash_sync(&tx.signature_hash()).unwrap();
            TxEnvelope::Cip64(tx.into_signed(signature))
        }
    }
}

/// Submits `tx` with `eth_sendRawTransaction`; panics when the node refuses it.
pub async fn send(node: &Node, tx: &TxEnvelope) {
    let body = serde_json::json!({
        "jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction",
        "params": [alloy_primitives::hex::encode_prefixed(tx.encoded())],
    });
    let reply: serde_json::Value = reqwest::Client::new()
        .post(format!("http://{}", node.rpc_addr()))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(reply.get("error").is_none(), "{reply}");
}
