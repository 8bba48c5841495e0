//! The collaborative scheduler of Block-STM: it hands out execution and validation tasks so
//! that work on lower transactions always comes first, and knows when the block is done.
//!
//! Two shared indices drive it. `execution_idx` is the next transaction to execute,
//! `validation_idx` the next to validate; a worker takes a validation task when validation
//! is behind execution, an execution task otherwise. Each transaction has a status guarded by
//! a lock — `(incarnation, ReadyToExecute | Executing | Executed | Aborting)` — and a list of
//! transactions waiting for it.
//!
//! - When an execution reads an ESTIMATE of transaction `j`, the reader is parked on `j`'s
//!   list ([`Scheduler::add_dependency`]); when `j` finishes executing, parked transactions
//!   become ready with the next incarnation and `execution_idx` moves back to them.
//! - When an execution writes a key its previous incarnation did not write, every later
//!   transaction must be validated again: `validation_idx` moves back to it.
//! - When a validation fails, the transaction is aborted (only once per incarnation, however
//!   many validations fail), later transactions are validated again, and it re-executes.
//! - The block is done when both indices are past the end, no task is in flight, and no
//!   index moved back while that was being checked (`decrease_cnt`).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use parking_lot::Mutex;

/// One execution of one transaction: its index in the block and how many times it was
/// executed before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Version {
    /// Index in the block.
    pub(crate) index: usize,
    /// Incarnation number.
    pub(crate) incarnation: u32,
}

/// Work for a thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Task {
    /// Execute this incarnation.
    Execute(Version),
    /// Validate the read set of this incarnation.
    Validate(Version),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    ReadyToExecute,
    Executing,
    Executed,
    Aborting,
}

struct TxState {
    incarnation: u32,
    status: Status,
}

/// The scheduler of one block.
pub(crate) struct Scheduler {
    len: usize,
    execution_idx: AtomicUsize,
    validation_idx: AtomicUsize,
    decrease_cnt: AtomicUsize,
    active_tasks: AtomicUsize,
    done: AtomicBool,
    states: Vec<Mutex<TxState>>,
    dependents: Vec<Mutex<Vec<usize>>>,
}

impl Scheduler {
    /// A scheduler for `len` transactions, all ready for their first incarnation.
    pub(crate) fn new(len: usize) -> Self {
        Self {
            len,
            execution_idx: AtomicUsize::new(0),
            validation_idx: AtomicUsize::new(0),
            decrease_cnt: AtomicUsize::new(0),
            active_tasks: AtomicUsize::new(0),
            done: AtomicBool::new(false),
            states: (0..len)
                .map(|_| {
                    Mutex::new(TxState {
                        incarnation: 0,
                        status: Status::ReadyToExecute,
                    })
                })
                .collect(),
            dependents: (0..len).map(|_| Mutex::default()).collect(),
        }
    }

    /// Whether every transaction is executed and validated.
    pub(crate) fn done(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }

    /// Whether transaction `index`'s latest incarnation has executed (and not been aborted
    /// since). Used by the serial fallback after the workers stopped.
    pub(crate) fn is_executed(&self, index: usize) -> bool {
        self.states[index].lock().status == Status::Executed
    }

    /// The next task, or `None` when there is nothing to do right now.
    pub(crate) fn next_task(&self) -> Option<Task> {
        if self.validation_idx.load(Ordering::Acquire) < self.execution_idx.load(Ordering::Acquire)
        {
            self.next_version_to_validate().map(Task::Validate)
        } else {
            self.next_version_to_execute().map(Task::Execute)
        }
    }

    /// Parks `index` until `blocking` finishes executing. Returns `false` when `blocking`
    /// already finished meanwhile, in which case the caller executes `index` again at once.
    pub(crate) fn add_dependency(&self, index: usize, blocking: usize) -> bool {
        {
            let mut dependents = self.dependents[blocking].lock();
            if self.states[blocking].lock().status == Status::Executed {
                return false;
            }
            let mut state = self.states[index].lock();
            debug_assert_eq!(state.status, Status::Executing);
            state.status = Status::Aborting;
            dependents.push(index);
        }
        self.active_tasks.fetch_sub(1, Ordering::AcqRel);
        true
    }

