//! Pool behaviour: admission errors, replacement, nonce gaps, ordering, maintenance.

use std::{cell::RefCell, collections::BTreeMap};

use alloy_consensus::{SignableTransaction, TxEip1559};
use alloy_primitives::{Address, TxKind, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use supervm_primitives::{Account, RecoveredTx, TxEnvelope};
use supervm_txpool::{PoolConfig, PoolEnv, TxPool};
use supervm_vm::{StateError, StateReader};

fn env() -> PoolEnv {
    PoolEnv {
        chain_id: 31337,
        block_gas_limit: 30_000_000,
        base_fee: 10,
        rates: Default::default(),
    }
}

#[derive(Default)]
struct MemState(RefCell<BTreeMap<Address, Account>>);

impl MemState {
    fn fund(&self, who: Address, nonce: u64) {
        self.0.borrow_mut().insert(
            who,
            Account {
                nonce,
                ..Account::with_balance(U256::from(10u64.pow(18)))
            },
        );
    }
}

impl StateReader for MemState {
    fn account(&self, address: Address) -> Result<Option<Account>, StateError> {
        Ok(self.0.borrow().get(&address).copied())
    }

    fn storage(&self, _: Address, _: alloy_primitives::B256) -> Result<U256, StateError> {
        Ok(U256::ZERO)
    }
}

fn signer(seed: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&[seed; 32].into()).unwrap()
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

#[test]
fn duplicates_and_replacements() {
    let pool = TxPool::new(PoolConfig::default());
    let state = MemState::default();
    let alice = signer(1);
    state.fund(alice.address(), 0);
    pool.add(tx(&alice, 0, 100, 10), &env(), &state).unwrap();
    let err = pool
        .add(tx(&alice, 0, 100, 10), &env(), &state)
        .unwrap_err();
    assert_eq!(err.to_string(), "already known");
    let err = pool
        .add(tx(&alice, 0, 109, 11), &env(), &state)
        .unwrap_err();
    assert_eq!(err.to_string(), "replacement transaction underpriced");
    let replacement = tx(&alice, 0, 110, 11);
    pool.add(replacement.clone(), &env(), &state).unwrap();
    let best: Vec<_> = pool.best(10).map(|t| t.hash).collect();
    assert_eq!(best, vec![replacement.hash()]);
}

#[test]
fn nonce_gaps_are_queued_until_filled() {
    let pool = TxPool::new(PoolConfig::default());
    let state = MemState::default();
    let alice = signer(2);
    state.fund(alice.address(), 3);
    let err = pool.add(tx(&alice, 2, 100, 1), &env(), &state).unwrap_err();
    assert!(err.to_string().starts_with("nonce too low"), "{err}");
    let err = pool
        .add(tx(&alice, 3 + 64, 100, 1), &env(), &state)
        .unwrap_err();
    assert!(err.to_string().starts_with("nonce too high"), "{err}");
    pool.add(tx(&alice, 5, 100, 1), &env(), &state).unwrap();
    assert_eq!(pool.counts().queued, 1);
    assert!(!pool.has_pending());
    assert_eq!(pool.pending_nonce(&alice.address(), 3), 3);
    pool.add(tx(&alice, 3, 100, 1), &env(), &state).unwrap();
    pool.add(tx(&alice, 4, 100, 1), &env(), &state).unwrap();
    assert_eq!(pool.counts().pending, 3);
    assert_eq!(pool.pending_nonce(&alice.address(), 3), 6);
    // The chain mines nonces 3 and 4: the pool drops them.
    state.fund(alice.address(), 5);
    pool.on_new_head(&state);
    assert_eq!(pool.counts().pending, 1);
    assert_eq!(
        pool.best(10).map(|t| t.nonce()).collect::<Vec<_>>(),
        vec![5]
    );
}

#[test]
fn best_orders_by_tip_and_keeps_nonce_order() {
    let pool = TxPool::new(PoolConfig::default());
    let state = MemState::default();
    let (alice, bob) = (signer(3), signer(4));
    state.fund(alice.address(), 0);
    state.fund(bob.address(), 0);
    pool.add(tx(&alice, 0, 100, 1), &env(), &state).unwrap();
    pool.add(tx(&alice, 1, 100, 50), &env(), &state).unwrap();
    pool.add(tx(&bob, 0, 100, 20), &env(), &state).unwrap();
    let order: Vec<_> = pool.best(10).map(|t| (t.tx.sender, t.nonce())).collect();
    assert_eq!(
        order,
        vec![
            (bob.address(), 0),
            (alice.address(), 0),
            (alice.address(), 1)
        ]
    );
    // Below the base fee nothing of that sender is offered.
    let order: Vec<_> = pool.best(101).collect();
    assert!(order.is_empty());
    // An invalid transaction skips the rest of its sender.
    let mut best = pool.best(10);
    let first = best.next().unwrap();
    best.mark_invalid(&first);
    assert_eq!(
        best.map(|t| t.tx.sender).collect::<Vec<_>>(),
        vec![alice.address(), alice.address()]
    );
}

#[test]
fn stateless_rules() {
    let pool = TxPool::new(PoolConfig::default());
    let state = MemState::default();
    let alice = signer(5);
    state.fund(alice.address(), 0);
    let wrong_chain = PoolEnv {
        chain_id: 1,
        ..env()
    };
    let err = pool
        .add(tx(&alice, 0, 100, 1), &wrong_chain, &state)
        .unwrap_err();
    assert!(
        err.to_string().starts_with("invalid chain id for signer"),
        "{err}"
    );
    let err = pool.add(tx(&alice, 0, 9, 1), &env(), &state).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("max fee per gas less than block base fee"),
        "{err}"
    );
    let err = pool
        .add(tx(&alice, 0, 100, 101), &env(), &state)
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("max priority fee per gas higher than max fee per gas"),
        "{err}"
    );
    let poor = signer(6);
    let err = pool.add(tx(&poor, 0, 100, 1), &env(), &state).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("insufficient funds for gas * price + value"),
        "{err}"
    );
}
