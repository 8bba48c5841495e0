//! The `eth` namespace: chain, state, transactions, blocks and fees.

use std::sync::Arc;

use alloy_consensus::{SignableTransaction, TxEip1559, TxEip2930, TxLegacy};
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, Bytes, TxKind, B256, U256, U64};
use alloy_rpc_types_eth::{FeeHistory, Index, TransactionRequest};
use alloy_serde::JsonStorageKey;
use alloy_serde::WithOtherFields;
use alloy_signer::SignerSync;
use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use supervm_gas::{next_block_base_fee, TxFees};
use supervm_primitives::{FeeToken, RecoveredTx, TxCip64, TxEnvelope};
use supervm_storage::Reader;
use supervm_vm::{
    execute_tx, BlockEnv, HaltReason, Message, PendingState, RateSnapshot, StoreState, TxOutcome,
};

use crate::{
    block_id::{number_of_id, number_of_tag, state_block},
    context::RpcContext,
    convert::{
        rpc_block, rpc_receipt_at, rpc_receipts, rpc_transaction, tx_context, BlockRef, RpcBlock,
        RpcReceipt, RpcTransaction,
    },
    error::header_not_found,
    fees::{fee_history, suggested_tip},
    RpcError,
};

/// The `eth_*` methods other than filters and subscriptions.
#[rpc(server, namespace = "eth")]
pub trait EthApi {
    /// EIP-155 chain id.
    #[method(name = "chainId")]
    fn chain_id(&self) -> RpcResult<U64>;
    /// Always `false`: a dev node has nothing to sync from.
    #[method(name = "syncing")]
    fn syncing(&self) -> RpcResult<bool>;
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
    async fn call(&self, request: CallRequest, block: Option<BlockId>) -> RpcResult<Bytes>;
    /// Smallest gas limit with which the transaction succeeds.
    #[method(name = "estimateGas")]
    async fn estimate_gas(&self, request: CallRequest, block: Option<BlockId>) -> RpcResult<U64>;
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

/// Implementation of [`EthApiServer`].
pub(crate) struct EthApi {
    pub ctx: Arc<RpcContext>,
}

/// The environment a call at block `number` (post-state) executes in: that block's header.
/// A transaction request with the Celo extension `feeCurrency`.
pub(crate) type CallRequest = WithOtherFields<TransactionRequest>;

/// The `feeCurrency` of a request, if present and well-formed.
pub(crate) fn fee_currency_of(request: &CallRequest) -> Result<Option<Address>, RpcError> {
    match request.other.get("feeCurrency") {
        None | Some(serde_json::Value::Null) => Ok(None),
        // The zero address names the native coin, as in `supervm_feeTokens`.
        Some(value) => serde_json::from_value::<Address>(value.clone())
            .map(|token| (token != Address::ZERO).then_some(token))
            .map_err(|_| {
                RpcError::InvalidParams(format!("invalid feeCurrency {value}: expected an address"))
            }),
    }
}

/// The fee-token rates for a block built on the post-state of block `number`.
pub(crate) fn rates_at(reader: &Reader, number: u64) -> Result<Arc<RateSnapshot>, RpcError> {
    let mut state = PendingState::new(StoreState::new(reader, number));
    Ok(Arc::new(
        RateSnapshot::read(&mut state).map_err(|e| RpcError::Internal(e.to_string()))?,
    ))
}

/// The environment an estimate on the post-state of `number` runs in: the block that would
/// follow it (next number, a later timestamp, its base fee), so gas that depends on the block
/// — such as storing a timestamp where zero was — is what the transaction will really use.
fn estimate_env(ctx: &RpcContext, reader: &Reader, number: u64) -> Result<BlockEnv, RpcError> {
    let header = reader.header(number)?.ok_or_else(header_not_found)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    Ok(BlockEnv::next(
        &ctx.spec,
        &header,
        now,
        ctx.beneficiary,
        rates_at(reader, number)?,
        ctx.contracts.clone(),
    ))
}

fn call_env(ctx: &RpcContext, reader: &Reader, number: u64) -> Result<BlockEnv, RpcError> {
    let header = reader.header(number)?.ok_or_else(header_not_found)?;
    Ok(BlockEnv {
        number: header.number,
        timestamp: header.timestamp,
        beneficiary: header.beneficiary,
        base_fee: header.base_fee_per_gas.unwrap_or(0),
        gas_limit: header.gas_limit,
        base_fee_recipient: None,
        rates: rates_at(reader, number)?,
        chain_id: ctx.spec.chain_id(),
        contracts: ctx.contracts.clone(),
    })
}

/// A call request as a [`Message`]; `gas` defaults to the block gas limit.
fn call_message(request: &CallRequest, env: &BlockEnv) -> Result<Message, RpcError> {
    let fees = match (
        request.gas_price,
        request.max_fee_per_gas,
        request.max_priority_fee_per_gas,
    ) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            return Err(RpcError::InvalidParams(
                "both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified".into(),
            ))
        }
        (Some(price), None, None) => Some(TxFees {
            max_fee_per_gas: price,
            max_priority_fee_per_gas: price,
        }),
        (None, Some(max), tip) => Some(TxFees {
            max_fee_per_gas: max,
            max_priority_fee_per_gas: tip.unwrap_or(0),
        }),
        (None, None, Some(tip)) => Some(TxFees {
            max_fee_per_gas: u128::from(env.base_fee).saturating_add(tip),
            max_priority_fee_per_gas: tip,
        }),
        (None, None, None) => None,
    };
    Ok(Message {
        caller: request.from.unwrap_or_default(),
        kind: request.to.unwrap_or(TxKind::Create),
        value: request.value.unwrap_or_default(),
        input: request.input.input().cloned().unwrap_or_default(),
        gas_limit: request.gas.unwrap_or(env.gas_limit),
        fees,
        nonce: request.nonce,
        access_list: request.access_list.clone(),
        fee_currency: fee_currency_of(request)?.map(FeeToken::Token),
    })
}

