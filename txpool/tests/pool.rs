//! Pool behaviour: admission errors, replacement, nonce gaps, ordering, limits and eviction
//! across fee tokens, and revalidation on new heads.

use std::{cell::RefCell, collections::BTreeMap, sync::Arc};

use alloy_consensus::{SignableTransaction, TxEip1559};
use alloy_primitives::{address, Address, Bytes, TxKind, B256, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use supervm_primitives::{
    Account, ChainSpec, FeeToken, RecoveredTx, StateChanges, TxCip64, TxEnvelope,
};
use supervm_txpool::{DropReason, Journal, PoolConfig, PoolEnv, PoolError, TxPool};
use supervm_vm::{
    genesis_state, system::layout::balance_slot, PendingState, RateSnapshot, StateError,
    StateReader,
};

const SUSD: Address = address!("0x00000000000000000000000000000000000005d1");

/// Committed state in memory, built from a genesis and editable between "blocks".
struct Memory {
    accounts: RefCell<BTreeMap<Address, Account>>,
    storage: BTreeMap<(Address, B256), U256>,
}

impl Memory {
    fn new(changes: &StateChanges) -> Self {
        Self {
            accounts: RefCell::new(
                changes
                    .accounts
                    .iter()
                    .filter_map(|(a, acc)| acc.map(|acc| (*a, acc)))
                    .collect(),
            ),
            storage: changes
                .storage
                .iter()
                .flat_map(|(a, slots)| slots.iter().map(move |(s, v)| ((*a, *s), *v)))
                .collect(),
        }
    }

    fn set(&self, who: Address, nonce: u64, balance: U256) {
        self.accounts.borrow_mut().insert(
            who,
            Account {
                nonce,
                ..Account::with_balance(balance)
            },
        );
    }
}

impl StateReader for Memory {
    fn account(&self, address: Address) -> Result<Option<Account>, StateError> {
        Ok(self.accounts.borrow().get(&address).copied())
    }

    fn storage(&self, address: Address, slot: B256) -> Result<U256, StateError> {
        Ok(self
            .storage
            .get(&(address, slot))
            .copied()
            .unwrap_or_default())
    }

    fn code(&self, _: B256) -> Result<Option<alloy_primitives::Bytes>, StateError> {
        Ok(None)
    }
}

fn signer(seed: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&[seed; 32].into()).unwrap()
}

/// A state where signers 1..=6 hold ETH and the dev tokens, and the env of the next block.
fn setup() -> (Memory, PoolEnv) {
    let spec = ChainSpec::dev(31337, (1..=6).map(|i| signer(i).address()));
    let genesis = genesis_state(&spec).unwrap();
    let memory = Memory::new(&genesis);
    let rates = RateSnapshot::read(&mut PendingState::new(&memory)).unwrap();
    (
        memory,
        PoolEnv {
            chain_id: 31337,
            number: 1,
            timestamp: 1,
            block_gas_limit: 30_000_000,
            base_fee: 10,
            rates: Arc::new(rates),
        },
    )
}

/// Admits `tx` as a client would send it: its EIP-2718 bytes with it.
fn add(pool: &TxPool, tx: RecoveredTx, state: &Memory) -> Result<B256, PoolError> {
    let raw = Bytes::from(tx.tx.encoded());
    pool.add(tx, raw, state)
}

fn tx(signer: &PrivateKeySigner, nonce: u64, max_fee: u128, tip: u128) -> RecoveredTx {
    let tx = TxEip1559 {
        chain_id: 31337,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: max_fee,
        max_priority_fee_per_gas: tip,
        to: TxKind::Call(Address::repeat_byte(9)),
        value: U256::from(1),
        ..Default::default()
    };
    let signature = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
    TxEnvelope::Eip1559(tx.into_signed(signature))
        .recover()
        .unwrap()
}

/// A CIP-64 transfer paying in sUSD (fee fields in sUSD base units; rate 3/1e9).
fn cip64(signer: &PrivateKeySigner, nonce: u64, max_fee: u128, tip: u128) -> RecoveredTx {
    let tx = TxCip64 {
        inner: TxEip1559 {
            chain_id: 31337,
            nonce,
            gas_limit: 21_000,
            max_fee_per_gas: max_fee,
            max_priority_fee_per_gas: tip,
            to: TxKind::Call(Address::repeat_byte(9)),
            value: U256::ZERO,
            ..Default::default()
        },
        fee_currency: Some(SUSD),
    };
    let signature = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
    TxEnvelope::Cip64(tx.into_signed(signature))
        .recover()
        .unwrap()
}

