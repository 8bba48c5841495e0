//! Four validators in commonware's deterministic simulation: each runs the real engine
//! (simplex, marshal, buffered broadcast) over a simulated network, executes on its own
//! node's chain and commits to its own store. They must finalize the same blocks.

use std::{sync::Arc, time::Duration};

use crate::common::{node, send, transfer};
use alloy_primitives::B256;
use commonware_cryptography::{ed25519, Signer};
use commonware_p2p::simulated::{self, Link};
use commonware_runtime::{deterministic, Clock, Quota, Runner, Supervisor};
use commonware_utils::{NZUsize, NZU32};
use supervm_consensus::bft::{
    engine::{self, channel, Channels, EngineConfig},
    BlockCodec,
};
use supervm_node::{Chain, Node};

const VALIDATORS: usize = 4;

fn config(keys: &[ed25519::PrivateKey], index: usize) -> EngineConfig {
    EngineConfig {
        namespace: b"supervm-sim".to_vec(),
        validators: keys.iter().map(|k| k.public_key()).collect(),
        signer: Some(keys[index].clone()),
        block_codec: BlockCodec {
            max_bytes: 1 << 20,
            recover_threads: 1,
        },
        block_time: Duration::from_secs(1),
        leader_timeout: Duration::from_secs(2),
        certification_timeout: Duration::from_secs(3),
        timeout_retry: Duration::from_secs(5),
        skip_timeout: Duration::from_secs(10),
        fetch_timeout: Duration::from_secs(2),
        view_retention: 256,
        partition_prefix: format!("v{index}"),
    }
}

/// Runs the validators whose chains are given (the others of the four never start) until
/// every running chain has finalized `height` blocks; returns the simulation's audit digest.
fn simulate(chains: Vec<Arc<Chain>>, seed: u64, height: u64) -> String {
    let runner = deterministic::Runner::new(
        deterministic::Config::new()
            .with_seed(seed)
            .with_timeout(Some(Duration::from_secs(600))),
    );
    runner.start(|context| async move {
        let keys: Vec<ed25519::PrivateKey> = (0..VALIDATORS as u64)
            .map(ed25519::PrivateKey::from_seed)
            .collect();
        let codec = config(&keys, 0).block_codec;
        let (network, oracle) = simulated::Network::new_with_peers(
            context.child("network"),
            simulated::Config {
                max_size: engine::max_message_size(VALIDATORS as u32, &codec),
                max_peers_per_set: NZUsize!(VALIDATORS + 1),
                disconnect_on_block: true,
                tracked_peer_sets: NZUsize!(1),
            },
            keys.iter().map(|k| k.public_key()),
        )
        .await;
        network.start();
        for a in &keys {
            for b in &keys {
                if a.public_key() != b.public_key() {
                    oracle
                        .add_link(
                            a.public_key(),
                            b.public_key(),
                            Link {
                                latency: Duration::from_millis(50),
                                jitter: Duration::from_millis(10),
                                success_rate: commonware_utils::probability!(1.0),
                            },
                        )
                        .await
                        .unwrap();
                }
            }
        }
        let quota = Quota::per_second(NZU32!(1024));
        for (index, key) in keys.iter().enumerate().take(chains.len()) {
            let control = oracle.control(key.public_key());
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
                context.child("validator").with_attribute("index", index),
                config(&keys, index),
                chains[index].clone(),
                channels,
                key.public_key(),
                oracle.manager(),
                oracle.control(key.public_key()),
            )
            .await
            .unwrap();
        }
        while chains
            .iter()
            .any(|chain| chain.finalized_head().map_or(0, |(number, _)| number) < height)
        {
            context.sleep(Duration::from_millis(100)).await;
        }
        context.auditor().state()
    })
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

/// Runs the simulation on `nodes` until `height`; returns the audit digest and the hash of
/// block `height`.
async fn run(nodes: &[Node], seed: u64, height: u64) -> (String, B256) {
    let chains: Vec<Arc<Chain>> = nodes.iter().map(|n| n.chain().clone()).collect();
    let audit = tokio::task::spawn_blocking(move || simulate(chains, seed, height))
        .await
        .unwrap();
    let hash = nodes[0]
        .store()
        .reader()
        .unwrap()
        .block_hash(height)
        .unwrap()
        .unwrap();
    (audit, hash)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_of_four_keep_finalizing_without_the_fourth() {
    let nodes = loaded_nodes().await;
    let chains: Vec<Arc<Chain>> = nodes.iter().take(3).map(|n| n.chain().clone()).collect();
    let height = 6;
    tokio::task::spawn_blocking(move || simulate(chains, 3, height))
        .await
        .unwrap();
    let hashes: Vec<B256> = nodes
        .iter()
        .take(3)
        .map(|n| {
            n.store()
                .reader()
                .unwrap()
                .block_hash(height)
                .unwrap()
                .unwrap()
        })
        .collect();
    assert!(hashes.iter().all(|h| *h == hashes[0]));
    for node in nodes {
        node.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_seed_gives_the_same_chain() {
    let first = loaded_nodes().await;
    let second = loaded_nodes().await;
    let a = run(&first, 11, 6).await;
    let b = run(&second, 11, 6).await;
    assert_eq!(a, b, "same seed, same events and same block 6");
    for node in first.into_iter().chain(second) {
        node.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_validators_finalize_the_same_chain() {
    let nodes = loaded_nodes().await;
    let height = 8;
    run(&nodes, 7, height).await;
    let heads: Vec<(u64, B256)> = nodes
        .iter()
        .map(|n| {
            let reader = n.store().reader().unwrap();
            (
                reader.head_number(),
                reader.block_hash(height).unwrap().unwrap(),
            )
        })
        .collect();
    for (head, hash) in &heads {
        assert!(*head >= height);
        assert_eq!(
            *hash, heads[0].1,
            "every validator finalized the same block {height}"
        );
    }
    let included: usize = (1..=height)
        .map(|number| {
            nodes[0]
                .store()
                .reader()
                .unwrap()
                .block(number)
                .unwrap()
                .unwrap()
                .transactions
                .len()
        })
        .sum();
    assert_eq!(
        included,
        3 * VALIDATORS,
        "every validator's transactions were included"
    );
    for node in nodes {
        node.stop().await;
    }
}
