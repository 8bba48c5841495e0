//! `supervm bench soak`: a long mixed load against one `supervm dev` process — transfers,
//! sUSD token transfers, transactions paying gas in sUSD, `eth_call` and state reads, log
//! queries, WebSocket subscriptions and gRPC block streams — with the node's resident
//! memory, open descriptors and the JSON-RPC latency sampled at a fixed interval.
//!
//! The question it answers is whether the node holds steady: a leak shows as memory or
//! descriptors that keep growing once the caches are warm. [`judge`] compares the second
//! quarter of the run with the last quarter, on anonymous resident memory (heap and stacks:
//! the file-backed rest is the executable's pages). The node runs with a page cache of
//! [`SoakParams::node_cache_mib`], so that the database cache — bounded, but filling as the
//! chain grows — is full early in the run instead of looking like a leak.

mod load;
mod process;
mod stats;

use std::{
    path::PathBuf,
    sync::{atomic::AtomicU64, Arc},
    time::{Duration, Instant},
};

use serde_json::json;

use self::{
    load::{Load, LoadPlan},
    process::NodeProcess,
    stats::Stats,
};
use crate::{
    bench_client::{percentile, quantity, BenchClientError, Connection},
    config::DEV_MNEMONIC,
    derive_dev_accounts,
};

/// Descriptors the last quarter may hold above the second quarter's peak (reconnecting
/// clients make the count move) before the run counts as leaking them.
const FD_SLACK: u64 = 32;
/// Fewest samples for a verdict: each compared quarter needs at least two.
const MIN_SAMPLES_FOR_VERDICT: usize = 8;

/// What to run.
#[derive(Clone, Debug)]
pub struct SoakParams {
    /// The `supervm` executable to start as the node.
    pub binary: PathBuf,
    /// Length of the run.
    pub duration: Duration,
    /// Interval between two samples.
    pub sample_every: Duration,
    /// Sending accounts (one task each).
    pub senders: usize,
    /// Transactions per second over all senders.
    pub tps: u32,
    /// State reads per second.
    pub reads_per_sec: u32,
    /// Log queries per second.
    pub log_queries_per_sec: u32,
    /// WebSocket subscribers.
    pub subscribers: usize,
    /// gRPC block streams.
    pub streams: usize,
    /// How long a subscriber's or stream's session lasts before it reconnects.
    pub session: Duration,
    /// Largest memory growth from the second to the last quarter that counts as a plateau,
    /// percent.
    pub max_growth_pct: f64,
    /// The node's database page cache (`--cache-mib`), MiB.
    pub node_cache_mib: u32,
}

/// One row of the table.
#[derive(Clone, Debug)]
pub struct Sample {
    /// Seconds since the load started.
    pub secs: f64,
    /// Resident memory, MiB.
    pub rss_mib: f64,
    /// Anonymous resident memory (heap and stacks), MiB.
    pub anon_mib: f64,
    /// Open file descriptors.
    pub fds: u64,
    /// Threads.
    pub threads: u64,
    /// JSON-RPC requests per second in the interval.
    pub rpc_per_sec: f64,
    /// Median JSON-RPC latency in the interval, ms.
    pub p50_ms: f64,
    /// 99th percentile JSON-RPC latency in the interval, ms.
    pub p99_ms: f64,
    /// Failed requests in the interval.
    pub errors: u64,
    /// Transactions accepted per second in the interval.
    pub submitted_per_sec: f64,
    /// Transactions committed per second in the interval.
    pub committed_per_sec: f64,
    /// Latest block.
    pub head: u64,
    /// Subscription notifications in the interval.
    pub notifications: u64,
    /// Blocks received over gRPC in the interval.
    pub streamed: u64,
}

impl Sample {
    /// The table's header, in the order of [`Sample::row`].
    pub const HEADER: [&'static str; 14] = [
        "t_s",
        "rss_mib",
        "anon_mib",
        "fds",
        "threads",
        "rpc_per_s",
        "p50_ms",
        "p99_ms",
        "errors",
        "tx_sent_per_s",
        "tx_committed_per_s",
        "head",
        "ws_notifications",
        "grpc_blocks",
    ];

