//! The pool itself: transactions by hash and by (sender, nonce), with limits, eviction and
//! revalidation on every new head.

use std::{
    cmp::Reverse,
    collections::{BTreeMap, BinaryHeap, HashMap, VecDeque},
    sync::Arc,
};

use alloy_consensus::Transaction;
use alloy_primitives::{Address, Bytes, B256, U256};
use arc_swap::ArcSwap;
use parking_lot::RwLock;
use supervm_gas::TxFees;
use supervm_primitives::{recover_all, FeeToken, RecoveredTx, TxEnvelope};
use supervm_vm::{validate_payment, InvalidTx, Message, PendingState, StateAccess, StateReader};
use tokio::sync::Notify;

use crate::{
    validate::{signed_fees, stateful, stateless, Funds},
    BestTransactions, Journal, PoolConfig, PoolEnv, PoolError,
};

/// How many dropped transactions (with their reasons) the pool remembers for inspection.
const DROPPED_MEMORY: usize = 256;

/// A transaction in the pool.
#[derive(Debug)]
pub struct PooledTx {
    /// The transaction and its sender.
    pub tx: RecoveredTx,
    /// Its EIP-2718 encoding exactly as the client sent it: journaled and served without
    /// encoding the transaction again.
    pub raw: Bytes,
    /// Its hash.
    pub hash: B256,
    /// Fee fields in native units per gas (converted for CIP-64), for ordering.
    pub fees: TxFees,
    /// Fee fields as signed (token units for CIP-64), for replacements in the same token.
    pub signed_fees: TxFees,
    /// The token paying the fee as resolved at admission (execution resolves it again).
    pub fee_token: FeeToken,
    /// The most its fee can debit, in `fee_token` units: with the value, what it may cost
    /// its sender, counted against the sender's balances by later nonces' admission.
    pub max_fee_debit: U256,
    /// Arrival order; breaks ties between equal tips (first come, first served).
    pub submission_id: u64,
}

impl PooledTx {
    /// The sender's nonce for this transaction.
    pub fn nonce(&self) -> u64 {
        self.tx.tx.nonce()
    }
}

/// A transaction the pool removed without it being mined, and why.
#[derive(Clone, Debug)]
pub struct DroppedTx {
    /// Its hash.
    pub hash: B256,
    /// Its sender.
    pub sender: Address,
    /// Its nonce.
    pub nonce: u64,
    /// Why it was dropped.
    pub reason: DropReason,
}

/// Why the pool dropped a transaction that was never mined.
#[derive(Clone, Debug, thiserror::Error)]
pub enum DropReason {
    /// The pool was full and this transaction paid the lowest tip.
    #[error("evicted by {0} paying a higher tip (pool full)")]
    Evicted(B256),
    /// It became invalid: found so when a block was built, or on revalidation at a new head
    /// (its fee token lost its price or was disabled, its payer can no longer cover it).
    #[error(transparent)]
    Invalid(Arc<InvalidTx>),
}

/// Number of transactions by state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolCounts {
    /// Minable now: nonces contiguous from the sender's state nonce.
    pub pending: usize,
    /// Waiting for a nonce gap to fill.
    pub queued: usize,
}

/// Pending and queued transactions, each in nonce order per sender.
#[derive(Clone, Debug, Default)]
pub struct PoolContent {
    /// Minable now.
    pub pending: Vec<Arc<PooledTx>>,
    /// Waiting for a nonce gap.
    pub queued: Vec<Arc<PooledTx>>,
}

#[derive(Default)]
struct SenderTxs {
    /// The sender's nonce in the head state when last checked.
    state_nonce: u64,
    txs: BTreeMap<u64, Arc<PooledTx>>,
    /// How many of `txs` are pending (contiguous from `state_nonce`).
    pending_len: usize,
}

impl SenderTxs {
    fn count_pending(&self) -> usize {
        let mut expected = self.state_nonce;
        self.txs
            .range(self.state_nonce..)
            .take_while(|(nonce, _)| {
                let ok = **nonce == expected;
                expected += 1;
                ok
            })
            .count()
    }

    /// The transactions minable now, in nonce order.
    fn pending(&self) -> impl Iterator<Item = &Arc<PooledTx>> {
        self.txs
            .range(self.state_nonce..)
            .take(self.pending_len)
            .map(|(_, tx)| tx)
    }

    fn queued_len(&self) -> usize {
        self.txs.len() - self.pending_len
    }

