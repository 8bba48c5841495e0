//! The `eth` namespace: chain, state, transactions, blocks and fees.
//!
//! Split the way reth splits its eth API: one JSON-RPC trait here, whose server methods run
//! the read on the blocking pool and delegate to one module per concern.

mod blocks;
mod call;
mod fees;
mod overrides;
mod sign;
mod state;
mod transactions;

use std::sync::Arc;

use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, Bytes, B256, U256, U64};
use alloy_rpc_types_eth::{state::StateOverride, FeeHistory, Index};
use alloy_serde::JsonStorageKey;
use jsonrpsee::{core::RpcResult, proc_macros::rpc};

use crate::{
    context::RpcContext,
    convert::{RpcBlock, RpcReceipt, RpcTransaction},
    error::RpcError,
};
use call::CallRequest;

/// The `eth_*` methods other than filters and subscriptions.
#[rpc(server, namespace = "eth")]
pub trait EthApi {
    /// EIP-155 chain id.
    #[method(name = "chainId")]
    fn chain_id(&self) -> RpcResult<U64>;
    /// Always `false`: a dev node has nothing to sync from.
    #[method(name = "syncing")]
    fn syncing(&self) -> RpcResult<SyncingJson>;
    /// Number of the head block.
    #[method(name = "blockNumber")]
    async fn block_number(&self) -> RpcResult<U64>;
    /// Unlocked development accounts.
    #[method(name = "accounts")]
    fn accounts(&self) -> RpcResult<Vec<Address>>;
    /// Native balance at a block.
    #[method(name = "getBalance")]
    async fn balance(&self, address: Address, block: Option<BlockId>) -> RpcResult<U256>;
    /// Nonce at a block; with `pending`, counts the sender's pool transactions too.
    #[method(name = "getTransactionCount")]
    async fn transaction_count(&self, address: Address, block: Option<BlockId>) -> RpcResult<U64>;
    /// Code at a block.
    #[method(name = "getCode")]
    async fn code(&self, address: Address, block: Option<BlockId>) -> RpcResult<Bytes>;
    /// A storage slot at a block.
    #[method(name = "getStorageAt")]
    async fn storage_at(
        &self,
        address: Address,
        slot: JsonStorageKey,
        block: Option<BlockId>,
    ) -> RpcResult<B256>;
    /// Executes a call without creating a transaction.
    #[method(name = "call")]
    async fn call(
        &self,
        request: CallRequest,
        block: Option<BlockId>,
        state_overrides: Option<StateOverride>,
        block_overrides: Option<serde_json::Value>,
    ) -> RpcResult<Bytes>;
    /// Smallest gas limit with which the transaction succeeds.
    #[method(name = "estimateGas")]
    async fn estimate_gas(
        &self,
        request: CallRequest,
        block: Option<BlockId>,
        state_overrides: Option<StateOverride>,
    ) -> RpcResult<U64>;
    /// Suggested legacy gas price: next base fee plus the suggested tip; with `feeCurrency`,
    /// in that token's units (as on Celo).
    #[method(name = "gasPrice")]
    async fn gas_price(&self, fee_currency: Option<Address>) -> RpcResult<U256>;
    /// Suggested EIP-1559 tip; with `feeCurrency`, in that token's units (as on Celo).
    #[method(name = "maxPriorityFeePerGas")]
    async fn max_priority_fee_per_gas(&self, fee_currency: Option<Address>) -> RpcResult<U256>;
    /// Base fees, gas use and tip percentiles of recent blocks.
    #[method(name = "feeHistory")]
    async fn fee_history(
        &self,
        block_count: U64,
        newest_block: BlockNumberOrTag,
        reward_percentiles: Option<Vec<f64>>,
    ) -> RpcResult<FeeHistory>;
    /// Submits a signed transaction.
    #[method(name = "sendRawTransaction")]
    async fn send_raw_transaction(&self, bytes: Bytes) -> RpcResult<B256>;
    /// Signs with a development account and submits.
    #[method(name = "sendTransaction")]
    async fn send_transaction(&self, request: CallRequest) -> RpcResult<B256>;
    /// A mined or pooled transaction.
    #[method(name = "getTransactionByHash")]
    async fn transaction_by_hash(&self, hash: B256) -> RpcResult<Option<RpcTransaction>>;
    /// A transaction by block number and position.
    #[method(name = "getTransactionByBlockNumberAndIndex")]
    async fn transaction_by_block_number_and_index(
        &self,
        block: BlockNumberOrTag,
        index: Index,
    ) -> RpcResult<Option<RpcTransaction>>;
    /// A transaction by block hash and position.
    #[method(name = "getTransactionByBlockHashAndIndex")]
    async fn transaction_by_block_hash_and_index(
        &self,
        hash: B256,
        index: Index,
    ) -> RpcResult<Option<RpcTransaction>>;
    /// The receipt of a mined transaction.
    #[method(name = "getTransactionReceipt")]
    async fn transaction_receipt(&self, hash: B256) -> RpcResult<Option<RpcReceipt>>;
    /// A block by number or tag.
    #[method(name = "getBlockByNumber")]
    async fn block_by_number(
        &self,
        block: BlockNumberOrTag,
        full: bool,
    ) -> RpcResult<Option<RpcBlock>>;
    /// A block by hash.
    #[method(name = "getBlockByHash")]
    async fn block_by_hash(&self, hash: B256, full: bool) -> RpcResult<Option<RpcBlock>>;
    /// All receipts of a block.
    #[method(name = "getBlockReceipts")]
    async fn block_receipts(&self, block: BlockId) -> RpcResult<Option<Vec<RpcReceipt>>>;
    /// Number of transactions in a block, by number.
    #[method(name = "getBlockTransactionCountByNumber")]
    async fn block_transaction_count_by_number(
        &self,
        block: BlockNumberOrTag,
    ) -> RpcResult<Option<U64>>;
    /// Number of transactions in a block, by hash.
    #[method(name = "getBlockTransactionCountByHash")]
    async fn block_transaction_count_by_hash(&self, hash: B256) -> RpcResult<Option<U64>>;
}

