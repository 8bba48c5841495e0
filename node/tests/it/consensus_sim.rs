//! Four validators in commonware's deterministic simulation: each runs the real engine
//! (simplex, marshal, buffered broadcast) over a simulated network, executes on its own
//! node's chain and commits to its own store. They must finalize the same blocks — over
//! reliable links, lossy and slow ones, a 2|2 partition that heals, a validator that crashes
//! and restarts, and with a byzantine proposer whose invalid blocks are never finalized.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use crate::common::{node, send, transfer};
use alloy_primitives::{Address, B256};
use commonware_cryptography::{ed25519, Signer};
use commonware_p2p::simulated::{self, Link, Oracle};
use commonware_runtime::{deterministic, Clock, Handle, Quota, Runner, Spawner, Supervisor};
use commonware_utils::{NZUsize, NZU32};
use supervm_consensus::bft::{
    engine::{self, channel, Channels, EngineConfig},
    keys,
    status::ConsensusStatus,
    BlockCodec, BlockExecution, ExecutionError,
};
use supervm_node::{Chain, DevAccount, Node};
use supervm_primitives::{transactions_root, SealedBlock};

const VALIDATORS: usize = 4;

fn config(keys: &[ed25519::PrivateKey], index: usize) -> EngineConfig {
    EngineConfig {
        namespace: b"supervm-sim".to_vec(),
        validators: keys.iter().map(|k| k.public_key()).collect(),
        signer: Some(keys[index].clone()),
        block_codec: BlockCodec {
            max_bytes: 1 << 20,
            recover_threads: 1,
            known_senders: None,
        },
        block_time: Duration::from_secs(1),
        leader_timeout: Duration::from_secs(2),
        certification_timeout: Duration::from_secs(3),
        timeout_retry: Duration::from_secs(5),
        skip_timeout: Duration::from_secs(10),
        fetch_timeout: Duration::from_secs(2),
        view_retention: 256,
        partition_prefix: format!("v{index}"),
        status: Arc::new(ConsensusStatus::new(
            keys::public_key_bytes(&keys[index].public_key()),
            keys.iter()
                .map(|k| keys::public_key_bytes(&k.public_key()))
                .collect(),
        )),
    }
}

/// How a byzantine proposer corrupts the block it built honestly.
#[derive(Clone, Copy, Debug)]
enum Forgery {
    /// A state root execution does not give.
    StateRoot,
    /// The header of its block, with other transactions.
    Body,
    /// Its block plus a transaction paying its fee in a token that has no price.
    UnpricedFeeToken,
}

const FORGERIES: [Forgery; 3] = [Forgery::StateRoot, Forgery::Body, Forgery::UnpricedFeeToken];

/// A validator's chain as the engine sees it: honest, or forging every proposal (in turn
/// each [`Forgery`]); records what it proposed and what it rejected.
struct SimChain {
    chain: Arc<Chain>,
    forger: Option<DevAccount>,
    forged: Mutex<Vec<B256>>,
    rejected: Mutex<Vec<String>>,
}

impl SimChain {
    fn honest(node: &Node) -> Arc<Self> {
        Arc::new(Self {
            chain: node.chain().clone(),
            forger: None,
            forged: Mutex::default(),
            rejected: Mutex::default(),
        })
    }

    fn byzantine(node: &Node, account: DevAccount) -> Arc<Self> {
        Arc::new(Self {
            chain: node.chain().clone(),
            forger: Some(account),
            forged: Mutex::default(),
            rejected: Mutex::default(),
        })
    }

    fn height(&self) -> u64 {
        self.chain.finalized_head().map_or(0, |(number, _)| number)
    }