    /// The next nonce after the pending run.
    fn next_nonce(&self) -> u64 {
        self.state_nonce + self.pending_len as u64
    }

    /// Whether `candidate`, after this sender's pooled transactions of lower nonce (from the
    /// head state's nonce on), could cost more than `funds`: the values and native fees
    /// against the native balance, the candidate's token fees against its token balance.
    /// Without this, an account holding enough for one transaction could fill the pool with
    /// transactions that will never pay.
    fn overdrawn_by(&self, candidate: &PooledTx, funds: &Funds) -> bool {
        let earlier = self
            .txs
            .range(self.state_nonce..candidate.nonce())
            .map(|(_, tx)| tx.as_ref());
        let mut native = U256::ZERO;
        let mut in_token = U256::ZERO;
        for tx in earlier.chain(std::iter::once(candidate)) {
            native = native.saturating_add(tx.tx.tx.value());
            match tx.fee_token {
                FeeToken::Native => native = native.saturating_add(tx.max_fee_debit),
                token if token == candidate.fee_token => {
                    in_token = in_token.saturating_add(tx.max_fee_debit)
                }
                FeeToken::Token(_) => {}
            }
        }
        native > funds.native || in_token > funds.fee_token
    }
}

#[derive(Default)]
struct Inner {
    by_hash: HashMap<B256, Arc<PooledTx>>,
    senders: HashMap<Address, SenderTxs>,
    pending_total: usize,
    /// Encoded bytes of every pooled transaction.
    bytes: usize,
    next_id: u64,
    dropped: VecDeque<DroppedTx>,
}

impl Inner {
    /// Recounts one sender's pending run after a change and updates the totals.
    fn recount(&mut self, sender: &Address) {
        let Some(entry) = self.senders.get_mut(sender) else {
            return;
        };
        let before = entry.pending_len;
        entry.pending_len = entry.count_pending();
        self.pending_total = self.pending_total + entry.pending_len - before;
        if entry.txs.is_empty() {
            self.senders.remove(sender);
        }
    }

    fn queued_total(&self) -> usize {
        self.by_hash.len() - self.pending_total
    }

    /// Removes one transaction (not recounting its sender).
    fn take(&mut self, hash: &B256) -> Option<Arc<PooledTx>> {
        let tx = self.by_hash.remove(hash)?;
        if let Some(entry) = self.senders.get_mut(&tx.tx.sender) {
            entry.txs.remove(&tx.nonce());
        }
        self.bytes -= tx.raw.len();
        Some(tx)
    }

    fn drop_tx(&mut self, hash: &B256, reason: DropReason) {
        if let Some(tx) = self.take(hash) {
            tracing::warn!(hash = %tx.hash, sender = %tx.tx.sender, nonce = tx.nonce(), %reason, "transaction dropped from pool");
            if self.dropped.len() == DROPPED_MEMORY {
                self.dropped.pop_front();
            }
            self.dropped.push_back(DroppedTx {
                hash: tx.hash,
                sender: tx.tx.sender,
                nonce: tx.nonce(),
                reason,
            });
            let sender = tx.tx.sender;
            self.recount(&sender);
        }
    }

    /// The cheapest transaction among senders' pending tails (excluding `except`), by native
    /// tip at `base_fee` then arrival: the one eviction removes first.
    fn worst_pending(&self, base_fee: u64, except: &Address) -> Option<(u128, Arc<PooledTx>)> {
        self.senders
            .iter()
            .filter(|(sender, entry)| *sender != except && entry.pending_len > 0)
            .filter_map(|(_, entry)| entry.pending().last().cloned())
            .map(|tx| (tip(&tx, base_fee), tx))
            .min_by_key(|(tip, tx)| (*tip, std::cmp::Reverse(tx.submission_id)))
    }

    /// The cheapest queued transaction (excluding `except`'s).
    fn worst_queued(&self, base_fee: u64, except: &Address) -> Option<(u128, Arc<PooledTx>)> {
        self.senders
            .iter()
            .filter(|(sender, _)| *sender != except)
            .flat_map(|(_, entry)| entry.txs.values().skip(entry.pending_len).cloned())
            .map(|tx| (tip(&tx, base_fee), tx))
            .min_by_key(|(tip, tx)| (*tip, std::cmp::Reverse(tx.submission_id)))
    }
}

