//! Turning the sane quotes of one round into one price, or into no price.
//!
//! The feeder is the first line of defence against a lying or broken API: it reports only a
//! price that at least `min_sources` sources agree on (each within `max_spread_bps` of their
//! median). A single source quoting 10× the others is dropped as an outlier; two sources that
//! disagree with nobody to break the tie give no price at all, because reporting a price nobody
//! can vouch for is worse than reporting nothing (the chain's own quorum and expiry handle a
//! silent reporter).
//!
//! Pure functions, no I/O.

use crate::fraction::Fraction;

/// Why a round gives no price.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NoPrice {
    /// Fewer sane quotes than required (the others failed).
    #[error("only {sane} of the sources gave a usable quote, {needed} required")]
    TooFewSane {
        /// Usable quotes.
        sane: usize,
        /// `min_sources`.
        needed: usize,
    },
    /// Enough quotes, but too few of them agree with each other.
    #[error("only {agreeing} sources agree within {max_spread_bps} bps of the median {median}, {needed} required")]
    TooFewAgree {
        /// Quotes within the spread of the last median.
        agreeing: usize,
        /// `min_sources`.
        needed: usize,
        /// `max_spread_bps`.
        max_spread_bps: u64,
        /// The median they were compared with.
        median: Fraction,
    },
}

/// The price a round agrees on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Agreement {
    /// The median of the agreeing quotes.
    pub price: Fraction,
    /// Indices (into the input) of the quotes that agree.
    pub agreeing: Vec<usize>,
    /// Indices of the quotes dropped as outliers, with their distance from the final price.
    pub outliers: Vec<(usize, u64)>,
}

/// The median; for an even count the **lower** of the two middle values.
///
/// Taking a quote that a source actually gave (rather than the mean of two) keeps the reported
/// fraction as small as the quotes themselves and never invents a price; with the spread check
/// below, the two middle values are at most `max_spread_bps` apart anyway.
pub fn median(prices: &[Fraction]) -> Option<Fraction> {
    if prices.is_empty() {
        return None;
    }
    let mut sorted = prices.to_vec();
    sorted.sort_unstable();
    Some(sorted[(sorted.len() - 1) / 2])
}

