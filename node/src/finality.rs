//! Blocks decided by a BFT engine: a proposer builds on any executed parent, every validator
//! re-executes a proposal before voting for it, and only finalized blocks reach the store —
//! in order, exactly once.
//!
//! The three operations are serialized by the pending-tree lock: each reads the stored head
//! and may open the store's single writer, so a finalization never runs between another's
//! read of the head and its use of the writer.

use std::{sync::Arc, time::Instant};

use alloy_consensus::Header;
use alloy_primitives::B256;
use supervm_consensus::bft::{BlockExecution, ExecutionError};
use supervm_primitives::{
    transactions_root, ExecutedBlock, RecoveredTx, SealedBlock, StateChanges,
};
use supervm_storage::Reader;
use supervm_vm::{LayeredState, StoreState};

use crate::{
    block_exec::{execute_transactions, seal_block},
    chain::{first_failures, included, rate_entries},
    pending::{PendingBlock, PendingTree},
    Chain, ChainError,
};

/// Why a proposal is not a valid block. Deterministic: every honest validator reaches the
/// same verdict on the same parent.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum BlockRejected {
    /// The transactions are not the ones the header commits to (a forged body).
    #[error("the transactions do not match the header: their root is {computed}, the header's {claimed}")]
    Body {
        /// The header's transactions root.
        claimed: B256,
        /// The root of the transactions delivered with it.
        computed: B256,
    },
    /// The number is not the parent's plus one.
    #[error("block number {got} does not follow its parent {parent}")]
    Number {
        /// The parent's number.
        parent: u64,
        /// The block's.
        got: u64,
    },
    /// The timestamp does not move past the parent's.
    #[error("timestamp {got} is not after the parent's {parent}")]
    Timestamp {
        /// The parent's timestamp.
        parent: u64,
        /// The block's.
        got: u64,
    },
    /// A transaction cannot be in any block on this parent (a fee token without a price in
    /// the parent's rate snapshot, a bad nonce, too little balance, …).
    #[error("transaction {index} ({hash}) is invalid: {reason}")]
    Transaction {
        /// Its position in the block.
        index: usize,
        /// Its hash.
        hash: B256,
        /// Why.
        reason: String,
    },
    /// Re-executing the block gives another header.
    #[error("header field {field} is {claimed} but execution gives {computed}")]
    Header {
        /// The first field that differs.
        field: &'static str,
        /// The proposer's value.
        claimed: String,
        /// This node's.
        computed: String,
    },
    /// Another block is already final at this height.
    #[error("block {number} conflicts with the finalized block {finalized}")]
    ConflictsWithFinalized {
        /// The height.
        number: u64,
        /// The finalized block there.
        finalized: B256,
    },
}

/// Why a block could not be built, validated or finalized.
#[derive(Debug, thiserror::Error)]
pub enum FinalityError {
    /// The block is invalid.
    #[error(transparent)]
    Rejected(#[from] BlockRejected),
    /// Its parent is neither the stored head nor an executed descendant of it: the parent
    /// has to be executed first (or the block is on a fork finality ruled out).
    #[error("parent {0} is not an executed block on the finalized chain")]
    UnknownParent(B256),
    /// Finalization was asked out of order: the block does not extend the stored head.
    #[error("block {number} does not extend the finalized head {head}")]
    NotNext {
        /// The block's number.
        number: u64,
        /// The stored head's.
        head: u64,
    },
    /// The store or state failed.
    #[error(transparent)]
    Chain(#[from] ChainError),
}

impl From<supervm_storage::StorageError> for FinalityError {
    fn from(err: supervm_storage::StorageError) -> Self {
        Self::Chain(err.into())
    }
}

impl From<supervm_vm::StateError> for FinalityError {
    fn from(err: supervm_vm::StateError) -> Self {
        Self::Chain(err.into())
    }
}

/// What finalizing a block did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finalized {
    /// The block is the new stored head.
    Committed,
    /// It was already stored (a redelivery after a restart).
    AlreadyFinal,
}

/// A block's parent: its header, and the executed blocks between the stored head and it.
struct Parent {
    header: Header,
    hash: B256,
    head: u64,
    branch: Vec<Arc<PendingBlock>>,
}

impl Parent {
    fn find(reader: &Reader, tree: &PendingTree, hash: B256) -> Result<Self, FinalityError> {
        let head = reader.head_number();
        let head_hash = reader
            .block_hash(head)?
            .ok_or(ChainError::MissingHead(head))?;
        let branch = tree
            .branch(hash, head_hash)
            .ok_or(FinalityError::UnknownParent(hash))?;
        let header = match branch.last() {
            Some(block) => block.executed.block.header.clone(),
            None => reader.header(head)?.ok_or(ChainError::MissingHead(head))?,
        };
        Ok(Self {
            header,
            hash,
            head,
            branch,
        })
    }

