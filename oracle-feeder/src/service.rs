//! The feeder service: startup checks, the poll loop, the `/health` server, shutdown.
//!
//! Every poll interval, one round: check the receipts of the previous round's reports, poll
//! every token's sources (all tokens at once), then submit a report for each token whose sources
//! agree (one after the other, so nonces follow each other). A round that overruns the interval
//! delays the next one instead of overlapping it. The loop stops when the shutdown future
//! completes (Ctrl-C / SIGTERM in the binary), abandoning a round in progress: a report either
//! reached the node or not, and the next start reads the nonce afresh.

use std::{
    future::{Future, IntoFuture},
    net::SocketAddr,
    sync::Arc,
    time::Duration,
};

use alloy_primitives::{Address, Bytes};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use futures::future::join_all;
use tokio::net::TcpListener;

use crate::{
    backoff::Backoff,
    clock::Clock,
    config::FeederConfig,
    health::{self, Health},
    poll::{poll_token, PollOutcome},
    rpc::{RpcClient, RpcError},
    submit::{ReportError, Reporter, Submitted},
};
use supervm_primitives::system::IOracle;

/// Why the feeder cannot start or run.
#[derive(Debug, thiserror::Error)]
pub enum FeederError {
    /// The HTTP client could not be built (TLS setup).
    #[error("building the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
    /// The node's chain id could not be read.
    #[error("reading the chain id from {url} (set chain_id in the configuration to start without it): {source}")]
    ChainId {
        /// The node.
        url: String,
        /// The last error.
        source: RpcError,
    },
    /// The configured chain id is not the node's.
    #[error(
        "chain_id {configured} in the configuration, but the node at {url} serves chain {actual}"
    )]
    ChainMismatch {
        /// From the configuration.
        configured: u64,
        /// From the node.
        actual: u64,
        /// The node.
        url: String,
    },
    /// The health address cannot be bound.
    #[error("cannot listen on {addr} (health_addr): {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// What one round did for one token.
#[derive(Debug)]
pub struct TokenRound {
    /// The poll and agreement.
    pub poll: PollOutcome,
    /// The submission, if the sources agreed.
    pub report: Option<Result<Submitted, ReportError>>,
}

/// A running feeder: configuration, clients, reporter key and health state.
#[derive(Debug)]
pub struct Feeder {
    config: FeederConfig,
    sources: reqwest::Client,
    rpc: Arc<RpcClient>,
    reporter: Reporter,
    health: Arc<Health>,
}

