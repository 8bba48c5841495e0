//! The `net` and `web3` namespaces.

use std::sync::Arc;

use alloy_primitives::{keccak256, Bytes, B256};
use jsonrpsee::{core::RpcResult, proc_macros::rpc};

use crate::context::RpcContext;

/// `net_*`.
#[rpc(server, namespace = "net")]
pub trait NetApi {
    /// The network id (the chain id, as a decimal string).
    #[method(name = "version")]
    fn version(&self) -> RpcResult<String>;
    /// Whether the node accepts connections: always true while it serves this call.
    #[method(name = "listening")]
    fn listening(&self) -> RpcResult<bool>;
}

/// `web3_*`.
#[rpc(server, namespace = "web3")]
pub trait Web3Api {
    /// Name and version of the node software.
    #[method(name = "clientVersion")]
    fn client_version(&self) -> RpcResult<String>;
    /// keccak256 of the input.
    #[method(name = "sha3")]
    fn sha3(&self, input: Bytes) -> RpcResult<B256>;
}

/// Implementation of both namespaces.
pub(crate) struct NetWeb3 {
    pub ctx: Arc<RpcContext>,
}

impl NetApiServer for NetWeb3 {
    fn version(&self) -> RpcResult<String> {
        Ok(self.ctx.spec.chain_id().to_string())
    }

    fn listening(&self) -> RpcResult<bool> {
        Ok(true)
    }
}

impl Web3ApiServer for NetWeb3 {
    fn client_version(&self) -> RpcResult<String> {
        Ok(self.ctx.client_version.clone())
    }

    fn sha3(&self, input: Bytes) -> RpcResult<B256> {
        Ok(keccak256(input))
    }
}
