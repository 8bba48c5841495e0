//! The pool itself: transactions by hash and by (sender, nonce).

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
};

use alloy_consensus::Transaction;
use alloy_primitives::{Address, B256};
use parking_lot::RwLock;
use supervm_gas::TxFees;
use supervm_primitives::RecoveredTx;
use supervm_vm::{InvalidTx, RateSnapshot, StateReader};
use tokio::sync::Notify;

use crate::{
    validate::{stateful, stateless},
    BestTransactions, PoolConfig, PoolEnv, PoolError,
};

/// A transaction in the pool.
#[derive(Debug)]
pub struct PooledTx {
    /// The transaction and its sender.
    pub tx: RecoveredTx,
    /// Its hash.
    pub hash: B256,
    /// Fee fields in native units per gas (converted for CIP-64), for ordering.
    pub fees: TxFees,
    /// The token paying the fee (`None`: native) as resolved at admission.
    pub fee_token: Option<Address>,
    /// Arrival order; breaks ties between equal tips (first come, first served).
    pub submission_id: u64,
}

impl PooledTx {
    /// The sender's nonce for this transaction.
    pub fn nonce(&self) -> u64 {
        self.tx.tx.nonce()
    }
}

/// Number of transactions by state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolCounts {
    /// Minable now: nonces contiguous from the sender's state nonce.
    pub pending: usize,
    /// Waiting for a nonce gap to fill.
    pub queued: usize,
}

#[derive(Default)]
struct SenderTxs {
    /// The sender's nonce in the head state when last checked.
    state_nonce: u64,
    txs: BTreeMap<u64, Arc<PooledTx>>,
}

impl SenderTxs {
    /// The transactions minable now, in nonce order.
    fn pending(&self) -> impl Iterator<Item = &Arc<PooledTx>> {
        let mut expected = self.state_nonce;
        self.txs
            .range(self.state_nonce..)
            .map_while(move |(nonce, tx)| {
                (*nonce == expected).then(|| {
                    expected += 1;
                    tx
                })
            })
    }
}

#[derive(Default)]
struct Inner {
    by_hash: HashMap<B256, Arc<PooledTx>>,
    senders: HashMap<Address, SenderTxs>,
    next_id: u64,
}

/// The transaction pool. Shared between the RPC (admission), the block builder (best
/// transactions) and the chain (maintenance on new heads).
pub struct TxPool {
    config: PoolConfig,
    inner: RwLock<Inner>,
    pending_added: Notify,
}

impl TxPool {
    /// An empty pool.
    pub fn new(config: PoolConfig) -> Self {
        Self {
            config,
            inner: RwLock::new(Inner::default()),
            pending_added: Notify::new(),
        }
    }

    /// Validates `tx` against the chain rules and `state` (the head state) and adds it.
    pub fn add(
        &self,
        tx: RecoveredTx,
        env: &PoolEnv,
        state: &impl StateReader,
    ) -> Result<B256, PoolError> {
        let hash = tx.hash();
        if self.inner.read().by_hash.contains_key(&hash) {
            return Err(PoolError::AlreadyKnown);
        }
        stateless(&tx, env, &self.config)?;
        let admitted = stateful(&tx, env, state)?;
        let state_nonce = admitted.state_nonce;
        let nonce = tx.tx.nonce();
        let max_nonce = state_nonce.saturating_add(self.config.max_per_sender as u64);
        if nonce >= max_nonce {
            return Err(InvalidTx::NonceTooHigh {
                address: tx.sender,
                tx: nonce,
                state: state_nonce,
            }
            .into());
        }
        let fees = admitted.native_fees;
        let sender = tx.sender;

        let mut inner = self.inner.write();
        if inner.by_hash.contains_key(&hash) {
            return Err(PoolError::AlreadyKnown);
        }
        let total = inner.by_hash.len();
        let entry = inner.senders.entry(sender).or_default();
        entry.state_nonce = state_nonce;
        let replaced = match entry.txs.get(&nonce) {
            Some(old) => {
                if !self.is_sufficient_bump(&old.fees, &fees) {
                    return Err(PoolError::ReplacementUnderpriced);
                }
                Some(old.hash)
            }
            None => {
                if entry.txs.len() >= self.config.max_per_sender
                    || total >= self.config.max_transactions
                {
                    return Err(PoolError::Full);
                }
                None
            }
        };
        let submission_id = inner.next_id;
        inner.next_id += 1;
        let pooled = Arc::new(PooledTx {
            tx,
            hash,
            fees,
            fee_token: admitted.fee.token,
            submission_id,
        });
        let entry = inner.senders.entry(sender).or_default();
        entry.txs.insert(nonce, pooled.clone());
        let is_pending = entry.pending().any(|tx| tx.hash == hash);
        if let Some(old) = replaced {
            inner.by_hash.remove(&old);
        }
        inner.by_hash.insert(hash, pooled);
        drop(inner);
        if is_pending {
            self.pending_added.notify_one();
        }
        tracing::debug!(%hash, %sender, nonce, is_pending, "transaction added to pool");
        Ok(hash)
    }

