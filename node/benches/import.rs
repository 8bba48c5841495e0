//! Block import benchmark: blocks of native transfers imported end to end — sender recovery
//! from the raw encoding, execution, state root, and the redb commit — on a store that
//! already holds N accounts.
//!
//! ```text
//! cargo bench -p supervm-node --bench import -- [--accounts 10000,1000000]
//!     [--workloads native,cip64,token] [--txs 1000] [--blocks 5]
//! ```
//!
//! Prints, per account count, committed transactions per second and the share of the time
//! spent in each phase. The figures in docs/benchmarks.md come from this command.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use alloy_consensus::{Header, SignableTransaction, TxEip1559, Typed2718, EMPTY_OMMER_ROOT_HASH};
use alloy_genesis::GenesisAccount;
use alloy_primitives::{keccak256, Address, TxKind, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use supervm_gas::next_block_base_fee;
use supervm_primitives::{
    receipts_root, transactions_root, ChainSpec, RecoveredTx, SealedBlock, StoredReceipt, TxCip64,
    TxEnvelope,
};
use supervm_storage::Store;
use supervm_vm::{
    execute_tx, system::IERC20, BlockEnv, Message, PendingState, RateSnapshot, StoreState,
};

const SENDERS: usize = 250;
/// The dev chain's sample USD token (6 decimals, rate 3/1e9).
const SUSD: Address = alloy_primitives::address!("0x00000000000000000000000000000000000005d1");

/// What the blocks contain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Workload {
    /// Native transfers paying gas in the native coin.
    Native,
    /// Native transfers paying gas in sUSD through CIP-64 (fee conversion only).
    Cip64,
    /// sUSD `transfer` calls paying gas in sUSD (resolution rule 3, conversion, ERC-20 code).
    Token,
}

impl Workload {
    fn parse(name: &str) -> Option<Self> {
        match name {
            "native" => Some(Self::Native),
            "cip64" => Some(Self::Cip64),
            "token" => Some(Self::Token),
            _ => None,
        }
    }
}

struct Args {
    accounts: Vec<usize>,
    workloads: Vec<Workload>,
    txs: usize,
    blocks: usize,
}

fn parse_args() -> Args {
    let mut args = Args {
        accounts: vec![10_000, 1_000_000],
        workloads: vec![Workload::Native],
        txs: 1_000,
        blocks: 5,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_default();
        match flag.as_str() {
            "--accounts" => {
                args.accounts = value()
                    .split(',')
                    .filter_map(|v| v.trim().parse().ok())
                    .collect()
            }
            "--workloads" => {
                args.workloads = value()
                    .split(',')
                    .filter_map(|w| Workload::parse(w.trim()))
                    .collect()
            }
            "--txs" => args.txs = value().parse().unwrap_or(args.txs),
            "--blocks" => args.blocks = value().parse().unwrap_or(args.blocks),
            // cargo bench passes --bench; ignore anything we do not know.
            _ => {}
        }
    }
    args
}

#[derive(Default)]
struct Phases {
    recover: Duration,
    execute: Duration,
    state_root: Duration,
    commit: Duration,
}

impl Phases {
    fn total(&self) -> Duration {
        self.recover + self.execute + self.state_root + self.commit
    }
}

fn filler(i: usize) -> Address {
    Address::from_slice(&keccak256((i as u64).to_be_bytes())[12..])
}

