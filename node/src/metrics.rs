//! Node metrics and the Prometheus `/metrics` endpoint. Names are documented in
//! `docs/metrics.md`.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::{extract::State, http::header, response::IntoResponse, routing::get, Router};
use prometheus_client::{
    encoding::text::encode,
    metrics::{
        gauge::Gauge,
        histogram::{exponential_buckets, Histogram},
    },
    registry::Registry,
};
use supervm_txpool::TxPool;
use supervm_vm::ContractRuntime;
use tokio::{net::TcpListener, sync::watch};

/// Chain and pool metrics.
pub struct NodeMetrics {
    head: Gauge,
    import_seconds: Histogram,
    build_seconds: Histogram,
    verify_seconds: Histogram,
    block_transactions: Histogram,
    pool_pending: Gauge,
    pool_queued: Gauge,
    modules_compiled: Gauge,
    modules_restored: Gauge,
    module_cache_hits: Gauge,
}

impl NodeMetrics {
    /// Creates the metrics and registers them.
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self {
            head: Gauge::default(),
            import_seconds: Histogram::new(exponential_buckets(0.0005, 2.0, 16)),
            build_seconds: Histogram::new(exponential_buckets(0.0005, 2.0, 16)),
            verify_seconds: Histogram::new(exponential_buckets(0.0005, 2.0, 16)),
            block_transactions: Histogram::new(exponential_buckets(1.0, 2.0, 16)),
            pool_pending: Gauge::default(),
            pool_queued: Gauge::default(),
            modules_compiled: Gauge::default(),
            modules_restored: Gauge::default(),
            module_cache_hits: Gauge::default(),
        };
        registry.register(
            "supervm_head_block_number",
            "Number of the head block",
            metrics.head.clone(),
        );
        registry.register(
            "supervm_block_import_seconds",
            "Time to build, execute, compute the state root of and commit a block",
            metrics.import_seconds.clone(),
        );
        registry.register(
            "supervm_block_build_seconds",
            "Time for this validator to build and execute its proposal (BFT modes)",
            metrics.build_seconds.clone(),
        );
        registry.register(
            "supervm_block_verify_seconds",
            "Time to re-execute another validator's proposal and compare its header (BFT modes)",
            metrics.verify_seconds.clone(),
        );
        registry.register(
            "supervm_block_transactions",
            "Transactions per committed block",
            metrics.block_transactions.clone(),
        );
        registry.register(
            "supervm_txpool_pending",
            "Minable transactions in the pool",
            metrics.pool_pending.clone(),
        );
        registry.register(
            "supervm_txpool_queued",
            "Transactions waiting for a nonce gap to fill",
            metrics.pool_queued.clone(),
        );
        registry.register(
            "supervm_contract_modules_compiled",
            "Contract modules compiled since the node started",
            metrics.modules_compiled.clone(),
        );
        registry.register(
            "supervm_contract_modules_restored",
            "Contract modules read back from their compiled artifact on disk since the node started",
            metrics.modules_restored.clone(),
        );
        registry.register(
            "supervm_contract_module_cache_hits",
            "Contract calls whose module was already compiled in memory",
            metrics.module_cache_hits.clone(),
        );
        metrics
    }

    /// Sets the head gauge (at startup, from the store).
    pub fn set_head(&self, number: u64) {
        self.head.set(i64::try_from(number).unwrap_or(i64::MAX));
    }

    /// Records a committed block.
    pub fn record_block(&self, number: u64, transactions: usize, elapsed: Duration) {
        self.set_head(number);
        self.import_seconds.observe(elapsed.as_secs_f64());
        self.block_transactions.observe(transactions as f64);
    }

    /// Records the building of a proposal.
    pub fn record_build(&self, elapsed: Duration) {
        self.build_seconds.observe(elapsed.as_secs_f64());
    }

    /// Records the re-execution of a proposal.
    pub fn record_verify(&self, elapsed: Duration) {
        self.verify_seconds.observe(elapsed.as_secs_f64());
    }

    fn refresh(&self, sources: &Sampled) {
        let counts = sources.pool.counts();
        self.pool_pending.set(counts.pending as i64);
        self.pool_queued.set(counts.queued as i64);
        let cache = sources.contracts.cache_stats();
        let gauge = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);
        self.modules_compiled.set(gauge(cache.compiled));
        self.modules_restored.set(gauge(cache.restored));
        self.module_cache_hits.set(gauge(cache.hits));
    }
}

/// What `/metrics` reads at every scrape.
pub struct Sampled {
    /// The pool, for its counts.
    pub pool: Arc<TxPool>,
    /// The contract runtime, for its module cache.
    pub contracts: Arc<ContractRuntime>,
    /// The consensus engine's own metrics (validator and follower modes).
    pub consensus: Option<supervm_consensus::bft::network::ConsensusMetrics>,
}

struct MetricsState {
    registry: Registry,
    metrics: Arc<NodeMetrics>,
    sources: Sampled,
}

/// Serves `/metrics` until `shutdown` turns true; returns the bound address.
pub async fn serve(
    addr: SocketAddr,
    registry: Registry,
    metrics: Arc<NodeMetrics>,
    sources: Sampled,
    mut shutdown: watch::Receiver<bool>,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let state = Arc::new(MetricsState {
        registry,
        metrics,
        sources,
    });
    let app = Router::new()
        .route("/metrics", get(render))
        .with_state(state);
    let task = tokio::spawn(async move {
        let stop = async move {
            while shutdown.changed().await.is_ok() {
                if *shutdown.borrow() {
                    break;
                }
            }
        };
        if let Err(err) = axum::serve(listener, app)
            .with_graceful_shutdown(stop)
            .await
        {
            tracing::error!(%err, "metrics server failed");
        }
    });
    Ok((bound, task))
}

async fn render(State(state): State<Arc<MetricsState>>) -> impl IntoResponse {
    state.metrics.refresh(&state.sources);
    let mut body = String::new();
    match encode(&mut body, &state.registry) {
        Ok(()) => {
            if let Some(consensus) = &state.sources.consensus {
                let at = body.rfind("# EOF").unwrap_or(body.len());
                body.insert_str(at, &consensus.text());
            }
            (
                [(
                    header::CONTENT_TYPE,
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                )],
                body,
            )
                .into_response()
        }
        Err(err) => (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            err.to_string(),
        )
            .into_response(),
    }
}
