//! The `supervm` namespace: fee tokens, their prices and the system contracts.

use std::sync::Arc;

use alloy_eips::BlockNumberOrTag;
use alloy_primitives::{Address, U256};
use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use serde::Serialize;
use supervm_oracle::PRICE_SCALE;
use supervm_primitives::system;
use supervm_vm::{
    system::{oracle, registry},
    PendingState, StoreState,
};

use crate::{block_id::number_of_tag, context::RpcContext, eth::rates_at, RpcError};

/// An exchange rate: `numerator / denominator` token base units per wei.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RateJson {
    /// Numerator.
    pub numerator: U256,
    /// Denominator.
    pub denominator: U256,
}

/// One entry of `supervm_feeTokens`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FeeTokenJson {
    /// Token address; the zero address for the native coin.
    pub address: Address,
    /// ERC-20 symbol.
    pub symbol: String,
    /// ERC-20 name.
    pub name: String,
    /// ERC-20 decimals.
    pub decimals: u8,
    /// Whether governance allows the token to pay for gas.
    pub enabled: bool,
    /// Whether the token can pay for gas in the next block (enabled and priced).
    pub usable_for_fees: bool,
    /// The rate the next block uses; `null` when the token has no price.
    pub rate: Option<RateJson>,
    /// Total supply in base units.
    pub total_supply: U256,
}

/// One entry of `supervm_tokenPrices`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenPriceJson {
    /// The token.
    pub address: Address,
    /// Its symbol.
    pub symbol: String,
    /// The accepted rate (what fee payments use while the status allows it).
    pub rate: Option<RateJson>,
    /// Median of the fresh reports at the last aggregation.
    pub median: Option<RateJson>,
    /// Fresh reports at the last aggregation.
    #[serde(with = "alloy_serde::quantity")]
    pub report_count: u64,
    /// Seconds between the newest report and the head block.
    #[serde(with = "alloy_serde::quantity::opt")]
    pub newest_report_age: Option<u64>,
    /// Block timestamp of the last change of rate or status.
    #[serde(with = "alloy_serde::quantity")]
    pub last_update: u64,
    /// `ok`, `stale`, `breaker-limited`, `fixed` (no reporters: the seeded rate) or `disabled`.
    pub status: &'static str,
}

/// One entry of `supervm_rateSnapshot`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotEntryJson {
    /// The token.
    pub token: Address,
    /// Numerator of the rate.
    pub numerator: U256,
    /// Denominator of the rate.
    pub denominator: U256,
}

/// Addresses of the system contracts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemContractsJson {
    /// The token registry.
    pub token_registry: Address,
    /// The fee-token preference.
    pub fee_preference: Address,
    /// The oracle.
    pub oracle: Address,
}

/// `supervm_*`.
#[rpc(server, namespace = "supervm")]
pub trait SupervmApi {
    /// The native coin and every registered token, with status and the next block's rate.
    #[method(name = "feeTokens")]
    async fn fee_tokens(&self) -> RpcResult<Vec<FeeTokenJson>>;
    /// Addresses of the system contracts.
    #[method(name = "systemContracts")]
    fn system_contracts(&self) -> RpcResult<SystemContractsJson>;
    /// Per registered token: accepted rate, median of fresh reports, report count, age of the
    /// newest report and feed status.
    #[method(name = "tokenPrices")]
    async fn token_prices(&self) -> RpcResult<Vec<TokenPriceJson>>;
    /// The fee-token rates that priced a block.
    #[method(name = "rateSnapshot")]
    async fn rate_snapshot(
        &self,
        block: BlockNumberOrTag,
    ) -> RpcResult<Option<Vec<SnapshotEntryJson>>>;
}

/// Implementation of [`SupervmApiServer`].
pub(crate) struct Supervm {
    pub ctx: Arc<RpcContext>,
}

#[jsonrpsee::core::async_trait]
impl SupervmApiServer for Supervm {
    async fn fee_tokens(&self) -> RpcResult<Vec<FeeTokenJson>> {
        Ok(self
            .ctx
            .read(|_, reader| {
                let head = reader.head_number();
                let rates = rates_at(reader, head)?;
                let mut state = PendingState::new(StoreState::new(reader, head));
                let internal = |e: supervm_vm::StateError| RpcError::Internal(e.to_string());
                let mut list = vec![FeeTokenJson {
                    address: Address::ZERO,
                    symbol: "ETH".into(),
                    name: "Ether".into(),
                    decimals: 18,
                    enabled: true,
                    usable_for_fees: true,
                    rate: Some(RateJson {
                        numerator: U256::from(1),
                        denominator: U256::from(1),
                    }),
                    total_supply: U256::ZERO,
                }];
                for info in registry::token_infos(&mut state).map_err(internal)? {
                    let rate = rates.get(&info.address);
                    list.push(FeeTokenJson {
                        address: info.address,
                        symbol: info.symbol,
                        name: info.name,
                        decimals: info.decimals,
                        enabled: info.enabled,
                        usable_for_fees: rate.is_some(),
                        rate: rate.map(|r| RateJson {
                            numerator: r.numerator(),
                            denominator: r.denominator(),
                        }),
                        total_supply: info.total_supply,
                    });
                }
                Ok(list)
            })
            .await?)
    }

    async fn token_prices(&self) -> RpcResult<Vec<TokenPriceJson>> {
        Ok(self
            .ctx
            .read(|_, reader| {
                let head = reader.head_number();
                let now = reader
                    .header(head)?
                    .map(|h| h.timestamp)
                    .unwrap_or_default();
                let mut state = PendingState::new(StoreState::new(reader, head));
                let internal = |e: supervm_vm::StateError| RpcError::Internal(e.to_string());
                let mut list = Vec::new();
                for info in registry::token_infos(&mut state).map_err(internal)? {
                    let feed = oracle::feed(&mut state, info.address).map_err(internal)?;
                    list.push(TokenPriceJson {
                        address: info.address,
                        symbol: info.symbol,
                        rate: feed.rate.map(|r| RateJson {
                            numerator: r.numerator(),
                            denominator: r.denominator(),
                        }),
                        median: feed.median.map(|m| RateJson {
                            numerator: m,
                            denominator: PRICE_SCALE,
                        }),
                        report_count: feed.report_count,
                        newest_report_age: feed.newest_report.map(|at| now.saturating_sub(at)),
                        last_update: feed.last_update,
                        status: feed.status.display(info.enabled),
                    });
                }
                Ok(list)
            })
            .await?)
    }

    async fn rate_snapshot(
        &self,
        block: BlockNumberOrTag,
    ) -> RpcResult<Option<Vec<SnapshotEntryJson>>> {
        Ok(self
            .ctx
            .read(move |_, reader| {
                let Some(number) = number_of_tag(reader, block) else {
                    return Ok(None);
                };
                Ok(reader.rate_snapshot(number)?.map(|entries| {
                    entries
                        .into_iter()
                        .map(|e| SnapshotEntryJson {
                            token: e.token,
                            numerator: e.numerator,
                            denominator: e.denominator,
                        })
                        .collect()
                }))
            })
            .await?)
    }

    fn system_contracts(&self) -> RpcResult<SystemContractsJson> {
        Ok(SystemContractsJson {
            token_registry: system::TOKEN_REGISTRY,
            fee_preference: system::FEE_PREFERENCE,
            oracle: system::ORACLE,
        })
    }
}
