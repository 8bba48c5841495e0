//! The chain specification: chain id, genesis block parameters, fee-market parameters and the
//! initial allocation.
//!
//! The file format is geth's genesis JSON, so existing genesis files (including public ones such
//! as Sepolia's) load unchanged. SuperVM-specific settings live under `config.supervm`:
//!
//! ```json
//! { "config": { "chainId": 31337,
//!               "supervm": { "baseFeeMaxChangeDenominator": 8, "elasticityMultiplier": 2,
//!                            "baseFeeRecipient": null } },
//!   "gasLimit": "0x1c9c380", "baseFeePerGas": "0x3b9aca00", "timestamp": "0x0",
//!   "alloc": { "0xf39F…2266": { "balance": "0x21e19e0c9bab2400000" } } }
//! ```

use std::{collections::BTreeMap, path::Path};

use alloy_consensus::{Header, EMPTY_OMMER_ROOT_HASH, EMPTY_ROOT_HASH};
use alloy_primitives::address;
use alloy_trie::KECCAK_EMPTY;

use alloy_eips::eip1559::BaseFeeParams;
use alloy_genesis::{Genesis, GenesisAccount};
use alloy_primitives::{Address, B256, U256};

use crate::{Account, ConsensusGenesis, StateChanges};
use serde::{Deserialize, Serialize};

/// Chain id of the built-in development chain (the one anvil and hardhat use, so wallets and
/// tools recognise it as a local chain).
pub const DEV_CHAIN_ID: u64 = 31337;
/// Block gas limit of the built-in development chain.
pub const DEV_GAS_LIMIT: u64 = 30_000_000;
/// Base fee of the development genesis block: 1 gwei, as on Ethereum's London block.
pub const DEV_INITIAL_BASE_FEE: u64 = 1_000_000_000;
/// Native balance of each development account: 10,000 ether.
pub const DEV_ACCOUNT_BALANCE: U256 = U256::from_limbs([0x19e0_c9ba_b240_0000, 0x21e, 0, 0]);

/// Sample tokens of the development chain, with different decimals and seeded rates, so that
/// paying gas in a token works out of the box. Rates assume 1 ETH = 3,000 USD = 0.05 BTC =
/// 100 GOLD.
pub fn dev_tokens(funded: &[Address]) -> Vec<GenesisToken> {
    let token = |address,
                 name: &str,
                 symbol: &str,
                 decimals,
                 per_account: U256,
                 numerator: u64,
                 denominator: u64| GenesisToken {
        address,
        name: name.into(),
        symbol: symbol.into(),
        decimals,
        balances: funded.iter().map(|a| (*a, per_account)).collect(),
        rate: Some(GenesisRate {
            numerator: U256::from(numerator),
            denominator: U256::from(denominator),
        }),
        enabled: true,
        reporters: Vec::new(),
    };
    let pow10 = |n: u64| U256::from(10u64).pow(U256::from(n));
    vec![
        // 6 decimals: 1 wei = 3000e-18 USD = 3e-9 base units.
        token(
            address!("0x00000000000000000000000000000000000005d1"),
            "Sample USD",
            "sUSD",
            6,
            U256::from(1_000_000u64) * pow10(6),
            3,
            1_000_000_000,
        ),
        // 8 decimals: 1 wei = 0.05e-18 BTC = 5e-12 base units.
        token(
            address!("0x00000000000000000000000000000000000005d2"),
            "Sample BTC",
            "sBTC",
            8,
            U256::from(100u64) * pow10(8),
            5,
            1_000_000_000_000,
        ),
        // 18 decimals: 1 wei = 100 base units.
        token(
            address!("0x00000000000000000000000000000000000005d3"),
            "Game Gold",
            "GOLD",
            18,
            U256::from(1_000_000u64) * pow10(18),
            100,
            1,
        ),
    ]
}