/// Executes `msg` on the post-state of block `number`, discarding the changes.
fn simulate(
    reader: &Reader,
    number: u64,
    env: &BlockEnv,
    msg: &Message,
) -> Result<TxOutcome, RpcError> {
    let mut state = PendingState::new(StoreState::new(reader, number));
    Ok(execute_tx(env, msg, &mut state)?)
}

/// Binary search for the smallest gas limit that succeeds (geth's algorithm: try the gas
/// actually used first, which is exact unless execution depends on the gas left).
fn estimate(
    reader: &Reader,
    number: u64,
    env: &BlockEnv,
    mut msg: Message,
) -> Result<u64, RpcError> {
    let cap = msg.gas_limit;
    let outcome = simulate(reader, number, env, &msg)?;
    if !outcome.success {
        if outcome
            .halt_reason
            .as_ref()
            .is_some_and(HaltReason::is_out_of_gas)
        {
            return Err(RpcError::Server(format!(
                "gas required exceeds allowance ({cap})"
            )));
        }
        return Err(RpcError::failed(outcome));
    }
    let succeeds = |msg: &mut Message, gas: u64| -> Result<bool, RpcError> {
        msg.gas_limit = gas;
        match simulate(reader, number, env, msg) {
            Ok(outcome) => Ok(outcome.success),
            Err(RpcError::Server(_)) => Ok(false),
            Err(other) => Err(other),
        }
    };
    if succeeds(&mut msg, outcome.gas_used)? {
        return Ok(outcome.gas_used);
    }
    let (mut low, mut high) = (outcome.gas_used, cap);
    while low + 1 < high {
        let mid = low + (high - low) / 2;
        if succeeds(&mut msg, mid)? {
            high = mid;
        } else {
            low = mid;
        }
    }
    Ok(high)
}

