//! The dev sealer drives an execution client in each mining mode.

use std::{
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use alloy_consensus::{SignableTransaction, TxLegacy};
use alloy_primitives::{Address, TxKind, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use supervm_consensus::{Clock, Decided, DevSealer, ExecutionClient, MiningMode};
use supervm_primitives::{Account, TxEnvelope};
use supervm_txpool::{PoolConfig, PoolEnv, TxPool};
use supervm_vm::{StateError, StateReader};
use tokio::sync::watch;

/// Counts blocks and empties the pool like a real chain would; while `refusing`, it builds
/// blocks without the pending transactions, as a miner policy that skips them. Every
/// committed block number is published on `head`.
struct CountingClient {
    pool: Arc<TxPool>,
    head: watch::Sender<u64>,
    last_timestamp: AtomicU64,
    refusing: AtomicBool,
}

impl ExecutionClient for CountingClient {
    type Proposal = (u64, Vec<alloy_primitives::B256>);
    type Error = std::convert::Infallible;

    fn propose(&self, timestamp: u64) -> Result<Self::Proposal, Self::Error> {
        self.last_timestamp.store(timestamp, Ordering::SeqCst);
        let txs = if self.refusing.load(Ordering::SeqCst) {
            Vec::new()
        } else {
            self.pool.best(0).map(|tx| tx.hash).collect()
        };
        Ok((*self.head.borrow() + 1, txs))
    }

    fn transaction_count((_, txs): &Self::Proposal) -> usize {
        txs.len()
    }

    fn decide(&self, (number, txs): Self::Proposal) -> Result<Decided, Self::Error> {
        self.pool.remove(&txs);
        self.head.send_replace(number);
        Ok(Decided {
            number,
            transactions: txs.len(),
        })
    }
}

struct FixedClock;

impl Clock for FixedClock {
    fn now_secs(&self) -> u64 {
        1_700_000_000
    }
}

struct Rich;

impl StateReader for Rich {
    fn account(&self, _: Address) -> Result<Option<Account>, StateError> {
        Ok(Some(Account::with_balance(U256::MAX >> 1)))
    }

    fn storage(&self, _: Address, _: alloy_primitives::B256) -> Result<U256, StateError> {
        Ok(U256::ZERO)
    }

    fn code(
        &self,
        _: alloy_primitives::B256,
    ) -> Result<Option<alloy_primitives::Bytes>, StateError> {
        Ok(None)
    }
}

fn start(
    mode: MiningMode,
) -> (
    Arc<CountingClient>,
    Arc<TxPool>,
    supervm_consensus::SealerHandle,
    watch::Sender<bool>,
) {
    let env = PoolEnv {
        chain_id: 1,
        number: 1,
        timestamp: 1,
        block_gas_limit: 30_000_000,
        base_fee: 1,
        rates: Default::default(),
    };
    let pool = Arc::new(TxPool::new(PoolConfig::default(), env, None));
    let client = Arc::new(CountingClient {
        pool: pool.clone(),
        head: watch::Sender::new(0),
        last_timestamp: AtomicU64::new(0),
        refusing: AtomicBool::new(false),
    });
    let (sealer, handle) = DevSealer::new(client.clone(), pool.clone(), FixedClock, mode);
    let (stop, stop_rx) = watch::channel(false);
    tokio::spawn(sealer.run(stop_rx));
    (client, pool, handle, stop)
}

#[tokio::test]
async fn manual_mode_mines_only_on_request() {
    let (client, _, handle, stop) = start(MiningMode::Manual);
    assert_eq!(*client.head.borrow(), 0);
    let decided = handle.mine(None).await.unwrap();
    assert_eq!(
        decided,
        Decided {
            number: 1,
            transactions: 0
        }
    );
    assert_eq!(client.last_timestamp.load(Ordering::SeqCst), 1_700_000_000);
    handle.mine(Some(42)).await.unwrap();
    assert_eq!(client.last_timestamp.load(Ordering::SeqCst), 42);
    stop.send(true).unwrap();
}

/// Adds a transfer with `nonce` from a fixed key.
fn add_transfer(pool: &TxPool, nonce: u64) {
    let signer = PrivateKeySigner::from_bytes(&[7u8; 32].into()).unwrap();
    let tx = TxLegacy {
        chain_id: Some(1),
        nonce,
        gas_price: 10,
        gas_limit: 21_000,
        to: TxKind::Call(Address::ZERO),
        ..Default::default()
    };
    let signature = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
    let tx = TxEnvelope::Legacy(tx.into_signed(signature));
    let raw = tx.encoded().into();
    pool.add(tx.recover().unwrap(), raw, &Rich).unwrap();
}

/// Waits until the client commits block `number`. The bound only keeps a broken sealer from
/// hanging the test; nothing depends on how fast the block comes.
async fn head_reaches(client: &CountingClient, number: u64) {
    let mut head = client.head.subscribe();
    tokio::time::timeout(
        Duration::from_secs(30),
        head.wait_for(|head| *head >= number),
    )
    .await
    .unwrap_or_else(|_| panic!("head is {}, expected {number}", *client.head.borrow()))
    .expect("the client outlives the test");
}

#[tokio::test]
async fn automine_mines_when_a_transaction_arrives() {
    let (client, pool, _handle, stop) = start(MiningMode::Automine);
    add_transfer(&pool, 0);
    head_reaches(&client, 1).await;
    assert!(!pool.has_pending());
    stop.send(true).unwrap();
}

#[tokio::test]
async fn automine_commits_no_empty_block_and_wakes_on_a_policy_change() {
    let (client, pool, handle, stop) = start(MiningMode::Automine);
    client.refusing.store(true, Ordering::SeqCst);
    add_transfer(&pool, 0);
    // A manual block is committed even if empty; it also runs automine once more, which
    // finds nothing minable and commits nothing.
    let decided = handle.mine(None).await.unwrap();
    assert_eq!(decided.number, 1);
    assert_eq!(*client.head.borrow(), 1);
    assert!(pool.has_pending());
    // The policy relaxes: the waiting transaction is mined without any new transaction.
    client.refusing.store(false, Ordering::SeqCst);
    pool.wake_if_pending();
    head_reaches(&client, 2).await;
    assert!(!pool.has_pending());
    assert_eq!(*client.head.borrow(), 2);
    stop.send(true).unwrap();
}
