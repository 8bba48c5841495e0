//! The incremental root: rebuild only the branches on the paths of changed keys.
//!
//! The stored branches are exactly the branch nodes with at least one branch child of the trie
//! over the leaves as they were when the nodes were last brought up to date (the *node
//! invariant*; a branch of leaves only is rebuilt from its few leaves instead). Every ancestor
//! of a stored branch is stored, so the walk reaches them all from the top. [`root`] is given the
//! keys that changed since then — with their new values and whether they were leaves then —
//! walks down from the root only into subtries that contain a changed key, reuses every other
//! child's reference from its parent's record, and writes back (or deletes) the branches it
//! rebuilt, which restores the invariant for the new leaves.
//!
//! A changed key reached through a branch whose slot was empty or held a single leaf needs no
//! read at all when that leaf is itself among the changes: the new subtrie is made of the
//! changed values alone. A new key landing beside an untouched leaf reads that leaf; a change
//! under a branch of leaves only reads those few leaves (one range read).
//!
//! Where no branch is stored under a path, the leaves under it are read and the subtrie is
//! built from them ([`fresh`]). That covers stores with leaves but no nodes at all (written
//! before nodes were kept): their first root reads every leaf once and stores the nodes, after
//! which roots are incremental.

use std::ops::Bound;

use alloy_primitives::{keccak256, B256};
use alloy_trie::{
    nodes::{ExtensionNodeRef, LeafNodeRef, RlpNode},
    Nibbles, TrieMask, EMPTY_ROOT_HASH,
};

use super::branch::StoredBranch;
use crate::StorageError;

/// Subtries with at most this many leaves are built in memory in one go; larger ones (only
/// met when nodes are missing) are split by nibble so memory stays bounded.
const IN_MEMORY_LEAVES: usize = 4096;

/// The branch nodes and leaves of one trie (the account trie, or one account's storage trie).
pub(crate) trait TrieTables {
    /// The shallowest stored branch whose path starts with `prefix`, if any.
    fn first_branch_under(
        &mut self,
        prefix: &Nibbles,
    ) -> Result<Option<(Nibbles, StoredBranch)>, StorageError>;

    /// Stores (or replaces) the branch at `path`.
    fn put_branch(&mut self, path: &Nibbles, branch: &StoredBranch) -> Result<(), StorageError>;

    /// Deletes the branch at `path`.
    fn remove_branch(&mut self, path: &Nibbles) -> Result<(), StorageError>;

    /// Up to `limit` leaves (key, trie value) with keys in `range`, in key order.
    fn leaves(
        &mut self,
        range: (Bound<B256>, Bound<B256>),
        limit: usize,
    ) -> Result<Vec<(B256, Vec<u8>)>, StorageError>;
}

/// A key changed since the stored branches were last brought up to date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ChangedLeaf {
    /// The (hashed) key.
    pub(crate) key: B256,
    /// Its trie value now; `None` if it is no longer a leaf.
    pub(crate) value: Option<Vec<u8>>,
    /// Whether it was a leaf of the trie the stored branches describe.
    pub(crate) existed: bool,
}

/// The root of the trie after the leaves `changed` (sorted by key, no duplicates) changed;
/// updates the stored branches to match. With nothing changed it reads the root branch only.
pub(crate) fn root(
    tables: &mut impl TrieTables,
    changed: &[ChangedLeaf],
) -> Result<B256, StorageError> {
    debug_assert!(changed.is_sorted_by(|a, b| a.key < b.key));
    let top = Nibbles::default();
    let trie = if changed.is_empty() {
        unchanged(tables, &top)?
    } else {
        update(tables, &top, changed)?
    };
    Ok(match trie {
        None => EMPTY_ROOT_HASH,
        Some(trie) => {
            let node = trie.reference(0);
            node.as_hash().unwrap_or_else(|| keccak256(&node))
        }
    })
}

/// What a non-empty subtrie (every leaf under some prefix) looks like from above.
#[derive(Clone, Debug)]
enum Subtrie {
    /// A single leaf.
    Leaf { key: Nibbles, value: Vec<u8> },
    /// Every leaf is under the branch at `path`, whose reference is `node`; `stored` if the
    /// branch is in the table (it has a branch child).
    Branch {
        path: Nibbles,
        node: RlpNode,
        stored: bool,
    },
}

impl Subtrie {
    /// The key of the leaf, or the path of the branch: where the subtrie sorts.
    fn key(&self) -> &Nibbles {
        match self {
            Self::Leaf { key, .. } | Self::Branch { path: key, .. } => key,
        }
    }

    /// The reference of the node that starts at nibble `depth`: the leaf with the rest of its
    /// key, the branch itself, or an extension leading to the branch.
    fn reference(&self, depth: usize) -> RlpNode {
        let mut buf = Vec::with_capacity(128);
        match self {
            Self::Leaf { key, value } => LeafNodeRef::new(&key.slice(depth..), value).rlp(&mut buf),
            Self::Branch { path, node, .. } if path.len() == depth => node.clone(),
            Self::Branch { path, node, .. } => {
                ExtensionNodeRef::new(&path.slice(depth..), node).rlp(&mut buf)
            }
        }
    }
}