    /// Records that `version` executed; returns the validation of it when it can run at
    /// once.
    pub(crate) fn finish_execution(&self, version: Version, wrote_new_key: bool) -> Option<Task> {
        {
            let mut state = self.states[version.index].lock();
            debug_assert_eq!(state.status, Status::Executing);
            state.status = Status::Executed;
        }
        let dependents = std::mem::take(&mut *self.dependents[version.index].lock());
        self.resume(dependents);
        if self.validation_idx.load(Ordering::Acquire) > version.index {
            if wrote_new_key {
                self.decrease_validation_idx(version.index);
            } else {
                return Some(Task::Validate(version));
            }
        }
        self.active_tasks.fetch_sub(1, Ordering::AcqRel);
        None
    }

    /// Aborts `version` after a failed validation, unless another validation already did.
    pub(crate) fn try_validation_abort(&self, version: Version) -> bool {
        let mut state = self.states[version.index].lock();
        if state.incarnation == version.incarnation && state.status == Status::Executed {
            state.status = Status::Aborting;
            return true;
        }
        false
    }

    /// Records a finished validation; after an abort, returns the re-execution when it can
    /// run at once.
    pub(crate) fn finish_validation(&self, index: usize, aborted: bool) -> Option<Task> {
        if aborted {
            self.set_ready(index);
            self.decrease_validation_idx(index + 1);
            if self.execution_idx.load(Ordering::Acquire) > index {
                if let Some(version) = self.try_incarnate(index) {
                    return Some(Task::Execute(version));
                }
            }
        }
        self.active_tasks.fetch_sub(1, Ordering::AcqRel);
        None
    }

    fn next_version_to_execute(&self) -> Option<Version> {
        if self.execution_idx.load(Ordering::Acquire) >= self.len {
            self.check_done();
            return None;
        }
        self.active_tasks.fetch_add(1, Ordering::AcqRel);
        let index = self.execution_idx.fetch_add(1, Ordering::AcqRel);
        let version = self.try_incarnate(index);
        if version.is_none() {
            self.active_tasks.fetch_sub(1, Ordering::AcqRel);
        }
        version
    }

    fn next_version_to_validate(&self) -> Option<Version> {
        if self.validation_idx.load(Ordering::Acquire) >= self.len {
            self.check_done();
            return None;
        }
        self.active_tasks.fetch_add(1, Ordering::AcqRel);
        let index = self.validation_idx.fetch_add(1, Ordering::AcqRel);
        if index < self.len {
            let state = self.states[index].lock();
            if state.status == Status::Executed {
                return Some(Version {
                    index,
                    incarnation: state.incarnation,
                });
            }
        }
        self.active_tasks.fetch_sub(1, Ordering::AcqRel);
        None
    }

    /// Claims `index` for execution if it is ready.
    fn try_incarnate(&self, index: usize) -> Option<Version> {
        if index >= self.len {
            return None;
        }
        let mut state = self.states[index].lock();
        if state.status != Status::ReadyToExecute {
            return None;
        }
        state.status = Status::Executing;
        Some(Version {
            index,
            incarnation: state.incarnation,
        })
    }

    fn set_ready(&self, index: usize) {
        let mut state = self.states[index].lock();
        debug_assert_eq!(state.status, Status::Aborting);
        state.incarnation += 1;
        state.status = Status::ReadyToExecute;
    }

    fn resume(&self, dependents: Vec<usize>) {
        let Some(lowest) = dependents.iter().min().copied() else {
            return;
        };
        for index in dependents {
            self.set_ready(index);
        }
        self.decrease_execution_idx(lowest);
    }

    fn decrease_execution_idx(&self, target: usize) {
        self.execution_idx.fetch_min(target, Ordering::AcqRel);
        self.decrease_cnt.fetch_add(1, Ordering::AcqRel);
    }

    fn decrease_validation_idx(&self, target: usize) {
        self.validation_idx.fetch_min(target, Ordering::AcqRel);
        self.decrease_cnt.fetch_add(1, Ordering::AcqRel);
    }

    fn check_done(&self) {
        let observed = self.decrease_cnt.load(Ordering::Acquire);
        let execution = self.execution_idx.load(Ordering::Acquire);
        let validation = self.validation_idx.load(Ordering::Acquire);
        if execution.min(validation) >= self.len
            && self.active_tasks.load(Ordering::Acquire) == 0
            && observed == self.decrease_cnt.load(Ordering::Acquire)
        {
            self.done.store(true, Ordering::Release);
        }
    }
}
