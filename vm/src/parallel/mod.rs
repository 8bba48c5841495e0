//! Parallel block execution: Block-STM (Gelashvili et al., PPoPP'23), as in aptos-core's
//! `block-executor`, over the same [`execute_tx`] that sequential execution runs.
//!
//! # The result is sequential execution's
//!
//! A block is an ordered list of transactions, and its meaning is executing them one after
//! another. Block-STM executes them optimistically on all threads at once and then proves,
//! transaction by transaction, that each one saw exactly the state sequential execution
//! would have shown it; the ones that did not run again. The state root, receipts, logs,
//! gas and fees are therefore identical for every thread count and every interleaving.
//!
//! # Pieces
//!
//! - **Multi-version memory** ([`mvmemory`]): for every state key (an account, or a storage
//!   slot of any contract — tokens and the system contracts included), the value each
//!   transaction of the block wrote, tagged by transaction index. Transaction `i` reads the
//!   write of the highest transaction below `i`, or the committed state before the block.
//!   When a transaction is aborted its writes become ESTIMATE markers: a reader that meets one
//!   waits for that transaction instead of running on a value that is about to change.
//! - **Incarnations**: each execution of a transaction is an incarnation. It records its
//!   read set (key and value seen) and its write set; a new incarnation replaces the previous
//!   one's writes.
//! - **Validation**: after executing, a transaction's reads are read again. If any value
//!   differs (or is now an ESTIMATE), the incarnation is aborted and the transaction runs
//!   again. Comparing values rather than versions means a rewrite with the same value aborts
//!   nobody.
//! - **Collaborative scheduler** ([`scheduler`]): threads take the lowest pending task,
//!   validation before execution, so lower transactions settle first. A transaction that
//!   reads an ESTIMATE is parked until the writer finishes; a transaction that writes a key its
//!   previous incarnation did not write makes every later transaction validate again. The block
//!   is done when every transaction is executed and validated and no thread holds a task.
//!
//! # Fee credits are deltas
//!
//! Every transaction pays its tip to the same beneficiary and its base fee to the same
//! recipient (or burns it out of a token's supply). Done as read-modify-write, that makes each
//! transaction depend on the previous one — the whole block serial. Instead, credits and
//! supply changes ([`crate::StateAccess::credit`], [`crate::StateAccess::credit_slot`],
//! [`crate::StateAccess::debit_slot`]) are recorded as deltas that never read: the memory applies
//! them in transaction order when someone does read the key (the miner spending its balance,
//! say), with the same saturating arithmetic as sequential execution. Value transfers to a
//! recipient are deltas too, so many payments to one address stay parallel.
//!
//! # Serial fallback
//!
//! Some blocks are serial by nature (every transaction between the same two accounts).
//! Block-STM then re-executes almost every transaction. The executor counts aborts; when,
//! after [`FALLBACK_MIN_EXECUTIONS`] executions, more than one in [`FALLBACK_ABORT_RATIO`] was
//! aborted, it stops the threads, keeps the longest prefix of transactions that is executed
//! and valid, and runs the rest sequentially on that prefix's state. Blocks too small to
//! share ([`MIN_PARALLEL_TXS`]) or a single thread run sequentially from the start.

mod mvmemory;
mod scheduler;
mod view;

use std::{
    num::NonZeroUsize,
    sync::atomic::{AtomicBool, AtomicUsize, Ordering},
};

use alloy_primitives::{Bytes, B256};
use parking_lot::Mutex;

use self::{
    mvmemory::{MvMemory, Read, StateKey, Value},
    scheduler::{Scheduler, Task, Version},
    view::{Observed, ReadSet, TxView},
};
use crate::{
    execute_tx, state::Writes, BlockEnv, InvalidTx, Message, PendingState, StateError, StateReader,
    TxOutcome,
};

/// Blocks with fewer transactions run sequentially: starting threads costs more than it
/// saves.
pub const MIN_PARALLEL_TXS: usize = 4;
/// Executions to observe before judging the abort rate.
pub const FALLBACK_MIN_EXECUTIONS: usize = 64;
/// Fall back to sequential execution when more than one execution in this many was aborted.
pub const FALLBACK_ABORT_RATIO: usize = 3;

/// The result of executing a block's transactions.
pub struct BlockOutput<R> {
    /// One result per transaction, in block order. An `Err` is a transaction that is invalid
    /// in this position (it changed nothing); never [`InvalidTx::State`].
    pub results: Vec<Result<TxOutcome, InvalidTx>>,
    /// The block's state changes over the committed state, ready for end-of-block work.
    pub state: PendingState<R>,
    /// What the executor did to get there.
    pub stats: ExecutionStats,
}

