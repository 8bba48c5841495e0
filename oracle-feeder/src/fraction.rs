//! Exact positive fractions: parsing decimal quotes, inverting, scaling, comparing.
//!
//! Price APIs quote decimals ("3012.45", 3.01245e3). Going through `f64` would make two
//! feeders that read the same quote report different rates, and would lose digits on
//! large or tiny values. Every quote is therefore parsed exactly into `numerator / denominator`
//! (both [`U256`], kept reduced), and all arithmetic on prices stays exact: products are
//! computed in [`U512`], comparisons cross-multiply, spreads are checked in 1024 bits.

use std::{cmp::Ordering, fmt};

use alloy_primitives::{
    ruint::{Uint, UintTryFrom},
    U256, U512,
};

/// Wide enough for `|a·d − c·b| · 10⁴` with 256-bit parts.
type U1024 = Uint<1024, 16>;

/// Basis points in one.
const BPS: u64 = 10_000;

/// The largest power of ten a [`U256`] holds is 10⁷⁷.
const MAX_POW10: u64 = 77;

/// Why a value is not a usable price.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FractionError {
    /// The text is not a decimal number.
    #[error("not a decimal number: {0:?}")]
    Syntax(String),
    /// The value is below zero.
    #[error("negative value")]
    Negative,
    /// The value is zero (no price, and not invertible).
    #[error("zero value")]
    Zero,
    /// The exact value does not fit `U256 / U256`.
    #[error("value out of range (does not fit 256-bit numerator and denominator)")]
    Overflow,
}

/// A positive rational number `numerator / denominator`, always reduced (gcd 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fraction {
    numerator: U256,
    denominator: U256,
}

impl Fraction {
    /// One.
    pub const ONE: Self = Self {
        numerator: U256::from_limbs([1, 0, 0, 0]),
        denominator: U256::from_limbs([1, 0, 0, 0]),
    };

    /// `numerator / denominator`, reduced; both must be non-zero.
    pub fn new(numerator: U256, denominator: U256) -> Result<Self, FractionError> {
        if numerator.is_zero() || denominator.is_zero() {
            return Err(FractionError::Zero);
        }
        let gcd = numerator.gcd(denominator);
        Ok(Self {
            numerator: numerator / gcd,
            denominator: denominator / gcd,
        })
    }

    /// The reduced numerator.
    pub fn numerator(&self) -> U256 {
        self.numerator
    }

    /// The reduced denominator.
    pub fn denominator(&self) -> U256 {
        self.denominator
    }

    /// Parses a decimal number exactly: `[-+]digits[.digits][(e|E)[-+]digits]`, also `.5` and
    /// `5.`. JSON numbers are a subset. Zero and negative values are errors: neither is a price.
    pub fn parse_decimal(text: &str) -> Result<Self, FractionError> {
        let syntax = || FractionError::Syntax(snippet(text));
        let (negative, rest) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let (mantissa, exponent) = match rest.find(['e', 'E']) {
            Some(at) => (&rest[..at], Some(&rest[at + 1..])),
            None => (rest, None),
        };
        let (int_digits, frac_digits) = match mantissa.split_once('.') {
            Some((int, frac)) => (int, frac),
            None => (mantissa, ""),
        };
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (int_digits.is_empty() && frac_digits.is_empty())
            || !all_digits(int_digits)
            || !all_digits(frac_digits)
        {
            return Err(syntax());
        }
        let exponent: i64 = match exponent {
            None => 0,
            Some(e) => {
                let digits = e.strip_prefix(['-', '+']).unwrap_or(e);
                if digits.is_empty() || !all_digits(digits) {
                    return Err(syntax());
                }
                // Anything beyond a few hundred is out of range whatever the mantissa; cap the
                // parse so that "1e99999999999999999999" is an overflow, not a syntax error.
                let digits = digits.trim_start_matches('0');
                let magnitude: i64 = if digits.len() > 6 {
                    1_000_000
                } else {
                    digits.parse().unwrap_or(0)
                };
                if e.starts_with('-') {
                    -magnitude
                } else {
                    magnitude
                }
            }
        };
        // Trailing zeros of the fraction and leading zeros of the whole add no value; dropping
        // them keeps "3000.000…0" (any length) in range.
        let frac_digits = frac_digits.trim_end_matches('0');
        let digits = format!("{int_digits}{frac_digits}");
        let digits = digits.trim_start_matches('0');
        if digits.is_empty() {
            return Err(FractionError::Zero);
        }
        if negative {
            return Err(FractionError::Negative);
        }
        // Trailing zeros of the digit string become a positive exponent.
        let significant = digits.trim_end_matches('0');
        let shift = (digits.len() - significant.len()) as i64;
        let mantissa =
            U256::from_str_radix(significant, 10).map_err(|_| FractionError::Overflow)?;
        let exponent = exponent + shift - frac_digits.len() as i64;
        let (numerator, denominator) = if exponent >= 0 {
            let scale = pow10(exponent.unsigned_abs())?;
            (
                mantissa.checked_mul(scale).ok_or(FractionError::Overflow)?,
                U256::from(1),
            )
        } else {
            (mantissa, pow10(exponent.unsigned_abs())?)
        };
        Self::new(numerator, denominator)
    }