#[test]
fn duplicates_and_replacements() {
    let (state, env) = setup();
    let pool = TxPool::new(PoolConfig::default(), env.clone(), None);
    let alice = signer(1);
    add(&pool, tx(&alice, 0, 100, 10), &state).unwrap();
    assert_eq!(
        add(&pool, tx(&alice, 0, 100, 10), &state)
            .unwrap_err()
            .to_string(),
        "already known"
    );
    let err = add(&pool, tx(&alice, 0, 109, 11), &state).unwrap_err();
    assert_eq!(err.to_string(), "replacement transaction underpriced");
    let replacement = tx(&alice, 0, 110, 11);
    add(&pool, replacement.clone(), &state).unwrap();
    assert_eq!(
        pool.best(10).map(|t| t.hash).collect::<Vec<_>>(),
        vec![replacement.hash()]
    );
    // A replacement in another fee token is compared in native units: 10 sUSD units per gas
    // are worth 3.3e9 wei, far above the native tip of 11.
    let in_token = cip64(&alice, 0, 20, 10);
    add(&pool, in_token.clone(), &state).unwrap();
    assert_eq!(
        pool.get(&in_token.hash()).unwrap().fee_token,
        FeeToken::Token(SUSD)
    );
}

#[test]
fn nonce_gaps_are_queued_until_filled() {
    let (state, env) = setup();
    let pool = TxPool::new(
        PoolConfig {
            max_queued_per_sender: 2,
            ..PoolConfig::default()
        },
        env.clone(),
        None,
    );
    let alice = signer(2);
    state.set(alice.address(), 3, U256::from(10u64).pow(U256::from(18)));
    let err = add(&pool, tx(&alice, 2, 100, 1), &state).unwrap_err();
    assert!(err.to_string().starts_with("nonce too low"), "{err}");
    add(&pool, tx(&alice, 5, 100, 1), &state).unwrap();
    add(&pool, tx(&alice, 4, 100, 1), &state).unwrap();
    let err = add(&pool, tx(&alice, 6, 100, 1), &state).unwrap_err();
    assert!(
        err.to_string().starts_with("nonce too high"),
        "per-sender queue limit: {err}"
    );
    assert_eq!(pool.counts().queued, 2);
    assert!(!pool.has_pending());
    add(&pool, tx(&alice, 3, 100, 1), &state).unwrap();
    assert_eq!(pool.counts().pending, 3);
    assert_eq!(pool.pending_nonce(&alice.address(), 3), 6);
    // The chain mines nonces 3 and 4: the pool drops them and keeps 5 pending.
    state.set(alice.address(), 5, U256::from(10u64).pow(U256::from(18)));
    pool.on_new_head(&state, env.clone());
    assert_eq!(pool.counts().pending, 1);
    assert_eq!(
        pool.best(10).map(|t| t.nonce()).collect::<Vec<_>>(),
        vec![5]
    );
}

#[test]
fn best_orders_by_tip_across_tokens_and_keeps_nonce_order() {
    let (state, env) = setup();
    let pool = TxPool::new(PoolConfig::default(), env.clone(), None);
    let (alice, bob, carol) = (signer(3), signer(4), signer(5));
    add(&pool, tx(&alice, 0, 100, 1), &state).unwrap();
    add(&pool, tx(&alice, 1, 100, 50), &state).unwrap();
    add(&pool, tx(&bob, 0, 100, 20), &state).unwrap();
    // 1 sUSD unit per gas of tip = 333,333,333 wei: the best of all.
    add(&pool, cip64(&carol, 0, 10, 1), &state).unwrap();
    let order: Vec<_> = pool.best(10).map(|t| (t.tx.sender, t.nonce())).collect();
    assert_eq!(
        order,
        vec![
            (carol.address(), 0),
            (bob.address(), 0),
            (alice.address(), 0),
            (alice.address(), 1)
        ]
    );
    let mut best = pool.best(10);
    let first = best.next().unwrap();
    best.mark_invalid(&first);
    assert_eq!(best.count(), 3);
}

