//! The EIP-1559 base-fee update rule.

use alloy_eips::eip1559::BaseFeeParams;
use supervm_primitives::{ChainSpec, Header};

/// Base fee of the block after `parent`, per EIP-1559: it rises when the parent used more
/// than `gas_limit / elasticity` and falls when it used less, by at most `1 / denominator`.
pub fn next_base_fee(
    parent_gas_used: u64,
    parent_gas_limit: u64,
    parent_base_fee: u64,
    params: BaseFeeParams,
) -> u64 {
    params.next_block_base_fee(parent_gas_used, parent_gas_limit, parent_base_fee)
}

/// Base fee of the block after `parent` under `spec`'s EIP-1559 parameters; a parent without a
/// base fee (a pre-London genesis) counts as the chain's initial base fee.
pub fn next_block_base_fee(spec: &ChainSpec, parent: &Header) -> u64 {
    next_base_fee(
        parent.gas_used,
        parent.gas_limit,
        parent.base_fee_per_gas.unwrap_or(spec.initial_base_fee()),
        spec.base_fee_params(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const GAS_LIMIT: u64 = 30_000_000;

    #[test]
    fn follows_eip1559() {
        let params = BaseFeeParams::ethereum();
        // At target (half full): unchanged.
        assert_eq!(
            next_base_fee(GAS_LIMIT / 2, GAS_LIMIT, 1_000_000_000, params),
            1_000_000_000
        );
        // Full: +12.5%.
        assert_eq!(
            next_base_fee(GAS_LIMIT, GAS_LIMIT, 1_000_000_000, params),
            1_125_000_000
        );
        // Empty: -12.5%.
        assert_eq!(
            next_base_fee(0, GAS_LIMIT, 1_000_000_000, params),
            875_000_000
        );
        // A single transfer in a big block: down by slightly less than 12.5%.
        assert_eq!(
            next_base_fee(21_000, GAS_LIMIT, 1_000_000_000, params),
            875_175_000
        );
    }
}
