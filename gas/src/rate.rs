//! Exchange rates as exact fractions and the conversions fee charging needs, with explicit
//! rounding. Integer math only: the same inputs give the same result on every machine.

use alloy_primitives::{U256, U512};

/// Token base units per native base unit (wei), as a fraction with both parts non-zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rate {
    numerator: U256,
    denominator: U256,
}

fn wide(value: U256) -> U512 {
    U512::from(value)
}

fn narrow(value: U512) -> Option<U256> {
    let limbs = value.as_limbs();
    limbs[4..]
        .iter()
        .all(|limb| *limb == 0)
        .then(|| U256::from_limbs([limbs[0], limbs[1], limbs[2], limbs[3]]))
}

impl Rate {
    /// A rate, if both parts are non-zero (a zero part means "no price").
    pub fn new(numerator: U256, denominator: U256) -> Option<Self> {
        (!numerator.is_zero() && !denominator.is_zero()).then_some(Self {
            numerator,
            denominator,
        })
    }

    /// The numerator.
    pub fn numerator(&self) -> U256 {
        self.numerator
    }

    /// The denominator.
    pub fn denominator(&self) -> U256 {
        self.denominator
    }

    /// `native × rate`, rounded up (what a payer is debited). `None` beyond 2^256.
    pub fn to_token_ceil(&self, native: U256) -> Option<U256> {
        let product = wide(native) * wide(self.numerator);
        let denominator = wide(self.denominator);
        narrow(product.div_ceil(denominator))
    }

    /// `native × rate`, rounded down (what a payer is refunded, what a recipient gets).
    pub fn to_token_floor(&self, native: U256) -> Option<U256> {
        narrow(wide(native) * wide(self.numerator) / wide(self.denominator))
    }

    /// `token ÷ rate`, rounded down: a token amount's worth in native units (for ordering).
    pub fn to_native_floor(&self, token: U256) -> U256 {
        narrow(wide(token) * wide(self.denominator) / wide(self.numerator)).unwrap_or(U256::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_in_the_stated_direction() {
        let third = Rate::new(U256::from(1), U256::from(3)).unwrap();
        assert_eq!(third.to_token_ceil(U256::from(10)), Some(U256::from(4)));
        assert_eq!(third.to_token_floor(U256::from(10)), Some(U256::from(3)));
        assert_eq!(third.to_native_floor(U256::from(4)), U256::from(12));
        assert!(Rate::new(U256::ZERO, U256::from(1)).is_none());
        assert!(Rate::new(U256::from(1), U256::ZERO).is_none());
        let huge = Rate::new(U256::MAX, U256::from(1)).unwrap();
        assert_eq!(huge.to_token_ceil(U256::from(2)), None);
    }
}