#[test]
fn a_full_pool_evicts_the_cheapest_across_tokens() {
    let (state, env) = setup();
    let pool = TxPool::new(
        PoolConfig {
            max_pending: 2,
            ..PoolConfig::default()
        },
        env.clone(),
        None,
    );
    let (alice, bob, carol, dave) = (signer(1), signer(2), signer(3), signer(4));
    let cheap = tx(&alice, 0, 100, 2);
    add(&pool, cheap.clone(), &state).unwrap();
    add(&pool, cip64(&bob, 0, 10, 1), &state).unwrap();
    // Not better than the cheapest: refused.
    let err = add(&pool, tx(&carol, 0, 100, 2), &state).unwrap_err();
    assert_eq!(err.to_string(), "transaction underpriced");
    // Better: the cheapest (native, tip 2) is evicted, and the reason is remembered.
    let better = tx(&dave, 0, 100, 50);
    add(&pool, better.clone(), &state).unwrap();
    assert!(pool.get(&cheap.hash()).is_none());
    assert_eq!(pool.counts().pending, 2);
    let dropped = pool.dropped();
    assert_eq!(dropped.len(), 1);
    assert!(
        matches!(dropped[0].reason, DropReason::Evicted(by) if by == better.hash()),
        "{dropped:?}"
    );
}

#[test]
fn revalidation_drops_unaffordable_and_unpriced_transactions() {
    let (state, env) = setup();
    let pool = TxPool::new(PoolConfig::default(), env.clone(), None);
    let (alice, bob) = (signer(1), signer(2));
    let first = tx(&alice, 0, 100, 1);
    add(&pool, first.clone(), &state).unwrap();
    add(&pool, tx(&alice, 1, 100, 1), &state).unwrap();
    let paid_in_token = cip64(&bob, 0, 10, 1);
    add(&pool, paid_in_token.clone(), &state).unwrap();
    // Alice's balance drops to nothing: her transactions can no longer pay.
    state.set(alice.address(), 0, U256::ZERO);
    // sUSD loses its price: the next block's snapshot has no rate for it.
    let unpriced = PoolEnv {
        rates: Arc::new(RateSnapshot::default()),
        ..env.clone()
    };
    pool.on_new_head(&state, unpriced);
    assert!(pool.get(&first.hash()).is_none());
    assert!(pool.get(&paid_in_token.hash()).is_none());
    let reasons: Vec<String> = pool
        .dropped()
        .into_iter()
        .map(|d| d.reason.to_string())
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("insufficient funds for gas * price + value")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("no fresh price for fee token sUSD")),
        "{reasons:?}"
    );
}

#[test]
fn stateless_rules() {
    let (state, env) = setup();
    let pool = TxPool::new(PoolConfig::default(), env.clone(), None);
    let alice = signer(6);
    let wrong_chain = PoolEnv {
        chain_id: 1,
        ..env.clone()
    };
    let other_chain = TxPool::new(PoolConfig::default(), wrong_chain, None);
    let err = add(&other_chain, tx(&alice, 0, 100, 1), &state).unwrap_err();
    assert!(
        err.to_string().starts_with("invalid chain id for signer"),
        "{err}"
    );
    let err = add(&pool, tx(&alice, 0, 9, 1), &state).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("max fee per gas less than block base fee"),
        "{err}"
    );
    let err = add(&pool, tx(&alice, 0, 100, 101), &state).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("max priority fee per gas higher than max fee per gas"),
        "{err}"
    );
    let poor = signer(99);
    let err = add(&pool, tx(&poor, 0, 100, 1), &state).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("insufficient funds for gas * price + value"),
        "{err}"
    );
}

#[test]
fn the_journal_keeps_the_bytes_sent_and_restores_what_is_still_valid() {
    let (state, env) = setup();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("transactions.rlp");
    let pool = TxPool::new(
        PoolConfig::default(),
        env.clone(),
        Some(Journal::new(&path)),
    );
    let alice = signer(1);
    let sent: Vec<RecoveredTx> = (0..3).map(|n| tx(&alice, n, 100, 1)).collect();
    for tx in &sent {
        add(&pool, tx.clone(), &state).unwrap();
    }
    let pooled = pool.get(&sent[0].hash()).unwrap();
    assert_eq!(pooled.raw, Bytes::from(sent[0].tx.encoded()));
    let records = Journal::new(&path).load().unwrap();
    assert_eq!(records.len(), 3, "one record per admission");

    // Nonce 0 is mined; a restart re-admits the two others and refuses the stale one.
    state.set(alice.address(), 1, U256::from(10u64).pow(U256::from(18)));
    let restarted = TxPool::new(
        PoolConfig::default(),
        env.clone(),
        Some(Journal::new(&path)),
    );
    let restored = restarted.restore_journal(&state, 2).unwrap();
    assert_eq!(restored.journaled, 3);
    assert_eq!(restored.admitted, 2);
    assert!(restarted.get(&sent[0].hash()).is_none());
    assert_eq!(restarted.counts().pending, 2);
}

