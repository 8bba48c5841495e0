//! `supervm bench soak`: arguments, the live table and the verdict.

use std::{io::Write, path::PathBuf, time::Duration};

use anyhow::Context;
use clap::Args;
use supervm_node::soak::{self, Sample, SoakParams};

/// Arguments of `bench soak`.
#[derive(Debug, Args)]
pub struct SoakArgs {
    /// Length of the run, seconds [default: 30 minutes].
    #[arg(long, default_value_t = 1800, value_parser = clap::value_parser!(u64).range(1..))]
    seconds: u64,
    /// Seconds between two samples.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    sample_secs: u64,
    /// Sending accounts (development accounts of the default mnemonic).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=1000))]
    senders: u64,
    /// Transactions per second over all senders: native transfers, sUSD transfers and
    /// transfers paying gas in sUSD.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    tps: u32,
    /// `eth_call`, `eth_getBalance` and `eth_getBlockByNumber` requests per second.
    #[arg(long, default_value_t = 50)]
    reads: u32,
    /// `eth_getLogs` queries per second (50-block ranges).
    #[arg(long, default_value_t = 5)]
    log_queries: u32,
    /// WebSocket clients subscribed to `newHeads` and sUSD logs.
    #[arg(long, default_value_t = 8)]
    subscribers: usize,
    /// gRPC `StreamBlocks` clients.
    #[arg(long, default_value_t = 2)]
    streams: usize,
    /// Seconds a subscriber or stream stays connected before it reconnects.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    session_secs: u64,
    /// Largest growth of the node's anonymous memory from the run's second quarter to its
    /// last that counts as a plateau, percent.
    #[arg(long, default_value_t = 10.0)]
    max_growth_pct: f64,
    /// The node's database page cache, MiB: small enough to fill in the run's first quarter,
    /// so the bounded cache filling up is not mistaken for a leak.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..))]
    node_cache_mib: u32,
    /// Also write the table as CSV to this file.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

impl SoakArgs {
    /// The soak's parameters; the node is this executable.
    pub fn params(&self) -> anyhow::Result<(SoakParams, Option<PathBuf>)> {
        let binary = std::env::current_exe().context("locating the supervm executable")?;
        Ok((
            SoakParams {
                binary,
                duration: Duration::from_secs(self.seconds),
                sample_every: Duration::from_secs(self.sample_secs),
                senders: usize::try_from(self.senders).context("--senders is too large")?,
                tps: self.tps,
                reads_per_sec: self.reads,
                log_queries_per_sec: self.log_queries,
                subscribers: self.subscribers,
                streams: self.streams,
                session: Duration::from_secs(self.session_secs),
                max_growth_pct: self.max_growth_pct,
                node_cache_mib: self.node_cache_mib,
            },
            self.out.clone(),
        ))
    }
}

/// Runs the soak, printing a Markdown table row per sample (and CSV to `out`), then the
/// verdict; fails when memory or descriptors did not level off or nothing was committed.
pub fn run(params: &SoakParams, out: Option<PathBuf>) -> anyhow::Result<()> {
    let mut csv = match &out {
        Some(path) => {
            let mut file = std::fs::File::create(path)
                .with_context(|| format!("creating {}", path.display()))?;
            writeln!(file, "{}", Sample::HEADER.join(","))?;
            Some(file)
        }
        None => None,
    };
    println!("| {} |", Sample::HEADER.join(" | "));
    println!("|{}", "---:|".repeat(Sample::HEADER.len()));
    let mut write_error = None;
    let report = soak::run(params, |sample| {
        let row = sample.row();
        println!("| {} |", row.join(" | "));
        if let Some(file) = csv.as_mut() {
            if let Err(err) = writeln!(file, "{}", row.join(",")) {
                write_error.get_or_insert(err);
            }
        }
    })
    .context("running the soak")?;
    if let Some(err) = write_error {
        return Err(err).context("writing the CSV file");
    }
    println!();
    println!(
        "transactions: {} accepted, {} committed; failed requests: {}{}",
        report.submitted,
        report.committed,
        report.errors,
        report
            .last_error
            .as_deref()
            .map_or_else(String::new, |err| format!(" (last: {err})")),
    );
    if report.committed == 0 {
        anyhow::bail!("no transaction was committed");
    }
    match report.plateau {
        None => println!("verdict: the run is too short to judge (fewer than 8 samples)"),
        Some(plateau) => {
            println!(
                "verdict: anonymous memory {:.1} MiB (2nd quarter median) -> {:.1} MiB (last quarter), \
                 {:+.1}% (limit {:.0}%); descriptors peak {} -> {}: {}",
                plateau.early_anon_mib,
                plateau.late_anon_mib,
                plateau.growth_pct,
                params.max_growth_pct,
                plateau.early_fds,
                plateau.late_fds,
                if plateau.holds { "plateau" } else { "STILL GROWING" },
            );
            if !plateau.holds {
                anyhow::bail!("memory or descriptors kept growing");
            }
        }
    }
    Ok(())
}