    /// `1 / self`.
    pub fn invert(self) -> Self {
        Self {
            numerator: self.denominator,
            denominator: self.numerator,
        }
    }

    /// The exact product, or [`FractionError::Overflow`] if its reduced form does not fit.
    pub fn checked_mul(self, other: Self) -> Result<Self, FractionError> {
        let numerator = U512::from(self.numerator) * U512::from(other.numerator);
        let denominator = U512::from(self.denominator) * U512::from(other.denominator);
        let gcd = numerator.gcd(denominator);
        let narrow = |v: U512| U256::uint_try_from(v / gcd).map_err(|_| FractionError::Overflow);
        Self::new(narrow(numerator)?, narrow(denominator)?)
    }

    /// Whether `self` lies within `bps` basis points of `reference` (inclusive):
    /// `|self − reference| · 10⁴ ≤ bps · reference`, computed exactly.
    pub fn within_bps(self, reference: Self, bps: u64) -> bool {
        let (distance, scaled_reference) = self.distance_to(reference);
        distance * U1024::from(BPS) <= scaled_reference * U1024::from(bps)
    }

    /// How far `self` is from `reference`, in basis points of `reference`, rounded down and
    /// saturated at `u64::MAX` (for logs and the health report).
    pub fn deviation_bps(self, reference: Self) -> u64 {
        let (distance, scaled_reference) = self.distance_to(reference);
        let bps = distance * U1024::from(BPS) / scaled_reference;
        u64::try_from(bps).unwrap_or(u64::MAX)
    }

    /// `(|a·d − c·b|, c·b)` for `self = a/b`, `reference = c/d`: the distance and the reference
    /// over the common denominator `b·d`.
    fn distance_to(self, reference: Self) -> (U1024, U1024) {
        let ad = U1024::from(self.numerator) * U1024::from(reference.denominator);
        let cb = U1024::from(reference.numerator) * U1024::from(self.denominator);
        let distance = if ad > cb { ad - cb } else { cb - ad };
        (distance, cb)
    }
}

impl Ord for Fraction {
    /// `a/b` vs `c/d` is `a·d` vs `c·b` (denominators are positive).
    fn cmp(&self, other: &Self) -> Ordering {
        let left = U512::from(self.numerator) * U512::from(other.denominator);
        let right = U512::from(other.numerator) * U512::from(self.denominator);
        left.cmp(&right)
    }
}

impl PartialOrd for Fraction {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Fraction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.numerator, self.denominator)
    }
}

/// `10^n` as a [`U256`], or overflow past 10⁷⁷.
fn pow10(n: u64) -> Result<U256, FractionError> {
    if n > MAX_POW10 {
        return Err(FractionError::Overflow);
    }
    Ok(U256::from(10u64).pow(U256::from(n)))
}

