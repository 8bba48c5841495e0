//! Properties of the pool over random sequences of admissions and new heads: the best
//! transactions keep each sender's nonce order, admissions respect the configured limits,
//! replacements need the configured fee bump, eviction removes the cheapest transaction, and
//! revalidation on a new head removes exactly the transactions that became unpayable.

use std::{
    cell::RefCell,
    collections::{BTreeMap, HashMap},
    sync::Arc,
};

use alloy_consensus::{SignableTransaction, TxEip1559};
use alloy_primitives::{Address, Bytes, TxKind, B256, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use proptest::prelude::*;
use supervm_primitives::{Account, RecoveredTx, TxEnvelope};
use supervm_txpool::{DropReason, PoolConfig, PoolEnv, PoolError, TxPool};
use supervm_vm::{RateSnapshot, StateError, StateReader};

const SENDERS: usize = 4;
const BASE_FEE: u64 = 10;

fn config() -> PoolConfig {
    PoolConfig {
        max_pending: 5,
        max_queued: 3,
        max_queued_per_sender: 2,
        price_bump_percent: 10,
        ..PoolConfig::default()
    }
}

fn env() -> PoolEnv {
    PoolEnv {
        chain_id: 31337,
        number: 1,
        timestamp: 1,
        block_gas_limit: 30_000_000,
        base_fee: BASE_FEE,
        rates: Arc::new(RateSnapshot::default()),
    }
}

fn rich() -> U256 {
    U256::from(10u64).pow(U256::from(18))
}

/// Native accounts only: nonce and balance per sender.
#[derive(Default)]
struct Accounts(RefCell<BTreeMap<Address, Account>>);

impl Accounts {
    fn set(&self, who: Address, nonce: u64, balance: U256) {
        self.0.borrow_mut().insert(
            who,
            Account {
                nonce,
                ..Account::with_balance(balance)
            },
        );
    }
}

impl StateReader for Accounts {
    fn account(&self, address: Address) -> Result<Option<Account>, StateError> {
        Ok(self.0.borrow().get(&address).copied())
    }

    fn storage(&self, _: Address, _: B256) -> Result<U256, StateError> {
        Ok(U256::ZERO)
    }

    fn code(&self, _: B256) -> Result<Option<Bytes>, StateError> {
        Ok(None)
    }
}

fn signers() -> Vec<PrivateKeySigner> {
    (1..=SENDERS as u8)
        .map(|seed| PrivateKeySigner::from_bytes(&[seed; 32].into()).unwrap())
        .collect()
}

/// A 21,000-gas transfer; with the base fee at 10 and `max_fee ≥ tip + 10` its tip is `tip`.
fn transfer(signer: &PrivateKeySigner, nonce: u64, max_fee: u128, tip: u128) -> RecoveredTx {
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

#[derive(Clone, Debug)]
enum Step {
    /// `sender` sends `nonce` (relative to its state nonce) with these fees.
    Add {
        sender: usize,
        nonce: u64,
        tip: u128,
        headroom: u128,
    },
    /// A new head: each sender's state nonce moves past `mined[i]` of its pending
    /// transactions, and the senders in `broke` lose their whole balance.
    Head { mined: Vec<usize>, broke: Vec<bool> },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..SENDERS, 0..5u64, 1..60u128, 10..60u128).prop_map(
            |(sender, nonce, tip, headroom)| Step::Add { sender, nonce, tip, headroom }
        ),
        1 => (
            proptest::collection::vec(0..3usize, SENDERS),
            proptest::collection::vec(proptest::bool::weighted(0.2), SENDERS),
        )
            .prop_map(|(mined, broke)| Step::Head { mined, broke }),
    ]
}

/// What the test knows of a transaction it sent.
#[derive(Clone, Copy, Debug)]
struct Sent {
    sender: Address,
    nonce: u64,
    max_fee: u128,
    tip: u128,
}

struct Run {
    pool: TxPool,
    state: Accounts,
    signers: Vec<PrivateKeySigner>,
    sent: HashMap<B256, Sent>,
}

impl Run {
    fn new() -> Self {
        let state = Accounts::default();
        let signers = signers();
        for signer in &signers {
            state.set(signer.address(), 0, rich());
        }
        Self {
            pool: TxPool::new(config(), env(), None),
            state,
            signers,
            sent: HashMap::new(),
        }
    }