fn tip(tx: &PooledTx, base_fee: u64) -> u128 {
    tx.fees
        .native_tip_per_gas(base_fee, supervm_gas::Payment::Native)
}

/// The transaction pool. Shared between the RPC (admission), the block builder (best
/// transactions) and the chain (maintenance on new heads).
///
/// The pool owns its view of the head: the next block's environment (number, base fee, gas
/// limit, fee-token rates) is computed once per new head by [`TxPool::on_new_head`] and read
/// without a lock by every admission. It also owns its journal: admissions append to it, new
/// heads compact it, [`TxPool::restore_journal`] reloads it at start.
pub struct TxPool {
    config: PoolConfig,
    env: ArcSwap<PoolEnv>,
    inner: RwLock<Inner>,
    pending_added: Notify,
    journal: Option<Journal>,
}

/// How many journaled transactions a restart found and how many re-entered the pool.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Restored {
    /// Records in the journal.
    pub journaled: usize,
    /// Transactions admitted again.
    pub admitted: usize,
}

impl TxPool {
    /// An empty pool for the block described by `env`, journaling admissions to `journal`.
    pub fn new(config: PoolConfig, env: PoolEnv, journal: Option<Journal>) -> Self {
        Self {
            config,
            env: ArcSwap::from_pointee(env),
            inner: RwLock::new(Inner::default()),
            pending_added: Notify::new(),
            journal,
        }
    }

    /// The next block as the pool sees it (lock-free).
    pub fn env(&self) -> Arc<PoolEnv> {
        self.env.load_full()
    }

    /// The checks that need neither the sender nor state (size, chain id, gas, intrinsic gas,
    /// fee fields, a creation's module), against the pool's next-block environment. Run it
    /// before recovering the sender so that malformed transactions are refused cheaply.
    pub fn precheck(&self, tx: &TxEnvelope, encoded_len: usize) -> Result<(), PoolError> {
        stateless(tx, encoded_len, &self.env.load(), &self.config)
    }

    /// Validates `tx` (sent as `raw`) against the chain rules and `state` (the head state),
    /// adds it — evicting a cheaper transaction when the pool is full — and journals it.
    pub fn add(
        &self,
        tx: RecoveredTx,
        raw: Bytes,
        state: &impl StateReader,
    ) -> Result<B256, PoolError> {
        self.precheck(&tx.tx, raw.len())?;
        self.add_prechecked(tx, raw, state)
    }

    /// [`TxPool::add`] for a transaction that already passed [`TxPool::precheck`].
    pub fn add_prechecked(
        &self,
        tx: RecoveredTx,
        raw: Bytes,
        state: &impl StateReader,
    ) -> Result<B256, PoolError> {
        let hash = self.insert(tx, raw.clone(), state)?;
        if let Some(journal) = &self.journal {
            if let Err(err) = journal.append(&raw) {
                tracing::error!(%hash, %err, "cannot journal transaction; it will not survive a restart");
            }
        }
        Ok(hash)
    }

    /// Re-admits the journaled transactions of the previous run against `state`, senders
    /// recovered on `threads` threads; those no longer valid (mined, replaced, unaffordable)
    /// are left out with a log line.
    pub fn restore_journal(
        &self,
        state: &impl StateReader,
        threads: usize,
    ) -> std::io::Result<Restored> {
        let Some(journal) = &self.journal else {
            return Ok(Restored::default());
        };
        let records = journal.load()?;
        let mut raws = Vec::with_capacity(records.len());
        let mut decoded = Vec::with_capacity(records.len());
        for record in records {
            if let Ok(tx) = TxEnvelope::decode_raw(&record) {
                decoded.push(tx);
                raws.push(Bytes::from(record));
            }
        }
        let mut restored = Restored {
            journaled: raws.len(),
            admitted: 0,
        };
        for (tx, raw) in recover_all(decoded, threads).into_iter().zip(raws) {
            let Some(tx) = tx else { continue };
            let hash = tx.hash();
            let admitted = self
                .precheck(&tx.tx, raw.len())
                .and_then(|()| self.insert(tx, raw, state));
            match admitted {
                Ok(_) => restored.admitted += 1,
                Err(err) => tracing::info!(%hash, %err, "journaled transaction not restored"),
            }
        }
        Ok(restored)
    }