/// Admits a transaction signed by a development account to the pool against the head state.
fn submit(ctx: &RpcContext, reader: &Reader, tx: RecoveredTx) -> Result<B256, RpcError> {
    let raw = Bytes::from(tx.tx.encoded());
    Ok(ctx
        .pool
        .add(tx, raw, &StoreState::new(reader, reader.head_number()))?)
}

/// Admits raw transaction bytes as a client sent them: decoding and the checks that need no
/// sender first, so malformed transactions are refused before the costly signature
/// recovery; then the state checks against a fresh snapshot of the head. Runs on the
/// calling task: it is CPU work of tens of microseconds and point reads of hot state, and a
/// hop to the blocking pool would cost more than it saves.
fn admit_raw(ctx: &RpcContext, raw: Bytes) -> Result<B256, RpcError> {
    let tx = TxEnvelope::decode_raw(&raw).map_err(|err| RpcError::Server(err.to_string()))?;
    ctx.pool.precheck(&tx, raw.len())?;
    let tx = tx
        .recover()
        .ok_or_else(|| RpcError::Server("invalid sender".into()))?;
    let reader = ctx.store.reader()?;
    Ok(ctx
        .pool
        .add_prechecked(tx, raw, &StoreState::new(&reader, reader.head_number()))?)
}

fn sign_request(
    ctx: &RpcContext,
    reader: &Reader,
    mut request: CallRequest,
) -> Result<RecoveredTx, RpcError> {
    let from = request
        .from
        .ok_or_else(|| RpcError::InvalidParams("missing \"from\" field".into()))?;
    let signer = ctx
        .signers
        .iter()
        .find(|s| s.address() == from)
        .ok_or_else(|| RpcError::Server(format!("unknown account {from}")))?;
    let chain_id = ctx.spec.chain_id();
    if let Some(id) = request.chain_id {
        if id != chain_id {
            return Err(RpcError::Server(format!(
                "invalid chain id for signer: have {id} want {chain_id}"
            )));
        }
    }
    let head = reader.head_number();
    let parent = reader.header(head)?.ok_or_else(header_not_found)?;
    let base_fee = next_block_base_fee(&ctx.spec, &parent);
    let state_nonce = reader.account(&from, head)?.map(|a| a.nonce).unwrap_or(0);
    let nonce = request
        .nonce
        .unwrap_or_else(|| ctx.pool.pending_nonce(&from, state_nonce));
    let to = request.to.unwrap_or(TxKind::Create);
    let input = request.input.input().cloned().unwrap_or_default();
    let value = request.value.unwrap_or_default();
    let gas_limit = match request.gas {
        Some(gas) => gas,
        None => {
            request.nonce = None;
            let env = estimate_env(ctx, reader, head)?;
            let msg = call_message(&request, &env)?;
            estimate(reader, head, &env, msg)?
        }
    };
    let envelope = match (request.gas_price, request.access_list.clone()) {
        (Some(gas_price), None) => {
            let tx = TxLegacy {
                chain_id: Some(chain_id),
                nonce,
                gas_price,
                gas_limit,
                to,
                value,
                input,
            };
            let signature = signer
                .sign_hash_sync(&tx.signature_hash())
                .map_err(|e| RpcError::Internal(e.to_string()))?;
            TxEnvelope::Legacy(tx.into_signed(signature))
        }
        (Some(gas_price), Some(access_list)) => {
            let tx = TxEip2930 {
                chain_id,
                nonce,
                gas_price,
                gas_limit,
                to,
                value,
                access_list,
                input,
            };
            let signature = signer
                .sign_hash_sync(&tx.signature_hash())
                .map_err(|e| RpcError::Internal(e.to_string()))?;
            TxEnvelope::Eip2930(tx.into_signed(signature))
        }
        (None, access_list) => {
            let fee_currency = fee_currency_of(&request)?;
            let tip = match request.max_priority_fee_per_gas {
                Some(tip) => tip,
                None => in_fee_currency(reader, fee_currency, U256::from(suggested_tip(reader)?))?
                    .saturating_to(),
            };
            let base = in_fee_currency(reader, fee_currency, U256::from(base_fee))?
                .saturating_to::<u128>();
            let max_fee = request
                .max_fee_per_gas
                .unwrap_or_else(|| base.saturating_mul(2).saturating_add(tip));
            let tx = TxEip1559 {
                chain_id,
                nonce,
                gas_limit,
                max_fee_per_gas: max_fee,
                max_priority_fee_per_gas: tip,
                to,
                value,
                access_list: access_list.unwrap_or_default(),
                input,
            };
            let sign = |hash| {
                signer
                    .sign_hash_sync(&hash)
                    .map_err(|e| RpcError::Internal(e.to_string()))
            };
            match fee_currency {
                Some(token) => {
                    let tx = TxCip64 {
                        inner: tx,
                        fee_currency: Some(token),
                    };
                    let signature = sign(tx.signature_hash())?;
                    TxEnvelope::Cip64(tx.into_signed(signature))
                }
                None => {
                    let signature = sign(tx.signature_hash())?;
                    TxEnvelope::Eip1559(tx.into_signed(signature))
                }
            }
        }
    };
    Ok(RecoveredTx {
        tx: envelope,
        sender: from,
    })
}

