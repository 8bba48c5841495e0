//! Development controls (`evm_*`), served only to loopback clients unless configured.

use std::sync::Arc;

use alloy_primitives::U64;
use jsonrpsee::{core::RpcResult, proc_macros::rpc};

use crate::{context::RpcContext, RpcError};

/// `evm_*`, the names anvil and hardhat use.
#[rpc(server, namespace = "evm")]
pub trait EvmApi {
    /// Mines one block now, optionally with the given timestamp (seconds); returns `"0x0"`.
    #[method(name = "mine")]
    async fn mine(&self, timestamp: Option<U64>) -> RpcResult<String>;
}

/// Implementation of [`EvmApiServer`].
pub(crate) struct Evm {
    pub ctx: Arc<RpcContext>,
}

#[jsonrpsee::core::async_trait]
impl EvmApiServer for Evm {
    async fn mine(&self, timestamp: Option<U64>) -> RpcResult<String> {
        let sealer = self.ctx.sealer.as_ref().ok_or_else(|| {
            RpcError::Server(format!(
                "evm_mine is only available in dev mode: this node runs as a {}, and blocks \
                 are produced by the validators' consensus",
                self.ctx.consensus_mode
            ))
        })?;
        sealer
            .mine(timestamp.map(|t| t.to::<u64>()))
            .await
            .map_err(|err| RpcError::Internal(err.to_string()))?;
        Ok("0x0".into())
    }
}
