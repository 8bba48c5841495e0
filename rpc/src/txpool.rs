//! The `txpool` namespace in geth's format, with each entry's fee token; and the `miner`
//! namespace that changes this node's fee-token policy at runtime (admin: loopback only
//! unless configured).

use std::{collections::BTreeMap, sync::Arc};

use alloy_consensus::Transaction as _;
use alloy_primitives::{Address, B256, U256, U64};
use alloy_serde::{OtherFields, WithOtherFields};
use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use serde::{Deserialize, Serialize};
use supervm_primitives::FeeToken;
use supervm_txpool::{AcceptedTokens, BlockFilter, PoolContent, PooledTx};

use crate::{
    context::RpcContext,
    convert::{rpc_transaction, RpcTransaction},
    RpcError,
};

/// A pooled transaction as `txpool_content` shows it: the RPC transaction plus `feeToken`.
pub type PoolTransaction = WithOtherFields<RpcTransaction>;

/// Transactions of one sender by nonce (decimal string keys, as geth).
type ByNonce<T> = BTreeMap<String, T>;

/// `txpool_content`.
#[derive(Clone, Debug, Serialize)]
pub struct ContentJson {
    /// Minable transactions by sender and nonce.
    pub pending: BTreeMap<Address, ByNonce<PoolTransaction>>,
    /// Transactions waiting for a nonce gap, by sender and nonce.
    pub queued: BTreeMap<Address, ByNonce<PoolTransaction>>,
    /// Recently dropped transactions and why (SuperVM extension).
    pub dropped: Vec<DroppedJson>,
}

/// `txpool_contentFrom`.
#[derive(Clone, Debug, Serialize)]
pub struct ContentFromJson {
    /// The sender's minable transactions by nonce.
    pub pending: ByNonce<PoolTransaction>,
    /// The sender's queued transactions by nonce.
    pub queued: ByNonce<PoolTransaction>,
}

/// `txpool_inspect`.
#[derive(Clone, Debug, Serialize)]
pub struct InspectJson {
    /// One-line summaries of minable transactions.
    pub pending: BTreeMap<Address, ByNonce<String>>,
    /// One-line summaries of queued transactions.
    pub queued: BTreeMap<Address, ByNonce<String>>,
}

/// `txpool_status`.
#[derive(Clone, Debug, Serialize)]
pub struct StatusJson {
    /// Number of minable transactions.
    pub pending: U64,
    /// Number of queued transactions.
    pub queued: U64,
}

/// A dropped transaction and the reason.
#[derive(Clone, Debug, Serialize)]
pub struct DroppedJson {
    /// Its hash.
    pub hash: B256,
    /// Its sender.
    pub from: Address,
    /// Its nonce.
    pub nonce: U64,
    /// Why the pool dropped it.
    pub reason: String,
}

/// `txpool_*`.
#[rpc(server, namespace = "txpool")]
pub trait TxpoolApi {
    /// Counts of pending and queued transactions.
    #[method(name = "status")]
    fn status(&self) -> RpcResult<StatusJson>;
    /// Every pooled transaction.
    #[method(name = "content")]
    fn content(&self) -> RpcResult<ContentJson>;
    /// One sender's pooled transactions.
    #[method(name = "contentFrom")]
    fn content_from(&self, address: Address) -> RpcResult<ContentFromJson>;
    /// One-line summaries of every pooled transaction.
    #[method(name = "inspect")]
    fn inspect(&self) -> RpcResult<InspectJson>;
}

/// The fee-token policy as `miner_getPolicy` shows it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyJson {
    /// `"all"` or the accepted tokens (zero address = native).
    pub accepted_tokens: serde_json::Value,
    /// Minimum tip per gas in wei, per token.
    pub min_tips: BTreeMap<Address, U256>,
    /// Largest share of block gas in basis points, per token.
    pub share_caps_bps: BTreeMap<Address, u64>,
}

