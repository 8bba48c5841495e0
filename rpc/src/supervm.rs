//! The `supervm` namespace: fee tokens and system contracts.

use std::sync::Arc;

use alloy_primitives::{Address, U256};
use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use serde::Serialize;
use supervm_vm::{
    system::{self, layout, registry},
    PendingState, StateAccess, StoreState,
};

use crate::{context::RpcContext, eth::rates_at, RpcError};

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
                for token in registry::tokens(&mut state).map_err(internal)? {
                    let (_, enabled) = registry::status(&mut state, token).map_err(internal)?;
                    let rate = rates.get(&token);
                    let word = |state: &mut PendingState<_>, slot| {
                        state.storage(token, slot).map_err(internal)
                    };
                    list.push(FeeTokenJson {
                        address: token,
                        symbol: layout::decode_short_string(word(&mut state, layout::SYMBOL_SLOT)?),
                        name: layout::decode_short_string(word(&mut state, layout::NAME_SLOT)?),
                        decimals: word(&mut state, layout::DECIMALS_SLOT)?.saturating_to(),
                        enabled,
                        usable_for_fees: rate.is_some(),
                        rate: rate.map(|r| RateJson {
                            numerator: r.numerator(),
                            denominator: r.denominator(),
                        }),
                        total_supply: word(&mut state, layout::TOTAL_SUPPLY_SLOT)?,
                    });
                }
                Ok(list)
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