/// One of the 16 slots of a branch being rebuilt.
enum Child {
    Absent,
    /// Unchanged since the branch was stored: its reference and kind are reused.
    Kept {
        node: RlpNode,
        leaf: bool,
        tree: bool,
    },
    /// Rebuilt (or new).
    New(Subtrie),
}

impl From<Option<Subtrie>> for Child {
    fn from(trie: Option<Subtrie>) -> Self {
        trie.map_or(Self::Absent, Self::New)
    }
}

/// The nibble of `key` at `depth`.
fn nibble(key: &B256, depth: usize) -> u8 {
    let byte = key[depth / 2];
    if depth.is_multiple_of(2) {
        byte >> 4
    } else {
        byte & 0x0f
    }
}

/// The smallest and the largest key starting with `prefix`.
fn key_bounds(prefix: &Nibbles) -> (B256, B256) {
    let (mut low, mut high) = (B256::ZERO, B256::repeat_byte(0xff));
    for (i, nibble) in prefix.iter().enumerate() {
        if i.is_multiple_of(2) {
            low[i / 2] = nibble << 4;
            high[i / 2] = (nibble << 4) | 0x0f;
        } else {
            low[i / 2] |= nibble;
            high[i / 2] = (high[i / 2] & 0xf0) | nibble;
        }
    }
    (low, high)
}

/// The leaves among `changed` that exist now, as subtries.
fn present(changed: &[ChangedLeaf]) -> impl Iterator<Item = Subtrie> + '_ {
    changed.iter().filter_map(|change| {
        let value = change.value.clone()?;
        Some(Subtrie::Leaf {
            key: Nibbles::unpack(change.key),
            value,
        })
    })
}

/// The subtrie under `prefix` after the keys `changed` (non-empty, all under `prefix`)
/// changed, with its stored branches brought up to date.
fn update(
    tables: &mut impl TrieTables,
    prefix: &Nibbles,
    changed: &[ChangedLeaf],
) -> Result<Option<Subtrie>, StorageError> {
    let Some((path, branch)) = tables.first_branch_under(prefix)? else {
        // No stored branch here: the old leaves were one leaf or one branch of leaves only
        // (or the store has no nodes at all). Build from the leaves there are now.
        return fresh(tables, prefix);
    };
    if path == *prefix {
        return update_branch(tables, &path, branch, changed);
    }
    // Every old leaf under `prefix` was under the branch at `path` (an extension led to it), so
    // the changed keys beside it are all the leaves there are beside it.
    let (low, high) = key_bounds(&path);
    let start = changed.partition_point(|change| change.key < low);
    let end = changed.partition_point(|change| change.key <= high);
    let below = if start == end {
        Some(Subtrie::Branch {
            node: branch.reference(),
            path,
            stored: true,
        })
    } else {
        update_branch(tables, &path, branch, &changed[start..end])?
    };
    if start == 0 && end == changed.len() {
        return Ok(below);
    }
    let items: Vec<Subtrie> = present(&changed[..start])
        .chain(below)
        .chain(present(&changed[end..]))
        .collect();
    build(tables, prefix, &items)
}

/// The stored branch at `path` after the keys `changed` (non-empty, all under `path`) changed.
fn update_branch(
    tables: &mut impl TrieTables,
    path: &Nibbles,
    branch: StoredBranch,
    changed: &[ChangedLeaf],
) -> Result<Option<Subtrie>, StorageError> {
    let depth = path.len();
    let mut children = Vec::with_capacity(16);
    let mut rest = changed;
    for nibble_value in 0..16u8 {
        let split = rest.partition_point(|change| nibble(&change.key, depth) <= nibble_value);
        let (here, later) = rest.split_at(split);
        rest = later;
        let leaf = branch.leaf_mask.is_bit_set(nibble_value);
        let tree = branch.tree_mask.is_bit_set(nibble_value);
        let old = branch.child(nibble_value);
        let mut child = *path;
        child.push(nibble_value);
        children.push(match old {
            Some(node) if here.is_empty() => Child::Kept {
                node: node.clone(),
                leaf,
                tree,
            },
            None if here.is_empty() => Child::Absent,
            // The slot was empty, or its one leaf is among the changes: the changes are all
            // the leaves there are under it.
            None => build(tables, &child, &present(here).collect::<Vec<_>>())?.into(),
            Some(_) if leaf && here.iter().any(|change| change.existed) => {
                build(tables, &child, &present(here).collect::<Vec<_>>())?.into()
            }
            // Stored branches below: update them.
            Some(_) if tree => update(tables, &child, here)?.into(),
            // A leaf, or a branch of leaves only: read its leaves with the changes.
            Some(_) => fresh(tables, &child)?.into(),
        });
    }
    finish_branch(tables, path, children, Some(&branch))
}

