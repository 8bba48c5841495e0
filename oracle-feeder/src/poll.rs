//! One poll round of one token: every source at once, then the agreement of the sane ones.
//!
//! The outcome keeps a diagnosis per source (used, outlier, or why it failed) so that the logs,
//! `/health` and tests all see the same story of the round.

use std::time::Duration;

use futures::future::join_all;

use crate::{
    config::TokenConfig,
    fraction::Fraction,
    quorum::{agree, NoPrice},
    source::{fetch_price, SourceError},
};

/// What became of one source in a round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceStatus {
    /// Its price agreed with the others and counted.
    Used,
    /// Its price was farther than `max_spread_bps` from the median.
    Outlier {
        /// Distance from the median of the round, in basis points.
        deviation_bps: u64,
    },
    /// Its price was sane but the round gave no price (too few agreed).
    Unused,
    /// It gave no usable price.
    Failed(SourceError),
}

/// One source's part in a round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceOutcome {
    /// The source's name.
    pub name: String,
    /// Its price (token base units per wei), if it gave a sane one.
    pub price: Option<Fraction>,
    /// What became of it.
    pub status: SourceStatus,
}

impl SourceOutcome {
    /// Why the source did not count, for logs and `/health`; `None` if it counted.
    pub fn problem(&self) -> Option<String> {
        match &self.status {
            SourceStatus::Used => None,
            SourceStatus::Outlier { deviation_bps } => {
                Some(format!("outlier: {deviation_bps} bps from the median"))
            }
            SourceStatus::Unused => Some("no agreement this round".into()),
            SourceStatus::Failed(err) => Some(err.to_string()),
        }
    }
}

/// The result of polling one token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PollOutcome {
    /// The token's symbol.
    pub symbol: String,
    /// Per source, in configuration order.
    pub sources: Vec<SourceOutcome>,
    /// The agreed price, or why there is none.
    pub price: Result<Fraction, NoPrice>,
}

/// Polls every source of `token` concurrently (each bounded by `timeout`) and agrees on a price.
pub async fn poll_token(
    client: &reqwest::Client,
    token: &TokenConfig,
    timeout: Duration,
) -> PollOutcome {
    let results = join_all(
        token
            .sources
            .iter()
            .map(|source| fetch_price(client, source, timeout)),
    )
    .await;
    let outcome = judge(token, results);
    log_outcome(&outcome);
    outcome
}

/// Combines the per-source results of a round (pure; `results` in source order).
pub fn judge(token: &TokenConfig, results: Vec<Result<Fraction, SourceError>>) -> PollOutcome {
    let sane: Vec<(usize, Fraction)> = results
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.as_ref().ok().map(|p| (i, *p)))
        .collect();
    let prices: Vec<Fraction> = sane.iter().map(|(_, p)| *p).collect();
    let agreement = agree(&prices, token.min_sources, token.max_spread_bps);
    let mut sources: Vec<SourceOutcome> = token
        .sources
        .iter()
        .zip(results)
        .map(|(source, result)| match result {
            Ok(price) => SourceOutcome {
                name: source.name.clone(),
                price: Some(price),
                status: SourceStatus::Unused,
            },
            Err(err) => SourceOutcome {
                name: source.name.clone(),
                price: None,
                status: SourceStatus::Failed(err),
            },
        })
        .collect();
    let price = match agreement {
        Ok(agreement) => {
            for i in &agreement.agreeing {
                sources[sane[*i].0].status = SourceStatus::Used;
            }
            for (i, deviation_bps) in &agreement.outliers {
                sources[sane[*i].0].status = SourceStatus::Outlier {
                    deviation_bps: *deviation_bps,
                };
            }
            Ok(agreement.price)
        }
        Err(no_price) => Err(no_price),
    };
    PollOutcome {
        symbol: token.symbol.clone(),
        sources,
        price,
    }
}

fn log_outcome(outcome: &PollOutcome) {
    for source in &outcome.sources {
        match &source.status {
            SourceStatus::Used => tracing::debug!(
                token = %outcome.symbol,
                source = %source.name,
                price = %price_text(source.price),
                "source used"
            ),
            SourceStatus::Unused => {}
            SourceStatus::Outlier { deviation_bps } => tracing::warn!(
                token = %outcome.symbol,
                source = %source.name,
                reason = "outlier",
                price = %price_text(source.price),
                deviation_bps,
                "source discarded"
            ),
            SourceStatus::Failed(err) => tracing::warn!(
                token = %outcome.symbol,
                source = %source.name,
                reason = err.reason(),
                error = %err,
                "source discarded"
            ),
        }
    }
    match &outcome.price {
        Ok(price) => tracing::info!(
            token = %outcome.symbol,
            price = %price,
            sources = outcome.sources.iter().filter(|s| s.status == SourceStatus::Used).count(),
            "sources agree"
        ),
        Err(why) => tracing::warn!(
            token = %outcome.symbol,
            reason = %why,
            "no price this round: nothing reported"
        ),
    }
}

fn price_text(price: Option<Fraction>) -> String {
    price.map(|p| p.to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SourceConfig;
    use alloy_primitives::{Address, U256};

    fn token(n: usize, min_sources: usize) -> TokenConfig {
        TokenConfig {
            address: Address::ZERO,
            symbol: "sUSD".into(),
            min_sources,
            max_spread_bps: 200,
            sources: (0..n)
                .map(|i| SourceConfig {
                    name: format!("s{i}"),
                    url: "http://127.0.0.1:1/".parse().unwrap(),
                    pointer: String::new(),
                    invert: false,
                    scale: Fraction::ONE,
                })
                .collect(),
        }
    }

    fn p(v: u64) -> Result<Fraction, SourceError> {
        Ok(Fraction::new(U256::from(v), U256::from(1)).unwrap())
    }

    #[test]
    fn diagnoses_every_source() {
        let outcome = judge(
            &token(5, 2),
            vec![
                p(3000),
                Err(SourceError::Timeout(Duration::from_millis(5))),
                p(30_000),
                p(3010),
                Err(SourceError::NotJson("x".into())),
            ],
        );
        assert_eq!(outcome.price, p(3000).map_err(|_| unreachable!()));
        assert_eq!(outcome.sources[0].status, SourceStatus::Used);
        assert!(matches!(
            outcome.sources[1].status,
            SourceStatus::Failed(SourceError::Timeout(_))
        ));
        assert!(
            matches!(outcome.sources[2].status, SourceStatus::Outlier { deviation_bps } if deviation_bps == 90_000)
        );
        assert_eq!(outcome.sources[3].status, SourceStatus::Used);
        assert!(matches!(
            outcome.sources[4].status,
            SourceStatus::Failed(SourceError::NotJson(_))
        ));
        assert_eq!(outcome.sources[0].problem(), None);
        assert!(outcome.sources[2].problem().unwrap().contains("outlier"));
    }

    #[test]
    fn too_few_agreeing_sources_give_no_price() {
        let outcome = judge(
            &token(3, 2),
            vec![p(3000), p(30_000), Err(SourceError::HttpStatus(500))],
        );
        assert!(matches!(
            outcome.price,
            Err(NoPrice::TooFewAgree {
                agreeing: 1,
                needed: 2,
                ..
            })
        ));
        assert_eq!(outcome.sources[0].status, SourceStatus::Unused);
        assert_eq!(outcome.sources[1].status, SourceStatus::Unused);
    }
}
