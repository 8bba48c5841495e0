//! Blocks a validator has executed but that are not final yet. They never reach the store
//! before finality; what finalization writes is kept here, and a proposal built on one of
//! them executes on the stored head's state with their changes layered on top.

use std::{collections::HashMap, sync::Arc};

use alloy_primitives::B256;
use supervm_primitives::{ExecutedBlock, RateEntry, StateChanges};

/// One executed, unfinalized block: what its finalization commits.
#[derive(Debug)]
pub struct PendingBlock {
    /// The sealed block and its receipts.
    pub executed: Arc<ExecutedBlock>,
    /// Its state changes.
    pub changes: Arc<StateChanges>,
    /// The rate snapshot it priced fees at.
    pub rates: Vec<RateEntry>,
}

impl PendingBlock {
    /// The block's hash.
    pub fn hash(&self) -> B256 {
        self.executed.block.hash
    }

    /// The block's number.
    pub fn number(&self) -> u64 {
        self.executed.block.number()
    }

    /// Its parent's hash.
    pub fn parent_hash(&self) -> B256 {
        self.executed.block.header.parent_hash
    }
}

/// Executed, unfinalized blocks by hash; forks included until finality prunes them.
#[derive(Debug, Default)]
pub struct PendingTree {
    blocks: HashMap<B256, Arc<PendingBlock>>,
}

impl PendingTree {
    /// Keeps `block` (replacing nothing: a hash names one block).
    pub fn insert(&mut self, block: Arc<PendingBlock>) {
        self.blocks.entry(block.hash()).or_insert(block);
    }

    /// The block with `hash`, if executed and not pruned.
    pub fn get(&self, hash: &B256) -> Option<Arc<PendingBlock>> {
        self.blocks.get(hash).cloned()
    }

    /// The pending blocks from the child of the stored head `head_hash` up to `tip`, oldest
    /// first: empty when `tip` is the stored head itself, `None` when `tip` does not descend
    /// from it through executed blocks.
    pub fn branch(&self, tip: B256, head_hash: B256) -> Option<Vec<Arc<PendingBlock>>> {
        let mut branch = Vec::new();
        let mut cursor = tip;
        while cursor != head_hash {
            let block = self.blocks.get(&cursor)?;
            cursor = block.parent_hash();
            branch.push(block.clone());
        }
        branch.reverse();
        Some(branch)
    }

    /// Forgets every block at or below `number`: the finalized ones and the forks finality
    /// ruled out.
    pub fn prune(&mut self, number: u64) {
        self.blocks.retain(|_, block| block.number() > number);
    }

    /// How many blocks are held.
    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use alloy_consensus::Header;
    use supervm_primitives::SealedBlock;

    use super::*;

    fn block(number: u64, parent_hash: B256) -> Arc<PendingBlock> {
        let header = Header {
            number,
            parent_hash,
            ..Header::default()
        };
        Arc::new(PendingBlock {
            executed: Arc::new(ExecutedBlock {
                block: SealedBlock::new(header, Vec::new()),
                receipts: Vec::new(),
            }),
            changes: Arc::default(),
            rates: Vec::new(),
        })
    }

    #[test]
    fn a_branch_runs_from_the_head_to_the_tip_and_forks_are_pruned() {
        let head = B256::repeat_byte(9);
        let mut tree = PendingTree::default();
        let one = block(1, head);
        let two = block(2, one.hash());
        let fork = block(2, B256::repeat_byte(7));
        for b in [&one, &two, &fork] {
            tree.insert(b.clone());
        }
        let branch = tree
            .branch(two.hash(), head)
            .expect("descends from the head");
        assert_eq!(
            branch.iter().map(|b| b.number()).collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert_eq!(tree.branch(head, head).map(|b| b.len()), Some(0));
        assert!(tree.branch(fork.hash(), head).is_none(), "unknown ancestor");
        tree.prune(1);
        assert_eq!(tree.len(), 2);
        assert!(tree.get(&one.hash()).is_none());
    }
}