#[jsonrpsee::core::async_trait]
impl EthApiServer for EthApi {
    fn chain_id(&self) -> RpcResult<U64> {
        Ok(U64::from(self.ctx.spec.chain_id()))
    }

    fn syncing(&self) -> RpcResult<bool> {
        Ok(false)
    }

    async fn block_number(&self) -> RpcResult<U64> {
        Ok(self
            .ctx
            .read(|_, reader| Ok(U64::from(reader.head_number())))
            .await?)
    }

    fn accounts(&self) -> RpcResult<Vec<Address>> {
        Ok(self.ctx.signers.iter().map(|s| s.address()).collect())
    }

    async fn balance(&self, address: Address, block: Option<BlockId>) -> RpcResult<U256> {
        Ok(self
            .ctx
            .read(move |_, reader| {
                let number = state_block(reader, block)?;
                Ok(reader
                    .account(&address, number)?
                    .map(|a| a.balance)
                    .unwrap_or_default())
            })
            .await?)
    }

    async fn transaction_count(&self, address: Address, block: Option<BlockId>) -> RpcResult<U64> {
        Ok(self
            .ctx
            .read(move |ctx, reader| {
                let number = state_block(reader, block)?;
                let nonce = reader
                    .account(&address, number)?
                    .map(|a| a.nonce)
                    .unwrap_or(0);
                let pending = matches!(block, Some(BlockId::Number(BlockNumberOrTag::Pending)));
                Ok(U64::from(if pending {
                    ctx.pool.pending_nonce(&address, nonce)
                } else {
                    nonce
                }))
            })
            .await?)
    }

    async fn code(&self, address: Address, block: Option<BlockId>) -> RpcResult<Bytes> {
        Ok(self
            .ctx
            .read(move |_, reader| {
                let number = state_block(reader, block)?;
                match reader.account(&address, number)? {
                    Some(account) if account.has_code() => {
                        Ok(reader.code(&account.code_hash)?.unwrap_or_default())
                    }
                    _ => Ok(Bytes::new()),
                }
            })
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
            .read(move |_, reader| {
                let number = state_block(reader, block)?;
                Ok(B256::from(reader.storage(
                    &address,
                    &slot.as_b256(),
                    number,
                )?))
            })
            .await?)
    }

    async fn call(&self, request: CallRequest, block: Option<BlockId>) -> RpcResult<Bytes> {
        Ok(self
            .ctx
            .read(move |ctx, reader| {
                let number = state_block(reader, block)?;
                let env = call_env(ctx, reader, number)?;
                let outcome = simulate(reader, number, &env, &call_message(&request, &env)?)?;
                if outcome.success {
                    Ok(outcome.output)
                } else {
                    Err(RpcError::failed(outcome))
                }
            })
            .await?)
    }

