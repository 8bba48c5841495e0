//! The feeder's state as operators and monitors see it: `GET /health`.
//!
//! Per token: the last agreed price, the last report transaction, when it was accepted and
//! whether it was mined, the last error, and each source's last value and problem. Overall
//! `"status": "ok"` (HTTP 200) while every token has had a report accepted within the last three
//! poll intervals and not seen reverted, otherwise `"degraded"` (HTTP 503) — so a load balancer
//! or a plain `curl -f` notices a feeder that polls but cannot report, not only one that is
//! down.

use std::{sync::Arc, time::Duration};

use alloy_primitives::{Address, B256};
use axum::{extract::State, http::StatusCode, routing::get, Json, Router};
use parking_lot::Mutex;
use serde::Serialize;

use crate::{clock::Clock, config::TokenConfig, fraction::Fraction, poll::PollOutcome};

/// A token counts as healthy while its last accepted report is at most this many poll
/// intervals old.
pub const HEALTHY_INTERVALS: u64 = 3;

/// A price in the health report: exact, as decimal strings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PriceJson {
    /// Token base units …
    pub numerator: String,
    /// … per this many wei.
    pub denominator: String,
}

impl From<Fraction> for PriceJson {
    fn from(price: Fraction) -> Self {
        Self {
            numerator: price.numerator().to_string(),
            denominator: price.denominator().to_string(),
        }
    }
}

/// One source in the health report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SourceHealth {
    /// The source's name.
    pub name: String,
    /// Whether its quote counted in the last round.
    pub ok: bool,
    /// The last sane price it gave (kept while it fails, to show what it said last).
    pub last_value: Option<PriceJson>,
    /// Why it did not count in the last round.
    pub error: Option<String>,
}

/// What became of the last report transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportStatus {
    /// Accepted by the node, not mined yet (or not checked yet).
    Pending,
    /// Mined with status 1.
    Mined,
    /// Mined with status 0: the report did not count.
    Reverted,
}

/// One token in the health report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TokenHealth {
    /// The token's symbol.
    pub symbol: String,
    /// The token's address.
    pub address: Address,
    /// The last price the sources agreed on.
    pub last_price: Option<PriceJson>,
    /// The last report transaction the node accepted.
    pub last_report_tx: Option<B256>,
    /// When it was accepted (Unix seconds).
    pub last_report_at: Option<u64>,
    /// What became of it: `"pending"` (not mined yet), `"mined"` (status 1) or `"reverted"`.
    pub last_report_status: Option<ReportStatus>,
    /// The last problem (no agreement, submission failed, report reverted); cleared by the
    /// next accepted report.
    pub last_error: Option<String>,
    /// Per source, in configuration order.
    pub sources: Vec<SourceHealth>,
}

/// The whole health report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HealthReport {
    /// `"ok"` or `"degraded"`.
    pub status: &'static str,
    /// The reporter's address.
    pub reporter: Address,
    /// Per token, in configuration order.
    pub tokens: Vec<TokenHealth>,
}

impl HealthReport {
    /// Whether every token reported recently.
    pub fn is_ok(&self) -> bool {
        self.status == "ok"
    }
}

/// The feeder's shared state, written by the poll loop and read by the HTTP server.
pub struct Health {
    reporter: Address,
    poll_interval: Duration,
    clock: Arc<dyn Clock>,
    tokens: Mutex<Vec<TokenHealth>>,
}

impl std::fmt::Debug for Health {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Health")
            .field("reporter", &self.reporter)
            .field("poll_interval", &self.poll_interval)
            .finish_non_exhaustive()
    }
}

impl Health {
    /// Empty state for `tokens`.
    pub fn new(
        reporter: Address,
        tokens: &[TokenConfig],
        poll_interval: Duration,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let tokens = tokens
            .iter()
            .map(|t| TokenHealth {
                symbol: t.symbol.clone(),
                address: t.address,
                last_price: None,
                last_report_tx: None,
                last_report_at: None,
                last_report_status: None,
                last_error: None,
                sources: t
                    .sources
                    .iter()
                    .map(|s| SourceHealth {
                        name: s.name.clone(),
                        ok: false,
                        last_value: None,
                        error: None,
                    })
                    .collect(),
            })
            .collect();
        Self {
            reporter,
            poll_interval,
            clock,
            tokens: Mutex::new(tokens),
        }
    }