    fn is_sufficient_bump(&self, old: &TxFees, new: &TxFees) -> bool {
        let factor = 100 + u128::from(self.config.price_bump_percent);
        let bumped = |value: u128| value.saturating_mul(factor) / 100;
        new.max_fee_per_gas >= bumped(old.max_fee_per_gas)
            && new.max_priority_fee_per_gas >= bumped(old.max_priority_fee_per_gas)
    }

    /// A pooled transaction by hash.
    pub fn get(&self, hash: &B256) -> Option<Arc<PooledTx>> {
        self.inner.read().by_hash.get(hash).cloned()
    }

    /// The next nonce `sender` should use, counting its pending pool transactions on top of
    /// `state_nonce` (what `eth_getTransactionCount(addr, "pending")` answers).
    pub fn pending_nonce(&self, sender: &Address, state_nonce: u64) -> u64 {
        let inner = self.inner.read();
        let Some(entry) = inner.senders.get(sender) else {
            return state_nonce;
        };
        let mut next = state_nonce;
        while entry.txs.contains_key(&next) {
            next += 1;
        }
        next
    }

    /// Pending transactions in the order a block should include them at `base_fee`.
    pub fn best(&self, base_fee: u64) -> BestTransactions {
        let inner = self.inner.read();
        let per_sender = inner
            .senders
            .values()
            .map(|entry| entry.pending().cloned().collect::<Vec<_>>())
            .filter(|txs| !txs.is_empty());
        BestTransactions::new(base_fee, per_sender)
    }

    /// Whether any transaction is minable now.
    pub fn has_pending(&self) -> bool {
        self.inner
            .read()
            .senders
            .values()
            .any(|entry| entry.pending().next().is_some())
    }

    /// Resolves when a pending transaction was added since the last call.
    pub async fn pending_added(&self) {
        self.pending_added.notified().await
    }

    /// Removes transactions (mined or found invalid by the builder).
    pub fn remove(&self, hashes: &[B256]) {
        let mut inner = self.inner.write();
        for hash in hashes {
            if let Some(tx) = inner.by_hash.remove(hash) {
                if let Some(entry) = inner.senders.get_mut(&tx.tx.sender) {
                    entry.txs.remove(&tx.nonce());
                    if entry.txs.is_empty() {
                        inner.senders.remove(&tx.tx.sender);
                    }
                }
            }
        }
    }

    /// Brings the pool up to a new head: refreshes each sender's state nonce and drops the
    /// transactions whose nonce is now used. Senders whose state cannot be read are kept.
    pub fn on_new_head(&self, state: &impl StateReader) {
        let mut inner = self.inner.write();
        let mut dropped = Vec::new();
        for (sender, entry) in inner.senders.iter_mut() {
            let Ok(account) = state.account(*sender) else {
                continue;
            };
            entry.state_nonce = account.map(|a| a.nonce).unwrap_or(0);
            let keep = entry.txs.split_off(&entry.state_nonce);
            dropped.extend(entry.txs.values().map(|tx| tx.hash));
            entry.txs = keep;
        }
        for hash in &dropped {
            inner.by_hash.remove(hash);
        }
        inner.senders.retain(|_, entry| !entry.txs.is_empty());
        let has_pending = inner
            .senders
            .values()
            .any(|entry| entry.pending().next().is_some());
        drop(inner);
        if has_pending {
            self.pending_added.notify_one();
        }
    }

    /// Drops every transaction whose fee token has no rate in `rates` (it lost its price or
    /// was disabled): such a transaction cannot be included, and keeping it would hide the
    /// problem from its sender. Returns the dropped hashes with their tokens.
    pub fn drop_unpriced(&self, rates: &RateSnapshot) -> Vec<(B256, Address)> {
        let dropped: Vec<(B256, Address)> = self
            .inner
            .read()
            .by_hash
            .values()
            .filter_map(|tx| {
                tx.fee_token
                    .filter(|token| rates.get(token).is_none())
                    .map(|token| (tx.hash, token))
            })
            .collect();
        if dropped.is_empty() {
            return dropped;
        }
        let hashes: Vec<B256> = dropped.iter().map(|(hash, _)| *hash).collect();
        self.remove(&hashes);
        for (hash, token) in &dropped {
            tracing::warn!(%hash, %token, reason = "fee token has no fresh price or is disabled", "transaction dropped from pool");
        }
        dropped
    }

    /// Pending and queued counts.
    pub fn counts(&self) -> PoolCounts {
        let inner = self.inner.read();
        let pending = inner
            .senders
            .values()
            .map(|entry| entry.pending().count())
            .sum();
        PoolCounts {
            pending,
            queued: inner.by_hash.len() - pending,
        }
    }
}