/// What `miner_setAcceptedTokens` takes: a list of tokens, or `"all"`.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum AcceptedParam {
    /// These tokens only (zero address = native).
    List(Vec<Address>),
    /// The word `all`.
    Word(String),
}

/// `miner_*`.
#[rpc(server, namespace = "miner")]
pub trait MinerApi {
    /// Sets the accepted fee tokens (`[]` accepts none; `"all"` accepts every token).
    #[method(name = "setAcceptedTokens")]
    fn set_accepted_tokens(&self, tokens: AcceptedParam) -> RpcResult<bool>;
    /// Sets the minimum tip per gas (wei) for a fee token (zero address = native).
    #[method(name = "setMinTip")]
    fn set_min_tip(&self, token: Address, value: U256) -> RpcResult<bool>;
    /// Sets the largest share of block gas (basis points, 1–10000) for a fee token; 10000
    /// removes the cap.
    #[method(name = "setShareCap")]
    fn set_share_cap(&self, token: Address, bps: u64) -> RpcResult<bool>;
    /// The current policy.
    #[method(name = "getPolicy")]
    fn get_policy(&self) -> RpcResult<PolicyJson>;
}

/// Implementation of both namespaces.
pub(crate) struct Txpool {
    pub ctx: Arc<RpcContext>,
}

/// A pooled transaction with its fee token and, when this node's miner policy keeps it out
/// of this node's blocks at the next block's base fee, why (`minerPolicy`): it then waits for
/// another validator's block or a policy change.
fn pool_transaction(tx: &PooledTx, filter: &BlockFilter<'_>) -> PoolTransaction {
    let mut other = OtherFields::default();
    other.insert("feeToken".into(), serde_json::json!(tx.fee_token.address()));
    if let Err(skip) = filter.check(tx, tx.fee_token) {
        other.insert("minerPolicy".into(), serde_json::json!(skip.to_string()));
    }
    WithOtherFields {
        inner: rpc_transaction(&tx.tx, None),
        other,
    }
}

fn group<T>(txs: &[Arc<PooledTx>], f: impl Fn(&PooledTx) -> T) -> BTreeMap<Address, ByNonce<T>> {
    let mut grouped: BTreeMap<Address, ByNonce<T>> = BTreeMap::new();
    for tx in txs {
        grouped
            .entry(tx.tx.sender)
            .or_default()
            .insert(tx.nonce().to_string(), f(tx));
    }
    grouped
}

fn by_nonce(txs: &[Arc<PooledTx>], filter: &BlockFilter<'_>) -> ByNonce<PoolTransaction> {
    txs.iter()
        .map(|tx| (tx.nonce().to_string(), pool_transaction(tx, filter)))
        .collect()
}

/// geth's summary line, with the fee token when it is not the native coin.
fn summary(tx: &PooledTx) -> String {
    let inner = &tx.tx.tx;
    let to = match inner.to() {
        Some(to) => format!("{to}"),
        None => "contract creation".to_string(),
    };
    let line = format!(
        "{to}: {} wei + {} gas × {} wei",
        inner.value(),
        inner.gas_limit(),
        tx.fees.max_fee_per_gas
    );
    match tx.fee_token {
        FeeToken::Token(token) => format!("{line} (fee paid in {token})"),
        FeeToken::Native => line,
    }
}

impl TxpoolApiServer for Txpool {
    fn status(&self) -> RpcResult<StatusJson> {
        let counts = self.ctx.pool.counts();
        Ok(StatusJson {
            pending: U64::from(counts.pending),
            queued: U64::from(counts.queued),
        })
    }