    /// Records a poll round of token `index`.
    pub fn record_poll(&self, index: usize, outcome: &PollOutcome) {
        let mut tokens = self.tokens.lock();
        let Some(token) = tokens.get_mut(index) else {
            return;
        };
        for (health, source) in token.sources.iter_mut().zip(&outcome.sources) {
            health.ok = source.problem().is_none();
            health.error = source.problem();
            if let Some(price) = source.price {
                health.last_value = Some(price.into());
            }
        }
        match &outcome.price {
            Ok(price) => token.last_price = Some((*price).into()),
            Err(why) => token.last_error = Some(format!("no price: {why}")),
        }
    }

    /// Records a report the node accepted.
    pub fn record_report(&self, index: usize, tx: B256) {
        let now = self.clock.now_unix();
        if let Some(token) = self.tokens.lock().get_mut(index) {
            token.last_report_tx = Some(tx);
            token.last_report_at = Some(now);
            token.last_report_status = Some(ReportStatus::Pending);
            token.last_error = None;
        }
    }

    /// Records the receipt of the last report `tx` of token `index` (ignored if a newer report
    /// replaced it meanwhile).
    pub fn record_receipt(&self, index: usize, tx: B256, mined_ok: bool) {
        if let Some(token) = self.tokens.lock().get_mut(index) {
            if token.last_report_tx != Some(tx) {
                return;
            }
            if mined_ok {
                token.last_report_status = Some(ReportStatus::Mined);
            } else {
                token.last_report_status = Some(ReportStatus::Reverted);
                token.last_error = Some(format!("report transaction {tx} reverted"));
            }
        }
    }

    /// Records a problem of token `index` (submission failed, report reverted).
    pub fn record_error(&self, index: usize, error: String) {
        if let Some(token) = self.tokens.lock().get_mut(index) {
            token.last_error = Some(error);
        }
    }

    /// The last report transaction of token `index` whose receipt has not been seen yet.
    pub fn unconfirmed_report(&self, index: usize) -> Option<B256> {
        self.tokens
            .lock()
            .get(index)
            .filter(|t| t.last_report_status == Some(ReportStatus::Pending))
            .and_then(|t| t.last_report_tx)
    }

    /// The report as of now.
    pub fn report(&self) -> HealthReport {
        let now = self.clock.now_unix();
        let window = self.poll_interval.as_secs().max(1) * HEALTHY_INTERVALS;
        let tokens = self.tokens.lock().clone();
        let ok = tokens.iter().all(|t| {
            t.last_report_status != Some(ReportStatus::Reverted)
                && t.last_report_at
                    .is_some_and(|at| now.saturating_sub(at) <= window)
        });
        HealthReport {
            status: if ok { "ok" } else { "degraded" },
            reporter: self.reporter,
            tokens,
        }
    }
}

/// The `/health` route.
pub fn router(health: Arc<Health>) -> Router {
    Router::new()
        .route("/health", get(get_health))
        .with_state(health)
}