/// `eth_syncing`: `false`, or how far catching up with the network has come.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(untagged)]
pub enum SyncingJson {
    /// At the network's finalized height (always, in dev mode).
    NotSyncing(bool),
    /// Behind the network.
    #[serde(rename_all = "camelCase")]
    Syncing {
        /// Where this node stood when it fell behind.
        starting_block: U64,
        /// Its last committed block.
        current_block: U64,
        /// The network's finalized height.
        highest_block: U64,
    },
}

/// Implementation of [`EthApiServer`].
pub(crate) struct EthApi {
    pub ctx: Arc<RpcContext>,
}

#[jsonrpsee::core::async_trait]
impl EthApiServer for EthApi {
    fn chain_id(&self) -> RpcResult<U64> {
        Ok(U64::from(self.ctx.spec.chain_id()))
    }

    fn syncing(&self) -> RpcResult<SyncingJson> {
        let Some(status) = &self.ctx.consensus else {
            return Ok(SyncingJson::NotSyncing(false));
        };
        let snapshot = status.snapshot();
        Ok(match snapshot.syncing_from {
            Some(start) => SyncingJson::Syncing {
                starting_block: U64::from(start),
                current_block: U64::from(snapshot.finalized),
                highest_block: U64::from(snapshot.network_finalized),
            },
            None => SyncingJson::NotSyncing(false),
        })
    }

    async fn block_number(&self) -> RpcResult<U64> {
        Ok(self
            .ctx
            .read(|_, reader| blocks::block_number(reader))
            .await?)
    }

    fn accounts(&self) -> RpcResult<Vec<Address>> {
        Ok(self.ctx.signers.iter().map(|s| s.address()).collect())
    }

    async fn balance(&self, address: Address, block: Option<BlockId>) -> RpcResult<U256> {
        Ok(self
            .ctx
            .read(move |_, reader| state::balance(reader, address, block))
            .await?)
    }

    async fn transaction_count(&self, address: Address, block: Option<BlockId>) -> RpcResult<U64> {
        Ok(self
            .ctx
            .read(move |ctx, reader| state::transaction_count(ctx, reader, address, block))
            .await?)
    }

    async fn code(&self, address: Address, block: Option<BlockId>) -> RpcResult<Bytes> {
        Ok(self
            .ctx
            .read(move |_, reader| state::code(reader, address, block))
            .await?)
    }

    async fn storage_at(
        &self,
        address: Address,
        slot: JsonStorageKey,
        block: Option<BlockId>,
    ) -> RpcResult<B256> {
        Ok(self
            .ctx
            .read(move |_, reader| state::storage_at(reader, address, slot, block))
            .await?)
    }

