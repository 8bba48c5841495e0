//! Per-transaction fee quantities: effective price, tip, upfront cost and settlement.

use alloy_primitives::U256;

/// The fee fields of a transaction, normalised: legacy and EIP-2930 transactions have
/// `max_fee_per_gas == max_priority_fee_per_gas == gas_price`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxFees {
    /// Highest total price per gas the sender accepts (wei).
    pub max_fee_per_gas: u128,
    /// Highest tip per gas the sender offers the block producer (wei).
    pub max_priority_fee_per_gas: u128,
}

/// A fee rule the transaction breaks.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FeeError {
    /// geth's `ErrFeeCapTooLow`.
    #[error("max fee per gas less than block base fee: maxFeePerGas: {max_fee_per_gas}, baseFee: {base_fee}")]
    FeeCapTooLow {
        /// The transaction's max fee per gas.
        max_fee_per_gas: u128,
        /// The block's base fee.
        base_fee: u64,
    },
    /// geth's `ErrTipAboveFeeCap`.
    #[error("max priority fee per gas higher than max fee per gas: maxPriorityFeePerGas: {max_priority_fee_per_gas}, maxFeePerGas: {max_fee_per_gas}")]
    TipAboveFeeCap {
        /// The transaction's max priority fee per gas.
        max_priority_fee_per_gas: u128,
        /// The transaction's max fee per gas.
        max_fee_per_gas: u128,
    },
}

/// How a transaction's fee is split once its gas use is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settlement {
    /// Taken from the sender before execution: `gas_limit × effective price`.
    pub debit: U256,
    /// Returned to the sender: unused gas × effective price.
    pub refund: U256,
    /// Paid to the block's beneficiary: gas used × tip per gas.
    pub tip: U256,
    /// Paid to the base-fee recipient (or burned): gas used × base fee.
    pub base: U256,
}

impl TxFees {
    /// Checks the fee fields against each other (independent of any block).
    pub fn check_consistent(&self) -> Result<(), FeeError> {
        if self.max_priority_fee_per_gas > self.max_fee_per_gas {
            return Err(FeeError::TipAboveFeeCap {
                max_priority_fee_per_gas: self.max_priority_fee_per_gas,
                max_fee_per_gas: self.max_fee_per_gas,
            });
        }
        Ok(())
    }

    /// Checks the fee fields against a block's base fee.
    pub fn check(&self, base_fee: u64) -> Result<(), FeeError> {
        self.check_consistent()?;
        if self.max_fee_per_gas < u128::from(base_fee) {
            return Err(FeeError::FeeCapTooLow {
                max_fee_per_gas: self.max_fee_per_gas,
                base_fee,
            });
        }
        Ok(())
    }

    /// The price per gas actually paid: `min(max_fee, base_fee + max_priority_fee)`.
    /// Callers check [`TxFees::check`] first, so the result is at least the base fee.
    pub fn effective_gas_price(&self, base_fee: u64) -> u128 {
        self.max_fee_per_gas
            .min(u128::from(base_fee).saturating_add(self.max_priority_fee_per_gas))
    }

    /// The tip per gas the block producer receives at this base fee (zero if the fee cap
    /// does not even cover the base fee).
    pub fn effective_tip_per_gas(&self, base_fee: u64) -> u128 {
        self.effective_gas_price(base_fee)
            .saturating_sub(u128::from(base_fee))
    }

    /// What the sender's balance must cover: `gas_limit × max_fee + value` (geth's check,
    /// which uses the fee cap rather than the effective price).
    pub fn max_cost(&self, gas_limit: u64, value: U256) -> U256 {
        U256::from(gas_limit) * U256::from(self.max_fee_per_gas) + value
    }

    /// Splits the fee of a transaction that used `gas_used` of its `gas_limit`.
    pub fn settle(&self, base_fee: u64, gas_limit: u64, gas_used: u64) -> Settlement {
        let price = U256::from(self.effective_gas_price(base_fee));
        let tip_per_gas = U256::from(self.effective_tip_per_gas(base_fee));
        let used = U256::from(gas_used);
        Settlement {
            debit: U256::from(gas_limit) * price,
            refund: U256::from(gas_limit.saturating_sub(gas_used)) * price,
            tip: used * tip_per_gas,
            base: used * U256::from(base_fee),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settlement_is_exact() {
        let fees = TxFees {
            max_fee_per_gas: 50,
            max_priority_fee_per_gas: 3,
        };
        fees.check(10).unwrap();
        assert_eq!(fees.effective_gas_price(10), 13);
        let s = fees.settle(10, 30_000, 21_000);
        assert_eq!(s.debit, s.refund + s.tip + s.base);
        assert_eq!(s.tip, U256::from(21_000 * 3));
        assert_eq!(s.base, U256::from(21_000 * 10));
        // Capped by max fee.
        let capped = TxFees {
            max_fee_per_gas: 11,
            max_priority_fee_per_gas: 3,
        };
        assert_eq!(capped.effective_tip_per_gas(10), 1);
    }

    #[test]
    fn rejects_inconsistent_fees_with_geth_messages() {
        let low = TxFees {
            max_fee_per_gas: 5,
            max_priority_fee_per_gas: 1,
        };
        assert!(low
            .check(10)
            .unwrap_err()
            .to_string()
            .starts_with("max fee per gas less than block base fee"));
        let inverted = TxFees {
            max_fee_per_gas: 5,
            max_priority_fee_per_gas: 6,
        };
        assert!(inverted
            .check(1)
            .unwrap_err()
            .to_string()
            .starts_with("max priority fee per gas higher than max fee per gas"));
    }
}