/// Fee-market settings under `config.supervm` in the genesis file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SupervmConfig {
    /// EIP-1559 base-fee max change denominator (Ethereum: 8).
    #[serde(default = "default_denominator")]
    pub base_fee_max_change_denominator: u64,
    /// EIP-1559 elasticity multiplier (Ethereum: 2).
    #[serde(default = "default_elasticity")]
    pub elasticity_multiplier: u64,
    /// Who receives the base fee; `null` burns it, as on Ethereum.
    #[serde(default)]
    pub base_fee_recipient: Option<Address>,
    /// The account allowed to register, enable and disable tokens by transaction.
    #[serde(default)]
    pub governance: Option<Address>,
    /// Tokens registered at genesis.
    #[serde(default)]
    pub tokens: Vec<GenesisToken>,
    /// Oracle aggregation parameters.
    #[serde(default)]
    pub oracle: OracleConfig,
    /// The validator set of a multi-validator network; absent on a single-node chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consensus: Option<ConsensusGenesis>,
}

/// Oracle parameters under `config.supervm.oracle` (governance can change them later).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct OracleConfig {
    /// Fresh reports needed for a rate.
    pub min_reports: u64,
    /// Seconds after which a report no longer counts.
    pub max_age_seconds: u64,
    /// Largest move of the accepted rate per block, in basis points.
    pub max_change_bps: u64,
}

impl Default for OracleConfig {
    fn default() -> Self {
        Self {
            min_reports: 3,
            max_age_seconds: 300,
            max_change_bps: 1_000,
        }
    }
}

/// A token registered at genesis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GenesisToken {
    /// The token's address.
    pub address: Address,
    /// ERC-20 name (at most 31 bytes).
    pub name: String,
    /// ERC-20 symbol (at most 31 bytes).
    pub symbol: String,
    /// ERC-20 decimals.
    pub decimals: u8,
    /// Initial balances in base units.
    #[serde(default)]
    pub balances: BTreeMap<Address, U256>,
    /// Seeded exchange rate (token base units per wei); absent = no price yet.
    #[serde(default)]
    pub rate: Option<GenesisRate>,
    /// Whether the token may pay for gas.
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    /// Accounts whitelisted to report its price; none = the seeded rate is a fixed rate.
    #[serde(default)]
    pub reporters: Vec<Address>,
}

fn enabled_by_default() -> bool {
    true
}

/// An exchange rate as an exact fraction: `numerator / denominator` token base units per wei.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisRate {
    /// Numerator (non-zero).
    pub numerator: U256,
    /// Denominator (non-zero).
    pub denominator: U256,
}

fn default_denominator() -> u64 {
    8
}

fn default_elasticity() -> u64 {
    2
}

impl Default for SupervmConfig {
    fn default() -> Self {
        Self {
            base_fee_max_change_denominator: default_denominator(),
            elasticity_multiplier: default_elasticity(),
            base_fee_recipient: None,
            governance: None,
            tokens: Vec::new(),
            oracle: OracleConfig::default(),
            consensus: None,
        }
    }
}

/// Why a chain specification could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ChainSpecError {
    /// The file could not be read.
    #[error("cannot read genesis file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The JSON is malformed or has fields of the wrong type.
    #[error("invalid genesis JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A value is out of range.
    #[error("invalid genesis: {0}")]
    Invalid(String),
}

/// Everything that fixes the chain's identity and rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainSpec {
    /// The parsed genesis (geth format).
    pub genesis: Genesis,
    /// SuperVM fee-market settings.
    pub supervm: SupervmConfig,
}

impl ChainSpec {
    /// Parses a geth-format genesis JSON document.
    pub fn from_json(json: &str) -> Result<Self, ChainSpecError> {
        let genesis: Genesis = serde_json::from_str(json)?;
        Self::from_genesis(genesis)
    }

