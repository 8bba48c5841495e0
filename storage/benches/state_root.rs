//! State-root benchmark: the cost of a block's state root on a store holding N accounts (or
//! one contract holding N slots), incremental vs a full recomputation in the same run.
//!
//! ```text
//! cargo bench -p supervm-storage --bench state_root -- [--accounts 10000,1000000]
//!     [--slots 10000,1000000] [--blocks 5]
//! ```
//!
//! Workloads, shaped like a 10k-transaction block:
//! - `accounts`: 10,000 existing accounts change (senders) and 10,000 new ones appear
//!   (recipients): 20,000 changed leaves of the account trie;
//! - `slots`: one contract holding N slots has 5,000 of them rewritten and 5,000 new ones
//!   written (token balances of senders and recipients): 10,000 changed leaves of one storage trie.
//!
//! Each measured block is applied in a write transaction that is then dropped, so every block
//! starts from the same N. Printed per block size: `apply_state` (leaf writes, history, and for
//! `slots` the incremental storage root), `state_root` (the incremental account root), and the
//! baseline `full_state_root` (every leaf walked, every storage root rebuilt) over the same
//! tables, whose root must be equal. Figures are medians over the blocks. Then three more such
//! blocks are committed and their (fsync'd) commits timed, node writes included.

use std::{collections::HashSet, time::Instant};

use alloy_primitives::{Address, B256, U256};
use supervm_primitives::{Account, StateChanges};
use supervm_storage::Store;

/// Leaves written per transaction while building the initial state.
const BUILD_BATCH: usize = 100_000;
/// Changed existing and new leaves per measured block, per workload.
const ACCOUNT_CHANGES: usize = 10_000;
const SLOT_CHANGES: usize = 5_000;
/// Blocks committed after the measured ones, to time the commit.
const COMMITTED_BLOCKS: usize = 3;

struct Args {
    accounts: Vec<usize>,
    slots: Vec<usize>,
    blocks: usize,
}

fn parse_args() -> Args {
    let mut args = Args {
        accounts: vec![10_000, 1_000_000],
        slots: vec![10_000, 1_000_000],
        blocks: 5,
    };
    let list = |value: String| -> Vec<usize> {
        value
            .split(',')
            .filter_map(|v| v.trim().parse().ok())
            .collect()
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_default();
        match flag.as_str() {
            "--accounts" => args.accounts = list(value()),
            "--slots" => args.slots = list(value()),
            "--blocks" => args.blocks = value().parse().unwrap_or(args.blocks),
            // cargo bench passes --bench; ignore anything we do not know.
            _ => {}
        }
    }
    args
}

/// splitmix64: a fixed, dependency-free sequence of random numbers.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// `count` distinct numbers below `below` (all of them if there are not more).
    fn distinct(&mut self, count: usize, below: usize) -> Vec<usize> {
        if count >= below {
            return (0..below).collect();
        }
        let mut seen = HashSet::with_capacity(count);
        while seen.len() < count {
            seen.insert((self.next() % below as u64) as usize);
        }
        seen.into_iter().collect()
    }
}

fn address(index: usize) -> Address {
    let mut bytes = [0x11u8; 20];
    bytes[12..].copy_from_slice(&(index as u64).to_be_bytes());
    Address::from(bytes)
}

fn slot(index: usize) -> B256 {
    B256::from(U256::from(index))
}

/// The contract of the `slots` workload.
const TOKEN: Address = Address::repeat_byte(0xee);

#[derive(Clone, Copy)]
enum Workload {
    Accounts,
    Slots,
}