    fn content(&self) -> RpcResult<ContentJson> {
        let PoolContent { pending, queued } = self.ctx.pool.content();
        let dropped = self
            .ctx
            .pool
            .dropped()
            .into_iter()
            .map(|d| DroppedJson {
                hash: d.hash,
                from: d.sender,
                nonce: U64::from(d.nonce),
                reason: d.reason.to_string(),
            })
            .collect();
        let policy = self.ctx.policy.read().clone();
        let env = self.ctx.pool.env();
        let filter = BlockFilter::new(&policy, env.block_gas_limit, env.base_fee);
        Ok(ContentJson {
            pending: group(&pending, |tx| pool_transaction(tx, &filter)),
            queued: group(&queued, |tx| pool_transaction(tx, &filter)),
            dropped,
        })
    }

    fn content_from(&self, address: Address) -> RpcResult<ContentFromJson> {
        let PoolContent { pending, queued } = self.ctx.pool.content_from(&address);
        let policy = self.ctx.policy.read().clone();
        let env = self.ctx.pool.env();
        let filter = BlockFilter::new(&policy, env.block_gas_limit, env.base_fee);
        Ok(ContentFromJson {
            pending: by_nonce(&pending, &filter),
            queued: by_nonce(&queued, &filter),
        })
    }

    fn inspect(&self) -> RpcResult<InspectJson> {
        let PoolContent { pending, queued } = self.ctx.pool.content();
        Ok(InspectJson {
            pending: group(&pending, summary),
            queued: group(&queued, summary),
        })
    }
}

impl MinerApiServer for Txpool {
    fn set_accepted_tokens(&self, tokens: AcceptedParam) -> RpcResult<bool> {
        let accepted = match tokens {
            AcceptedParam::List(list) => {
                AcceptedTokens::Only(list.into_iter().map(FeeToken::from_address).collect())
            }
            AcceptedParam::Word(word) if word == "all" => AcceptedTokens::All,
            AcceptedParam::Word(other) => {
                return Err(RpcError::InvalidParams(format!(
                    "expected a list of token addresses or \"all\", got {other:?}"
                ))
                .into())
            }
        };
        tracing::info!(?accepted, "miner policy: accepted fee tokens changed");
        self.ctx.policy.write().accepted = accepted;
        self.ctx.pool.wake_if_pending();
        Ok(true)
    }

    fn set_min_tip(&self, token: Address, value: U256) -> RpcResult<bool> {
        let value: u128 = value.try_into().map_err(|_| {
            RpcError::InvalidParams(format!("minimum tip {value} does not fit in 128 bits"))
        })?;
        tracing::info!(%token, value, "miner policy: minimum tip changed");
        self.ctx
            .policy
            .write()
            .min_tips
            .insert(FeeToken::from_address(token), value);
        self.ctx.pool.wake_if_pending();
        Ok(true)
    }

    fn set_share_cap(&self, token: Address, bps: u64) -> RpcResult<bool> {
        if bps == 0 || bps > 10_000 {
            return Err(RpcError::InvalidParams(format!(
                "share cap {bps} must be between 1 and 10000 basis points"
            ))
            .into());
        }
        tracing::info!(%token, bps, "miner policy: share cap changed");
        {
            let mut policy = self.ctx.policy.write();
            let token = FeeToken::from_address(token);
            if bps == 10_000 {
                policy.share_caps_bps.remove(&token);
            } else {
                policy.share_caps_bps.insert(token, bps);
            }
        }
        self.ctx.pool.wake_if_pending();
        Ok(true)
    }

    fn get_policy(&self) -> RpcResult<PolicyJson> {
        let policy = self.ctx.policy.read().clone();
        Ok(PolicyJson {
            accepted_tokens: match &policy.accepted {
                AcceptedTokens::All => serde_json::json!("all"),
                AcceptedTokens::Only(set) => {
                    serde_json::json!(set.iter().map(|t| t.address()).collect::<Vec<_>>())
                }
            },
            min_tips: policy
                .min_tips
                .iter()
                .map(|(t, v)| (t.address(), U256::from(*v)))
                .collect(),
            share_caps_bps: policy
                .share_caps_bps
                .iter()
                .map(|(t, v)| (t.address(), *v))
                .collect(),
        })
    }
}