    /// The sample's values, formatted, in the order of [`Sample::HEADER`].
    pub fn row(&self) -> [String; 14] {
        [
            format!("{:.0}", self.secs),
            format!("{:.1}", self.rss_mib),
            format!("{:.1}", self.anon_mib),
            self.fds.to_string(),
            self.threads.to_string(),
            format!("{:.0}", self.rpc_per_sec),
            format!("{:.2}", self.p50_ms),
            format!("{:.2}", self.p99_ms),
            self.errors.to_string(),
            format!("{:.1}", self.submitted_per_sec),
            format!("{:.1}", self.committed_per_sec),
            self.head.to_string(),
            self.notifications.to_string(),
            self.streamed.to_string(),
        ]
    }
}

/// Whether memory and descriptors levelled off.
#[derive(Clone, Debug)]
pub struct Plateau {
    /// Median anonymous resident memory over the second quarter of the run, MiB.
    pub early_anon_mib: f64,
    /// Median anonymous resident memory over the last quarter, MiB.
    pub late_anon_mib: f64,
    /// Growth from the one to the other, percent.
    pub growth_pct: f64,
    /// Most descriptors open in the second quarter.
    pub early_fds: u64,
    /// Most descriptors open in the last quarter.
    pub late_fds: u64,
    /// Memory grew at most the allowed percentage and descriptors at most [`FD_SLACK`].
    pub holds: bool,
}

/// The whole run.
#[derive(Clone, Debug)]
pub struct SoakReport {
    /// Every sample, in order.
    pub samples: Vec<Sample>,
    /// The verdict; `None` when the run was too short to judge.
    pub plateau: Option<Plateau>,
    /// Transactions accepted.
    pub submitted: u64,
    /// Transactions committed.
    pub committed: u64,
    /// Failed requests.
    pub errors: u64,
    /// The most recent failure.
    pub last_error: Option<String>,
}