    /// Admits a transaction that passed the stateless checks: state checks, limits,
    /// replacement, eviction.
    fn insert(
        &self,
        tx: RecoveredTx,
        raw: Bytes,
        state: &impl StateReader,
    ) -> Result<B256, PoolError> {
        let hash = tx.hash();
        if self.inner.read().by_hash.contains_key(&hash) {
            return Err(PoolError::AlreadyKnown);
        }
        let env = self.env.load_full();
        let msg = Message::from_tx(&tx);
        let admitted = stateful(&tx, &msg, &env, state)?;
        let nonce = tx.tx.nonce();
        let sender = tx.sender;
        let fees = admitted.native_fees;

        let mut inner = self.inner.write();
        if inner.by_hash.contains_key(&hash) {
            return Err(PoolError::AlreadyKnown);
        }
        let entry = inner.senders.entry(sender).or_default();
        // The admission's snapshot may be older than the head the pool has already seen:
        // nonces only grow, so the newer of the two holds.
        entry.state_nonce = entry.state_nonce.max(admitted.state_nonce);
        if nonce < entry.state_nonce {
            let state = entry.state_nonce;
            inner.recount(&sender);
            return Err(InvalidTx::NonceTooLow {
                address: sender,
                tx: nonce,
                state,
            }
            .into());
        }
        let entry = inner.senders.entry(sender).or_default();
        let before = entry.pending_len;
        entry.pending_len = entry.count_pending();
        let after = entry.pending_len;
        inner.pending_total = inner.pending_total + after - before;
        let entry = inner.senders.entry(sender).or_default();
        let next = entry.next_nonce();
        let max_nonce = next + self.config.max_queued_per_sender as u64;
        let replaced = match entry.txs.get(&nonce) {
            Some(old) => Some(old.hash),
            None if nonce > max_nonce
                || (nonce > next && entry.queued_len() >= self.config.max_queued_per_sender) =>
            {
                return Err(InvalidTx::NonceTooHigh {
                    address: sender,
                    tx: nonce,
                    state: admitted.state_nonce,
                }
                .into());
            }
            None => None,
        };
        let submission_id = inner.next_id;
        let candidate = PooledTx {
            tx,
            raw,
            hash,
            fees,
            signed_fees: signed_fees(&msg),
            fee_token: admitted.fee.token(),
            max_fee_debit: admitted.max_fee_debit,
            submission_id,
        };
        if inner
            .senders
            .get(&sender)
            .is_some_and(|entry| entry.overdrawn_by(&candidate, &admitted.funds))
        {
            return Err(PoolError::Overdraft);
        }
        if let Some(old) = replaced.and_then(|h| inner.by_hash.get(&h).cloned()) {
            if !self.is_sufficient_bump(&old, &candidate) {
                return Err(PoolError::ReplacementUnderpriced);
            }
        }
        if replaced.is_none() {
            self.make_room(&mut inner, &candidate, nonce == next, env.base_fee)?;
        }
        let freed = replaced
            .and_then(|old| inner.by_hash.get(&old))
            .map_or(0, |old| old.raw.len());
        self.make_byte_room(&mut inner, &candidate, freed, env.base_fee)?;
        inner.next_id += 1;
        let pooled = Arc::new(candidate);
        if let Some(old) = replaced {
            inner.take(&old);
        }
        inner
            .senders
            .entry(sender)
            .or_default()
            .txs
            .insert(nonce, pooled.clone());
        inner.bytes += pooled.raw.len();
        inner.by_hash.insert(hash, pooled);
        inner.recount(&sender);
        let is_pending = inner
            .senders
            .get(&sender)
            .is_some_and(|e| e.pending().any(|t| t.hash == hash));
        drop(inner);
        if is_pending {
            self.pending_added.notify_one();
        }
        tracing::debug!(%hash, %sender, nonce, is_pending, "transaction added to pool");
        Ok(hash)
    }

    /// Frees a slot for `candidate` when its part of the pool is full, by evicting the
    /// cheapest transaction if the candidate pays a higher tip.
    fn make_room(
        &self,
        inner: &mut Inner,
        candidate: &PooledTx,
        pending: bool,
        base_fee: u64,
    ) -> Result<(), PoolError> {
        let sender = candidate.tx.sender;
        let full = if pending {
            inner.pending_total >= self.config.max_pending
        } else {
            inner.queued_total() >= self.config.max_queued
        };
        if !full {
            return Ok(());
        }
        let worst = if pending {
            inner.worst_pending(base_fee, &sender)
        } else {
            inner.worst_queued(base_fee, &sender)
        };
        match worst {
            Some((worst_tip, worst)) if tip(candidate, base_fee) > worst_tip => {
                inner.drop_tx(&worst.hash, DropReason::Evicted(candidate.hash));
                Ok(())
            }
            _ => Err(PoolError::Underpriced),
        }
    }