    fn forge(&self, block: SealedBlock, account: &DevAccount) -> SealedBlock {
        let mut forged = self.forged.lock().unwrap();
        let kind = FORGERIES[forged.len() % FORGERIES.len()];
        let block = match kind {
            Forgery::StateRoot => {
                let mut header = block.header;
                header.state_root = B256::repeat_byte(0xbd);
                SealedBlock::new(header, block.transactions)
            }
            Forgery::Body => SealedBlock {
                transactions: vec![transfer(account, 0, None).recover().unwrap()],
                ..block
            },
            Forgery::UnpricedFeeToken => {
                let mut transactions = block.transactions;
                transactions.push(
                    transfer(account, 0, Some(Address::repeat_byte(0x77)))
                        .recover()
                        .unwrap(),
                );
                let mut header = block.header;
                header.transactions_root = transactions_root(&transactions);
                SealedBlock::new(header, transactions)
            }
        };
        forged.push(block.hash);
        block
    }
}

impl BlockExecution for SimChain {
    fn build_on(&self, parent: B256, timestamp: u64) -> Result<SealedBlock, ExecutionError> {
        let block = BlockExecution::build_on(&*self.chain, parent, timestamp)?;
        Ok(match &self.forger {
            Some(account) => self.forge(block, account),
            None => block,
        })
    }

    fn validate(&self, block: &SealedBlock) -> Result<(), ExecutionError> {
        let verdict = BlockExecution::validate(&*self.chain, block);
        if let Err(ExecutionError::Invalid(reason)) = &verdict {
            self.rejected.lock().unwrap().push(reason.clone());
        }
        verdict
    }

    fn finalize(&self, block: &SealedBlock) -> Result<(), ExecutionError> {
        BlockExecution::finalize(&*self.chain, block)
    }

    fn genesis(&self) -> SealedBlock {
        BlockExecution::genesis(&*self.chain)
    }
}

/// What goes wrong in a simulation.
#[derive(Clone, Copy, Debug)]
struct Faults {
    latency: Duration,
    jitter: Duration,
    /// Share of messages delivered.
    delivered: f64,
    /// Validators 0 and 1 cannot reach 2 and 3 for this long from the start.
    partition: Option<Duration>,
    /// Validator `.0` crashes at `.1` and restarts at `.2` (simulated time).
    crash: Option<(usize, Duration, Duration)>,
    /// Also wait until the byzantine proposer forged this many blocks.
    forged: usize,
    /// A fifth peer, not a validator, sends garbage on every channel.
    rogue: bool,
}

const RELIABLE: Faults = Faults {
    latency: Duration::from_millis(50),
    jitter: Duration::from_millis(10),
    delivered: 1.0,
    partition: None,
    crash: None,
    forged: 0,
    rogue: false,
};

fn link(faults: &Faults) -> Link {
    Link {
        latency: faults.latency,
        jitter: faults.jitter,
        success_rate: commonware_utils::Probability::try_from(faults.delivered).unwrap(),
    }
}

type SimOracle = Oracle<ed25519::PublicKey, deterministic::Context>;

/// Starts validator `index`'s engine on freshly registered channels (a restart reuses its
/// storage partitions).
async fn start_validator(
    context: &deterministic::Context,
    oracle: &SimOracle,
    keys: &[ed25519::PrivateKey],
    index: usize,
    incarnation: usize,
    chain: Arc<SimChain>,
) -> Handle<()> {
    let key = keys[index].public_key();
    let control = oracle.control(key.clone());
    let quota = Quota::per_second(NZU32!(1024));
    let channels = Channels {
        votes: control.register(channel::VOTES, quota).await.unwrap(),
        certificates: control
            .register(channel::CERTIFICATES, quota)
            .await
            .unwrap(),
        resolver: control.register(channel::RESOLVER, quota).await.unwrap(),
        blocks: control.register(channel::BLOCKS, quota).await.unwrap(),
        backfill: control.register(channel::BACKFILL, quota).await.unwrap(),
    };
    engine::start(
        context
            .child("validator")
            .with_attribute("index", index)
            .with_attribute("incarnation", incarnation),
        config(keys, index),
        chain,
        channels,
        key.clone(),
        oracle.manager(),
        control,
    )
    .await
    .unwrap()
}