/// Counters of one block's execution, for metrics and benchmarks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExecutionStats {
    /// Threads used (1 when the block ran sequentially from the start).
    pub threads: usize,
    /// Transaction executions, re-executions included.
    pub executions: usize,
    /// Executions that were aborted or had to wait for a lower transaction.
    pub aborts: usize,
    /// Index from which the block ran sequentially after too many aborts.
    pub fell_back_at: Option<usize>,
}

/// Executes blocks on a fixed number of threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockExecutor {
    threads: NonZeroUsize,
}

impl Default for BlockExecutor {
    /// One thread per available core.
    fn default() -> Self {
        Self {
            threads: std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN),
        }
    }
}

impl BlockExecutor {
    /// An executor using `threads` threads.
    pub fn new(threads: NonZeroUsize) -> Self {
        Self { threads }
    }

    /// Number of threads.
    pub fn threads(&self) -> usize {
        self.threads.get()
    }

    /// Executes `msgs` in order on top of `base`. The result is the same as executing them
    /// one by one with [`execute_tx`] on a [`PendingState`], whatever the thread count.
    ///
    /// Fails only when the committed state cannot be read.
    pub fn execute<R: StateReader + Sync>(
        &self,
        env: &BlockEnv,
        msgs: &[Message],
        base: R,
    ) -> Result<BlockOutput<R>, StateError> {
        // The transactions whose results are final after the parallel phase (none when the
        // block runs sequentially from the start); the rest run sequentially on their state.
        let prefix = if self.threads() < 2 || msgs.len() < MIN_PARALLEL_TXS {
            Prefix {
                results: Vec::with_capacity(msgs.len()),
                stats: ExecutionStats {
                    threads: 1,
                    ..ExecutionStats::default()
                },
                writes: Writes::default(),
            }
        } else {
            let parallel = Parallel::new(env, msgs, &base);
            parallel.run(self.threads());
            parallel.finish(self.threads())?
        };
        let state = PendingState::with_writes(base, prefix.writes);
        let mut results = prefix.results;
        let mut stats = prefix.stats;
        let done = results.len();
        stats.executions += msgs.len() - done;
        let state = execute_sequential(env, &msgs[done..], state, &mut results)?;
        Ok(BlockOutput {
            results,
            state,
            stats,
        })
    }
}

/// Executes `msgs` one after another on `state`, appending their results.
fn execute_sequential<R: StateReader>(
    env: &BlockEnv,
    msgs: &[Message],
    mut state: PendingState<R>,
    results: &mut Vec<Result<TxOutcome, InvalidTx>>,
) -> Result<PendingState<R>, StateError> {
    for msg in msgs {
        match execute_tx(env, msg, &mut state) {
            Err(InvalidTx::State(err)) => return Err(err),
            result => results.push(result),
        }
    }
    Ok(state)
}

/// What the latest incarnation of one transaction read and produced.
#[derive(Default)]
struct TxRecord {
    reads: ReadSet,
    codes: Vec<(B256, Bytes)>,
    result: Option<Result<TxOutcome, InvalidTx>>,
}

/// One block under parallel execution.
struct Parallel<'a, R> {
    env: &'a BlockEnv,
    msgs: &'a [Message],
    base: &'a R,
    memory: MvMemory,
    scheduler: Scheduler,
    records: Vec<Mutex<TxRecord>>,
    executions: AtomicUsize,
    aborts: AtomicUsize,
    halted: AtomicBool,
}

/// The final part of a block's parallel execution: a prefix of transactions whose results
/// are final, and the state after them.
struct Prefix {
    results: Vec<Result<TxOutcome, InvalidTx>>,
    stats: ExecutionStats,
    writes: Writes,
}

impl<'a, R: StateReader + Sync> Parallel<'a, R> {
    fn new(env: &'a BlockEnv, msgs: &'a [Message], base: &'a R) -> Self {
        Self {
            env,
            msgs,
            base,
            memory: MvMemory::new(msgs.len()),
            scheduler: Scheduler::new(msgs.len()),
            records: (0..msgs.len()).map(|_| Mutex::default()).collect(),
            executions: AtomicUsize::new(0),
            aborts: AtomicUsize::new(0),
            halted: AtomicBool::new(false),
        }
    }

    /// Runs the workers until the block is done or the executor falls back.
    fn run(&self, threads: usize) {
        std::thread::scope(|scope| {
            for _ in 1..threads {
                scope.spawn(|| self.work());
            }
            self.work();
        });
    }