    /// Frees bytes for `candidate` when the pool's encoded size would pass `max_bytes`
    /// (`freed`: the bytes of the transaction it replaces), evicting the cheapest
    /// transactions of other senders, each sender's highest nonce first so no gap opens, as
    /// long as each pays a lower tip than the candidate. Evicts nothing unless enough room
    /// can be made.
    fn make_byte_room(
        &self,
        inner: &mut Inner,
        candidate: &PooledTx,
        freed: usize,
        base_fee: u64,
    ) -> Result<(), PoolError> {
        let after = (inner.bytes + candidate.raw.len()).saturating_sub(freed);
        let Some(mut needed) = after.checked_sub(self.config.max_bytes).filter(|n| *n > 0) else {
            return Ok(());
        };
        let candidate_tip = tip(candidate, base_fee);
        // Each other sender's transactions, highest nonce first: the eviction order within
        // a sender.
        let mut tails: Vec<Vec<Arc<PooledTx>>> = inner
            .senders
            .iter()
            .filter(|(sender, _)| **sender != candidate.tx.sender)
            .map(|(_, entry)| entry.txs.values().cloned().collect())
            .collect();
        let mut cheapest: BinaryHeap<Reverse<(u128, Reverse<u64>, usize)>> = tails
            .iter()
            .enumerate()
            .filter_map(|(i, txs)| txs.last().map(|tx| (i, tx)))
            .map(|(i, tx)| Reverse((tip(tx, base_fee), Reverse(tx.submission_id), i)))
            .collect();
        let mut victims = Vec::new();
        while needed > 0 {
            let Some(Reverse((worst_tip, _, i))) = cheapest.pop() else {
                return Err(PoolError::Underpriced);
            };
            let Some(victim) = tails.get_mut(i).and_then(Vec::pop) else {
                continue;
            };
            if worst_tip >= candidate_tip {
                return Err(PoolError::Underpriced);
            }
            needed = needed.saturating_sub(victim.raw.len());
            victims.push(victim.hash);
            if let Some(next) = tails.get(i).and_then(|txs| txs.last()) {
                cheapest.push(Reverse((
                    tip(next, base_fee),
                    Reverse(next.submission_id),
                    i,
                )));
            }
        }
        for hash in victims {
            inner.drop_tx(&hash, DropReason::Evicted(candidate.hash));
        }
        Ok(())
    }

    /// A replacement must raise both fee fields by the bump: as signed when it pays in the
    /// same token with fields in the same unit, in native units otherwise.
    fn is_sufficient_bump(&self, old: &PooledTx, new: &PooledTx) -> bool {
        let factor = 100 + u128::from(self.config.price_bump_percent);
        let raised = |old: &TxFees, new: &TxFees| {
            new.max_fee_per_gas >= old.max_fee_per_gas.saturating_mul(factor) / 100
                && new.max_priority_fee_per_gas
                    >= old.max_priority_fee_per_gas.saturating_mul(factor) / 100
        };
        let cip64 = |tx: &PooledTx| matches!(tx.tx.tx, supervm_primitives::TxEnvelope::Cip64(_));
        if old.fee_token == new.fee_token && cip64(old) == cip64(new) {
            raised(&old.signed_fees, &new.signed_fees)
        } else {
            raised(&old.fees, &new.fees)
        }
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
        self.inner.read().pending_total > 0
    }

    /// Resolves when a pending transaction was added since the last call.
    pub async fn pending_added(&self) {
        self.pending_added.notified().await
    }

    /// Removes mined transactions. Their senders' state nonces move past them at once, so an
    /// admission racing the new head's maintenance sees the next nonces as pending.
    pub fn remove(&self, hashes: &[B256]) {
        let mut inner = self.inner.write();
        let mut senders = Vec::new();
        for hash in hashes {
            if let Some(tx) = inner.take(hash) {
                if let Some(entry) = inner.senders.get_mut(&tx.tx.sender) {
                    entry.state_nonce = entry.state_nonce.max(tx.nonce() + 1);
                }
                senders.push(tx.tx.sender);
            }
        }
        for sender in senders {
            inner.recount(&sender);
        }
    }