/// Whether `a` and `b` are on different sides of the 2|2 partition.
fn across(a: usize, b: usize) -> bool {
    (a < 2) != (b < 2)
}

/// Runs the validators whose chains are given (the others of the four never start) until
/// every running chain has finalized `height` blocks; returns the simulation's audit digest.
fn simulate(chains: Vec<Arc<SimChain>>, seed: u64, height: u64, faults: Faults) -> String {
    let runner = deterministic::Runner::new(
        deterministic::Config::new()
            .with_seed(seed)
            .with_timeout(Some(Duration::from_secs(3600))),
    );
    runner.start(|context| async move {
        let keys: Vec<ed25519::PrivateKey> = (0..VALIDATORS as u64)
            .map(ed25519::PrivateKey::from_seed)
            .collect();
        let rogue = ed25519::PrivateKey::from_seed(99).public_key();
        let codec = config(&keys, 0).block_codec;
        let max_size = engine::max_message_size(VALIDATORS as u32, &codec);
        let (network, oracle) = simulated::Network::new_with_peers(
            context.child("network"),
            simulated::Config {
                max_size,
                max_peers_per_set: NZUsize!(VALIDATORS + 2),
                disconnect_on_block: true,
                tracked_peer_sets: NZUsize!(1),
            },
            keys.iter()
                .map(|k| k.public_key())
                .chain(faults.rogue.then(|| rogue.clone())),
        )
        .await;
        network.start();
        if faults.rogue {
            start_rogue(&context, &oracle, &keys, rogue.clone(), max_size, &faults).await;
        }
        let connect = |partitioned: bool| {
            let oracle = oracle.clone();
            let keys = keys.clone();
            async move {
                for (a, from) in keys.iter().enumerate() {
                    for (b, to) in keys.iter().enumerate() {
                        if a != b && across(a, b) != partitioned {
                            continue;
                        }
                        if a != b {
                            oracle
                                .add_link(from.public_key(), to.public_key(), link(&faults))
                                .await
                                .unwrap();
                        }
                    }
                }
            }
        };
        // Links within each side first; across the partition now or once it heals.
        connect(false).await;
        if faults.partition.is_none() {
            connect(true).await;
        }
        let mut handles = Vec::new();
        for (index, chain) in chains.iter().enumerate() {
            handles.push(start_validator(&context, &oracle, &keys, index, 0, chain.clone()).await);
        }
        let start = context.current();
        let mut healed = faults.partition.is_none();
        let mut crashed = false;
        let mut restarted = false;
        loop {
            let elapsed = context.current().duration_since(start).unwrap_or_default();
            if let Some(after) = faults.partition {
                if !healed && elapsed >= after {
                    assert!(
                        chains.iter().all(|c| c.height() == 0),
                        "no side of a 2|2 partition has a quorum, yet a block was finalized"
                    );
                    connect(true).await;
                    healed = true;
                }
            }
            if let Some((index, down, up)) = faults.crash {
                if !crashed && elapsed >= down {
                    handles[index].abort();
                    crashed = true;
                }
                if crashed && !restarted && elapsed >= up {
                    handles[index] =
                        start_validator(&context, &oracle, &keys, index, 1, chains[index].clone())
                            .await;
                    restarted = true;
                }
            }
            let forged: usize = chains.iter().map(|c| c.forged.lock().unwrap().len()).sum();
            let done = chains.iter().all(|c| c.height() >= height)
                && forged >= faults.forged
                && healed
                && (faults.crash.is_none() || restarted);
            if done {
                break;
            }
            context.sleep(Duration::from_millis(100)).await;
        }
        if faults.rogue {
            let blocked = oracle.blocked().await.unwrap();
            assert!(
                blocked.iter().any(|(_, peer)| *peer == rogue),
                "no validator blocked the peer sending garbage: {blocked:?}"
            );
        }
        context.auditor().state()
    })
}