    fn state_nonce(&self, sender: Address) -> u64 {
        self.state.0.borrow()[&sender].nonce
    }

    fn pooled(&self, sender: Address, nonce: u64) -> Option<Sent> {
        let content = self.pool.content_from(&sender);
        content
            .pending
            .iter()
            .chain(&content.queued)
            .find(|tx| tx.nonce() == nonce)
            .map(|tx| self.sent[&tx.hash])
    }

    fn pool_size(&self) -> usize {
        let counts = self.pool.counts();
        counts.pending + counts.queued
    }

    /// The transactions eviction may take for a newcomer from `except` joining the pending
    /// (`pending`) or queued part: other senders' pending tails, or their queued transactions.
    fn eviction_candidates(&self, except: Address, pending: bool) -> Vec<Sent> {
        let content = self.pool.content();
        let mut tails: BTreeMap<Address, Sent> = BTreeMap::new();
        let mut queued = Vec::new();
        for tx in if pending {
            &content.pending
        } else {
            &content.queued
        } {
            let sent = self.sent[&tx.hash];
            if sent.sender == except {
                continue;
            }
            if pending {
                let tail = tails.entry(sent.sender).or_insert(sent);
                if sent.nonce > tail.nonce {
                    *tail = sent;
                }
            } else {
                queued.push(sent);
            }
        }
        if pending {
            tails.into_values().collect()
        } else {
            queued
        }
    }

    fn add(
        &mut self,
        sender: usize,
        nonce: u64,
        tip: u128,
        headroom: u128,
    ) -> Result<(), TestCaseError> {
        let signer = self.signers[sender].clone();
        let address = signer.address();
        let nonce = self.state_nonce(address) + nonce;
        let max_fee = tip + headroom;
        let tx = transfer(&signer, nonce, max_fee, tip);
        let hash = tx.hash();
        let raw = Bytes::from(tx.tx.encoded());
        if self.state.0.borrow()[&address].balance.is_zero() {
            let result = self.pool.add(tx, raw, &self.state);
            prop_assert!(
                matches!(&result, Err(PoolError::Invalid(err)) if err.to_string().starts_with("insufficient funds")),
                "a sender without funds is refused: {result:?}"
            );
            return Ok(());
        }
        let replaced = self.pooled(address, nonce);
        let joins_pending = nonce == self.pool.pending_nonce(&address, self.state_nonce(address));
        let candidates = self.eviction_candidates(address, joins_pending);
        let before = self.pool.counts();
        let dropped_before = self.pool.dropped().len();
        let result = self.pool.add(tx, raw, &self.state);
        self.sent.insert(
            hash,
            Sent {
                sender: address,
                nonce,
                max_fee,
                tip,
            },
        );

        if let Some(old) = replaced {
            let bump = 100 + u128::from(config().price_bump_percent);
            let bumped = max_fee >= old.max_fee * bump / 100 && tip >= old.tip * bump / 100;
            match &result {
                Ok(_) => prop_assert!(bumped, "{old:?} replaced by tip {tip}, max fee {max_fee}"),
                Err(PoolError::AlreadyKnown) => {
                    prop_assert!(old.max_fee == max_fee && old.tip == tip)
                }
                Err(PoolError::ReplacementUnderpriced) => prop_assert!(!bumped),
                Err(err) => prop_assert!(false, "replacement refused with {err}"),
            }
            prop_assert_eq!(
                self.pool_size(),
                before.pending + before.queued,
                "a replacement keeps the pool size"
            );
            return Ok(());
        }

        let dropped = self.pool.dropped()[dropped_before..].to_vec();
        let full = if joins_pending {
            before.pending >= config().max_pending
        } else {
            before.queued >= config().max_queued
        };
        match &result {
            Ok(_) => {
                prop_assert_eq!(
                    dropped.len(),
                    usize::from(full),
                    "one eviction exactly when full"
                );
                prop_assert_eq!(
                    self.pool_size(),
                    before.pending + before.queued + 1 - dropped.len(),
                    "an admission adds one transaction, minus the one it evicts"
                );
                for evicted in &dropped {
                    prop_assert!(
                        matches!(evicted.reason, DropReason::Evicted(_)),
                        "{evicted:?}"
                    );
                    let evicted = self.sent[&evicted.hash];
                    prop_assert!(evicted.tip < tip, "{evicted:?} evicted for a tip of {tip}");
                    for other in &candidates {
                        prop_assert!(
                            evicted.tip <= other.tip,
                            "{evicted:?} evicted while {other:?} paid less"
                        );
                    }
                }
            }
            Err(PoolError::Underpriced) => {
                prop_assert!(full, "underpriced only when full");
                prop_assert!(candidates.iter().all(|other| other.tip >= tip));
                prop_assert!(dropped.is_empty());
            }
            Err(PoolError::Invalid(err)) => {
                prop_assert!(err.to_string().starts_with("nonce too high"), "{err}");
                prop_assert!(!joins_pending);
            }
            Err(err) => prop_assert!(false, "unexpected refusal: {err}"),
        }
        Ok(())
    }