/// The first characters of a value, for error messages and `/health`.
pub(super) fn snippet(text: &str) -> String {
    const MAX: usize = 40;
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn frac(n: u64, d: u64) -> Fraction {
        Fraction::new(U256::from(n), U256::from(d)).unwrap()
    }

    fn parse(text: &str) -> Fraction {
        Fraction::parse_decimal(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn parses_decimals_exactly() {
        assert_eq!(parse("3012.45"), frac(301_245, 100));
        assert_eq!(parse("3012.45"), frac(60_249, 20));
        assert_eq!(parse("42"), frac(42, 1));
        assert_eq!(parse("+42"), frac(42, 1));
        assert_eq!(parse("0.1"), frac(1, 10));
        assert_eq!(parse(".5"), frac(1, 2));
        assert_eq!(parse("5."), frac(5, 1));
        assert_eq!(parse("007.50"), frac(15, 2));
        assert_eq!(parse("3.01245e3"), frac(301_245, 100));
        assert_eq!(parse("3.01245E+3"), frac(301_245, 100));
        assert_eq!(parse("12e-2"), frac(3, 25));
        assert_eq!(
            parse("1e-30"),
            Fraction::new(U256::from(1), pow10(30).unwrap()).unwrap()
        );
        assert_eq!(
            parse("0.000000000001"),
            Fraction::new(U256::from(1), pow10(12).unwrap()).unwrap()
        );
        assert_eq!(
            parse("1e77"),
            Fraction::new(pow10(77).unwrap(), U256::from(1)).unwrap()
        );
        // Long trailing zeros stay in range.
        let long = format!("3000.{}", "0".repeat(200));
        assert_eq!(parse(&long), frac(3000, 1));
        // No binary rounding: 0.1 + 0.2 style values are exact.
        assert_eq!(
            parse("0.30000000000000004"),
            Fraction::new(U256::from(30_000_000_000_000_004u64), pow10(17).unwrap()).unwrap()
        );
    }

    #[test]
    fn rejects_what_is_not_a_positive_decimal() {
        for bad in [
            "", ".", "-", "abc", "1.2.3", "1e", "1e+", "0x10", "1,5", " 1", "1 ", "NaN", "inf",
            "1e5.5", "--1",
        ] {
            assert!(
                matches!(Fraction::parse_decimal(bad), Err(FractionError::Syntax(_))),
                "{bad:?} should be a syntax error, got {:?}",
                Fraction::parse_decimal(bad)
            );
        }
        assert_eq!(Fraction::parse_decimal("0"), Err(FractionError::Zero));
        assert_eq!(Fraction::parse_decimal("0.000"), Err(FractionError::Zero));
        assert_eq!(Fraction::parse_decimal("0e10"), Err(FractionError::Zero));
        assert_eq!(Fraction::parse_decimal("-3"), Err(FractionError::Negative));
        assert_eq!(
            Fraction::parse_decimal("-0.5"),
            Err(FractionError::Negative)
        );
        assert_eq!(
            Fraction::parse_decimal("1e78"),
            Err(FractionError::Overflow)
        );
        assert_eq!(
            Fraction::parse_decimal("1e-78"),
            Err(FractionError::Overflow)
        );
        assert_eq!(
            Fraction::parse_decimal("1e99999999999999999999"),
            Err(FractionError::Overflow)
        );
        assert_eq!(
            Fraction::parse_decimal(&"9".repeat(100)),
            Err(FractionError::Overflow)
        );
    }

    #[test]
    fn inversion_and_scale() {
        // 1 ETH = 3000 USD, USD token with 6 decimals: price per wei = 3000 · 10⁶ / 10¹⁸.
        let usd_per_eth = parse("3000");
        let scale = parse("0.000000000001");
        assert_eq!(
            usd_per_eth.checked_mul(scale).unwrap(),
            frac(3, 1_000_000_000)
        );
        // A quote of ETH per USD is inverted first.
        let eth_per_usd = parse("0.0003333333333333333333");
        let price = eth_per_usd.invert().checked_mul(scale).unwrap();
        assert_eq!(price.numerator(), pow10(10).unwrap());
        assert_eq!(
            price.denominator(),
            U256::from(3_333_333_333_333_333_333u128)
        );
        assert_eq!(frac(2, 3).invert(), frac(3, 2));
        assert_eq!(frac(7, 1).checked_mul(Fraction::ONE).unwrap(), frac(7, 1));
        let huge = Fraction::new(U256::MAX, U256::from(1)).unwrap();
        assert_eq!(huge.checked_mul(frac(2, 1)), Err(FractionError::Overflow));
        assert_eq!(
            huge.checked_mul(frac(1, 2)).unwrap().denominator(),
            U256::from(2)
        );
    }

    #[test]
    fn ordering_and_spread() {
        assert!(frac(1, 3) < frac(1, 2));
        assert!(frac(2, 4) == frac(1, 2));
        assert_eq!(frac(3, 6).cmp(&frac(1, 2)), Ordering::Equal);
        let m = frac(3000, 1);
        assert!(frac(3060, 1).within_bps(m, 200));
        assert!(frac(2940, 1).within_bps(m, 200));
        assert!(!frac(3061, 1).within_bps(m, 200));
        assert!(!frac(2939, 1).within_bps(m, 200));
        assert_eq!(frac(30_000, 1).deviation_bps(m), 90_000);
        assert_eq!(frac(2940, 1).deviation_bps(m), 200);
        let max = Fraction::new(U256::MAX, U256::from(1)).unwrap();
        let min = Fraction::new(U256::from(1), U256::MAX).unwrap();
        assert!(!max.within_bps(min, 10_000));
        assert_eq!(max.deviation_bps(min), u64::MAX);
        assert!(max.within_bps(max, 0));
    }

    proptest! {
        #[test]
        fn decimal_text_round_trips(int in 0u64..1_000_000_000, frac_part in 0u64..1_000_000, places in 0usize..7) {
            prop_assume!(int > 0 || frac_part > 0);
            let width = places.max(frac_part.to_string().len());
            let text = format!("{int}.{frac_part:0>width$}");
            let expected = Fraction::new(
                U256::from(int) * pow10(width as u64).unwrap() + U256::from(frac_part),
                pow10(width as u64).unwrap(),
            ).unwrap();
            prop_assert_eq!(Fraction::parse_decimal(&text).unwrap(), expected);
        }

        #[test]
        fn ordering_matches_integers(a in 1u64..u64::MAX, b in 1u64..u64::MAX, k in 1u64..1000) {
            let x = Fraction::new(U256::from(a) * U256::from(k), U256::from(k)).unwrap();
            let y = Fraction::new(U256::from(b), U256::from(1)).unwrap();
            prop_assert_eq!(x.cmp(&y), a.cmp(&b));
        }
    }
}
