//! The dev genesis' tokens and system contracts, and custom genesis files.

use super::{address, json, Address, Value, BLOCK_GAS_LIMIT, CHAIN_ID, GENESIS_BASE_FEE, U256};

/// Sample USD of the dev genesis (6 decimals).
pub const SUSD: Address = address!("0x00000000000000000000000000000000000005d1");
/// Sample BTC of the dev genesis (8 decimals).
pub const SBTC: Address = address!("0x00000000000000000000000000000000000005d2");
/// GOLD of the dev genesis (18 decimals).
pub const GOLD: Address = address!("0x00000000000000000000000000000000000005d3");
/// The system contracts, at the addresses the node itself uses.
pub use supervm_primitives::system::{FEE_PREFERENCE, ORACLE, TOKEN_REGISTRY};

/// 10^n as U256.
pub fn pow10(n: u64) -> U256 {
    U256::from(10u64).pow(U256::from(n))
}

/// One ether in wei.
pub fn ether(n: u64) -> U256 {
    U256::from(n) * pow10(18)
}

/// Balance of every dev account in the genesis: 10,000 ether.
pub fn dev_balance() -> U256 {
    ether(10_000)
}

/// A token of a custom genesis (`config.supervm.tokens[]`).
#[derive(Clone, Debug)]
pub struct GenesisTokenSpec {
    pub address: Address,
    pub name: String,
    pub symbol: String,
    pub decimals: u8,
    pub balances: Vec<(Address, U256)>,
    /// (numerator, denominator) token base units per wei; `None` = no price.
    pub rate: Option<(U256, U256)>,
    pub enabled: bool,
}

/// A geth-format genesis JSON for chain 31337 (30M gas, base fee 1 gwei) with the given native
/// allocation and SuperVM section.
pub fn genesis_json(
    alloc: &[(Address, U256)],
    governance: Address,
    base_fee_recipient: Option<Address>,
    tokens: &[GenesisTokenSpec],
) -> Value {
    let alloc: serde_json::Map<String, Value> = alloc
        .iter()
        .map(|(a, b)| (format!("{a:#x}"), json!({ "balance": format!("{b:#x}") })))
        .collect();
    let tokens: Vec<Value> = tokens
        .iter()
        .map(|t| {
            let balances: serde_json::Map<String, Value> = t
                .balances
                .iter()
                .map(|(a, v)| (format!("{a:#x}"), json!(format!("{v:#x}"))))
                .collect();
            let mut token = json!({
                "address": format!("{:#x}", t.address),
                "name": t.name,
                "symbol": t.symbol,
                "decimals": t.decimals,
                "balances": balances,
                "enabled": t.enabled,
            });
            if let Some((n, d)) = t.rate {
                token["rate"] =
                    json!({"numerator": format!("{n:#x}"), "denominator": format!("{d:#x}")});
            }
            token
        })
        .collect();
    json!({
        "config": {
            "chainId": CHAIN_ID,
            "supervm": {
                "governance": format!("{governance:#x}"),
                "baseFeeRecipient": base_fee_recipient.map(|a| format!("{a:#x}")),
                "tokens": tokens,
            }
        },
        "nonce": "0x0",
        "timestamp": "0x0",
        "extraData": "0x",
        "gasLimit": format!("{BLOCK_GAS_LIMIT:#x}"),
        "difficulty": "0x0",
        "baseFeePerGas": format!("{GENESIS_BASE_FEE:#x}"),
        "alloc": alloc,
    })
}