async fn get_health(State(health): State<Arc<Health>>) -> (StatusCode, Json<HealthReport>) {
    let report = health.report();
    let status = if report.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(report))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        config::SourceConfig,
        poll::{SourceOutcome, SourceStatus},
        quorum::NoPrice,
        source::SourceError,
    };
    use alloy_primitives::U256;
    use std::{
        future::IntoFuture,
        sync::atomic::{AtomicU64, Ordering},
    };

    struct TestClock(AtomicU64);
    impl Clock for TestClock {
        fn now_unix(&self) -> u64 {
            self.0.load(Ordering::SeqCst)
        }
    }

    fn tokens() -> Vec<TokenConfig> {
        vec![TokenConfig {
            address: Address::repeat_byte(1),
            symbol: "sUSD".into(),
            min_sources: 1,
            max_spread_bps: 200,
            sources: ["a", "b"]
                .iter()
                .map(|name| SourceConfig {
                    name: name.to_string(),
                    url: "http://127.0.0.1:1/".parse().unwrap(),
                    pointer: String::new(),
                    invert: false,
                    scale: Fraction::ONE,
                })
                .collect(),
        }]
    }

    fn price(v: u64) -> Fraction {
        Fraction::new(U256::from(v), U256::from(1)).unwrap()
    }

    #[tokio::test]
    async fn serves_ok_then_degraded() {
        let clock = Arc::new(TestClock(AtomicU64::new(1_000)));
        let health = Arc::new(Health::new(
            Address::repeat_byte(9),
            &tokens(),
            Duration::from_secs(10),
            clock.clone(),
        ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(axum::serve(listener, router(health.clone())).into_future());
        let client = reqwest::Client::new();
        let get = || async {
            let response = client
                .get(format!("http://{addr}/health"))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.json::<serde_json::Value>().await.unwrap())
        };

        // Nothing reported yet: degraded.
        let (status, body) = get().await;
        assert_eq!(status, 503);
        assert_eq!(body["status"], "degraded");
        assert_eq!(body["tokens"][0]["last_price"], serde_json::Value::Null);

        health.record_poll(
            0,
            &PollOutcome {
                symbol: "sUSD".into(),
                sources: vec![
                    SourceOutcome {
                        name: "a".into(),
                        price: Some(price(3000)),
                        status: SourceStatus::Used,
                    },
                    SourceOutcome {
                        name: "b".into(),
                        price: None,
                        status: SourceStatus::Failed(SourceError::HttpStatus(502)),
                    },
                ],
                price: Ok(price(3000)),
            },
        );
        health.record_report(0, B256::repeat_byte(0xcd));
        let (status, body) = get().await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["status"], "ok");
        let token = &body["tokens"][0];
        assert_eq!(token["symbol"], "sUSD");
        assert_eq!(token["last_price"]["numerator"], "3000");
        assert_eq!(token["last_price"]["denominator"], "1");
        assert_eq!(token["last_report_at"], 1_000);
        assert_eq!(
            token["last_report_tx"],
            format!("{:#x}", B256::repeat_byte(0xcd))
        );
        assert_eq!(token["sources"][0]["ok"], true);
        assert_eq!(token["sources"][1]["ok"], false);
        assert_eq!(token["sources"][1]["error"], "HTTP status 502");
        assert_eq!(token["last_report_status"], "pending");
        health.record_receipt(0, B256::repeat_byte(0xcd), true);
        assert_eq!(get().await.1["tokens"][0]["last_report_status"], "mined");
        // A receipt of an older report does not overwrite the newer one's state.
        health.record_receipt(0, B256::repeat_byte(0x01), false);
        assert_eq!(get().await.0, 200);

        // Three intervals later still ok; one second more and it is degraded.
        clock.0.store(1_030, Ordering::SeqCst);
        assert_eq!(get().await.0, 200);
        clock.0.store(1_031, Ordering::SeqCst);
        health.record_poll(
            0,
            &PollOutcome {
                symbol: "sUSD".into(),
                sources: vec![],
                price: Err(NoPrice::TooFewSane { sane: 0, needed: 1 }),
            },
        );
        let (status, body) = get().await;
        assert_eq!(status, 503);
        assert!(body["tokens"][0]["last_error"]
            .as_str()
            .unwrap()
            .contains("no price"));
        // The last good price stays visible.
        assert_eq!(body["tokens"][0]["last_price"]["numerator"], "3000");

        // A fresh report that reverts is not a report.
        health.record_report(0, B256::repeat_byte(0xee));
        assert_eq!(get().await.0, 200);
        health.record_receipt(0, B256::repeat_byte(0xee), false);
        let (status, body) = get().await;
        assert_eq!(status, 503);
        assert_eq!(body["tokens"][0]["last_report_status"], "reverted");
        assert!(body["tokens"][0]["last_error"]
            .as_str()
            .unwrap()
            .contains("reverted"));
        assert_eq!(health.unconfirmed_report(0), None);
    }
}