impl Workload {
    fn name(self) -> &'static str {
        match self {
            Self::Accounts => "accounts",
            Self::Slots => "slots",
        }
    }

    /// Leaves `range` of the initial state.
    fn initial(self, range: std::ops::Range<usize>) -> StateChanges {
        let mut changes = StateChanges::default();
        match self {
            Self::Accounts => {
                for i in range {
                    changes.accounts.insert(
                        address(i),
                        Some(Account::with_balance(U256::from(i as u64 + 1))),
                    );
                }
            }
            Self::Slots => {
                changes
                    .accounts
                    .insert(TOKEN, Some(Account::with_balance(U256::from(1))));
                let slots = changes.storage.entry(TOKEN).or_default();
                for i in range {
                    slots.insert(slot(i), U256::from(i as u64 + 1));
                }
            }
        }
        changes
    }

    /// Block `block` on a state of `n` leaves: existing leaves changed plus new ones.
    fn block(self, n: usize, block: usize, rng: &mut Rng) -> StateChanges {
        let mut changes = StateChanges::default();
        match self {
            Self::Accounts => {
                for i in rng.distinct(ACCOUNT_CHANGES, n) {
                    let account = Account {
                        nonce: 1,
                        balance: U256::from(i as u64),
                        ..Account::default()
                    };
                    changes.accounts.insert(address(i), Some(account));
                }
                for j in 0..ACCOUNT_CHANGES {
                    let new = n + block * ACCOUNT_CHANGES + j;
                    changes
                        .accounts
                        .insert(address(new), Some(Account::with_balance(U256::from(1))));
                }
            }
            Self::Slots => {
                let slots = changes.storage.entry(TOKEN).or_default();
                for i in rng.distinct(SLOT_CHANGES, n) {
                    slots.insert(slot(i), U256::from(i as u64 + 7));
                }
                for j in 0..SLOT_CHANGES {
                    slots.insert(slot(n + block * SLOT_CHANGES + j), U256::from(1));
                }
            }
        }
        changes
    }
}

/// Median of seconds.
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn run(workload: Workload, n: usize, blocks: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("db")).expect("open");
    let started = Instant::now();
    for start in (0..n).step_by(BUILD_BATCH) {
        let changes = workload.initial(start..(start + BUILD_BATCH).min(n));
        let mut writer = store.begin_block().expect("writer");
        writer.apply_state(0, &changes).expect("apply");
        writer.state_root().expect("root");
        writer.commit().expect("commit");
    }
    eprintln!(
        "{} {n}: state built in {:.1} s",
        workload.name(),
        started.elapsed().as_secs_f64()
    );

    let mut rng = Rng(n as u64);
    let (mut apply, mut root, mut full) = (Vec::new(), Vec::new(), Vec::new());
    for block in 0..blocks {
        let changes = workload.block(n, block, &mut rng);
        let mut writer = store.begin_block().expect("writer");
        let t0 = Instant::now();
        writer.apply_state(1, &changes).expect("apply");
        let t1 = Instant::now();
        let incremental = writer.state_root().expect("root");
        let t2 = Instant::now();
        let reference = writer.full_state_root().expect("full root");
        let t3 = Instant::now();
        assert_eq!(incremental, reference, "incremental root differs");
        apply.push((t1 - t0).as_secs_f64());
        root.push((t2 - t1).as_secs_f64());
        full.push((t3 - t2).as_secs_f64());
        // Dropped, not committed: the next block starts from the same state.
        drop(writer);
    }
    // Three more blocks, committed: what writing the changed nodes adds to the fsync'd commit.
    // (The state grows by these blocks, so they come last.)
    let mut commit = Vec::new();
    for block in blocks..blocks + COMMITTED_BLOCKS {
        let changes = workload.block(n, block, &mut rng);
        let mut writer = store.begin_block().expect("writer");
        writer.apply_state(1, &changes).expect("apply");
        writer.state_root().expect("root");
        let t0 = Instant::now();
        writer.commit().expect("commit");
        commit.push(t0.elapsed().as_secs_f64());
    }
    let (apply, root, full, commit) = (median(apply), median(root), median(full), median(commit));
    println!(
        "workload={} leaves={n} blocks={blocks} | apply_state {:.1} ms | state_root {:.1} ms | \
         apply_state+state_root {:.1} ms | baseline full_state_root {:.1} ms | commit {:.1} ms",
        workload.name(),
        apply * 1e3,
        root * 1e3,
        (apply + root) * 1e3,
        full * 1e3,
        commit * 1e3,
    );
}

fn main() {
    let args = parse_args();
    for &n in &args.accounts {
        run(Workload::Accounts, n, args.blocks);
    }
    for &n in &args.slots {
        run(Workload::Slots, n, args.blocks);
    }
}
