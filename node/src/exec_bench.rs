//! `supervm bench exec`: builds signed blocks on a fresh store holding N accounts, then
//! measures block execution and block import through the production code path.
//!
//! For each thread count it signs a new block (nonces continue from the previous one), then
//! - executes it `iterations` times on the committed pre-state with senders already
//!   recovered and reports the median: the executor's throughput;
//! - imports it once end to end: sender recovery from the raw encoding, execution, state
//!   root and the redb commit.
//!
//! Throughput counts committed (valid) transactions only.

use std::{num::NonZeroUsize, sync::Arc, time::Instant};

use alloy_genesis::GenesisAccount;
use alloy_primitives::{keccak256, Address, U256};
use alloy_signer_local::PrivateKeySigner;
use supervm_gas::next_block_base_fee;
use supervm_primitives::{
    chain_spec::DEV_GAS_LIMIT, recover_all, ChainSpec, RecoveredTx, SealedBlock, TxEnvelope,
};
use supervm_storage::Store;
use supervm_vm::{
    BlockEnv, BlockExecutor, ContractRuntime, PendingState, RateSnapshot, StoreState,
};

use crate::{
    bench_tx::{sign_transfer, TransferFees, TransferKind},
    block_exec::{execute_transactions, seal_block},
};

const CHAIN_ID: u64 = 31337;

/// What the benchmark blocks contain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// Native transfers paying gas in the native coin.
    Native,
    /// sUSD `transfer` calls paying gas in sUSD (fee resolution rule 3, ERC-20 code).
    Token,
    /// Native transfers paying gas in sUSD through CIP-64 (fee conversion only).
    Cip64,
    /// One third each: native transfers, sUSD transfers, and native transfers paying gas in
    /// sUSD through CIP-64.
    Mixed,
}

impl Workload {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Native => "native",
            Self::Token => "token",
            Self::Cip64 => "cip64",
            Self::Mixed => "mixed",
        }
    }
}

/// Benchmark parameters.
#[derive(Clone, Debug)]
pub struct ExecBenchParams {
    /// Accounts in the state (senders and recipients included).
    pub accounts: usize,
    /// Transactions per block.
    pub txs: usize,
    /// Thread counts to measure, each on its own block, in this order.
    pub threads: Vec<NonZeroUsize>,
    /// Block contents.
    pub workload: Workload,
    /// Executions of each block for the execution figure (the median is reported).
    pub iterations: usize,
}

/// Figures for one thread count.
#[derive(Clone, Debug)]
pub struct ExecBenchReport {
    /// Block contents.
    pub workload: Workload,
    /// Accounts in the state.
    pub accounts: usize,
    /// Transactions in the block.
    pub txs: usize,
    /// Executor threads.
    pub threads: usize,
    /// Valid transactions in the block.
    pub committed: usize,
    /// Committed transactions per second of execution, senders pre-recovered (median run).
    pub tps: f64,
    /// Median execution time, seconds.
    pub execute_secs: f64,
    /// Sender recovery time during import, seconds.
    pub recover_secs: f64,
    /// State root time during import, seconds.
    pub root_secs: f64,
    /// Block write and commit time during import, seconds.
    pub commit_secs: f64,
    /// Committed transactions per second of the whole import.
    pub import_tps: f64,
    /// Executions (re-executions included) in the median run.
    pub executions: usize,
    /// Aborted executions in the median run.
    pub aborts: usize,
    /// Where the median run fell back to sequential execution, if it did.
    pub fell_back_at: Option<usize>,
}

impl ExecBenchReport {
    /// The report as one JSON object on one line.
    pub fn to_json(&self) -> String {
        format!(
            concat!(
                "{{\"workload\":\"{}\",\"accounts\":{},\"txs\":{},\"threads\":{},",
                "\"committed\":{},\"tps\":{:.0},\"execute_ms\":{:.3},\"recover_ms\":{:.3},",
                "\"root_ms\":{:.3},\"commit_ms\":{:.3},\"import_tps\":{:.0},",
                "\"executions\":{},\"aborts\":{},\"fell_back_at\":{}}}"
            ),
            self.workload.name(),
            self.accounts,
            self.txs,
            self.threads,
            self.committed,
            self.tps,
            self.execute_secs * 1e3,
            self.recover_secs * 1e3,
            self.root_secs * 1e3,
            self.commit_secs * 1e3,
            self.import_tps,
            self.executions,
            self.aborts,
            self.fell_back_at
                .map_or_else(|| "null".to_string(), |at| at.to_string()),
        )
    }
}