    /// Mines `mined[i]` of sender i's pending transactions, empties the balances of the
    /// `broke` senders, and brings the pool to the new head.
    fn new_head(&mut self, mined: &[usize], broke: &[bool]) -> Result<(), TestCaseError> {
        let before = self.pool.content();
        let dropped_before = self.pool.dropped().len();
        let mut expected_gone = Vec::new();
        let mut unpayable = Vec::new();
        for (i, signer) in self.signers.iter().enumerate() {
            let address = signer.address();
            let pending = self.pool.content_from(&address).pending;
            let mined_now = mined[i].min(pending.len());
            expected_gone.extend(pending[..mined_now].iter().map(|tx| tx.hash));
            let nonce = self.state_nonce(address) + mined_now as u64;
            let balance = if broke[i] { U256::ZERO } else { rich() };
            self.state.set(address, nonce, balance);
            if broke[i] {
                let content = self.pool.content_from(&address);
                unpayable.extend(
                    content
                        .pending
                        .iter()
                        .chain(&content.queued)
                        .filter(|tx| tx.nonce() >= nonce)
                        .map(|tx| tx.hash),
                );
            }
        }
        self.pool.on_new_head(&self.state, env());
        let mut dropped: Vec<B256> = self.pool.dropped()[dropped_before..]
            .iter()
            .map(|d| d.hash)
            .collect();
        dropped.sort();
        unpayable.sort();
        prop_assert_eq!(
            &dropped,
            &unpayable,
            "dropped exactly the unpayable transactions"
        );
        let after = self.pool.content();
        let remaining: Vec<B256> = after
            .pending
            .iter()
            .chain(&after.queued)
            .map(|tx| tx.hash)
            .collect();
        for tx in before.pending.iter().chain(&before.queued) {
            let gone = expected_gone.contains(&tx.hash) || unpayable.contains(&tx.hash);
            prop_assert_eq!(
                remaining.contains(&tx.hash),
                !gone,
                "{:?} after the head",
                self.sent[&tx.hash]
            );
        }
        Ok(())
    }

    /// Invariants after every step.
    fn check(&self) -> Result<(), TestCaseError> {
        let counts = self.pool.counts();
        prop_assert!(counts.queued <= config().max_queued, "{counts:?}");
        let mut next: HashMap<Address, u64> = HashMap::new();
        let mut best = 0;
        for tx in self.pool.best(BASE_FEE) {
            let sender = tx.tx.sender;
            let expected = next
                .entry(sender)
                .or_insert_with(|| self.state_nonce(sender));
            prop_assert_eq!(
                tx.nonce(),
                *expected,
                "best keeps each sender's nonce order"
            );
            *expected += 1;
            best += 1;
        }
        prop_assert_eq!(
            best,
            counts.pending,
            "best yields every pending transaction"
        );
        for signer in &self.signers {
            let queued = self.pool.content_from(&signer.address()).queued.len();
            prop_assert!(queued <= config().max_queued_per_sender);
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_pool_keeps_its_rules_over_any_sequence(steps in proptest::collection::vec(step(), 1..40)) {
        let mut run = Run::new();
        for step in &steps {
            match step {
                Step::Add { sender, nonce, tip, headroom } => run.add(*sender, *nonce, *tip, *headroom)?,
                Step::Head { mined, broke } => run.new_head(mined, broke)?,
            }
            run.check()?;
        }
    }
}