    /// The state after the parent.
    fn state<'r>(&self, reader: &'r Reader) -> LayeredState<StoreState<'r>> {
        LayeredState::new(
            StoreState::new(reader, self.head),
            self.branch.iter().map(|b| b.changes.clone()).collect(),
        )
    }
}

impl Chain {
    /// Builds the proposer's block on `parent` (the stored head or an executed, unfinalized
    /// block) at `timestamp`, from its own pool under its own miner policy, and keeps it as
    /// executed. Transactions already in the parent's unfinalized ancestors are left out.
    pub fn build_on(
        &self,
        parent: B256,
        timestamp: u64,
    ) -> Result<Arc<PendingBlock>, FinalityError> {
        let started = Instant::now();
        let mut tree = self.pending.lock();
        let reader = self.store.reader()?;
        let parent = Parent::find(&reader, &tree, parent)?;
        let state = parent.state(&reader);
        let exclude = parent
            .branch
            .iter()
            .flat_map(|b| b.executed.block.transactions.iter().map(RecoveredTx::hash))
            .collect();
        let env = self.env_on(&parent.header, &state, timestamp, self.beneficiary)?;
        let max_txs = self.proposal_size.max_txs();
        let executing = Instant::now();
        let (candidates, mut executed) = self.pick_and_execute(&env, &state, &exclude, max_txs)?;
        self.proposal_size
            .observe(executed.receipts.len(), executing.elapsed());
        let invalid = first_failures(&candidates, std::mem::take(&mut executed.invalid));
        // Invalid on the finalized head means invalid for good; on an unfinalized parent the
        // verdict may not hold on another fork, so those transactions stay.
        if parent.branch.is_empty() {
            self.pool.reject(invalid);
        }
        let transactions = included(&candidates, &executed);
        drop(state);
        drop(reader);
        let root = self.root_after(&parent.branch, env.number, &executed.changes)?;
        let block = seal_block(&env, parent.hash, root, transactions, &executed.receipts);
        let pending = Arc::new(PendingBlock {
            executed: Arc::new(ExecutedBlock {
                block,
                receipts: executed.receipts,
            }),
            changes: Arc::new(executed.changes),
            rates: rate_entries(&env),
        });
        tree.insert(pending.clone());
        self.metrics.record_build(started.elapsed());
        Ok(pending)
    }

    /// Checks a proposal by executing it on its parent and sealing the result: the header
    /// must come out identical (state root, receipts, gas, base fee, timestamp, everything),
    /// and every transaction must be valid — including a fee paid in a token that has no
    /// price in the parent's rate snapshot. A valid block is kept as executed, ready to be
    /// built on or finalized; a block that is already final is valid. The node's own miner
    /// policy plays no part.
    pub fn validate(&self, block: &SealedBlock) -> Result<(), FinalityError> {
        let mut tree = self.pending.lock();
        self.validate_locked(&mut tree, block).map(|_| ())
    }

