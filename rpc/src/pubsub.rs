//! `eth_subscribe` / `eth_unsubscribe` over WebSocket: `newHeads` and `logs`.

use std::{
    collections::hash_map::RandomState,
    hash::{BuildHasher, Hasher},
    sync::Arc,
};

use alloy_rpc_types_eth::{pubsub::Params, Filter};
use jsonrpsee::{
    core::SubscriptionResult, proc_macros::rpc, types::SubscriptionId, Extensions,
    PendingSubscriptionSink, SubscriptionMessage,
};
use serde::Serialize;
use tokio::sync::broadcast::error::RecvError;

use crate::{
    connections::WsActivity,
    context::RpcContext,
    convert::{matching_logs, rpc_header},
    RpcError,
};

/// A random 64-bit number from the standard library's per-process randomness; ids only need
/// to be unguessable and distinct, not cryptographic.
pub(crate) fn random_u64() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0),
    );
    hasher.finish()
}

/// Subscription ids in geth's form: a `0x`-prefixed hex string.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct HexIdProvider;

impl jsonrpsee::server::IdProvider for HexIdProvider {
    fn next_id(&self) -> SubscriptionId<'static> {
        SubscriptionId::Str(
            format!(
                "0x{:032x}",
                (u128::from(random_u64()) << 64) | u128::from(random_u64())
            )
            .into(),
        )
    }
}

/// The subscription methods.
#[rpc(server, namespace = "eth")]
pub trait EthPubSubApi {
    /// Subscribes to `newHeads` or `logs` (with an optional filter).
    /// Over WebSocket, a live subscription keeps its connection from counting as idle.
    #[subscription(name = "subscribe" => "subscription", unsubscribe = "unsubscribe", item = serde_json::Value, with_extensions)]
    async fn subscribe(&self, kind: String, params: Option<Params>) -> SubscriptionResult;
}

/// Implementation of [`EthPubSubApiServer`].
pub(crate) struct EthPubSub {
    pub ctx: Arc<RpcContext>,
}

fn message<T: Serialize>(value: &T) -> Result<SubscriptionMessage, RpcError> {
    let raw =
        serde_json::value::to_raw_value(value).map_err(|e| RpcError::Internal(e.to_string()))?;
    Ok(SubscriptionMessage::from(raw))
}

#[jsonrpsee::core::async_trait]
impl EthPubSubApiServer for EthPubSub {
    async fn subscribe(
        &self,
        pending: PendingSubscriptionSink,
        ext: &Extensions,
        kind: String,
        params: Option<Params>,
    ) -> SubscriptionResult {
        let filter: Option<Filter> = match (kind.as_str(), params) {
            ("newHeads", None | Some(Params::None)) => None,
            ("newHeads", Some(_)) => {
                pending
                    .reject(RpcError::InvalidParams(
                        "newHeads takes no parameters".into(),
                    ))
                    .await;
                return Ok(());
            }
            ("logs", None | Some(Params::None)) => Some(Filter::default()),
            ("logs", Some(Params::Logs(filter))) => Some(*filter),
            ("logs", Some(_)) => {
                pending
                    .reject(RpcError::InvalidParams("logs takes a filter object".into()))
                    .await;
                return Ok(());
            }
            (other, _) => {
                pending
                    .reject(RpcError::InvalidParams(format!(
                        "unsupported subscription type {other:?}: use \"newHeads\" or \"logs\""
                    )))
                    .await;
                return Ok(());
            }
        };
        // The connection is not idle while this subscription lives (rpc/src/connections.rs).
        let _busy = ext.get::<WsActivity>().map(WsActivity::busy);
        let mut events = self.ctx.events.subscribe();
        let sink = pending.accept().await?;
        loop {
            tokio::select! {
                _ = sink.closed() => return Ok(()),
                event = events.recv() => match event {
                    Ok(executed) => {
                        let messages = match &filter {
                            None => vec![message(&rpc_header(&executed.block))?],
                            Some(filter) => matching_logs(&executed.block, &executed.receipts, |log| filter.matches(log))
                                .iter()
                                .map(message)
                                .collect::<Result<_, _>>()?,
                        };
                        for msg in messages {
                            if sink.send(msg).await.is_err() {
                                return Ok(());
                            }
                        }
                    }
                    Err(RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "subscriber too slow; closing its subscription");
                        return Ok(());
                    }
                    Err(RecvError::Closed) => return Ok(()),
                },
            }
        }
    }
}