    /// Loads a genesis JSON file.
    pub fn load(path: &Path) -> Result<Self, ChainSpecError> {
        let json = std::fs::read_to_string(path).map_err(|source| ChainSpecError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_json(&json)
    }

    /// Builds a spec from an already parsed genesis, validating the SuperVM section.
    pub fn from_genesis(genesis: Genesis) -> Result<Self, ChainSpecError> {
        let supervm = match genesis.config.extra_fields.get("supervm") {
            Some(value) => serde_json::from_value(value.clone())?,
            None => SupervmConfig::default(),
        };
        if supervm.base_fee_max_change_denominator == 0 {
            return Err(ChainSpecError::Invalid(
                "config.supervm.baseFeeMaxChangeDenominator must be at least 1".into(),
            ));
        }
        if supervm.elasticity_multiplier == 0 {
            return Err(ChainSpecError::Invalid(
                "config.supervm.elasticityMultiplier must be at least 1".into(),
            ));
        }
        for token in &supervm.tokens {
            if token
                .rate
                .is_some_and(|r| r.numerator.is_zero() || r.denominator.is_zero())
            {
                return Err(ChainSpecError::Invalid(format!(
                    "config.supervm.tokens: rate of {} must have a non-zero numerator and denominator",
                    token.symbol
                )));
            }
        }
        if let Some(consensus) = &supervm.consensus {
            consensus.validate().map_err(ChainSpecError::Invalid)?;
            let commitment = consensus.commitment();
            if !genesis.extra_data.is_empty()
                && genesis.extra_data.as_ref() != commitment.as_slice()
            {
                return Err(ChainSpecError::Invalid(format!(
                    "extraData must be empty or the validator-set commitment {commitment} \
                     when config.supervm.consensus is set"
                )));
            }
        }
        if genesis.gas_limit < 21_000 {
            return Err(ChainSpecError::Invalid(format!(
                "gasLimit {} is below the 21000 gas of a plain transfer",
                genesis.gas_limit
            )));
        }
        Ok(Self { genesis, supervm })
    }

    /// The built-in development chain: `funded` accounts get [`DEV_ACCOUNT_BALANCE`] each and
    /// a balance of every sample token (see [`dev_tokens`]); the first is the governance.
    pub fn dev(chain_id: u64, funded: impl IntoIterator<Item = Address>) -> Self {
        let funded: Vec<Address> = funded.into_iter().collect();
        let mut spec = Self::dev_without_tokens(chain_id, funded.iter().copied());
        spec.supervm.governance = funded.first().copied();
        spec.supervm.tokens = dev_tokens(&funded);
        spec
    }

    /// The development chain with native balances only.
    pub fn dev_without_tokens(chain_id: u64, funded: impl IntoIterator<Item = Address>) -> Self {
        let mut genesis = Genesis::default()
            .with_gas_limit(DEV_GAS_LIMIT)
            .with_base_fee(Some(DEV_INITIAL_BASE_FEE.into()))
            .with_timestamp(0);
        genesis.config.chain_id = chain_id;
        genesis.alloc = funded
            .into_iter()
            .map(|address| {
                (
                    address,
                    GenesisAccount::default().with_balance(DEV_ACCOUNT_BALANCE),
                )
            })
            .collect();
        Self {
            genesis,
            supervm: SupervmConfig::default(),
        }
    }

    /// The geth-format genesis JSON of this spec, `config.supervm` included: what
    /// [`ChainSpec::from_json`] reads back.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        let mut genesis = self.genesis.clone();
        genesis
            .config
            .extra_fields
            .insert_value("supervm".into(), &self.supervm)?;
        serde_json::to_string_pretty(&genesis)
    }

    /// The EIP-155 chain id.
    pub fn chain_id(&self) -> u64 {
        self.genesis.config.chain_id
    }

    /// The block gas limit (constant for now: the dev sealer does not vote on it).
    pub fn gas_limit(&self) -> u64 {
        self.genesis.gas_limit
    }