impl Feeder {
    /// Connects to the node (chain id), checks the key is a whitelisted reporter, and prepares
    /// the health state. Retries the chain id with backoff: a feeder started with its node
    /// should wait for the node rather than exit.
    pub async fn connect(
        config: FeederConfig,
        signer: PrivateKeySigner,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, FeederError> {
        let sources = source_client()?;
        let rpc = Arc::new(RpcClient::new(config.rpc_url.clone(), config.rpc_timeout)?);
        let backoff = Backoff::default();
        let chain_id = resolve_chain_id(&rpc, &config, backoff).await?;
        let address = signer.address();
        let reporter = Reporter::new(rpc.clone(), signer, chain_id, config.oracle, backoff);
        let health = Arc::new(Health::new(
            address,
            &config.tokens,
            config.poll_interval,
            clock,
        ));
        let feeder = Self {
            config,
            sources,
            rpc,
            reporter,
            health,
        };
        tracing::info!(
            reporter = %address,
            chain_id,
            rpc = %feeder.config.rpc_url,
            oracle = %feeder.config.oracle,
            tokens = feeder.config.tokens.len(),
            poll_interval_secs = feeder.config.poll_interval.as_secs(),
            "oracle feeder ready"
        );
        feeder.check_whitelisted().await;
        Ok(feeder)
    }

    /// The reporter's address.
    pub fn reporter(&self) -> Address {
        self.reporter.address()
    }

    /// The shared health state.
    pub fn health(&self) -> Arc<Health> {
        self.health.clone()
    }

    /// One round over all tokens (see the module documentation).
    pub async fn round(&self) -> Vec<TokenRound> {
        self.check_previous_reports().await;
        let polls = join_all(
            self.config
                .tokens
                .iter()
                .map(|token| poll_token(&self.sources, token, self.config.request_timeout)),
        )
        .await;
        let mut rounds = Vec::with_capacity(polls.len());
        for (index, poll) in polls.into_iter().enumerate() {
            self.health.record_poll(index, &poll);
            let report = match &poll.price {
                Ok(price) => {
                    let token = self.config.tokens[index].address;
                    let result = self.reporter.report(&poll.symbol, token, *price).await;
                    match &result {
                        Ok(submitted) => self.health.record_report(index, submitted.hash),
                        Err(err) => self.health.record_error(index, err.to_string()),
                    }
                    Some(result)
                }
                Err(_) => None,
            };
            rounds.push(TokenRound { poll, report });
        }
        rounds
    }

    /// Binds `health_addr` and runs until `shutdown` completes.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<(), FeederError> {
        let addr = self.config.health_addr;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| FeederError::Bind { addr, source })?;
        self.run_with_listener(listener, shutdown).await
    }

    /// Serves `/health` on `listener` and polls until `shutdown` completes.
    pub async fn run_with_listener(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), FeederError> {
        let addr = listener.local_addr().ok();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(
            axum::serve(listener, health::router(self.health.clone()))
                .with_graceful_shutdown(async {
                    let _ = stop_rx.await;
                })
                .into_future(),
        );
        if let Some(addr) = addr {
            tracing::info!(addr = %addr, "health endpoint on http://{addr}/health");
        }
        let mut ticker = tokio::time::interval(self.config.poll_interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                _ = ticker.tick() => {}
            }
            tokio::select! {
                () = &mut shutdown => break,
                rounds = self.round() => log_round(&rounds),
            }
        }
        tracing::info!("oracle feeder stopping");
        let _ = stop_tx.send(());
        match server.await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => tracing::warn!(error = %err, "health server failed"),
            Err(err) => tracing::warn!(error = %err, "health server task failed"),
        }
        Ok(())
    }

    /// Looks up the receipts of the last reports not seen mined yet: a reverted one is logged
    /// as an error and marks the token degraded in `/health`; pending ones are checked again
    /// next round (unless a newer report replaces them).
    async fn check_previous_reports(&self) {
        for (index, token) in self.config.tokens.iter().enumerate() {
            let Some(hash) = self.health.unconfirmed_report(index) else {
                continue;
            };
            match self.rpc.receipt_status(hash).await {
                Ok(Some(false)) => {
                    tracing::error!(token = %token.symbol, tx = %hash, "report transaction reverted");
                    self.health.record_receipt(index, hash, false);
                }
                Ok(Some(true)) => {
                    tracing::debug!(token = %token.symbol, tx = %hash, "report mined");
                    self.health.record_receipt(index, hash, true);
                }
                Ok(None) => {
                    tracing::info!(token = %token.symbol, tx = %hash, "previous report not mined yet")
                }
                Err(err) => {
                    tracing::debug!(token = %token.symbol, tx = %hash, error = %err, "receipt unavailable")
                }
            }
        }
    }

    /// Warns at startup about tokens this key may not report (`reporters(token)` on-chain).
    /// Only a warning: governance may whitelist the key later, and estimates catch it anyway.
    async fn check_whitelisted(&self) {
        let me = self.reporter.address();
        for token in &self.config.tokens {
            let data: Bytes = IOracle::reportersCall {
                token: token.address,
            }
            .abi_encode()
            .into();
            let answer = self.rpc.eth_call(self.config.oracle, &data).await;
            match answer
                .ok()
                .and_then(|out| IOracle::reportersCall::abi_decode_returns(&out).ok())
            {
                Some(reporters) if reporters.contains(&me) => {}
                Some(_) => tracing::warn!(
                    token = %token.symbol,
                    reporter = %me,
                    "this key is not a whitelisted reporter of the token: its reports will be refused until governance calls addReporter"
                ),
                None => {
                    tracing::debug!(token = %token.symbol, "could not read the token's reporters")
                }
            }
        }
    }
}

/// The HTTP client for price sources (http and https, rustls with ring and webpki roots).
pub fn source_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .user_agent(concat!("supervm-oracle-feeder/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(10))
        .build()
}

/// The chain id to sign for: the configured one (checked against the node when reachable) or
/// the node's.
async fn resolve_chain_id(
    rpc: &RpcClient,
    config: &FeederConfig,
    backoff: Backoff,
) -> Result<u64, FeederError> {
    if let Some(configured) = config.chain_id {
        return match rpc.chain_id().await {
            Ok(actual) if actual != configured => Err(FeederError::ChainMismatch {
                configured,
                actual,
                url: config.rpc_url.to_string(),
            }),
            Ok(_) => Ok(configured),
            Err(err) => {
                tracing::warn!(error = %err, chain_id = configured, "node unreachable; using the configured chain id");
                Ok(configured)
            }
        };
    }
    let mut failed = 0;
    loop {
        match rpc.chain_id().await {
            Ok(id) => return Ok(id),
            Err(source) => {
                failed += 1;
                if failed >= backoff.attempts {
                    return Err(FeederError::ChainId {
                        url: config.rpc_url.to_string(),
                        source,
                    });
                }
                let delay = backoff.delay(failed - 1);
                tracing::warn!(error = %source, attempt = failed, retry_in_ms = delay.as_millis() as u64, "cannot read the chain id");
                tokio::time::sleep(delay).await;
            }
        }
    }
}

fn log_round(rounds: &[TokenRound]) {
    let reported = rounds
        .iter()
        .filter(|r| matches!(r.report, Some(Ok(_))))
        .count();
    tracing::info!(tokens = rounds.len(), reported, "poll round done");
}