/// Agrees on a price among `quotes` (the sane ones of a round).
///
/// 1. At least `min_sources` quotes are needed.
/// 2. Take the median; drop every quote farther than `max_spread_bps` from it (a liar).
/// 3. Repeat with the remaining quotes until every one of them is within the spread of their
///    own median (the set only shrinks, so this ends), failing as soon as fewer than
///    `min_sources` remain.
pub fn agree(
    quotes: &[Fraction],
    min_sources: usize,
    max_spread_bps: u64,
) -> Result<Agreement, NoPrice> {
    let needed = min_sources.max(1);
    if quotes.len() < needed {
        return Err(NoPrice::TooFewSane {
            sane: quotes.len(),
            needed,
        });
    }
    let mut kept: Vec<usize> = (0..quotes.len()).collect();
    loop {
        let prices: Vec<Fraction> = kept.iter().map(|i| quotes[*i]).collect();
        let Some(mid) = median(&prices) else {
            // Unreachable: `kept` is never empty here (needed ≥ 1 and checked below).
            return Err(NoPrice::TooFewSane { sane: 0, needed });
        };
        let within: Vec<usize> = kept
            .iter()
            .copied()
            .filter(|i| quotes[*i].within_bps(mid, max_spread_bps))
            .collect();
        if within.len() < needed {
            return Err(NoPrice::TooFewAgree {
                agreeing: within.len(),
                needed,
                max_spread_bps,
                median: mid,
            });
        }
        if within.len() == kept.len() {
            let outliers = (0..quotes.len())
                .filter(|i| !kept.contains(i))
                .map(|i| (i, quotes[i].deviation_bps(mid)))
                .collect();
            return Ok(Agreement {
                price: mid,
                agreeing: kept,
                outliers,
            });
        }
        kept = within;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::U256;
    use proptest::prelude::*;

    fn p(v: u64) -> Fraction {
        Fraction::new(U256::from(v), U256::from(1)).unwrap()
    }

    #[test]
    fn median_takes_the_lower_middle() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[p(5)]), Some(p(5)));
        assert_eq!(median(&[p(9), p(1), p(5)]), Some(p(5)));
        assert_eq!(median(&[p(100), p(1), p(4), p(2)]), Some(p(2)));
        assert_eq!(median(&[p(2), p(1)]), Some(p(1)));
    }

    #[test]
    fn median_compares_fractions_exactly() {
        let third = Fraction::new(U256::from(1), U256::from(3)).unwrap();
        let half = Fraction::new(U256::from(1), U256::from(2)).unwrap();
        let two_fifths = Fraction::new(U256::from(2), U256::from(5)).unwrap();
        assert_eq!(median(&[half, third, two_fifths]), Some(two_fifths));
    }

    #[test]
    fn a_liar_is_dropped() {
        let quotes = [p(3000), p(3001), p(30_010), p(3002)];
        let agreement = agree(&quotes, 2, 200).unwrap();
        assert_eq!(agreement.price, p(3001));
        assert_eq!(agreement.agreeing, vec![0, 1, 3]);
        assert_eq!(agreement.outliers.len(), 1);
        assert_eq!(agreement.outliers[0].0, 2);
        assert!(agreement.outliers[0].1 > 80_000);
    }

    #[test]
    fn too_few_sane_quotes() {
        assert_eq!(
            agree(&[p(3000)], 2, 200),
            Err(NoPrice::TooFewSane { sane: 1, needed: 2 })
        );
        assert_eq!(
            agree(&[], 1, 200),
            Err(NoPrice::TooFewSane { sane: 0, needed: 1 })
        );
    }

    #[test]
    fn two_disagreeing_sources_give_nothing() {
        let err = agree(&[p(3000), p(30_000)], 2, 200).unwrap_err();
        assert!(
            matches!(
                err,
                NoPrice::TooFewAgree {
                    agreeing: 1,
                    needed: 2,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn two_against_two_needs_a_majority_quorum() {
        // Lower median = 3001; both liars drop; 2 remain ≥ 2 needed → the honest pair wins.
        assert_eq!(
            agree(&[p(3000), p(3001), p(9000), p(9001)], 2, 200)
                .unwrap()
                .price,
            p(3000)
        );
        // With 3 required, no price.
        assert!(agree(&[p(3000), p(3001), p(9000), p(9001)], 3, 200).is_err());
    }

    #[test]
    fn spread_is_rechecked_around_the_new_median() {
        // The median of all is 108. At 4 %: 104 and 108 stay, their lower median is 104 and 108
        // is 3.85 % from it → price 104. At 3 %: only 108 is within 3 % of 108 → no price.
        let quotes = [p(100), p(104), p(108), p(200), p(300)];
        assert!(agree(&quotes, 2, 400).is_ok());
        assert!(matches!(
            agree(&quotes, 2, 300),
            Err(NoPrice::TooFewAgree { .. })
        ));
    }

    #[test]
    fn zero_spread_requires_equal_quotes() {
        assert_eq!(agree(&[p(5), p(5), p(6)], 2, 0).unwrap().price, p(5));
        assert!(agree(&[p(5), p(6)], 2, 0).is_err());
    }

    proptest! {
        #[test]
        fn the_price_is_one_of_the_agreeing_quotes(values in prop::collection::vec(1u64..1_000_000, 1..10), min in 1usize..4, bps in 0u64..3000) {
            let quotes: Vec<Fraction> = values.iter().map(|v| p(*v)).collect();
            if let Ok(agreement) = agree(&quotes, min, bps) {
                prop_assert!(agreement.agreeing.len() >= min);
                prop_assert!(agreement.agreeing.iter().any(|i| quotes[*i] == agreement.price));
                for i in &agreement.agreeing {
                    prop_assert!(quotes[*i].within_bps(agreement.price, bps));
                }
                prop_assert_eq!(agreement.agreeing.len() + agreement.outliers.len(), quotes.len());
            }
        }
    }
}