fn run(accounts: usize, workload: Workload, txs_per_block: usize, blocks: usize) {
    let senders: Vec<PrivateKeySigner> = (0..SENDERS)
        .map(|i| {
            PrivateKeySigner::from_bytes(&keccak256(format!("sender {i}"))).expect("valid key")
        })
        .collect();
    let mut spec = ChainSpec::dev(31337, senders.iter().map(|s| s.address()));
    for i in 0..accounts {
        spec.genesis.alloc.insert(
            filler(i),
            GenesisAccount::default().with_balance(U256::from(1)),
        );
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("chain.redb")).expect("open store");
    let setup = Instant::now();
    let genesis_state = supervm_vm::genesis_state(&spec).expect("genesis state");
    let genesis = store.init_genesis(&spec, &genesis_state).expect("genesis");
    eprintln!(
        "  genesis with {} accounts written in {:.1?}",
        spec.genesis.alloc.len(),
        setup.elapsed()
    );

    let mut parent = genesis;
    let mut nonces = vec![0u64; SENDERS];
    let mut phases = Phases::default();
    let mut committed = 0usize;
    for block_index in 0..blocks {
        let base_fee = next_block_base_fee(&spec, &parent.header);
        // Signing is the client's work, not the node's: done before timing.
        let raw: Vec<Vec<u8>> = (0..txs_per_block)
            .map(|i| {
                let sender = i % SENDERS;
                let recipient = filler((block_index * txs_per_block + i * 7919) % accounts.max(1));
                let nonce = nonces[sender];
                nonces[sender] += 1;
                let sign = |hash| senders[sender].sign_hash_sync(&hash).expect("sign");
                let native_transfer = TxEip1559 {
                    chain_id: 31337,
                    nonce,
                    gas_limit: 21_000,
                    max_fee_per_gas: u128::from(base_fee) * 2,
                    max_priority_fee_per_gas: 1,
                    to: TxKind::Call(recipient),
                    value: U256::from(1),
                    ..Default::default()
                };
                match workload {
                    Workload::Native => {
                        let signature = sign(native_transfer.signature_hash());
                        TxEnvelope::Eip1559(native_transfer.into_signed(signature)).encoded()
                    }
                    Workload::Cip64 => {
                        // sUSD rate 3/1e9: the base fee in sUSD units, doubled, plus a tip.
                        let base_in_token = (u128::from(base_fee) * 3).div_ceil(1_000_000_000);
                        let tx = TxCip64 {
                            inner: TxEip1559 {
                                max_fee_per_gas: base_in_token * 2 + 1,
                                ..native_transfer
                            },
                            fee_currency: Some(SUSD),
                        };
                        let signature = sign(tx.signature_hash());
                        TxEnvelope::Cip64(tx.into_signed(signature)).encoded()
                    }
                    Workload::Token => {
                        let tx = TxEip1559 {
                            gas_limit: 100_000,
                            to: TxKind::Call(SUSD),
                            value: U256::ZERO,
                            input: IERC20::transferCall {
                                to: recipient,
                                value: U256::from(1),
                            }
                            .abi_encode()
                            .into(),
                            ..native_transfer
                        };
                        let signature = sign(tx.signature_hash());
                        TxEnvelope::Eip1559(tx.into_signed(signature)).encoded()
                    }
                }
            })
            .collect();

        let started = Instant::now();
        let recovered: Vec<RecoveredTx> = raw
            .iter()
            .map(|bytes| {
                TxEnvelope::decode_raw(bytes)
                    .expect("decode")
                    .recover()
                    .expect("recover")
            })
            .collect();
        let recovered_at = Instant::now();

        let reader = store.reader().expect("reader");
        let env = BlockEnv {
            number: parent.header.number + 1,
            timestamp: parent.header.timestamp + 1,
            beneficiary: Address::ZERO,
            base_fee,
            gas_limit: spec.gas_limit(),
            base_fee_recipient: None,
            rates: Arc::new(
                RateSnapshot::read(&mut PendingState::new(StoreState::new(
                    &reader,
                    reader.head_number(),
                )))
                .expect("rates"),
            ),
        };
        let mut state = PendingState::new(StoreState::new(&reader, reader.head_number()));
        let mut receipts = Vec::with_capacity(recovered.len());
        let mut gas_used = 0;
        for tx in &recovered {
            let outcome =
                execute_tx(&env, &Message::from_tx(tx), &mut state).expect("valid transfer");
            gas_used += outcome.gas_used;
            receipts.push(StoredReceipt {
                tx_type: tx.tx.ty(),
                success: outcome.success,
                cumulative_gas_used: gas_used,
                gas_used: outcome.gas_used,
                effective_gas_price: outcome.effective_gas_price,
                logs: outcome.logs,
                fee_token: outcome.fee_token.unwrap_or_default(),
                fee_paid: outcome.settlement.paid(),
            });
        }
        supervm_vm::system::oracle::end_block(&mut state, env.timestamp).expect("oracle");
        let changes = state.into_changes();
        drop(reader);
        let executed_at = Instant::now();

        let mut writer = store.begin_block().expect("writer");
        writer.apply_state(env.number, &changes).expect("apply");
        let state_root = writer.state_root().expect("root");
        let rooted_at = Instant::now();

        let header = Header {
            parent_hash: parent.hash,
            ommers_hash: EMPTY_OMMER_ROOT_HASH,
            state_root,
            transactions_root: transactions_root(&recovered),
            receipts_root: receipts_root(&receipts),
            number: env.number,
            gas_limit: env.gas_limit,
            gas_used,
            timestamp: env.timestamp,
            base_fee_per_gas: Some(base_fee),
            ..Default::default()
        };
        let block = SealedBlock::new(header, recovered);
        writer.insert_block(&block, &receipts).expect("insert");
        writer.commit().expect("commit");
        let committed_at = Instant::now();

        phases.recover += recovered_at - started;
        phases.execute += executed_at - recovered_at;
        phases.state_root += rooted_at - executed_at;
        phases.commit += committed_at - rooted_at;
        committed += block.transactions.len();
        parent = block;
    }
    assert_eq!(store.reader().expect("reader").head_number(), blocks as u64);
    let total = phases.total().as_secs_f64();
    let share = |d: Duration| 100.0 * d.as_secs_f64() / total;
    println!(
        "workload={workload:?} accounts={accounts:>9} blocks={blocks} txs/block={txs_per_block} committed={committed} \
         time={total:.3}s tps={:.0} | recover {:.1}% execute {:.1}% state_root {:.1}% commit {:.1}%",
        committed as f64 / total,
        share(phases.recover),
        share(phases.execute),
        share(phases.state_root),
        share(phases.commit),
    );
}

fn main() {
    let args = parse_args();
    for accounts in &args.accounts {
        for workload in &args.workloads {
            run(*accounts, *workload, args.txs, args.blocks);
        }
    }
}