    /// One thread's loop: take a task, do it, take the follow-up task it returns.
    fn work(&self) {
        let mut task = None;
        while !self.halted.load(Ordering::Relaxed) {
            task = match task {
                Some(Task::Execute(version)) => self.execute(version),
                Some(Task::Validate(version)) => self.validate(version),
                None if self.scheduler.done() => return,
                None => {
                    let next = self.scheduler.next_task();
                    if next.is_none() {
                        // Nothing to do until another thread finishes a task: give it the
                        // core rather than spin against it when threads outnumber free cores.
                        std::thread::yield_now();
                    }
                    next
                }
            };
        }
    }

    fn execute(&self, version: Version) -> Option<Task> {
        let mut view = TxView::new(version.index, &self.memory, self.base);
        let result = execute_tx(self.env, &self.msgs[version.index], &mut view);
        let executions = self.executions.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(blocking) = view.blocked() {
            self.abort_counted(executions);
            if self.scheduler.add_dependency(version.index, blocking) {
                return None;
            }
            return Some(Task::Execute(version));
        }
        let (reads, writes, codes) = view.into_parts();
        self.memory.publish_codes(&codes);
        let wrote_new_key = self.memory.record(version.index, writes);
        *self.records[version.index].lock() = TxRecord {
            reads,
            codes,
            result: Some(result),
        };
        self.scheduler.finish_execution(version, wrote_new_key)
    }

    fn validate(&self, version: Version) -> Option<Task> {
        let aborted =
            !self.reads_still_hold(version.index) && self.scheduler.try_validation_abort(version);
        if aborted {
            self.abort_counted(self.executions.load(Ordering::Relaxed));
            self.memory.mark_estimates(version.index);
        }
        self.scheduler.finish_validation(version.index, aborted)
    }

    /// Whether every value transaction `index` read is still what it would read now.
    fn reads_still_hold(&self, index: usize) -> bool {
        let record = self.records[index].lock();
        record.reads.iter().all(|(key, seen)| {
            let Ok(Read::Value(now)) = self.memory.read(key, index, self.base) else {
                return false;
            };
            match (seen, now) {
                (Observed::Value(seen), now) => *seen == now,
                (Observed::CodeHash(seen), Value::Account(now)) => *seen == now.code_hash,
                (Observed::CodeHash(_), Value::Word(_)) => false,
            }
        })
    }

    /// Counts an abort and halts the threads when aborts dominate.
    fn abort_counted(&self, executions: usize) {
        let aborts = self.aborts.fetch_add(1, Ordering::Relaxed) + 1;
        if executions >= FALLBACK_MIN_EXECUTIONS
            && aborts.saturating_mul(FALLBACK_ABORT_RATIO) > executions
        {
            self.halted.store(true, Ordering::Relaxed);
        }
    }

    /// The transactions whose results are final: all of them, or after a fallback the
    /// longest prefix that is executed and valid, which the caller continues sequentially.
    fn finish(self, threads: usize) -> Result<Prefix, StateError> {
        let len = self.msgs.len();
        let complete = self.scheduler.done();
        // After a fallback, keep the longest prefix whose latest incarnations are executed
        // and still valid: their reads can no longer change, so their results are final.
        let valid = |index: usize| {
            complete || (self.scheduler.is_executed(index) && self.reads_still_hold(index))
        };
        let mut results = Vec::with_capacity(len);
        let mut writes = Writes::default();
        for (index, record) in self.records.iter().enumerate() {
            if !valid(index) {
                break;
            }
            let mut record = record.lock();
            match record.result.take() {
                Some(Err(InvalidTx::State(err))) => return Err(err),
                Some(result) => results.push(result),
                None => break,
            }
            writes.codes.extend(std::mem::take(&mut record.codes));
        }
        let prefix = results.len();
        let stats = ExecutionStats {
            threads,
            executions: self.executions.load(Ordering::Relaxed),
            aborts: self.aborts.load(Ordering::Relaxed),
            fell_back_at: (prefix < len).then_some(prefix),
        };
        for (key, value) in self.memory.snapshot(prefix, self.base)? {
            match (key, value) {
                (StateKey::Account(address), Value::Account(account)) => {
                    writes.accounts.insert(address, account);
                }
                (StateKey::Storage(address, slot), Value::Word(word)) => {
                    writes.storage.insert((address, slot), word);
                }
                // The view writes accounts only under account keys and words only under
                // slot keys, so no other pair exists.
                _ => {}
            }
        }
        Ok(Prefix {
            results,
            stats,
            writes,
        })
    }
}