/// Why the benchmark could not run.
#[derive(Debug, thiserror::Error)]
pub enum ExecBenchError {
    /// Parameters out of range.
    #[error("{0}")]
    Params(String),
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] supervm_storage::StorageError),
    /// State could not be read.
    #[error(transparent)]
    State(#[from] supervm_vm::StateError),
    /// Genesis could not be built.
    #[error(transparent)]
    Genesis(#[from] supervm_vm::GenesisError),
    /// A benchmark transaction could not be signed.
    #[error("signing failed: {0}")]
    Signing(String),
    /// The temporary directory could not be created.
    #[error("cannot create a temporary directory: {0}")]
    TempDir(#[from] std::io::Error),
    /// The contract engine could not start.
    #[error(transparent)]
    Contracts(#[from] supervm_vm::wasm::RuntimeError),
}

/// The accounts of the benchmark state: keyed senders first, then keyless recipients.
struct Accounts {
    senders: Vec<PrivateKeySigner>,
    total: usize,
}

impl Accounts {
    fn new(total: usize, txs: usize) -> Result<Self, ExecBenchError> {
        let senders = (0..total.min(txs).max(1))
            .map(|i| {
                PrivateKeySigner::from_bytes(&keccak256(format!("bench sender {i}")))
                    .map_err(|err| ExecBenchError::Signing(err.to_string()))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { senders, total })
    }

    /// Account `i`: a sender, or a recipient-only filler.
    fn address(&self, i: usize) -> Address {
        match self.senders.get(i) {
            Some(signer) => signer.address(),
            None => Address::from_slice(&keccak256((i as u64).to_be_bytes())[12..]),
        }
    }
}

/// Runs the benchmark: one report per thread count.
pub fn run(params: &ExecBenchParams) -> Result<Vec<ExecBenchReport>, ExecBenchError> {
    if params.accounts < 2 {
        return Err(ExecBenchError::Params(
            "--accounts must be at least 2".into(),
        ));
    }
    if params.txs == 0 {
        return Err(ExecBenchError::Params("--txs must be at least 1".into()));
    }
    let accounts = Accounts::new(params.accounts, params.txs)?;
    let mut spec = ChainSpec::dev(CHAIN_ID, accounts.senders.iter().map(|s| s.address()));
    spec.genesis.gas_limit = DEV_GAS_LIMIT.max(params.txs as u64 * 120_000);
    for i in accounts.senders.len()..accounts.total {
        spec.genesis.alloc.insert(
            accounts.address(i),
            GenesisAccount::default().with_balance(U256::from(1)),
        );
    }
    let dir = tempfile::tempdir()?;
    let store = Store::open(&dir.path().join("chain.redb"))?;
    let genesis_state = supervm_vm::genesis_state(&spec)?;
    let mut parent = store.init_genesis(&spec, &genesis_state)?;
    let mut nonces = vec![0u64; accounts.senders.len()];
    let mut reports = Vec::with_capacity(params.threads.len());
    let contracts = Arc::new(ContractRuntime::new(
        NonZeroUsize::new(supervm_vm::wasm::DEFAULT_CACHE_MODULES).unwrap_or(NonZeroUsize::MIN),
    )?);
    for threads in &params.threads {
        let executor = BlockExecutor::new(*threads);
        let raw = sign_block(params, &accounts, &mut nonces, &spec, &parent)?;
        let chain = BenchChain {
            store: &store,
            spec: &spec,
            contracts: &contracts,
        };
        let (report, block) = measure(params, &executor, &chain, &parent, &raw)?;
        reports.push(report);
        parent = block;
    }
    Ok(reports)
}

/// Signs one block's transactions (the client's work: not timed).
fn sign_block(
    params: &ExecBenchParams,
    accounts: &Accounts,
    nonces: &mut [u64],
    spec: &ChainSpec,
    parent: &SealedBlock,
) -> Result<Vec<Vec<u8>>, ExecBenchError> {
    let base_fee = next_block_base_fee(spec, &parent.header);
    let senders = accounts.senders.len();
    (0..params.txs)
        .map(|i| {
            let sender = i % senders;
            // With two accounts every transaction goes between them (an inherently serial
            // block); otherwise recipients spread over the whole state.
            let recipient = if accounts.total == 2 {
                accounts.address(1 - sender)
            } else {
                accounts.address((i * 7919 + parent.number() as usize * 104_729) % accounts.total)
            };
            let nonce = nonces[sender];
            nonces[sender] += 1;
            let kind = match params.workload {
                Workload::Native => TransferKind::Native,
                Workload::Token => TransferKind::Token,
                Workload::Cip64 => TransferKind::Cip64,
                Workload::Mixed => [
                    TransferKind::Native,
                    TransferKind::Token,
                    TransferKind::Cip64,
                ][i % 3],
            };
            // sUSD rate 3/1e9: the base fee in sUSD units, doubled, plus a tip.
            let base_in_token = (u128::from(base_fee) * 3).div_ceil(1_000_000_000);
            let fees = TransferFees {
                max_fee_per_gas: u128::from(base_fee) * 2,
                tip_per_gas: 1,
                token_max_fee_per_gas: base_in_token * 2 + 1,
                token_tip_per_gas: 1,
            };
            sign_transfer(
                &accounts.senders[sender],
                CHAIN_ID,
                nonce,
                recipient,
                kind,
                fees,
            )
            .map(|tx| tx.encoded())
            .map_err(|err| ExecBenchError::Signing(err.to_string()))
        })
        .collect()
}

/// Executes the block `iterations` times, then imports it; returns the figures and the
/// committed block.
/// The chain a benchmark runs on.
struct BenchChain<'a> {
    store: &'a Store,
    spec: &'a ChainSpec,
    contracts: &'a Arc<ContractRuntime>,
}

fn measure(
    params: &ExecBenchParams,
    executor: &BlockExecutor,
    chain: &BenchChain<'_>,
    parent: &SealedBlock,
    raw: &[Vec<u8>],
) -> Result<(ExecBenchReport, SealedBlock), ExecBenchError> {
    let (store, spec) = (chain.store, chain.spec);
    let recovered = recover(raw, executor.threads())?;
    let txs: Vec<&RecoveredTx> = recovered.iter().collect();
    let reader = store.reader()?;
    let head = reader.head_number();
    let rates = Arc::new(RateSnapshot::read(&mut PendingState::new(
        StoreState::new(&reader, head),
    ))?);
    let env = BlockEnv::next(
        spec,
        &parent.header,
        parent.header.timestamp + 1,
        Address::ZERO,
        rates,
        chain.contracts.clone(),
    );
    let mut runs = Vec::with_capacity(params.iterations.max(1));
    for _ in 0..params.iterations.max(1) {
        let started = Instant::now();
        let executed = execute_transactions(executor, &env, &txs, StoreState::new(&reader, head))?;
        runs.push((started.elapsed().as_secs_f64(), executed.stats));
    }
    drop(reader);
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (execute_secs, stats) = runs[runs.len() / 2];

    // The import: everything a node does with a block it receives.
    let started = Instant::now();
    let recovered = recover(raw, executor.threads())?;
    let recovered_at = Instant::now();
    let txs: Vec<&RecoveredTx> = recovered.iter().collect();
    let reader = store.reader()?;
    let executed = execute_transactions(executor, &env, &txs, StoreState::new(&reader, head))?;
    drop(reader);
    let executed_at = Instant::now();
    let mut writer = store.begin_block()?;
    writer.apply_state(env.number, &executed.changes)?;
    let state_root = writer.state_root()?;
    let rooted_at = Instant::now();
    let transactions: Vec<RecoveredTx> = executed
        .included
        .iter()
        .map(|index| recovered[*index].clone())
        .collect();
    let block = seal_block(
        &env,
        parent.hash,
        state_root,
        transactions,
        &executed.receipts,
    );
    writer.insert_block(&block, &executed.receipts)?;
    writer.commit()?;
    let committed_at = Instant::now();
    let committed = executed.included.len();
    let report = ExecBenchReport {
        workload: params.workload,
        accounts: params.accounts,
        txs: params.txs,
        threads: executor.threads(),
        committed,
        tps: committed as f64 / execute_secs,
        execute_secs,
        recover_secs: (recovered_at - started).as_secs_f64(),
        root_secs: (rooted_at - executed_at).as_secs_f64(),
        commit_secs: (committed_at - rooted_at).as_secs_f64(),
        import_tps: committed as f64 / (committed_at - started).as_secs_f64(),
        executions: stats.executions,
        aborts: stats.aborts,
        fell_back_at: stats.fell_back_at,
    };
    Ok((report, block))
}

/// Decodes and recovers a block's transactions on `threads` threads.
fn recover(raw: &[Vec<u8>], threads: usize) -> Result<Vec<RecoveredTx>, ExecBenchError> {
    let decoded = raw
        .iter()
        .map(|bytes| TxEnvelope::decode_raw(bytes))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| ExecBenchError::Signing(err.to_string()))?;
    recover_all(decoded, threads)
        .into_iter()
        .map(|tx| tx.ok_or_else(|| ExecBenchError::Signing("a signature did not recover".into())))
        .collect()
}