    /// Removes transactions found invalid, remembering why.
    pub fn reject(&self, rejected: Vec<(B256, InvalidTx)>) {
        let mut inner = self.inner.write();
        for (hash, reason) in rejected {
            inner.drop_tx(&hash, DropReason::Invalid(Arc::new(reason)));
        }
    }

    /// Brings the pool up to a new head: takes `env` (the block after it) as the environment
    /// every admission reads from now on, refreshes state nonces, drops mined and stale
    /// nonces, and revalidates every transaction's fee payment against the new state and the
    /// next block's rates: a transaction whose fee token lost its price or was disabled, or
    /// whose payer can no longer cover it, is dropped with its reason; its sender's later
    /// nonces become queued until the gap is filled. Then compacts the journal if most of
    /// its records are dead.
    pub fn on_new_head(&self, state: &impl StateReader, env: PoolEnv) {
        let env = Arc::new(env);
        self.env.store(env.clone());
        self.revalidate(state, &env);
        self.compact_journal();
    }

    fn compact_journal(&self) {
        let Some(journal) = &self.journal else {
            return;
        };
        let live = self.inner.read().by_hash.len();
        let compacted = journal.compact(live, || {
            self.inner
                .read()
                .by_hash
                .values()
                .map(|tx| tx.raw.clone())
                .collect()
        });
        if let Err(err) = compacted {
            tracing::error!(%err, "cannot compact the transaction journal");
        }
    }

    fn revalidate(&self, state: &impl StateReader, env: &PoolEnv) {
        let mut inner = self.inner.write();
        let senders: Vec<Address> = inner.senders.keys().copied().collect();
        let mut view = PendingState::new(state);
        for sender in senders {
            let Ok(account) = view.account(sender) else {
                continue;
            };
            let mut mined = Vec::new();
            let mut remaining = Vec::new();
            if let Some(entry) = inner.senders.get_mut(&sender) {
                entry.state_nonce = account.nonce;
                mined.extend(entry.txs.range(..account.nonce).map(|(_, tx)| tx.hash));
                remaining.extend(entry.txs.range(account.nonce..).map(|(_, tx)| tx.clone()));
            }
            for hash in mined {
                inner.take(&hash);
            }
            for tx in remaining {
                let msg = Message::from_tx(&tx.tx);
                // Base fee 0: a fee cap below the current base fee is a reason to wait, not to drop.
                match validate_payment(&mut view, &msg, 0, &env.rates) {
                    Ok(_) => {}
                    Err(InvalidTx::State(_)) => {}
                    Err(err) => inner.drop_tx(&tx.hash, DropReason::Invalid(Arc::new(err))),
                }
            }
            inner.recount(&sender);
        }
        // No notification here: the sealer keeps mining while blocks take transactions, and
        // waking it for transactions its policy skips would mine empty blocks back to back.
    }

    /// Wakes whoever waits in [`TxPool::pending_added`] when transactions are pending: after
    /// a miner policy change, transactions the old policy skipped may be minable now.
    pub fn wake_if_pending(&self) {
        if self.has_pending() {
            self.pending_added.notify_one();
        }
    }

    /// Pending and queued counts.
    pub fn counts(&self) -> PoolCounts {
        let inner = self.inner.read();
        PoolCounts {
            pending: inner.pending_total,
            queued: inner.queued_total(),
        }
    }

    /// Every pooled transaction, split into pending and queued.
    pub fn content(&self) -> PoolContent {
        let inner = self.inner.read();
        let mut content = PoolContent::default();
        for entry in inner.senders.values() {
            content.pending.extend(entry.pending().cloned());
            content
                .queued
                .extend(entry.txs.values().skip(entry.pending_len).cloned());
        }
        content
    }

    /// One sender's pooled transactions.
    pub fn content_from(&self, sender: &Address) -> PoolContent {
        let inner = self.inner.read();
        let Some(entry) = inner.senders.get(sender) else {
            return PoolContent::default();
        };
        PoolContent {
            pending: entry.pending().cloned().collect(),
            queued: entry
                .txs
                .values()
                .skip(entry.pending_len)
                .cloned()
                .collect(),
        }
    }

    /// The most recently dropped transactions and why, oldest first.
    pub fn dropped(&self) -> Vec<DroppedTx> {
        self.inner.read().dropped.iter().cloned().collect()
    }
}
