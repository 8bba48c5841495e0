//! The token catalogue: the native coin and every registered token with the rate the next
//! block converts fees at and its oracle feed, read from one snapshot. `supervm_feeTokens`,
//! `supervm_tokenPrices` and the gRPC `TokenService` all list this catalogue, so they cannot
//! disagree about which tokens exist or what they cost.

use alloy_primitives::{Address, U256};
use supervm_gas::Rate;
use supervm_storage::Reader;
use supervm_vm::{
    system::{
        oracle::{self, FeedInfo},
        registry,
    },
    PendingState, StateError, StoreState,
};

use crate::{rates::rates_at, RpcError};

/// What the catalogue says about the native coin or one registered token.
pub(crate) struct Listing {
    /// The token's address; the zero address for the native coin (as in `feeCurrency`).
    pub address: Address,
    /// ERC-20 symbol.
    pub symbol: String,
    /// ERC-20 name.
    pub name: String,
    /// ERC-20 decimals.
    pub decimals: u8,
    /// Whether governance lets it pay for gas; always for the native coin.
    pub enabled: bool,
    /// Total supply in base units; 0 for the native coin, which no contract accounts for.
    pub total_supply: U256,
    /// The rate (token base units per wei) the next block converts fees at: 1:1 for the
    /// native coin, `None` for a token that cannot pay in the next block.
    pub rate: Option<Rate>,
}

/// A registered token: its listing and what its oracle feed says.
pub(crate) struct RegisteredToken {
    /// Metadata and the next block's rate.
    pub listing: Listing,
    /// The feed: accepted rate, median and count of fresh reports, newest report, last update.
    pub feed: FeedInfo,
    /// The feed status users see: the feed's own, or `disabled` when governance disabled it.
    pub status: &'static str,
}

/// The catalogue of the head block's post-state.
pub(crate) struct Catalogue {
    /// The native coin, which always pays at 1:1.
    pub native: Listing,
    /// Every registered token, in registration order.
    pub tokens: Vec<RegisteredToken>,
}

/// Reads the catalogue from the head block's post-state and the rate snapshot of the block
/// built on it.
pub(crate) fn catalogue(reader: &Reader) -> Result<Catalogue, RpcError> {
    let head = reader.head_number();
    let rates = rates_at(reader, head)?;
    let mut state = PendingState::new(StoreState::new(reader, head));
    let internal = |e: StateError| RpcError::Internal(e.to_string());
    let mut tokens = Vec::new();
    for info in registry::token_infos(&mut state).map_err(internal)? {
        let feed = oracle::feed(&mut state, info.address).map_err(internal)?;
        tokens.push(RegisteredToken {
            status: feed.status.display(info.enabled),
            feed,
            listing: Listing {
                rate: rates.get(&info.address),
                address: info.address,
                symbol: info.symbol,
                name: info.name,
                decimals: info.decimals,
                enabled: info.enabled,
                total_supply: info.total_supply,
            },
        });
    }
    Ok(Catalogue {
        native: native_coin(),
        tokens,
    })
}

/// The native coin: Ether's symbol, name and 18 decimals, at the zero address.
fn native_coin() -> Listing {
    Listing {
        address: Address::ZERO,
        symbol: "ETH".into(),
        name: "Ether".into(),
        decimals: 18,
        enabled: true,
        total_supply: U256::ZERO,
        rate: Rate::new(U256::from(1), U256::from(1)),
    }
}
