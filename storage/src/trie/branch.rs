//! The stored form of a branch node and of the path it sits at.
//!
//! A branch is stored with the reference (hash, or the node itself when its RLP is shorter than
//! 32 bytes) of **every** child, leaves included. Rebuilding a branch after one child changed
//! then needs only that child: the siblings' references are read back from the record, so no
//! sibling leaf is read or hashed again.
//!
//! Only branches with at least one branch child are stored. A branch whose children are all
//! leaves (the bottom of the trie: a few leaves sharing a path) is cheaper to rebuild from its
//! leaves — adjacent rows, usually on the page the block just wrote — than to read and write
//! back; its parent keeps its reference.

use alloy_trie::{
    nodes::{BranchNodeRef, RlpNode},
    Nibbles, TrieMask,
};

use crate::StorageError;

/// A branch node of the trie: which of its 16 slots are occupied, what kind of node each
/// holds, and the reference of each occupied slot's node, in nibble order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StoredBranch {
    /// Bit `n` set: the child at nibble `n` exists.
    pub(crate) state_mask: TrieMask,
    /// Bit `n` set: the child at nibble `n` is a single leaf.
    pub(crate) leaf_mask: TrieMask,
    /// Bit `n` set: a branch is stored under nibble `n` (the child is a stored branch, or an
    /// extension leading to one). A child that is neither a leaf nor in this mask is a branch
    /// of leaves only: it is rebuilt from its leaves, without looking for stored branches.
    pub(crate) tree_mask: TrieMask,
    /// References of the existing children, lowest nibble first.
    pub(crate) children: Vec<RlpNode>,
}

impl StoredBranch {
    /// The reference of the child at `nibble`, if it exists.
    pub(crate) fn child(&self, nibble: u8) -> Option<&RlpNode> {
        if !self.state_mask.is_bit_set(nibble) {
            return None;
        }
        let below = TrieMask::new(self.state_mask.get() & ((1u16 << nibble) - 1));
        self.children.get(below.count_ones() as usize)
    }

    /// The reference a parent holds for this branch: its hash, or its RLP if shorter than 32
    /// bytes.
    pub(crate) fn reference(&self) -> RlpNode {
        let mut buf = Vec::with_capacity(600);
        BranchNodeRef::new(&self.children, self.state_mask).rlp(&mut buf)
    }

    /// `state_mask`, `leaf_mask` and `tree_mask` (2 bytes each, big-endian), then per child a
    /// length byte and the reference.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(6 + self.children.len() * 34);
        out.extend_from_slice(&self.state_mask.get().to_be_bytes());
        out.extend_from_slice(&self.leaf_mask.get().to_be_bytes());
        out.extend_from_slice(&self.tree_mask.get().to_be_bytes());
        for child in &self.children {
            // A reference is at most 33 bytes (`RlpNode` enforces it), so it fits a byte.
            out.push(child.len() as u8);
            out.extend_from_slice(child);
        }
        out
    }

    /// Inverse of [`StoredBranch::encode`]; `table` names the table in errors.
    pub(crate) fn decode(table: &'static str, bytes: &[u8]) -> Result<Self, StorageError> {
        let corrupt = |reason: String| StorageError::Corrupt { table, reason };
        let (masks, mut rest) = bytes
            .split_first_chunk::<6>()
            .ok_or_else(|| corrupt(format!("branch of {} bytes", bytes.len())))?;
        let mask = |i: usize| TrieMask::new(u16::from_be_bytes([masks[i], masks[i + 1]]));
        let (state_mask, leaf_mask, tree_mask) = (mask(0), mask(2), mask(4));
        let count = state_mask.count_ones() as usize;
        if count < 2
            || leaf_mask == state_mask
            || !leaf_mask.is_subset_of(state_mask)
            || !tree_mask.is_subset_of(state_mask)
            || leaf_mask.get() & tree_mask.get() != 0
        {
            return Err(corrupt(format!(
                "branch with masks {state_mask:?}, {leaf_mask:?}, {tree_mask:?}"
            )));
        }
        let mut children = Vec::with_capacity(count);
        while let Some((&len, tail)) = rest.split_first() {
            let len = len as usize;
            let child = tail
                .get(..len)
                .filter(|child| !child.is_empty())
                .and_then(RlpNode::from_raw)
                .ok_or_else(|| corrupt(format!("bad child reference of {len} bytes")))?;
            children.push(child);
            rest = &tail[len..];
        }
        if children.len() != count {
            return Err(corrupt(format!(
                "{} child references for a mask of {count}",
                children.len()
            )));
        }
        Ok(Self {
            state_mask,
            leaf_mask,
            tree_mask,
            children,
        })
    }
}

/// A path as stored in a key: one byte per nibble. Byte order is then depth-first order of the
/// trie (a path sorts right before every path it is a prefix of), so "the first stored branch
/// at or after `p`" is the shallowest branch under `p` when there is one.
pub(crate) fn encode_path(path: &Nibbles, out: &mut Vec<u8>) {
    out.extend(path.iter());
}

/// Inverse of [`encode_path`]; `table` names the table in errors. A branch sits above keys of
/// 64 nibbles, so its path is shorter.
pub(crate) fn decode_path(table: &'static str, bytes: &[u8]) -> Result<Nibbles, StorageError> {
    if bytes.len() >= 64 || bytes.iter().any(|nibble| *nibble > 0xf) {
        return Err(StorageError::Corrupt {
            table,
            reason: format!("invalid trie path {}", alloy_primitives::hex::encode(bytes)),
        });
    }
    Ok(Nibbles::from_nibbles_unchecked(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::B256;

    #[test]
    fn branch_round_trips_and_rejects_garbage() {
        let branch = StoredBranch {
            state_mask: TrieMask::new(0b1000_0000_0000_0101),
            leaf_mask: TrieMask::new(0b1000_0000_0000_0001),
            tree_mask: TrieMask::new(0b0000_0000_0000_0100),
            children: vec![
                RlpNode::word_rlp(&B256::repeat_byte(1)),
                RlpNode::from_raw(&[0xc2, 0x80, 0x80]).unwrap(),
                RlpNode::word_rlp(&B256::repeat_byte(3)),
            ],
        };
        let bytes = branch.encode();
        assert_eq!(StoredBranch::decode("t", &bytes).unwrap(), branch);
        assert_eq!(branch.child(2).unwrap().as_ref(), &[0xc2, 0x80, 0x80]);
        assert_eq!(branch.child(1), None);
        assert_eq!(branch.child(15), Some(&branch.children[2]));
        for bad in [
            &bytes[..bytes.len() - 1],
            &bytes[..1],
            &[0, 1, 0, 0, 0, 0, 1, 0][..],
        ] {
            assert!(matches!(
                StoredBranch::decode("t", bad),
                Err(StorageError::Corrupt { table: "t", .. })
            ));
        }
    }

    #[test]
    fn paths_round_trip_in_depth_first_order() {
        let a = Nibbles::from_nibbles([0x1]);
        let b = Nibbles::from_nibbles([0x1, 0x0]);
        let c = Nibbles::from_nibbles([0x2]);
        let keys: Vec<Vec<u8>> = [a, b, c]
            .iter()
            .map(|p| {
                let mut out = Vec::new();
                encode_path(p, &mut out);
                out
            })
            .collect();
        assert!(keys.is_sorted());
        assert_eq!(decode_path("t", &keys[1]).unwrap(), b);
        assert!(decode_path("t", &[0x10]).is_err());
    }
}