    /// Base fee of the genesis block; Ethereum's initial 1 gwei when the file has none.
    pub fn initial_base_fee(&self) -> u64 {
        self.genesis
            .base_fee_per_gas
            .map(|fee| u64::try_from(fee).unwrap_or(u64::MAX))
            .unwrap_or(DEV_INITIAL_BASE_FEE)
    }

    /// EIP-1559 parameters for the base-fee update.
    pub fn base_fee_params(&self) -> BaseFeeParams {
        BaseFeeParams::new(
            self.supervm.base_fee_max_change_denominator.into(),
            self.supervm.elasticity_multiplier.into(),
        )
    }

    /// The genesis block header over a genesis state with root `state_root`.
    pub fn genesis_header(&self, state_root: B256) -> Header {
        let g = &self.genesis;
        Header {
            parent_hash: B256::ZERO,
            ommers_hash: EMPTY_OMMER_ROOT_HASH,
            beneficiary: g.coinbase,
            state_root,
            transactions_root: EMPTY_ROOT_HASH,
            receipts_root: EMPTY_ROOT_HASH,
            difficulty: g.difficulty,
            number: 0,
            gas_limit: g.gas_limit,
            gas_used: 0,
            timestamp: g.timestamp,
            extra_data: self.genesis_extra_data(),
            mix_hash: g.mix_hash,
            nonce: g.nonce.into(),
            base_fee_per_gas: Some(self.initial_base_fee()),
            ..Default::default()
        }
    }

    /// The genesis header's `extraData`: the validator-set commitment on a multi-validator
    /// chain (so the genesis hash commits to the set), the file's own bytes otherwise.
    pub fn genesis_extra_data(&self) -> alloy_primitives::Bytes {
        match &self.supervm.consensus {
            Some(consensus) => consensus.commitment().to_vec().into(),
            None => self.genesis.extra_data.clone(),
        }
    }

    /// The validator set fixed in the genesis, if any.
    pub fn consensus(&self) -> Option<&ConsensusGenesis> {
        self.supervm.consensus.as_ref()
    }

    /// The genesis allocation (without system contracts) as the state changes that create it.
    pub fn genesis_state(&self) -> StateChanges {
        let mut changes = StateChanges::default();
        for (address, account) in &self.genesis.alloc {
            let code_hash = account.code_hash().unwrap_or(KECCAK_EMPTY);
            if let Some(code) = account.non_empty_code() {
                changes.codes.insert(code_hash, code.clone());
            }
            changes.accounts.insert(
                *address,
                Some(Account {
                    nonce: account.nonce.unwrap_or(0),
                    balance: account.balance,
                    code_hash,
                }),
            );
            let slots: BTreeMap<B256, U256> = account
                .storage_slots()
                .filter(|(_, value)| !value.is_zero())
                .collect();
            if !slots.is_empty() {
                changes.storage.insert(*address, slots);
            }
        }
        changes
    }