    async fn estimate_gas(&self, request: CallRequest, block: Option<BlockId>) -> RpcResult<U64> {
        Ok(self
            .ctx
            .read(move |ctx, reader| {
                let number = state_block(reader, block)?;
                let env = estimate_env(ctx, reader, number)?;
                let msg = call_message(&request, &env)?;
                Ok(U64::from(estimate(reader, number, &env, msg)?))
            })
            .await?)
    }

    async fn gas_price(&self, fee_currency: Option<Address>) -> RpcResult<U256> {
        Ok(self
            .ctx
            .read(move |ctx, reader| {
                let head = reader
                    .header(reader.head_number())?
                    .ok_or_else(header_not_found)?;
                let base = next_block_base_fee(&ctx.spec, &head);
                let price = U256::from(u128::from(base) + suggested_tip(reader)?);
                in_fee_currency(reader, fee_currency, price)
            })
            .await?)
    }

    async fn max_priority_fee_per_gas(&self, fee_currency: Option<Address>) -> RpcResult<U256> {
        Ok(self
            .ctx
            .read(move |_, reader| {
                in_fee_currency(reader, fee_currency, U256::from(suggested_tip(reader)?))
            })
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
                let newest = number_of_tag(reader, newest_block).ok_or_else(header_not_found)?;
                let count = block_count.to::<u64>();
                if count == 0 {
                    return Ok(FeeHistory::default());
                }
                fee_history(
                    &ctx.spec,
                    reader,
                    count,
                    newest,
                    reward_percentiles.as_deref(),
                )
            })
            .await?)
    }

    async fn send_raw_transaction(&self, bytes: Bytes) -> RpcResult<B256> {
        Ok(admit_raw(&self.ctx, bytes)?)
    }

    async fn send_transaction(&self, request: CallRequest) -> RpcResult<B256> {
        Ok(self
            .ctx
            .read(move |ctx, reader| {
                let tx = sign_request(ctx, reader, request)?;
                submit(ctx, reader, tx)
            })
            .await?)
    }

    async fn transaction_by_hash(&self, hash: B256) -> RpcResult<Option<RpcTransaction>> {
        Ok(self
            .ctx
            .read(move |ctx, reader| {
                if let Some((tx, location)) = reader.transaction(&hash)? {
                    let block = reader
                        .block(location.block_number)?
                        .ok_or_else(header_not_found)?;
                    return Ok(Some(rpc_transaction(
                        &tx,
                        Some(tx_context(
                            &block,
                            location.index as usize,
                            &reader.block_receipts(location.block_number)?,
                        )),
                    )));
                }
                Ok(ctx
                    .pool
                    .get(&hash)
                    .map(|pooled| rpc_transaction(&pooled.tx, None)))
            })
            .await?)
    }

    async fn transaction_by_block_number_and_index(
        &self,
        block: BlockNumberOrTag,
        index: Index,
    ) -> RpcResult<Option<RpcTransaction>> {
        Ok(self
            .ctx
            .read(move |_, reader| {
                let Some(number) = number_of_tag(reader, block) else {
                    return Ok(None);
                };
                transaction_at(reader, number, index.0)
            })
            .await?)
    }

    async fn transaction_by_block_hash_and_index(
        &self,
        hash: B256,
        index: Index,
    ) -> RpcResult<Option<RpcTransaction>> {
        Ok(self
            .ctx
            .read(move |_, reader| {
                let Some(number) = reader.block_number(&hash)? else {
                    return Ok(None);
                };
                transaction_at(reader, number, index.0)
            })
            .await?)
    }

    async fn transaction_receipt(&self, hash: B256) -> RpcResult<Option<RpcReceipt>> {
        Ok(self
            .ctx
            .read(move |_, reader| {
                let Some((tx, location)) = reader.transaction(&hash)? else {
                    return Ok(None);
                };
                let header = reader
                    .header(location.block_number)?
                    .ok_or_else(header_not_found)?;
                let block = BlockRef {
                    hash: location.block_hash,
                    number: location.block_number,
                    timestamp: header.timestamp,
                };
                let receipts = reader.block_receipts(location.block_number)?;
                Ok(rpc_receipt_at(
                    block,
                    location.index as usize,
                    &tx,
                    &receipts,
                ))
            })
            .await?)
    }

    async fn block_by_number(
        &self,
        block: BlockNumberOrTag,
        full: bool,
    ) -> RpcResult<Option<RpcBlock>> {
        Ok(self
            .ctx
            .read(move |_, reader| {
                let Some(number) = number_of_tag(reader, block) else {
                    return Ok(None);
                };
                block_json(reader, number, full)
            })
            .await?)
    }

    async fn block_by_hash(&self, hash: B256, full: bool) -> RpcResult<Option<RpcBlock>> {
        Ok(self
            .ctx
            .read(move |_, reader| {
                let Some(number) = reader.block_number(&hash)? else {
                    return Ok(None);
                };
                block_json(reader, number, full)
            })
            .await?)
    }

    async fn block_receipts(&self, block: BlockId) -> RpcResult<Option<Vec<RpcReceipt>>> {
        Ok(self
            .ctx
            .read(move |_, reader| {
                let Some(number) = number_of_id(reader, block)? else {
                    return Ok(None);
                };
                let Some(sealed) = reader.block(number)? else {
                    return Ok(None);
                };
                Ok(Some(rpc_receipts(&sealed, &reader.block_receipts(number)?)))
            })
            .await?)
    }

    async fn block_transaction_count_by_number(
        &self,
        block: BlockNumberOrTag,
    ) -> RpcResult<Option<U64>> {
        Ok(self
            .ctx
            .read(move |_, reader| {
                let Some(number) = number_of_tag(reader, block) else {
                    return Ok(None);
                };
                Ok(Some(U64::from(reader.block_tx_hashes(number)?.len())))
            })
            .await?)
    }

    async fn block_transaction_count_by_hash(&self, hash: B256) -> RpcResult<Option<U64>> {
        Ok(self
            .ctx
            .read(move |_, reader| {
                let Some(number) = reader.block_number(&hash)? else {
                    return Ok(None);
                };
                Ok(Some(U64::from(reader.block_tx_hashes(number)?.len())))
            })
            .await?)
    }
}