/// The subtrie under `prefix`, which did not change (its parent branch went away, or nothing
/// changed at all).
fn unchanged(
    tables: &mut impl TrieTables,
    prefix: &Nibbles,
) -> Result<Option<Subtrie>, StorageError> {
    match tables.first_branch_under(prefix)? {
        Some((path, branch)) => Ok(Some(Subtrie::Branch {
            node: branch.reference(),
            path,
            stored: true,
        })),
        None => fresh(tables, prefix),
    }
}

/// The subtrie under `prefix`, where no branch is stored, built from its leaves; stores the
/// branches it builds.
fn fresh(tables: &mut impl TrieTables, prefix: &Nibbles) -> Result<Option<Subtrie>, StorageError> {
    let (low, high) = key_bounds(prefix);
    let leaves = tables.leaves(
        (Bound::Included(low), Bound::Included(high)),
        IN_MEMORY_LEAVES + 1,
    )?;
    if leaves.len() <= IN_MEMORY_LEAVES {
        let items: Vec<Subtrie> = leaves
            .into_iter()
            .map(|(key, value)| Subtrie::Leaf {
                key: Nibbles::unpack(key),
                value,
            })
            .collect();
        return build(tables, prefix, &items);
    }
    drop(leaves);
    let mut children = Vec::with_capacity(16);
    for nibble_value in 0..16u8 {
        let mut child = *prefix;
        child.push(nibble_value);
        children.push(fresh(tables, &child)?.into());
    }
    finish_branch(tables, prefix, children, None)
}

/// The subtrie made of `items` (sorted, none under another, all under `prefix`); stores the
/// branches that join them. None of those branches was stored before.
fn build(
    tables: &mut impl TrieTables,
    prefix: &Nibbles,
    items: &[Subtrie],
) -> Result<Option<Subtrie>, StorageError> {
    let (first, last) = match items {
        [] => return Ok(None),
        [one] => return Ok(Some(one.clone())),
        [first, .., last] => (first.key(), last.key()),
    };
    // Sorted, so what the first and last share, all share; they part at the next nibble.
    let depth = first.common_prefix_length(last);
    debug_assert!(depth >= prefix.len());
    let path = first.slice(..depth);
    let mut children = Vec::with_capacity(16);
    let mut rest = items;
    for nibble_value in 0..16u8 {
        let split = rest.partition_point(|item| item.key().get_unchecked(depth) <= nibble_value);
        let (here, later) = rest.split_at(split);
        rest = later;
        let mut child = path;
        child.push(nibble_value);
        children.push(build(tables, &child, here)?.into());
    }
    finish_branch(tables, &path, children, None)
}

/// Joins the 16 slots of the branch position `path`: with two or more children it is a branch
/// (stored if it has a branch child, and written if it differs from `old`); with one, the child
/// takes the parent's place (and is extended or re-keyed by whatever is above); with none, the
/// subtrie is gone.
fn finish_branch(
    tables: &mut impl TrieTables,
    path: &Nibbles,
    children: Vec<Child>,
    old: Option<&StoredBranch>,
) -> Result<Option<Subtrie>, StorageError> {
    let present = children
        .iter()
        .filter(|child| !matches!(child, Child::Absent))
        .count();
    if present < 2 {
        if old.is_some() {
            tables.remove_branch(path)?;
        }
        let only = children
            .into_iter()
            .enumerate()
            .find(|(_, child)| !matches!(child, Child::Absent));
        return match only {
            None => Ok(None),
            Some((_, Child::New(trie))) => Ok(Some(trie)),
            Some((nibble_value, _)) => {
                let mut child = *path;
                // The enumeration index of one of 16 slots.
                child.push(nibble_value as u8);
                unchanged(tables, &child)
            }
        };
    }
    let mut state_mask = TrieMask::default();
    let mut leaf_mask = TrieMask::default();
    let mut tree_mask = TrieMask::default();
    let mut references = Vec::with_capacity(present);
    for (nibble_value, child) in children.into_iter().enumerate() {
        let bit = TrieMask::from_nibble(nibble_value as u8);
        let (reference, leaf, tree) = match child {
            Child::Absent => continue,
            Child::Kept { node, leaf, tree } => (node, leaf, tree),
            Child::New(trie) => (
                trie.reference(path.len() + 1),
                matches!(trie, Subtrie::Leaf { .. }),
                matches!(trie, Subtrie::Branch { stored: true, .. }),
            ),
        };
        state_mask |= bit;
        if leaf {
            leaf_mask |= bit;
        }
        if tree {
            tree_mask |= bit;
        }
        references.push(reference);
    }
    let branch = StoredBranch {
        state_mask,
        leaf_mask,
        tree_mask,
        children: references,
    };
    let stored = leaf_mask != state_mask;
    if !stored {
        if old.is_some() {
            tables.remove_branch(path)?;
        }
    } else if old != Some(&branch) {
        tables.put_branch(path, &branch)?;
    }
    Ok(Some(Subtrie::Branch {
        node: branch.reference(),
        path: *path,
        stored,
    }))
}