/// A peer that is not a validator and sends undecodable messages of every size on every
/// channel of the engine, ten times a second.
async fn start_rogue(
    context: &deterministic::Context,
    oracle: &SimOracle,
    keys: &[ed25519::PrivateKey],
    rogue: ed25519::PublicKey,
    max_size: u32,
    faults: &Faults,
) {
    for key in keys {
        for (from, to) in [
            (rogue.clone(), key.public_key()),
            (key.public_key(), rogue.clone()),
        ] {
            oracle.add_link(from, to, link(faults)).await.unwrap();
        }
    }
    let control = oracle.control(rogue);
    let quota = Quota::per_second(NZU32!(1024));
    let mut senders = Vec::new();
    for channel in [
        channel::VOTES,
        channel::CERTIFICATES,
        channel::RESOLVER,
        channel::BLOCKS,
        channel::BACKFILL,
    ] {
        senders.push(control.register(channel, quota).await.unwrap().0);
    }
    context.child("rogue").spawn(move |context| async move {
        let mut round: u32 = 0;
        loop {
            let size = [1usize, 7, 64, 4096, max_size as usize][round as usize % 5];
            let garbage: Vec<u8> = (0..size).map(|i| (i as u32 ^ round) as u8).collect();
            for sender in &mut senders {
                commonware_p2p::Sender::send(
                    sender,
                    commonware_p2p::Recipients::All,
                    garbage.clone(),
                    false,
                );
            }
            round = round.wrapping_add(1);
            context.sleep(Duration::from_millis(100)).await;
        }
    });
}

/// Four fresh nodes, each with three transfers of its own sender in its pool: they reach
/// the chain when that validator leads.
async fn loaded_nodes() -> Vec<Node> {
    let mut nodes = Vec::new();
    for _ in 0..VALIDATORS {
        nodes.push(node().await);
    }
    let accounts = nodes[0].dev_accounts().to_vec();
    for (index, node) in nodes.iter().enumerate() {
        for nonce in 0..3 {
            send(node, &transfer(&accounts[index], nonce, None)).await;
        }
    }
    nodes
}

/// Runs `chains` in a simulation on the blocking pool.
async fn run_chains(chains: Vec<Arc<SimChain>>, seed: u64, height: u64, faults: Faults) -> String {
    tokio::task::spawn_blocking(move || simulate(chains, seed, height, faults))
        .await
        .unwrap()
}

/// Block `height` of every node: all the same, returned.
fn same_block(nodes: &[&Node], height: u64) -> B256 {
    let hashes: Vec<B256> = nodes
        .iter()
        .map(|n| {
            n.store()
                .reader()
                .unwrap()
                .block_hash(height)
                .unwrap()
                .unwrap()
        })
        .collect();
    assert!(
        hashes.iter().all(|h| *h == hashes[0]),
        "validators disagree on block {height}: {hashes:?}"
    );
    hashes[0]
}

/// Runs the four honest `nodes` under `faults` until `height`; checks they agree on every
/// block and that every transaction of the pools was finalized.
async fn run_honest(nodes: &[Node], seed: u64, height: u64, faults: Faults) -> (String, B256) {
    let chains = nodes.iter().map(SimChain::honest).collect();
    let audit = run_chains(chains, seed, height, faults).await;
    let all: Vec<&Node> = nodes.iter().collect();
    for number in 1..height {
        same_block(&all, number);
    }
    (audit, same_block(&all, height))
}

/// Transactions in blocks `1..=height` of `node`.
fn included(node: &Node, height: u64) -> usize {
    let reader = node.store().reader().unwrap();
    (1..=height)
        .map(|number| reader.block(number).unwrap().unwrap().transactions.len())
        .sum()
}