/// Why the soak could not run.
#[derive(Debug, thiserror::Error)]
pub enum SoakError {
    /// A parameter is out of range.
    #[error("invalid parameter: {0}")]
    Params(String),
    /// The node could not start, or stopped.
    #[error("{0}")]
    Node(String),
    /// The runtime could not be built.
    #[error("cannot start a runtime: {0}")]
    Runtime(std::io::Error),
    /// The sampler's own requests failed.
    #[error("sampling the node: {0}")]
    Sampling(#[from] BenchClientError),
}

/// Runs the soak and calls `on_sample` with each sample as it is taken.
pub fn run(
    params: &SoakParams,
    mut on_sample: impl FnMut(&Sample),
) -> Result<SoakReport, SoakError> {
    check(params)?;
    let senders =
        derive_dev_accounts(DEV_MNEMONIC, params.senders as u32).map_err(SoakError::Params)?;
    let mut node = NodeProcess::spawn(
        &params.binary,
        params.senders.max(10),
        params.node_cache_mib,
    )?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(SoakError::Runtime)?;
    let result = runtime.block_on(async {
        let mut control = Connection::open(node.rpc).await?;
        let chain_id = quantity(&control.call("eth_chainId", json!([])).await?)?;
        let stats = Arc::new(Stats::default());
        let head = Arc::new(AtomicU64::new(0));
        let plan = LoadPlan {
            rpc: node.rpc,
            grpc: node.grpc,
            chain_id,
            senders,
            tps: params.tps,
            reads_per_sec: params.reads_per_sec,
            log_queries_per_sec: params.log_queries_per_sec,
            subscribers: params.subscribers,
            streams: params.streams,
            session: params.session,
        };
        let load = Load::start(plan, &stats, &head);
        let sampled = sample_until(
            params,
            &mut node,
            &mut control,
            &stats,
            &head,
            &mut on_sample,
        )
        .await;
        load.stop().await;
        let (
            samples,
            Totals {
                committed,
                submitted,
            },
        ) = sampled?;
        let errors = samples.iter().map(|s| s.errors).sum();
        Ok(SoakReport {
            plateau: judge(&samples, params.max_growth_pct),
            samples,
            submitted,
            committed,
            errors,
            last_error: stats.last_error(),
        })
    });
    node.stop();
    result
}

fn check(params: &SoakParams) -> Result<(), SoakError> {
    if params.sample_every.is_zero() || params.duration < params.sample_every {
        return Err(SoakError::Params(
            "the sample interval must be positive and no longer than the run".into(),
        ));
    }
    if params.senders == 0 || params.senders > 1_000 || params.tps == 0 {
        return Err(SoakError::Params(
            "--senders must be 1 to 1000 and --tps at least 1".into(),
        ));
    }
    if params.node_cache_mib == 0 {
        return Err(SoakError::Params(
            "the node's cache must be at least 1 MiB".into(),
        ));
    }
    if params.session.is_zero() {
        return Err(SoakError::Params(
            "the session length must be positive".into(),
        ));
    }
    Ok(())
}

/// Transactions over the whole run.
#[derive(Default)]
struct Totals {
    committed: u64,
    submitted: u64,
}

/// Takes a sample every `sample_every` until the run's duration is over; returns the
/// samples and the transactions committed and accepted meanwhile.
async fn sample_until(
    params: &SoakParams,
    node: &mut NodeProcess,
    control: &mut Connection,
    stats: &Stats,
    head: &AtomicU64,
    on_sample: &mut impl FnMut(&Sample),
) -> Result<(Vec<Sample>, Totals), SoakError> {
    let started = Instant::now();
    let mut last_head = quantity(&control.call("eth_blockNumber", json!([])).await?)?;
    head.store(last_head, std::sync::atomic::Ordering::Relaxed);
    let mut totals = Totals::default();
    let mut samples = Vec::new();
    let mut last_at = Instant::now();
    let mut ticker = tokio::time::interval_at(
        tokio::time::Instant::now() + params.sample_every,
        params.sample_every,
    );
    while started.elapsed() < params.duration {
        ticker.tick().await;
        let resources = node.resources()?;
        let window = stats.drain();
        let now_head = quantity(&control.call("eth_blockNumber", json!([])).await?)?;
        let committed = committed_between(control, last_head, now_head).await?;
        head.store(now_head, std::sync::atomic::Ordering::Relaxed);
        last_head = now_head;
        totals.committed += committed;
        totals.submitted += window.submitted;
        let secs = last_at.elapsed().as_secs_f64().max(f64::EPSILON);
        last_at = Instant::now();
        let sample = Sample {
            secs: started.elapsed().as_secs_f64(),
            rss_mib: resources.rss_kib as f64 / 1024.0,
            anon_mib: resources.anon_kib as f64 / 1024.0,
            fds: resources.fds,
            threads: resources.threads,
            rpc_per_sec: window.latencies_us.len() as f64 / secs,
            p50_ms: percentile(&window.latencies_us, 50) / 1000.0,
            p99_ms: percentile(&window.latencies_us, 99) / 1000.0,
            errors: window.errors,
            submitted_per_sec: window.submitted as f64 / secs,
            committed_per_sec: committed as f64 / secs,
            head: now_head,
            notifications: window.notifications,
            streamed: window.streamed,
        };
        on_sample(&sample);
        samples.push(sample);
    }
    Ok((samples, totals))
}

/// Transactions in blocks `after + 1 ..= head`, read in one batch request.
async fn committed_between(
    control: &mut Connection,
    after: u64,
    head: u64,
) -> Result<u64, SoakError> {
    if head <= after {
        return Ok(0);
    }
    let batch: Vec<_> = (after + 1..=head)
        .map(|number| {
            json!({"jsonrpc": "2.0", "id": number, "method": "eth_getBlockTransactionCountByNumber", "params": [format!("{number:#x}")]})
        })
        .collect();
    let reply = control
        .post(serde_json::Value::Array(batch).to_string().into())
        .await?;
    let replies: Vec<serde_json::Value> = serde_json::from_slice(&reply)
        .map_err(|err| BenchClientError::Rpc(format!("invalid batch reply: {err}")))?;
    let mut total = 0;
    for reply in &replies {
        let count = reply
            .get("result")
            .ok_or_else(|| BenchClientError::Rpc(format!("block count failed: {reply}")))?;
        total += quantity(count)?;
    }
    Ok(total)
}

/// Compares the second quarter of the run with the last: the median anonymous memory may
/// grow by at most `max_growth_pct` and the peak descriptor count by at most [`FD_SLACK`].
/// The first quarter is warm-up (caches filling, the pool reaching its steady size).
pub fn judge(samples: &[Sample], max_growth_pct: f64) -> Option<Plateau> {
    let n = samples.len();
    if n < MIN_SAMPLES_FOR_VERDICT {
        return None;
    }
    let early = samples.get(n / 4..n / 2)?;
    let late = samples.get(n - n / 4..)?;
    let median_anon = |part: &[Sample]| {
        let mut anon: Vec<f64> = part.iter().map(|s| s.anon_mib).collect();
        anon.sort_by(f64::total_cmp);
        anon.get(anon.len() / 2).copied().unwrap_or(0.0)
    };
    let peak_fds = |part: &[Sample]| part.iter().map(|s| s.fds).max().unwrap_or(0);
    let (early_anon_mib, late_anon_mib) = (median_anon(early), median_anon(late));
    let growth_pct = (late_anon_mib - early_anon_mib) / early_anon_mib.max(f64::EPSILON) * 100.0;
    let (early_fds, late_fds) = (peak_fds(early), peak_fds(late));
    Some(Plateau {
        early_anon_mib,
        late_anon_mib,
        growth_pct,
        early_fds,
        late_fds,
        holds: growth_pct <= max_growth_pct && late_fds <= early_fds + FD_SLACK,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(anon_mib: f64, fds: u64) -> Sample {
        Sample {
            secs: 0.0,
            rss_mib: anon_mib + 30.0,
            anon_mib,
            fds,
            threads: 1,
            rpc_per_sec: 0.0,
            p50_ms: 0.0,
            p99_ms: 0.0,
            errors: 0,
            submitted_per_sec: 0.0,
            committed_per_sec: 0.0,
            head: 0,
            notifications: 0,
            streamed: 0,
        }
    }

    #[test]
    fn memory_that_levels_off_after_warm_up_is_a_plateau() {
        let rss = [50.0, 80.0, 100.0, 101.0, 100.0, 102.0, 101.0, 103.0];
        let samples: Vec<_> = rss.iter().map(|r| sample(*r, 40)).collect();
        let plateau = judge(&samples, 10.0).expect("enough samples");
        assert!(plateau.holds, "{plateau:?}");
        assert!(plateau.growth_pct < 5.0);
    }

    #[test]
    fn memory_that_keeps_growing_is_not() {
        let samples: Vec<_> = (0..12)
            .map(|i| sample(100.0 + 20.0 * i as f64, 40))
            .collect();
        let plateau = judge(&samples, 10.0).expect("enough samples");
        assert!(!plateau.holds, "{plateau:?}");
    }

    #[test]
    fn descriptors_that_keep_growing_are_a_leak() {
        let samples: Vec<_> = (0..12).map(|i| sample(100.0, 40 + 10 * i)).collect();
        let plateau = judge(&samples, 10.0).expect("enough samples");
        assert!(!plateau.holds, "{plateau:?}");
    }

    #[test]
    fn a_short_run_gets_no_verdict() {
        let samples: Vec<_> = (0..7).map(|_| sample(100.0, 40)).collect();
        assert!(judge(&samples, 10.0).is_none());
    }
}