    async fn call(
        &self,
        request: CallRequest,
        block: Option<BlockId>,
        state_overrides: Option<StateOverride>,
        block_overrides: Option<serde_json::Value>,
    ) -> RpcResult<Bytes> {
        if block_overrides.is_some_and(|value| !value.is_null()) {
            return Err(RpcError::InvalidParams(
                "block overrides (the fourth parameter) are not supported".into(),
            )
            .into());
        }
        call::check_fields(&request)?;
        Ok(self
            .ctx
            .execute(move |ctx, reader| call::call(ctx, reader, request, block, state_overrides))
            .await?)
    }

    async fn estimate_gas(
        &self,
        request: CallRequest,
        block: Option<BlockId>,
        state_overrides: Option<StateOverride>,
    ) -> RpcResult<U64> {
        call::check_fields(&request)?;
        Ok(self
            .ctx
            .execute(move |ctx, reader| {
                call::estimate_gas(ctx, reader, request, block, state_overrides)
            })
            .await?)
    }

    async fn gas_price(&self, fee_currency: Option<Address>) -> RpcResult<U256> {
        Ok(self
            .ctx
            .read(move |ctx, reader| fees::gas_price(ctx, reader, fee_currency))
            .await?)
    }

    async fn max_priority_fee_per_gas(&self, fee_currency: Option<Address>) -> RpcResult<U256> {
        Ok(self
            .ctx
            .read(move |_, reader| fees::max_priority_fee_per_gas(reader, fee_currency))
            .await?)
    }

    async fn fee_history(
        &self,
        block_count: U64,
        newest_block: BlockNumberOrTag,
        reward_percentiles: Option<Vec<f64>>,
    ) -> RpcResult<FeeHistory> {
        Ok(self
            .ctx
            .read(move |ctx, reader| {
                fees::fee_history(ctx, reader, block_count, newest_block, reward_percentiles)
            })
            .await?)
    }

    async fn send_raw_transaction(&self, bytes: Bytes) -> RpcResult<B256> {
        Ok(transactions::send_raw(&self.ctx, bytes)?)
    }

    async fn send_transaction(&self, request: CallRequest) -> RpcResult<B256> {
        call::check_fields(&request)?;
        Ok(self
            .ctx
            .execute(move |ctx, reader| transactions::send(ctx, reader, request))
            .await?)
    }

    async fn transaction_by_hash(&self, hash: B256) -> RpcResult<Option<RpcTransaction>> {
        Ok(self
            .ctx
            .read(move |ctx, reader| transactions::by_hash(ctx, reader, hash))
            .await?)
    }

    async fn transaction_by_block_number_and_index(
        &self,
        block: BlockNumberOrTag,
        index: Index,
    ) -> RpcResult<Option<RpcTransaction>> {
        Ok(self
            .ctx
            .read(move |_, reader| transactions::by_block_number_and_index(reader, block, index.0))
            .await?)
    }

    async fn transaction_by_block_hash_and_index(
        &self,
        hash: B256,
        index: Index,
    ) -> RpcResult<Option<RpcTransaction>> {
        Ok(self
            .ctx
            .read(move |_, reader| transactions::by_block_hash_and_index(reader, hash, index.0))
            .await?)
    }

    async fn transaction_receipt(&self, hash: B256) -> RpcResult<Option<RpcReceipt>> {
        Ok(self
            .ctx
            .read(move |_, reader| transactions::receipt(reader, hash))
            .await?)
    }

    async fn block_by_number(
        &self,
        block: BlockNumberOrTag,
        full: bool,
    ) -> RpcResult<Option<RpcBlock>> {
        Ok(self
            .ctx
            .read(move |_, reader| blocks::by_number(reader, block, full))
            .await?)
    }

    async fn block_by_hash(&self, hash: B256, full: bool) -> RpcResult<Option<RpcBlock>> {
        Ok(self
            .ctx
            .read(move |_, reader| blocks::by_hash(reader, hash, full))
            .await?)
    }

    async fn block_receipts(&self, block: BlockId) -> RpcResult<Option<Vec<RpcReceipt>>> {
        Ok(self
            .ctx
            .read(move |_, reader| blocks::receipts(reader, block))
            .await?)
    }

    async fn block_transaction_count_by_number(
        &self,
        block: BlockNumberOrTag,
    ) -> RpcResult<Option<U64>> {
        Ok(self
            .ctx
            .read(move |_, reader| blocks::transaction_count_by_number(reader, block))
            .await?)
    }

    async fn block_transaction_count_by_hash(&self, hash: B256) -> RpcResult<Option<U64>> {
        Ok(self
            .ctx
            .read(move |_, reader| blocks::transaction_count_by_hash(reader, hash))
            .await?)
    }
}
