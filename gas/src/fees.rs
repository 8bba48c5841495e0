//! Per-transaction fee quantities: effective price, tip, maximum debit and settlement, in the
//! native coin or in a fee token.

use alloy_primitives::U256;

use crate::Rate;

/// The fee fields of a transaction, normalised: legacy and EIP-2930 transactions have
/// `max_fee_per_gas == max_priority_fee_per_gas == gas_price`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxFees {
    /// Highest total price per gas the sender accepts.
    pub max_fee_per_gas: u128,
    /// Highest tip per gas the sender offers the block producer.
    pub max_priority_fee_per_gas: u128,
}

/// The unit of a transaction's fee fields and the token it pays in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payment {
    /// Fee fields in wei per gas, paid in the native coin.
    Native,
    /// Fee fields in wei per gas (types 0, 1, 2), paid in a token at this rate.
    Converted(Rate),
    /// Fee fields in token units per gas (type 0x7b, CIP-64), paid in that token; the rate
    /// converts the base fee.
    Denominated(Rate),
}

/// A fee rule the transaction breaks.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FeeError {
    /// geth's `ErrFeeCapTooLow`.
    #[error("max fee per gas less than block base fee: maxFeePerGas: {max_fee_per_gas}, baseFee: {base_fee}")]
    FeeCapTooLow {
        /// The transaction's max fee per gas (in its own unit).
        max_fee_per_gas: u128,
        /// The block's base fee in the same unit.
        base_fee: U256,
    },
    /// geth's `ErrTipAboveFeeCap`.
    #[error("max priority fee per gas higher than max fee per gas: maxPriorityFeePerGas: {max_priority_fee_per_gas}, maxFeePerGas: {max_fee_per_gas}")]
    TipAboveFeeCap {
        /// The transaction's max priority fee per gas.
        max_priority_fee_per_gas: u128,
        /// The transaction's max fee per gas.
        max_fee_per_gas: u128,
    },
    /// The fee does not fit in 256 bits at this rate.
    #[error("fee overflows 256 bits at the current rate")]
    Overflow,
}

/// How a transaction's fee is split once its gas use is known, in the paying token's units.
/// Always `debit = refund + tip + base`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settlement {
    /// Taken from the payer before execution: the maximum fee, rounded up.
    pub debit: U256,
    /// Returned to the payer for unused gas and unspent fee cap, rounded down.
    pub refund: U256,
    /// Paid to the block's beneficiary, rounded down.
    pub tip: U256,
    /// Paid to the base-fee recipient (or burned): the rest, including rounding remainders.
    pub base: U256,
}

impl Settlement {
    /// Nothing charged (an `eth_call` without fees).
    pub const ZERO: Self = Self {
        debit: U256::ZERO,
        refund: U256::ZERO,
        tip: U256::ZERO,
        base: U256::ZERO,
    };

    /// What the payer ends up paying.
    pub fn paid(&self) -> U256 {
        self.debit - self.refund
    }
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

    /// The base fee per gas in the unit of the fee fields.
    pub fn base_fee_in_fee_unit(base_fee: u64, payment: Payment) -> Result<U256, FeeError> {
        match payment {
            Payment::Native | Payment::Converted(_) => Ok(U256::from(base_fee)),
            Payment::Denominated(rate) => rate
                .to_token_ceil(U256::from(base_fee))
                .ok_or(FeeError::Overflow),
        }
    }

    /// Checks the fee fields against a block's base fee.
    pub fn check(&self, base_fee: u64, payment: Payment) -> Result<(), FeeError> {
        self.check_consistent()?;
        let base = Self::base_fee_in_fee_unit(base_fee, payment)?;
        if U256::from(self.max_fee_per_gas) < base {
            return Err(FeeError::FeeCapTooLow {
                max_fee_per_gas: self.max_fee_per_gas,
                base_fee: base,
            });
        }
        Ok(())
    }

    /// The price per gas actually paid, in the unit of the fee fields:
    /// `min(max_fee, base_fee + max_priority_fee)`.
    pub fn effective_gas_price(&self, base_fee: U256) -> U256 {
        U256::from(self.max_fee_per_gas)
            .min(base_fee.saturating_add(U256::from(self.max_priority_fee_per_gas)))
    }

    /// The tip per gas in native units at this base fee, used to order transactions of all
    /// tokens on one scale (zero if the fee cap does not cover the base fee).
    pub fn native_tip_per_gas(&self, base_fee: u64, payment: Payment) -> u128 {
        let Ok(base) = Self::base_fee_in_fee_unit(base_fee, payment) else {
            return 0;
        };
        let tip = self.effective_gas_price(base).saturating_sub(base);
        let native = match payment {
            Payment::Denominated(rate) => rate.to_native_floor(tip),
            _ => tip,
        };
        native.saturating_to()
    }

