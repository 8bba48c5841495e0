//! Aggregating reports into an accepted rate: freshness, quorum, median and circuit breaker.
//! Pure integer functions, called by the oracle system contract at the end of every block.

use alloy_primitives::{U256, U512};

/// Fixed-point scale of aggregated prices: a price `p` means `p / 10^36` token base units per
/// wei. Wide enough for tokens worth 10^-36 … 10^40 base units per wei.
pub const PRICE_SCALE: U256 =
    U256::from_limbs([0xb34b_9f10_0000_0000, 0x00c0_97ce_7bc9_0715, 0, 0]);

/// Basis points in one.
pub const BPS: u64 = 10_000;

/// Aggregation parameters (governance sets them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeedParams {
    /// Fresh reports needed for a rate (quorum).
    pub min_reports: u64,
    /// A report older than this many seconds (block time) no longer counts.
    pub max_age_seconds: u64,
    /// Largest move of the accepted rate per block, in basis points of the previous rate.
    pub max_change_bps: u64,
}

impl Default for FeedParams {
    fn default() -> Self {
        Self {
            min_reports: 3,
            max_age_seconds: 300,
            max_change_bps: 1_000,
        }
    }
}

impl FeedParams {
    /// Checks the parameters governance proposes.
    pub fn validate(&self) -> Result<(), &'static str> {
        if self.min_reports == 0 {
            return Err("minReports must be at least 1");
        }
        if self.max_age_seconds == 0 {
            return Err("maxAgeSeconds must be at least 1");
        }
        if self.max_change_bps == 0 || self.max_change_bps > BPS {
            return Err("maxChangeBps must be between 1 and 10000");
        }
        Ok(())
    }
}

/// The state of a feed after an update.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum FeedStatus {
    /// The accepted rate equals the median of a quorum of fresh reports.
    Ok = 0,
    /// Too few fresh reports: the token cannot pay fees until a quorum reports again.
    Stale = 1,
    /// A quorum reports, but the breaker holds the accepted rate back from the median.
    BreakerLimited = 2,
    /// No reporters: the rate seeded at genesis is used as a fixed rate.
    Fixed = 3,
}

impl FeedStatus {
    /// Decodes the stored byte.
    pub fn from_u8(value: u8) -> Self {
        match value {
            0 => Self::Ok,
            1 => Self::Stale,
            2 => Self::BreakerLimited,
            _ => Self::Fixed,
        }
    }

    /// Whether fees may be paid at the accepted rate.
    pub fn priced(self) -> bool {
        !matches!(self, Self::Stale)
    }

    /// The status shown to users (`supervm_tokenPrices`, gRPC `ListTokens`): the feed's
    /// status, or `disabled` when governance disabled the token.
    pub fn display(self, enabled: bool) -> &'static str {
        if enabled {
            self.name()
        } else {
            "disabled"
        }
    }

    /// The name `supervm_tokenPrices` reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Stale => "stale",
            Self::BreakerLimited => "breaker-limited",
            Self::Fixed => "fixed",
        }
    }
}

/// One reporter's latest price of a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Report {
    /// Fixed-point price (see [`PRICE_SCALE`]).
    pub price: U256,
    /// Timestamp of the block that recorded it.
    pub timestamp: u64,
}

/// `numerator / denominator` as a fixed-point price, rounded down; `None` if the fraction is
/// invalid (zero part) or too large.
pub fn to_fixed(numerator: U256, denominator: U256) -> Option<U256> {
    if numerator.is_zero() || denominator.is_zero() {
        return None;
    }
    let value = U512::from(numerator) * U512::from(PRICE_SCALE) / U512::from(denominator);
    let limbs = value.as_limbs();
    if limbs[4..].iter().any(|l| *l != 0) {
        return None;
    }
    let price = U256::from_limbs([limbs[0], limbs[1], limbs[2], limbs[3]]);
    (!price.is_zero()).then_some(price)
}

/// Whether a report made at `reported` still counts at `now`: its age is at most
/// `max_age_seconds` (a report exactly `max_age_seconds` old is fresh).
pub fn is_fresh(reported: u64, now: u64, max_age_seconds: u64) -> bool {
    now.saturating_sub(reported) <= max_age_seconds
}

/// The median; for an even count the mean of the two middle values, rounded down.
pub fn median(prices: &mut [U256]) -> Option<U256> {
    if prices.is_empty() {
        return None;
    }
    prices.sort_unstable();
    let mid = prices.len() / 2;
    if prices.len() % 2 == 1 {
        return Some(prices[mid]);
    }
    let (a, b) = (prices[mid - 1], prices[mid]);
    Some(
        a / U256::from(2)
            + b / U256::from(2)
            + (a % U256::from(2) + b % U256::from(2)) / U256::from(2),
    )
}