    /// [`Chain::validate`]; returns the executed block, or `None` when it is already final.
    fn validate_locked(
        &self,
        tree: &mut PendingTree,
        block: &SealedBlock,
    ) -> Result<Option<Arc<PendingBlock>>, FinalityError> {
        let body_root = transactions_root(&block.transactions);
        if body_root != block.header.transactions_root {
            return Err(BlockRejected::Body {
                claimed: block.header.transactions_root,
                computed: body_root,
            }
            .into());
        }
        if let Some(known) = tree.get(&block.hash) {
            return Ok(Some(known));
        }
        let reader = self.store.reader()?;
        if block.number() <= reader.head_number() {
            let finalized = reader
                .block_hash(block.number())?
                .ok_or(ChainError::MissingHead(block.number()))?;
            if finalized == block.hash {
                return Ok(None);
            }
            return Err(BlockRejected::ConflictsWithFinalized {
                number: block.number(),
                finalized,
            }
            .into());
        }
        let parent = Parent::find(&reader, tree, block.header.parent_hash)?;
        if block.number() != parent.header.number + 1 {
            return Err(BlockRejected::Number {
                parent: parent.header.number,
                got: block.number(),
            }
            .into());
        }
        if block.header.timestamp <= parent.header.timestamp {
            return Err(BlockRejected::Timestamp {
                parent: parent.header.timestamp,
                got: block.header.timestamp,
            }
            .into());
        }
        let started = Instant::now();
        let state = parent.state(&reader);
        let env = self.env_on(
            &parent.header,
            &state,
            block.header.timestamp,
            block.header.beneficiary,
        )?;
        let txs: Vec<&RecoveredTx> = block.transactions.iter().collect();
        let executing = Instant::now();
        let executed = execute_transactions(&self.executor, &env, &txs, &state)?;
        self.proposal_size.observe(txs.len(), executing.elapsed());
        if let Some((index, reason)) = executed.invalid.into_iter().next() {
            return Err(BlockRejected::Transaction {
                index,
                hash: block.transactions[index].hash(),
                reason: reason.to_string(),
            }
            .into());
        }
        drop(state);
        drop(reader);
        let root = self.root_after(&parent.branch, env.number, &executed.changes)?;
        let ours = seal_block(
            &env,
            parent.hash,
            root,
            block.transactions.clone(),
            &executed.receipts,
        );
        if ours.hash != block.hash {
            return Err(first_difference(&block.header, &ours.header).into());
        }
        let pending = Arc::new(PendingBlock {
            executed: Arc::new(ExecutedBlock {
                block: ours,
                receipts: executed.receipts,
            }),
            changes: Arc::new(executed.changes),
            rates: rate_entries(&env),
        });
        tree.insert(pending.clone());
        self.metrics.record_verify(started.elapsed());
        Ok(Some(pending))
    }

    /// Commits a finalized block as the new stored head — executing it first if this node
    /// never saw it (a block fetched while catching up) — then announces it like any
    /// committed block. Finalizations must come in height order; one already stored is
    /// acknowledged again without effect, a different one at a stored height is an error.
    pub fn finalize(&self, block: &SealedBlock) -> Result<Finalized, FinalityError> {
        let started = Instant::now();
        let mut tree = self.pending.lock();
        let reader = self.store.reader()?;
        let head = reader.head_number();
        if block.number() <= head {
            let finalized = reader
                .block_hash(block.number())?
                .ok_or(ChainError::MissingHead(block.number()))?;
            if finalized == block.hash {
                return Ok(Finalized::AlreadyFinal);
            }
            return Err(BlockRejected::ConflictsWithFinalized {
                number: block.number(),
                finalized,
            }
            .into());
        }
        if block.number() != head + 1 {
            return Err(FinalityError::NotNext {
                number: block.number(),
                head,
            });
        }
        drop(reader);
        let pending = self
            .validate_locked(&mut tree, block)?
            .ok_or(FinalityError::NotNext {
                number: block.number(),
                head,
            })?;
        let mut writer = self.store.begin_block()?;
        writer.apply_state(block.number(), &pending.changes)?;
        let root = writer.state_root()?;
        if root != block.header.state_root {
            return Err(BlockRejected::Header {
                field: "state_root",
                claimed: block.header.state_root.to_string(),
                computed: root.to_string(),
            }
            .into());
        }
        writer.insert_block(&pending.executed.block, &pending.executed.receipts)?;
        writer.insert_rate_snapshot(block.number(), &pending.rates)?;
        writer.commit()?;
        tree.prune(block.number());
        drop(tree);
        self.announce(pending.executed.clone(), Vec::new(), started)?;
        Ok(Finalized::Committed)
    }

