//! Pool benchmark: admission of 100k transactions from 10k senders (signatures pre-recovered),
//! selection of a 10k-transaction block, and memory per pooled transaction.
//!
//! ```text
//! cargo bench -p supervm-txpool --bench pool -- [--senders 10000] [--per-sender 10] [--block 10000]
//! ```
//!
//! Baseline in the same run: inserting the same transactions into a plain `HashMap` by hash
//! (no validation, no ordering), so the ratio shows what validation and bookkeeping cost.

use std::{collections::HashMap, sync::Arc, time::Instant};

use alloy_consensus::{Signed, TxEip1559};
use alloy_primitives::{keccak256, Address, Signature, TxKind, B256, U256};
use supervm_primitives::{Account, RecoveredTx, TxEnvelope};
use supervm_txpool::{PoolConfig, PoolEnv, TxPool};
use supervm_vm::{RateSnapshot, StateError, StateReader};

struct Funded(HashMap<Address, Account>);

impl StateReader for Funded {
    fn account(&self, address: Address) -> Result<Option<Account>, StateError> {
        Ok(self.0.get(&address).copied())
    }

    fn storage(&self, _: Address, _: B256) -> Result<U256, StateError> {
        Ok(U256::ZERO)
    }

    fn code(&self, _: B256) -> Result<Option<alloy_primitives::Bytes>, StateError> {
        Ok(None)
    }
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Resident memory of this process in bytes (Linux `/proc/self/statm`).
fn resident_bytes() -> usize {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|pages| pages.parse::<usize>().ok())
        })
        .map(|pages| pages * 4096)
        .unwrap_or(0)
}

fn main() {
    let senders = arg("--senders", 10_000);
    let per_sender = arg("--per-sender", 10);
    let block = arg("--block", 10_000);
    let addresses: Vec<Address> = (0..senders)
        .map(|i| Address::from_slice(&keccak256((i as u64).to_be_bytes())[12..]))
        .collect();
    let state = Funded(
        addresses
            .iter()
            .map(|a| {
                (
                    *a,
                    Account::with_balance(U256::from(10u64).pow(U256::from(24))),
                )
            })
            .collect(),
    );
    // Transactions with the sender attached: recovery is not part of what is measured.
    let signature = Signature::new(U256::from(1), U256::from(1), false);
    let txs: Vec<RecoveredTx> = (0..per_sender as u64)
        .flat_map(|nonce| {
            addresses
                .iter()
                .enumerate()
                .map(move |(i, sender)| (nonce, i, *sender))
        })
        .map(|(nonce, i, sender)| {
            let tx = TxEip1559 {
                chain_id: 31337,
                nonce,
                gas_limit: 21_000,
                max_fee_per_gas: 100_000_000_000,
                max_priority_fee_per_gas: 1 + (i as u128 * 7919) % 1_000_000_000,
                to: TxKind::Call(Address::repeat_byte(1)),
                value: U256::from(1),
                ..Default::default()
            };
            RecoveredTx {
                tx: TxEnvelope::Eip1559(Signed::new_unhashed(tx, signature)),
                sender,
            }
        })
        .collect();
    let total = txs.len();
    let env = PoolEnv {
        chain_id: 31337,
        number: 1,
        timestamp: 1,
        block_gas_limit: u64::MAX,
        base_fee: 1_000_000_000,
        rates: Arc::new(RateSnapshot::default()),
    };

    let started = Instant::now();
    let mut baseline = HashMap::with_capacity(total);
    for tx in &txs {
        baseline.insert(tx.hash(), tx.clone());
    }
    let baseline_time = started.elapsed();
    drop(baseline);

    let pool = TxPool::new(
        PoolConfig {
            max_pending: total,
            max_queued: total,
            ..PoolConfig::default()
        },
        env.clone(),
        None,
    );
    let memory_before = resident_bytes();
    let started = Instant::now();
    let mut admitted = 0usize;
    for tx in txs {
        let raw = tx.tx.encoded().into();
        if pool.add(tx, raw, &state).is_ok() {
            admitted += 1;
        }
    }
    let insert_time = started.elapsed();
    let memory_after = resident_bytes();
    assert_eq!(admitted, total, "every transaction is valid");

    let started = Instant::now();
    let selected: Vec<_> = pool.best(env.base_fee).take(block).collect();
    let select_time = started.elapsed();
    assert_eq!(selected.len(), block.min(total));

    let insert_rate = total as f64 / insert_time.as_secs_f64();
    let baseline_rate = total as f64 / baseline_time.as_secs_f64();
    println!(
        "insert: {total} txs from {senders} senders in {:.3}s = {insert_rate:.0} tx/s \
         (baseline HashMap insert {baseline_rate:.0} tx/s, ratio {:.3})",
        insert_time.as_secs_f64(),
        insert_rate / baseline_rate
    );
    println!(
        "select: best {} of {total} in {:.2} ms",
        selected.len(),
        select_time.as_secs_f64() * 1000.0
    );
    println!(
        "memory: {:.0} bytes per pooled tx (resident growth {} KiB over {total} txs)",
        (memory_after.saturating_sub(memory_before)) as f64 / total as f64,
        memory_after.saturating_sub(memory_before) / 1024
    );
}