    /// Where base fees go; `None` burns them.
    pub fn base_fee_recipient(&self) -> Option<Address> {
        self.supervm.base_fee_recipient
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_consensus::TrieAccount;
    use alloy_trie::root::state_root_ref_unhashed;

    #[test]
    fn a_spec_with_validators_round_trips_through_its_json() {
        let mut spec = ChainSpec::dev(7, [Address::repeat_byte(1)]);
        spec.supervm.consensus = Some(ConsensusGenesis {
            namespace: "net".into(),
            validators: vec![B256::repeat_byte(3), B256::repeat_byte(2)],
        });
        let back = ChainSpec::from_json(&spec.to_json().unwrap()).unwrap();
        assert_eq!(back.supervm, spec.supervm);
        assert_eq!(back.genesis.alloc, spec.genesis.alloc);
        assert_eq!(back.chain_id(), 7);
        assert_eq!(back.genesis_extra_data(), spec.genesis_extra_data());
    }

    #[test]
    fn dev_balance_is_ten_thousand_ether() {
        assert_eq!(
            DEV_ACCOUNT_BALANCE,
            U256::from(10_000u64) * U256::from(10u64).pow(U256::from(18))
        );
    }

    /// Sepolia's published genesis (from its public chain spec): its state root is
    /// 0x5eb6e371a698b8d68f665192350ffcecbbbf322916f4b51bd79bb6887da3f494.
    #[test]
    fn sepolia_genesis_state_root_matches_the_published_one() {
        let spec =
            ChainSpec::from_json(include_str!("../tests/fixtures/sepolia-genesis.json")).unwrap();
        let accounts: Vec<(Address, TrieAccount)> = spec
            .genesis
            .alloc
            .iter()
            .map(|(address, account)| (*address, account.clone().into_trie_account()))
            .collect();
        assert_eq!(
            state_root_ref_unhashed(accounts.iter().map(|(a, t)| (a, t))),
            "0x5eb6e371a698b8d68f665192350ffcecbbbf322916f4b51bd79bb6887da3f494"
                .parse::<B256>()
                .unwrap()
        );
    }

    #[test]
    fn parses_supervm_section() {
        let spec = ChainSpec::from_json(
            r#"{"config":{"chainId":7,"supervm":{"elasticityMultiplier":4,
                "baseFeeRecipient":"0x000000000000000000000000000000000000dEaD"}},
                "gasLimit":"0x1c9c380","alloc":{}}"#,
        )
        .unwrap();
        assert_eq!(spec.chain_id(), 7);
        assert_eq!(spec.base_fee_params().elasticity_multiplier, 4);
        assert_eq!(spec.base_fee_params().max_change_denominator, 8);
        assert!(spec.base_fee_recipient().is_some());
    }

    #[test]
    fn the_genesis_hash_commits_to_the_validator_set() {
        let json = |keys: &str, extra: &str| {
            format!(
                r#"{{"config":{{"chainId":7,"supervm":{{"consensus":{{"namespace":"supervm-7",
                "validators":[{keys}]}}}}}},"gasLimit":"0x1c9c380","extraData":"{extra}","alloc":{{}}}}"#
            )
        };
        let one = format!("\"{}\"", B256::repeat_byte(1));
        let two = format!("\"{}\"", B256::repeat_byte(2));
        let a = ChainSpec::from_json(&json(&one, "0x")).unwrap();
        let b = ChainSpec::from_json(&json(&two, "0x")).unwrap();
        let commitment = a.consensus().unwrap().commitment();
        assert_eq!(
            a.genesis_header(B256::ZERO).extra_data.as_ref(),
            commitment.as_slice()
        );
        assert_ne!(
            a.genesis_header(B256::ZERO).hash_slow(),
            b.genesis_header(B256::ZERO).hash_slow()
        );
        // The commitment itself is accepted as extraData; anything else is refused.
        assert!(ChainSpec::from_json(&json(&one, &commitment.to_string())).is_ok());
        let err = ChainSpec::from_json(&json(&one, "0x1234")).unwrap_err();
        assert!(
            err.to_string().contains("validator-set commitment"),
            "{err}"
        );
        let err = ChainSpec::from_json(&json(&format!("{one},{one}"), "0x")).unwrap_err();
        assert!(err.to_string().contains("twice"), "{err}");
    }

    #[test]
    fn rejects_bad_values_with_a_named_field() {
        let err = ChainSpec::from_json(
            r#"{"config":{"chainId":7,"supervm":{"elasticityMultiplier":0}},"gasLimit":"0x1c9c380","alloc":{}}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("elasticityMultiplier"), "{err}");
        let err =
            ChainSpec::from_json(r#"{"config":{"chainId":7,"supervm":{"bogus":1}},"alloc":{}}"#)
                .unwrap_err();
        assert!(err.to_string().contains("bogus"), "{err}");
        assert!(ChainSpec::from_json("{not json").is_err());
    }
}