    /// The state root after `branch` and then `changes` (block `number`), computed in a
    /// write transaction that is dropped, not committed: nothing reaches the store.
    fn root_after(
        &self,
        branch: &[Arc<PendingBlock>],
        number: u64,
        changes: &StateChanges,
    ) -> Result<B256, FinalityError> {
        let mut writer = self.store.begin_block()?;
        for block in branch {
            writer.apply_state(block.number(), &block.changes)?;
        }
        writer.apply_state(number, changes)?;
        Ok(writer.state_root()?)
    }
}

/// The first header field where `claimed` and `computed` differ.
fn first_difference(claimed: &Header, computed: &Header) -> BlockRejected {
    let fields: [(&'static str, String, String); 16] = [
        (
            "parent_hash",
            claimed.parent_hash.to_string(),
            computed.parent_hash.to_string(),
        ),
        (
            "state_root",
            claimed.state_root.to_string(),
            computed.state_root.to_string(),
        ),
        (
            "transactions_root",
            claimed.transactions_root.to_string(),
            computed.transactions_root.to_string(),
        ),
        (
            "receipts_root",
            claimed.receipts_root.to_string(),
            computed.receipts_root.to_string(),
        ),
        (
            "logs_bloom",
            claimed.logs_bloom.to_string(),
            computed.logs_bloom.to_string(),
        ),
        (
            "gas_used",
            claimed.gas_used.to_string(),
            computed.gas_used.to_string(),
        ),
        (
            "gas_limit",
            claimed.gas_limit.to_string(),
            computed.gas_limit.to_string(),
        ),
        (
            "base_fee_per_gas",
            format!("{:?}", claimed.base_fee_per_gas),
            format!("{:?}", computed.base_fee_per_gas),
        ),
        (
            "number",
            claimed.number.to_string(),
            computed.number.to_string(),
        ),
        (
            "timestamp",
            claimed.timestamp.to_string(),
            computed.timestamp.to_string(),
        ),
        (
            "beneficiary",
            claimed.beneficiary.to_string(),
            computed.beneficiary.to_string(),
        ),
        (
            "ommers_hash",
            claimed.ommers_hash.to_string(),
            computed.ommers_hash.to_string(),
        ),
        (
            "extra_data",
            claimed.extra_data.to_string(),
            computed.extra_data.to_string(),
        ),
        (
            "mix_hash",
            claimed.mix_hash.to_string(),
            computed.mix_hash.to_string(),
        ),
        (
            "nonce",
            claimed.nonce.to_string(),
            computed.nonce.to_string(),
        ),
        (
            "difficulty",
            claimed.difficulty.to_string(),
            computed.difficulty.to_string(),
        ),
    ];
    fields.into_iter().find(|(_, a, b)| a != b).map_or_else(
        || BlockRejected::Header {
            field: "header",
            claimed: format!("{claimed:?}"),
            computed: format!("{computed:?}"),
        },
        |(field, claimed, computed)| BlockRejected::Header {
            field,
            claimed,
            computed,
        },
    )
}

impl From<FinalityError> for ExecutionError {
    fn from(err: FinalityError) -> Self {
        match err {
            FinalityError::Rejected(reason) => Self::Invalid(reason.to_string()),
            FinalityError::UnknownParent(parent) => Self::UnknownParent(parent),
            other @ (FinalityError::NotNext { .. } | FinalityError::Chain(_)) => {
                Self::Fatal(other.to_string())
            }
        }
    }
}

impl BlockExecution for Chain {
    fn build_on(&self, parent: B256, timestamp: u64) -> Result<SealedBlock, ExecutionError> {
        Ok(Chain::build_on(self, parent, timestamp)?
            .executed
            .block
            .clone())
    }

    fn validate(&self, block: &SealedBlock) -> Result<(), ExecutionError> {
        Ok(Chain::validate(self, block)?)
    }

    fn finalize(&self, block: &SealedBlock) -> Result<(), ExecutionError> {
        Chain::finalize(self, block)?;
        Ok(())
    }

    fn genesis(&self) -> SealedBlock {
        self.genesis.clone()
    }
}