/// A native per-gas price expressed in `fee_currency` units (rounded up, so a transaction
/// built from it is not underpriced); unchanged for the native coin.
fn in_fee_currency(
    reader: &Reader,
    fee_currency: Option<Address>,
    native: U256,
) -> Result<U256, RpcError> {
    let Some(token) = fee_currency.filter(|t| *t != Address::ZERO) else {
        return Ok(native);
    };
    let head = reader.head_number();
    let rates = rates_at(reader, head)?;
    let mut state = PendingState::new(StoreState::new(reader, head));
    let rate = supervm_vm::fee_token::usable(&mut state, token, &rates)?;
    rate.to_token_ceil(native)
        .ok_or_else(|| RpcError::Server("fee overflows 256 bits at the current rate".into()))
}

/// A block in RPC form; full transactions carry their effective price from the receipts.
fn block_json(reader: &Reader, number: u64, full: bool) -> Result<Option<RpcBlock>, RpcError> {
    let Some(block) = reader.block(number)? else {
        return Ok(None);
    };
    if !full {
        return Ok(Some(rpc_block(&block, None)));
    }
    let receipts = reader.block_receipts(number)?;
    Ok(Some(rpc_block(&block, Some(&receipts))))
}

fn transaction_at(
    reader: &Reader,
    number: u64,
    index: usize,
) -> Result<Option<RpcTransaction>, RpcError> {
    let Some(block) = reader.block(number)? else {
        return Ok(None);
    };
    let receipts = reader.block_receipts(number)?;
    Ok(block
        .transactions
        .get(index)
        .map(|tx| rpc_transaction(tx, Some(tx_context(&block, index, &receipts)))))
}
