//! Execution without a transaction: `eth_call` and `eth_estimateGas`, and the request type
//! they share with `eth_sendTransaction`.

use alloy_eips::BlockId;
use alloy_primitives::{Address, Bytes, TxKind, U64};
use alloy_rpc_types_eth::{state::StateOverride, TransactionRequest};
use alloy_serde::WithOtherFields;
use supervm_gas::TxFees;
use supervm_primitives::FeeToken;
use supervm_storage::Reader;
use supervm_vm::{
    execute_tx, BlockEnv, HaltReason, Message, PendingState, StateReader, StoreState, TxOutcome,
};

use super::overrides::WithOverrides;
use crate::{
    block_id::state_block, context::RpcContext, error::header_not_found, rates::rates_at, RpcError,
};

/// A transaction request with the Celo extension `feeCurrency`.
pub(crate) type CallRequest = WithOtherFields<TransactionRequest>;

/// The `feeCurrency` of a request, if present and well-formed.
pub(super) fn fee_currency_of(request: &CallRequest) -> Result<Option<Address>, RpcError> {
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

/// The fields of a transaction object: Ethereum's, and Celo's `feeCurrency`. serde's flattening
/// can leave a known field in `other` too (a creation's `"to": null`), so they are listed here
/// rather than inferred from what was parsed.
const KNOWN_FIELDS: &[&str] = &[
    "from",
    "to",
    "gas",
    "gasPrice",
    "maxFeePerGas",
    "maxPriorityFeePerGas",
    "maxFeePerBlobGas",
    "value",
    "input",
    "data",
    "nonce",
    "chainId",
    "accessList",
    "type",
    "blobVersionedHashes",
    "sidecar",
    "authorizationList",
    "feeCurrency",
];

/// Refuses fields of a call object this node does not know. geth ignores them, but a field
/// silently ignored makes a call mean something other than what its client meant.
pub(super) fn check_fields(request: &CallRequest) -> Result<(), RpcError> {
    match request
        .other
        .keys()
        .find(|key| !KNOWN_FIELDS.contains(&key.as_str()))
    {
        Some(key) => Err(RpcError::InvalidParams(format!(
            "unknown field {key:?} in the transaction object"
        ))),
        None => Ok(()),
    }
}

/// `eth_call`: the output of `request` executed on the post-state of `block`, seen through
/// `overrides`.
pub(super) fn call(
    ctx: &RpcContext,
    reader: &Reader,
    request: CallRequest,
    block: Option<BlockId>,
    overrides: Option<StateOverride>,
) -> Result<Bytes, RpcError> {
    let number = state_block(reader, block)?;
    let env = call_env(ctx, reader, number)?;
    let msg = call_message(&request, &env, ctx.calls.gas_cap())?;
    let state = WithOverrides::new(StoreState::new(reader, number), overrides)?;
    let outcome = simulate(&state, &env, &msg)?;
    if outcome.success {
        Ok(outcome.output)
    } else {
        Err(RpcError::failed(outcome))
    }
}

/// `eth_estimateGas`: the smallest gas limit with which `request` succeeds on the post-state
/// of `block`, seen through `overrides`.
pub(super) fn estimate_gas(
    ctx: &RpcContext,
    reader: &Reader,
    request: CallRequest,
    block: Option<BlockId>,
    overrides: Option<StateOverride>,
) -> Result<U64, RpcError> {
    let number = state_block(reader, block)?;
    Ok(U64::from(estimate_at(
        ctx, reader, number, &request, overrides,
    )?))
}

/// The gas estimate of `request` on the post-state of block `number`.
pub(super) fn estimate_at(
    ctx: &RpcContext,
    reader: &Reader,
    number: u64,
    request: &CallRequest,
    overrides: Option<StateOverride>,
) -> Result<u64, RpcError> {
    let env = estimate_env(ctx, reader, number)?;
    let msg = call_message(request, &env, ctx.calls.gas_cap())?;
    let state = WithOverrides::new(StoreState::new(reader, number), overrides)?;
    estimate(&state, &env, msg)
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

/// The environment a call at block `number` (post-state) executes in: that block's header.
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

/// A call request as a [`Message`]; `gas` defaults to the block gas limit, and neither may
/// exceed `gas_cap` (a request asking for more runs with the cap, as in geth).
fn call_message(request: &CallRequest, env: &BlockEnv, gas_cap: u64) -> Result<Message, RpcError> {
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
        gas_limit: request.gas.unwrap_or(env.gas_limit).min(gas_cap),
        fees,
        nonce: request.nonce,
        access_list: request.access_list.clone(),
        fee_currency: fee_currency_of(request)?.map(FeeToken::Token),
    })
}

/// Executes `msg` on `state`, discarding the changes.
fn simulate(
    state: &impl StateReader,
    env: &BlockEnv,
    msg: &Message,
) -> Result<TxOutcome, RpcError> {
    let mut pending = PendingState::new(state);
    Ok(execute_tx(env, msg, &mut pending)?)
}

/// Binary search for the smallest gas limit that succeeds (geth's algorithm: try the gas
/// actually used first, which is exact unless execution depends on the gas left).
fn estimate(state: &impl StateReader, env: &BlockEnv, mut msg: Message) -> Result<u64, RpcError> {
    let cap = msg.gas_limit;
    let outcome = simulate(state, env, &msg)?;
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
        match simulate(state, env, msg) {
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
