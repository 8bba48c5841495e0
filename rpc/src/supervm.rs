//! The `supervm` namespace: fee tokens, their prices and the system contracts.

use std::sync::Arc;

use alloy_eips::BlockNumberOrTag;
use alloy_primitives::{Address, B256, U256, U64};
use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use serde::Serialize;
use supervm_gas::Rate;
use supervm_oracle::PRICE_SCALE;
use supervm_primitives::system;
use supervm_storage::Reader;

use crate::{
    block_id::number_of_tag,
    context::RpcContext,
    tokens::{catalogue, Listing},
    RpcError,
};

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

impl From<Rate> for RateJson {
    fn from(rate: Rate) -> Self {
        Self {
            numerator: rate.numerator(),
            denominator: rate.denominator(),
        }
    }
}

impl From<Listing> for FeeTokenJson {
    fn from(listing: Listing) -> Self {
        Self {
            address: listing.address,
            symbol: listing.symbol,
            name: listing.name,
            decimals: listing.decimals,
            enabled: listing.enabled,
            usable_for_fees: listing.rate.is_some(),
            rate: listing.rate.map(RateJson::from),
            total_supply: listing.total_supply,
        }
    }
}

/// `supervm_feeTokens`: the whole catalogue, native coin first.
fn fee_tokens(reader: &Reader) -> Result<Vec<FeeTokenJson>, RpcError> {
    let catalogue = catalogue(reader)?;
    Ok(std::iter::once(catalogue.native)
        .chain(catalogue.tokens.into_iter().map(|token| token.listing))
        .map(FeeTokenJson::from)
        .collect())
}

/// `supervm_tokenPrices`: the registered tokens of the catalogue with their oracle feeds; report
/// ages count from the head block's timestamp.
fn token_prices(reader: &Reader) -> Result<Vec<TokenPriceJson>, RpcError> {
    let now = reader
        .header(reader.head_number())?
        .map(|h| h.timestamp)
        .unwrap_or_default();
    Ok(catalogue(reader)?
        .tokens
        .into_iter()
        .map(|token| TokenPriceJson {
            address: token.listing.address,
            symbol: token.listing.symbol,
            rate: token.feed.rate.map(RateJson::from),
            median: token.feed.median.map(|m| RateJson {
                numerator: m,
                denominator: PRICE_SCALE,
            }),
            report_count: token.feed.report_count,
            newest_report_age: token.feed.newest_report.map(|at| now.saturating_sub(at)),
            last_update: token.feed.last_update,
            status: token.status,
        })
        .collect())
}

/// `supervm_consensus`: what this node's consensus engine is doing.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsensusJson {
    /// `dev`, `validator` or `follower`.
    pub mode: &'static str,
    /// This node's ed25519 public key (absent in dev mode).
    pub public_key: Option<B256>,
    /// The genesis validator set (empty in dev mode).
    pub validators: Vec<B256>,
    /// The latest view this node saw a proposal for.
    pub view: U64,
    /// That view's leader.
    pub leader: Option<B256>,
    /// The last block this node committed (final outside dev mode).
    pub finalized: U64,
    /// The highest finalized block the network has shown this node.
    pub network_finalized: U64,
    /// Peers heard from, with the height and view they last announced.
    pub peers: Vec<ConsensusPeerJson>,
}

/// One peer of [`ConsensusJson`].
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsensusPeerJson {
    /// Its public key.
    pub public_key: B256,
    /// Whether it votes.
    pub validator: bool,
    /// The finalized height it announced.
    pub height: U64,
    /// The view it announced.
    pub view: U64,
    /// Milliseconds since it last announced.
    pub last_seen_ms: U64,
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
    /// The consensus engine's state: role, validator set, view and leader, finalized heights,
    /// peers.
    #[method(name = "consensus")]
    async fn consensus(&self) -> RpcResult<ConsensusJson>;
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
        Ok(self.ctx.read(|_, reader| fee_tokens(reader)).await?)
    }

    async fn token_prices(&self) -> RpcResult<Vec<TokenPriceJson>> {
        Ok(self.ctx.read(|_, reader| token_prices(reader)).await?)
    }

    async fn rate_snapshot(
        &self,
        block: BlockNumberOrTag,
    ) -> RpcResult<Option<Vec<SnapshotEntryJson>>> {
        Ok(self
            .ctx
            .read(move |_, reader| -> Result<_, RpcError> {
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

    async fn consensus(&self) -> RpcResult<ConsensusJson> {
        let head = self
            .ctx
            .read(|_, reader| Ok::<_, RpcError>(reader.head_number()))
            .await?;
        let Some(status) = &self.ctx.consensus else {
            return Ok(ConsensusJson {
                mode: self.ctx.consensus_mode,
                public_key: None,
                validators: Vec::new(),
                view: U64::ZERO,
                leader: None,
                finalized: U64::from(head),
                network_finalized: U64::from(head),
                peers: Vec::new(),
            });
        };
        let snapshot = status.snapshot();
        Ok(ConsensusJson {
            mode: snapshot.role,
            public_key: Some(snapshot.public_key),
            validators: snapshot.validators,
            view: U64::from(snapshot.view),
            leader: snapshot.leader,
            finalized: U64::from(head),
            network_finalized: U64::from(snapshot.network_finalized.max(head)),
            peers: snapshot
                .peers
                .into_iter()
                .map(|peer| ConsensusPeerJson {
                    public_key: peer.public_key,
                    validator: peer.validator,
                    height: U64::from(peer.height),
                    view: U64::from(peer.view),
                    last_seen_ms: U64::from(peer.last_seen.as_millis() as u64),
                })
                .collect(),
        })
    }

    fn system_contracts(&self) -> RpcResult<SystemContractsJson> {
        Ok(SystemContractsJson {
            token_registry: system::TOKEN_REGISTRY,
            fee_preference: system::FEE_PREFERENCE,
            oracle: system::ORACLE,
        })
    }
}