    /// The most the payer can be charged, in the paying token, rounded up.
    pub fn max_debit(&self, gas_limit: u64, payment: Payment) -> Result<U256, FeeError> {
        let max = U256::from(gas_limit) * U256::from(self.max_fee_per_gas);
        match payment {
            Payment::Native | Payment::Denominated(_) => Ok(max),
            Payment::Converted(rate) => rate.to_token_ceil(max).ok_or(FeeError::Overflow),
        }
    }

    /// Splits the fee of a transaction that used `gas_used` of its `gas_limit`.
    pub fn settle(
        &self,
        base_fee: u64,
        gas_limit: u64,
        gas_used: u64,
        payment: Payment,
    ) -> Result<Settlement, FeeError> {
        let base_per_gas = Self::base_fee_in_fee_unit(base_fee, payment)?;
        let price = self.effective_gas_price(base_per_gas);
        let tip_per_gas = price.saturating_sub(base_per_gas);
        let used = U256::from(gas_used);
        let max = U256::from(gas_limit) * U256::from(self.max_fee_per_gas);
        let paid = used * price;
        let tip = used * tip_per_gas;
        match payment {
            Payment::Native | Payment::Denominated(_) => Ok(Settlement {
                debit: max,
                refund: max - paid,
                tip,
                base: used * base_per_gas,
            }),
            Payment::Converted(rate) => {
                let debit = rate.to_token_ceil(max).ok_or(FeeError::Overflow)?;
                let refund = rate.to_token_floor(max - paid).ok_or(FeeError::Overflow)?;
                let tip = rate.to_token_floor(tip).ok_or(FeeError::Overflow)?;
                // debit ≥ ceil(paid·rate) + refund ≥ tip + refund, so the rest is never negative.
                Ok(Settlement {
                    debit,
                    refund,
                    tip,
                    base: debit - refund - tip,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_settlement_is_exact() {
        let fees = TxFees {
            max_fee_per_gas: 50,
            max_priority_fee_per_gas: 3,
        };
        fees.check(10, Payment::Native).unwrap();
        assert_eq!(fees.effective_gas_price(U256::from(10)), U256::from(13));
        let s = fees.settle(10, 30_000, 21_000, Payment::Native).unwrap();
        assert_eq!(s.debit, s.refund + s.tip + s.base);
        assert_eq!(s.paid(), U256::from(21_000 * 13));
        assert_eq!(s.tip, U256::from(21_000 * 3));
        assert_eq!(s.base, U256::from(21_000 * 10));
    }

    #[test]
    fn converted_settlement_rounds_against_the_payer() {
        let rate = Rate::new(U256::from(1), U256::from(3)).unwrap();
        let fees = TxFees {
            max_fee_per_gas: 7,
            max_priority_fee_per_gas: 1,
        };
        let s = fees.settle(5, 10, 7, Payment::Converted(rate)).unwrap();
        // max 70 wei → debit ceil(70/3)=24; paid 42 wei (exactly 14 tokens); refund floor(28/3)=9.
        assert_eq!(s.debit, U256::from(24));
        assert_eq!(s.refund, U256::from(9));
        assert_eq!(s.tip, U256::from(2));
        assert_eq!(s.base, U256::from(13));
        assert!(s.paid() * U256::from(3) >= U256::from(42));
    }

    #[test]
    fn denominated_fees_compare_with_the_converted_base_fee() {
        let rate = Rate::new(U256::from(3), U256::from(1_000_000_000)).unwrap();
        let fees = TxFees {
            max_fee_per_gas: 2,
            max_priority_fee_per_gas: 1,
        };
        // base fee 1 gwei = 3 token units per gas.
        let err = fees
            .check(1_000_000_000, Payment::Denominated(rate))
            .unwrap_err();
        assert!(err
            .to_string()
            .starts_with("max fee per gas less than block base fee"));
        let fees = TxFees {
            max_fee_per_gas: 10,
            max_priority_fee_per_gas: 1,
        };
        let s = fees
            .settle(1_000_000_000, 100, 50, Payment::Denominated(rate))
            .unwrap();
        assert_eq!(s.debit, U256::from(1000));
        assert_eq!(s.base, U256::from(150));
        assert_eq!(s.tip, U256::from(50));
        assert_eq!(s.refund, U256::from(800));
    }

    #[test]
    fn rejects_inconsistent_fees_with_geth_messages() {
        let inverted = TxFees {
            max_fee_per_gas: 5,
            max_priority_fee_per_gas: 6,
        };
        assert!(inverted
            .check(1, Payment::Native)
            .unwrap_err()
            .to_string()
            .starts_with("max priority fee per gas higher than max fee per gas"));
    }
}