/// Moves `previous` toward `target` by at most `max_change_bps` of `previous`. Returns the new
/// value and whether the breaker held it back.
pub fn clamp(previous: U256, target: U256, max_change_bps: u64) -> (U256, bool) {
    let max_delta = U512::from(previous) * U512::from(max_change_bps) / U512::from(BPS);
    let max_delta = U256::from_limbs([
        max_delta.as_limbs()[0],
        max_delta.as_limbs()[1],
        max_delta.as_limbs()[2],
        max_delta.as_limbs()[3],
    ]);
    if target > previous {
        let ceiling = previous.saturating_add(max_delta);
        if target > ceiling {
            return (ceiling, true);
        }
    } else {
        let floor = previous.saturating_sub(max_delta);
        if target < floor {
            return (floor.max(U256::from(1)), true);
        }
    }
    (target, false)
}

/// The outcome of aggregating a feed at the end of a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Update {
    /// The accepted price after this block (kept, but unusable, while stale).
    pub price: Option<U256>,
    /// The feed's status.
    pub status: FeedStatus,
    /// Reports that counted.
    pub fresh: u64,
    /// Median of the fresh reports, if any.
    pub median: Option<U256>,
}

/// Aggregates `reports` at block time `now`, starting from the previously accepted `previous`.
pub fn update(previous: Option<U256>, reports: &[Report], now: u64, params: &FeedParams) -> Update {
    let mut fresh: Vec<U256> = reports
        .iter()
        .filter(|r| is_fresh(r.timestamp, now, params.max_age_seconds))
        .map(|r| r.price)
        .collect();
    let count = fresh.len() as u64;
    let median = median(&mut fresh);
    match median {
        Some(target) if count >= params.min_reports => match previous {
            None => Update {
                price: Some(target),
                status: FeedStatus::Ok,
                fresh: count,
                median,
            },
            Some(previous) => {
                let (price, limited) = clamp(previous, target, params.max_change_bps);
                let status = if limited {
                    FeedStatus::BreakerLimited
                } else {
                    FeedStatus::Ok
                };
                Update {
                    price: Some(price),
                    status,
                    fresh: count,
                    median,
                }
            }
        },
        _ => Update {
            price: previous,
            status: FeedStatus::Stale,
            fresh: count,
            median,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(v: u64) -> U256 {
        U256::from(v)
    }

    #[test]
    fn scale_is_ten_to_the_36() {
        assert_eq!(PRICE_SCALE, U256::from(10u64).pow(U256::from(36)));
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [p(5)]), Some(p(5)));
        assert_eq!(median(&mut [p(9), p(1), p(5)]), Some(p(5)));
        assert_eq!(median(&mut [p(1), p(2), p(4), p(100)]), Some(p(3)));
        assert_eq!(median(&mut [p(1), p(2)]), Some(p(1)));
        assert_eq!(median(&mut [U256::MAX, U256::MAX]), Some(U256::MAX));
    }

    #[test]
    fn expiry_at_the_boundary() {
        assert!(is_fresh(100, 400, 300));
        assert!(!is_fresh(100, 401, 300));
        assert!(
            is_fresh(500, 400, 300),
            "a report from the future (same block) counts"
        );
    }

    #[test]
    fn breaker_clamps_both_ways() {
        assert_eq!(clamp(p(1000), p(5000), 1000), (p(1100), true));
        assert_eq!(clamp(p(1000), p(100), 1000), (p(900), true));
        assert_eq!(clamp(p(1000), p(1050), 1000), (p(1050), false));
        assert_eq!(clamp(p(1000), p(950), 1000), (p(950), false));
    }

    #[test]
    fn quorum_loss_makes_the_feed_stale() {
        let params = FeedParams::default();
        let reports = [
            Report {
                price: p(10),
                timestamp: 0,
            },
            Report {
                price: p(10),
                timestamp: 1000,
            },
        ];
        let update = update(Some(p(10)), &reports, 1000, &params);
        assert_eq!(update.status, FeedStatus::Stale);
        assert_eq!(update.fresh, 1);
        assert!(!update.status.priced());
    }

    #[test]
    fn one_liar_cannot_move_the_median() {
        let params = FeedParams::default();
        let reports = [
            Report {
                price: p(1000),
                timestamp: 10,
            },
            Report {
                price: p(1001),
                timestamp: 10,
            },
            Report {
                price: p(10_000),
                timestamp: 10,
            },
        ];
        let update = update(Some(p(1000)), &reports, 10, &params);
        assert_eq!(update.median, Some(p(1001)));
        assert_eq!(update.price, Some(p(1001)));
        assert_eq!(update.status, FeedStatus::Ok);
    }

    proptest! {
        #[test]
        fn median_lies_between_min_and_max(mut values in prop::collection::vec(1u64..u64::MAX, 1..16)) {
            let mut prices: Vec<U256> = values.iter().map(|v| U256::from(*v)).collect();
            let m = median(&mut prices).unwrap();
            values.sort_unstable();
            prop_assert!(m >= U256::from(values[0]) && m <= U256::from(*values.last().unwrap()));
        }

        #[test]
        fn clamp_never_exceeds_the_allowed_move(previous in 1u64..u64::MAX, target in 1u64..u64::MAX, bps in 1u64..=10_000) {
            let (value, _) = clamp(U256::from(previous), U256::from(target), bps);
            let allowed = U256::from(previous) * U256::from(bps) / U256::from(BPS);
            let delta = if value > U256::from(previous) { value - U256::from(previous) } else { U256::from(previous) - value };
            prop_assert!(delta <= allowed);
        }
    }
}