#[test]
fn new_heads_compact_a_journal_of_mostly_dead_records() {
    let (state, env) = setup();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("transactions.rlp");
    let pool = TxPool::new(
        PoolConfig::default(),
        env.clone(),
        Some(Journal::new(&path)),
    );
    let bob = signer(2);
    for nonce in 0..100 {
        add(&pool, tx(&bob, nonce, 100, 1), &state).unwrap();
    }
    // 99 of them are mined: the journal is rewritten with the one left.
    state.set(bob.address(), 99, U256::from(10u64).pow(U256::from(18)));
    pool.on_new_head(&state, env.clone());
    let records = Journal::new(&path).load().unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(
        records[0],
        tx(&bob, 99, 100, 1).tx.encoded(),
        "the live transaction, as sent"
    );
}

/// A sender's pooled transactions together may not cost more than it holds: values and
/// native fees against its native balance, token fees against its token balance. Without
/// this one funded account could fill the pool with transactions that never pay.
#[test]
fn a_sender_cannot_pool_more_than_it_can_pay() {
    let (mut state, env) = setup();
    let pool = TxPool::new(PoolConfig::default(), env, None);
    let (alice, bob) = (signer(1), signer(2));
    // Enough for exactly three 21,000-gas transfers of 1 wei at a 100-wei fee cap.
    let one = U256::from(21_000u64 * 100 + 1);
    state.set(alice.address(), 0, one * U256::from(3u8));
    for nonce in 0..3 {
        add(&pool, tx(&alice, nonce, 100, 1), &state).expect("within the balance");
    }
    let overdraft = add(&pool, tx(&alice, 3, 100, 1), &state).unwrap_err();
    assert_eq!(overdraft.to_string(), "transaction would cause overdraft");
    // A replacement counts only the nonces below it: raising the last one's fee overdraws.
    let raised = add(&pool, tx(&alice, 2, 110, 2), &state).unwrap_err();
    assert_eq!(raised.to_string(), "transaction would cause overdraft");
    assert_eq!(pool.counts().pending, 3);

    // Token fees: two CIP-64 transfers at 10 sUSD units per gas, and no more.
    state.storage.insert(
        (SUSD, balance_slot(bob.address())),
        U256::from(2 * 21_000u64 * 10),
    );
    add(&pool, cip64(&bob, 0, 10, 1), &state).expect("first token fee covered");
    add(&pool, cip64(&bob, 1, 10, 1), &state).expect("second token fee covered");
    let overdraft = add(&pool, cip64(&bob, 2, 10, 1), &state).unwrap_err();
    assert_eq!(overdraft.to_string(), "transaction would cause overdraft");
}

/// The pool is bounded by encoded bytes as well as by count: a newcomer that does not fit
/// evicts the cheapest transactions of other senders if it pays more, else it is refused.
#[test]
fn the_pool_is_bounded_by_bytes() {
    let (state, env) = setup();
    let (alice, bob, carol, dave) = (signer(1), signer(2), signer(3), signer(4));
    let first = [
        tx(&alice, 0, 100, 1),
        tx(&bob, 0, 100, 2),
        tx(&carol, 0, 100, 3),
    ];
    let size = |tx: &RecoveredTx| tx.tx.encoded().len();
    let config = PoolConfig {
        max_bytes: first.iter().map(size).sum(),
        ..PoolConfig::default()
    };
    let max_bytes = config.max_bytes;
    let pool = TxPool::new(config, env, None);
    for tx in &first {
        add(&pool, tx.clone(), &state).expect("fits");
    }
    let err = add(&pool, tx(&dave, 0, 100, 1), &state).unwrap_err();
    assert_eq!(
        err.to_string(),
        "transaction underpriced",
        "no cheaper tip to evict"
    );
    let better = tx(&dave, 0, 100, 5);
    add(&pool, better.clone(), &state).expect("evicts the cheapest");
    assert!(
        pool.get(&first[0].hash()).is_none(),
        "alice's tip-1 transfer went first"
    );
    assert!(pool.get(&better.hash()).is_some());
    let pooled: usize = pool.content().pending.iter().map(|tx| tx.raw.len()).sum();
    assert!(
        pooled <= max_bytes,
        "{pooled} bytes pooled, limit {max_bytes}"
    );
    assert!(pool
        .dropped()
        .iter()
        .all(|d| matches!(d.reason, DropReason::Evicted(by) if by == better.hash())));
}
