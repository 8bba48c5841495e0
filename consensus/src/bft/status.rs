//! What the engine is doing, for `supervm_consensus`, `eth_syncing` and logs: the current
//! view and its leader, this node's finalized height against the network's, and each peer's
//! last reported height (peers announce theirs on the status channel every few seconds).

use std::{
    collections::BTreeMap,
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

use alloy_primitives::B256;

/// How often a node announces its height and view to its peers.
pub const ANNOUNCE_EVERY: Duration = Duration::from_secs(2);
/// The size of a status message: height and view, big-endian.
pub const STATUS_BYTES: usize = 16;

/// A peer as last heard from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerStatus {
    /// Its public key.
    pub public_key: B256,
    /// Whether it votes.
    pub validator: bool,
    /// The finalized height it announced.
    pub height: u64,
    /// The view it announced.
    pub view: u64,
    /// Time since its last announcement.
    pub last_seen: Duration,
}

/// A consistent copy of the status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusSnapshot {
    /// `validator` or `follower`.
    pub role: &'static str,
    /// This node's public key.
    pub public_key: B256,
    /// The genesis validator set, in the engine's order.
    pub validators: Vec<B256>,
    /// The latest view this node saw a proposal for.
    pub view: u64,
    /// That view's leader.
    pub leader: Option<B256>,
    /// The last block this node committed.
    pub finalized: u64,
    /// The highest finalized height the network has shown this node.
    pub network_finalized: u64,
    /// Where this node stood when it last fell behind the network, while it catches up.
    pub syncing_from: Option<u64>,
    /// Peers heard from, by public key.
    pub peers: Vec<PeerStatus>,
}

#[derive(Debug, Default)]
struct Inner {
    view: u64,
    leader: Option<B256>,
    finalized: u64,
    network_finalized: u64,
    syncing_from: Option<u64>,
    peers: BTreeMap<B256, (u64, u64, Instant)>,
}

/// The engine's shared status, written by the engine's tasks and read by the RPC.
#[derive(Debug)]
pub struct ConsensusStatus {
    role: &'static str,
    public_key: B256,
    validators: Vec<B256>,
    inner: Mutex<Inner>,
}

/// A node this many blocks behind the network's finalized height reports it is syncing.
const SYNCING_GAP: u64 = 2;

impl ConsensusStatus {
    /// The status of a node with `public_key` in a network of `validators`.
    pub fn new(public_key: B256, validators: Vec<B256>) -> Self {
        let role = if validators.contains(&public_key) {
            "validator"
        } else {
            "follower"
        };
        Self {
            role,
            public_key,
            validators,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A proposal for `view` by `leader` reached this node.
    pub fn observe_view(&self, view: u64, leader: B256) {
        let mut inner = self.inner();
        if view >= inner.view {
            inner.view = view;
            inner.leader = Some(leader);
        }
    }

    /// The network has finalized up to `height`.
    pub fn observe_network(&self, height: u64) {
        let mut inner = self.inner();
        inner.network_finalized = inner.network_finalized.max(height);
        if inner.network_finalized >= inner.finalized + SYNCING_GAP && inner.syncing_from.is_none()
        {
            inner.syncing_from = Some(inner.finalized);
        }
    }

    /// This node committed block `height`.
    pub fn committed(&self, height: u64) {
        let mut inner = self.inner();
        inner.finalized = inner.finalized.max(height);
        inner.network_finalized = inner.network_finalized.max(height);
        if inner.finalized + SYNCING_GAP > inner.network_finalized {
            inner.syncing_from = None;
        }
    }

    /// `peer` announced its height and view.
    pub fn peer(&self, peer: B256, height: u64, view: u64) {
        self.inner()
            .peers
            .insert(peer, (height, view, Instant::now()));
        self.observe_network(height);
    }

    /// This node's announcement: its finalized height and view.
    pub fn announcement(&self) -> [u8; STATUS_BYTES] {
        let inner = self.inner();
        let mut out = [0; STATUS_BYTES];
        out[..8].copy_from_slice(&inner.finalized.to_be_bytes());
        out[8..].copy_from_slice(&inner.view.to_be_bytes());
        out
    }

    /// Parses a peer's announcement; `None` if it is not one.
    pub fn parse_announcement(message: &[u8]) -> Option<(u64, u64)> {
        let bytes: [u8; STATUS_BYTES] = message.try_into().ok()?;
        let (height, view) = bytes.split_at(8);
        Some((
            u64::from_be_bytes(height.try_into().ok()?),
            u64::from_be_bytes(view.try_into().ok()?),
        ))
    }

    /// A copy of everything.
    pub fn snapshot(&self) -> StatusSnapshot {
        let inner = self.inner();
        StatusSnapshot {
            role: self.role,
            public_key: self.public_key,
            validators: self.validators.clone(),
            view: inner.view,
            leader: inner.leader,
            finalized: inner.finalized,
            network_finalized: inner.network_finalized,
            syncing_from: inner.syncing_from,
            peers: inner
                .peers
                .iter()
                .map(|(key, (height, view, seen))| PeerStatus {
                    public_key: *key,
                    validator: self.validators.contains(key),
                    height: *height,
                    view: *view,
                    last_seen: seen.elapsed(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syncing_starts_behind_the_network_and_ends_on_reaching_it() {
        let me = B256::repeat_byte(1);
        let status = ConsensusStatus::new(me, vec![me]);
        status.committed(5);
        status.observe_network(6);
        assert_eq!(status.snapshot().syncing_from, None);
        status.peer(B256::repeat_byte(2), 20, 30);
        let snapshot = status.snapshot();
        assert_eq!(snapshot.syncing_from, Some(5));
        assert_eq!(snapshot.network_finalized, 20);
        assert_eq!(snapshot.peers.len(), 1);
        assert!(!snapshot.peers[0].validator);
        status.committed(19);
        assert_eq!(status.snapshot().syncing_from, None);
    }

    #[test]
    fn announcements_round_trip_and_garbage_is_refused() {
        let status = ConsensusStatus::new(B256::ZERO, vec![]);
        status.committed(7);
        status.observe_view(9, B256::repeat_byte(4));
        assert_eq!(
            ConsensusStatus::parse_announcement(&status.announcement()),
            Some((7, 9))
        );
        assert_eq!(ConsensusStatus::parse_announcement(&[0; 15]), None);
        assert_eq!(status.snapshot().leader, Some(B256::repeat_byte(4)));
    }
}
