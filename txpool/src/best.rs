//! The order in which the block builder takes pending transactions.

use std::{
    cmp::{Ordering, Reverse},
    collections::{BinaryHeap, VecDeque},
    sync::Arc,
};

use crate::PooledTx;

/// Pending transactions, highest effective tip first, each sender's in nonce order.
///
/// Only the next transaction of each sender competes; when it is taken, the sender's
/// following one enters. If the builder finds a transaction invalid it calls
/// [`BestTransactions::mark_invalid`] and the rest of that sender's chain is skipped, since
/// later nonces cannot execute without it.
pub struct BestTransactions {
    base_fee: u64,
    heap: BinaryHeap<Candidate>,
}

struct Candidate {
    tip: u128,
    submission: Reverse<u64>,
    queue: VecDeque<Arc<PooledTx>>,
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Candidate {}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.tip, self.submission).cmp(&(other.tip, other.submission))
    }
}

impl BestTransactions {
    pub(crate) fn new(base_fee: u64, per_sender: impl Iterator<Item = Vec<Arc<PooledTx>>>) -> Self {
        let mut best = Self {
            base_fee,
            heap: BinaryHeap::new(),
        };
        for txs in per_sender {
            best.push(txs.into());
        }
        best
    }

    fn push(&mut self, queue: VecDeque<Arc<PooledTx>>) {
        let Some(first) = queue.front() else {
            return;
        };
        if first.fees.max_fee_per_gas < u128::from(self.base_fee) {
            return;
        }
        let tip = first
            .fees
            .native_tip_per_gas(self.base_fee, supervm_gas::Payment::Native);
        let submission = Reverse(first.submission_id);
        self.heap.push(Candidate {
            tip,
            submission,
            queue,
        });
    }

    /// Skips the remaining transactions of the sender of the last returned transaction.
    pub fn mark_invalid(&mut self, tx: &PooledTx) {
        let sender = tx.tx.sender;
        let kept: Vec<Candidate> = self
            .heap
            .drain()
            .filter(|c| c.queue.front().is_none_or(|t| t.tx.sender != sender))
            .collect();
        self.heap.extend(kept);
    }
}

impl Iterator for BestTransactions {
    type Item = Arc<PooledTx>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut candidate = self.heap.pop()?;
        let tx = candidate.queue.pop_front()?;
        self.push(candidate.queue);
        Some(tx)
    }
}