async fn stop(nodes: Vec<Node>) {
    for node in nodes {
        node.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_validators_finalize_the_same_chain() {
    let nodes = loaded_nodes().await;
    let height = 8;
    run_honest(&nodes, 7, height, RELIABLE).await;
    assert_eq!(
        included(&nodes[0], height),
        3 * VALIDATORS,
        "every validator's transactions were included"
    );
    stop(nodes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_of_four_keep_finalizing_without_the_fourth() {
    let nodes = loaded_nodes().await;
    let height = 6;
    let chains = nodes.iter().take(3).map(SimChain::honest).collect();
    run_chains(chains, 3, height, RELIABLE).await;
    let three: Vec<&Node> = nodes.iter().take(3).collect();
    same_block(&three, height);
    stop(nodes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_seed_gives_the_same_chain() {
    let first = loaded_nodes().await;
    let second = loaded_nodes().await;
    let a = run_honest(&first, 11, 6, RELIABLE).await;
    let b = run_honest(&second, 11, 6, RELIABLE).await;
    assert_eq!(a, b, "same seed, same events and same block 6");
    stop(first.into_iter().chain(second).collect()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lossy_and_slow_links_still_finalize() {
    let nodes = loaded_nodes().await;
    let faults = Faults {
        latency: Duration::from_millis(300),
        jitter: Duration::from_millis(150),
        delivered: 0.8,
        ..RELIABLE
    };
    run_honest(&nodes, 5, 6, faults).await;
    stop(nodes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_healed_two_two_partition_resumes_finalizing() {
    let nodes = loaded_nodes().await;
    let faults = Faults {
        partition: Some(Duration::from_secs(20)),
        ..RELIABLE
    };
    run_honest(&nodes, 9, 5, faults).await;
    stop(nodes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_validator_restarts_and_catches_up() {
    let nodes = loaded_nodes().await;
    let faults = Faults {
        crash: Some((3, Duration::from_secs(4), Duration::from_secs(20))),
        ..RELIABLE
    };
    run_honest(&nodes, 13, 10, faults).await;
    stop(nodes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_from_a_peer_that_is_not_a_validator_is_dropped() {
    let nodes = loaded_nodes().await;
    let faults = Faults {
        rogue: true,
        ..RELIABLE
    };
    run_honest(&nodes, 21, 6, faults).await;
    stop(nodes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_byzantine_proposers_blocks_are_never_finalized() {
    let nodes = loaded_nodes().await;
    let forger_account = nodes[0].dev_accounts()[9].clone();
    let chains: Vec<Arc<SimChain>> = nodes
        .iter()
        .enumerate()
        .map(|(index, node)| match index {
            3 => SimChain::byzantine(node, forger_account.clone()),
            _ => SimChain::honest(node),
        })
        .collect();
    // One more than the kinds: the last kind's view is over when the next forgery is built.
    let faults = Faults {
        forged: FORGERIES.len() + 1,
        ..RELIABLE
    };
    let height = 6;
    run_chains(chains.clone(), 17, height, faults).await;
    let honest: Vec<&Node> = nodes.iter().take(3).collect();
    let head = honest[0].store().reader().unwrap().head_number();
    let finalized: Vec<B256> = (1..=head).map(|n| same_block(&honest, n)).collect();
    let forged = chains[3].forged.lock().unwrap().clone();
    assert!(forged.len() >= FORGERIES.len());
    assert!(
        forged.iter().all(|hash| !finalized.contains(hash)),
        "a forged block was finalized"
    );
    let rejected: Vec<String> = chains
        .iter()
        .take(3)
        .flat_map(|c| c.rejected.lock().unwrap().clone())
        .collect();
    // A forged body never reaches verification: the block codec refuses transactions that
    // do not hash to the header's root, so the proposal is never even decoded.
    for expected in ["header field state_root", "is invalid"] {
        assert!(
            rejected.iter().any(|reason| reason.contains(expected)),
            "no validator rejected a block with '{expected}': {rejected:?}"
        );
    }
    stop(nodes).await;
}
