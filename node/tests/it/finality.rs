//! Blocks decided by a BFT engine, at the chain level: a block one node builds validates and
//! finalizes on another (the differential check that invalid candidates leave nothing
//! behind), proposals build on unfinalized parents, and a byzantine proposer's blocks — bad
//! state root, forged body under a valid header, a fee in an unpriced token, a stale
//! timestamp — are rejected with the reason named.

use crate::common::{node, node_with, send, transfer};
use alloy_primitives::{Address, B256};
use supervm_node::{
    finality::{BlockRejected, FinalityError, Finalized},
    DevAccount, Node, NodeConfig,
};
use supervm_primitives::{SealedBlock, TxEnvelope};

const SUSD: Address = alloy_primitives::address!("0x00000000000000000000000000000000000005d1");

/// `block`'s header over other transactions, with the transactions root fixed so the body
/// matches: what a byzantine proposer would sign.
fn with_transactions(block: &SealedBlock, txs: Vec<TxEnvelope>) -> SealedBlock {
    let txs: Vec<_> = txs.into_iter().map(|tx| tx.recover().unwrap()).collect();
    let mut header = block.header.clone();
    header.transactions_root = supervm_primitives::transactions_root(&txs);
    SealedBlock::new(header, txs)
}

fn head_hash(node: &Node) -> B256 {
    let reader = node.store().reader().unwrap();
    reader.block_hash(reader.head_number()).unwrap().unwrap()
}

fn state_root(node: &Node, number: u64) -> B256 {
    node.store()
        .reader()
        .unwrap()
        .header(number)
        .unwrap()
        .unwrap()
        .state_root
}

fn rejected(result: Result<impl std::fmt::Debug, FinalityError>) -> BlockRejected {
    match result {
        Err(FinalityError::Rejected(reason)) => reason,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_built_on_one_node_validates_and_finalizes_on_another() {
    let (a, b) = (node().await, node().await);
    let accounts = a.dev_accounts().to_vec();
    send(&a, &transfer(&accounts[0], 0, None)).await;
    send(&a, &transfer(&accounts[1], 0, Some(SUSD))).await;
    let genesis = head_hash(&a);
    assert_eq!(genesis, head_hash(&b), "same genesis");

    let built = a.chain().build_on(genesis, 1).unwrap();
    let block = &built.executed.block;
    assert_eq!(block.transactions.len(), 2);
    b.chain().validate(block).unwrap();

    for node in [&a, &b] {
        assert_eq!(node.chain().finalize(block).unwrap(), Finalized::Committed);
        assert_eq!(
            node.chain().finalize(block).unwrap(),
            Finalized::AlreadyFinal
        );
        assert_eq!(head_hash(node), block.hash);
    }
    assert_eq!(state_root(&a, 1), state_root(&b, 1));
    assert_eq!(state_root(&a, 1), block.header.state_root);
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proposals_build_on_unfinalized_parents() {
    let (a, b) = (node().await, node().await);
    let sender = a.dev_accounts()[0].clone();
    send(&a, &transfer(&sender, 0, None)).await;
    let genesis = head_hash(&a);
    let first = a.chain().build_on(genesis, 1).unwrap();
    send(&a, &transfer(&sender, 1, None)).await;
    // The parent is not final: its transaction is still pending and must not be included
    // again; the sender's next nonce is.
    let second = a.chain().build_on(first.executed.block.hash, 2).unwrap();
    let nonces: Vec<u64> = second
        .executed
        .block
        .transactions
        .iter()
        .map(|tx| alloy_consensus::Transaction::nonce(&tx.tx))
        .collect();
    assert_eq!(nonces, vec![1]);

    // The second cannot be validated before its parent is known, nor finalized before it.
    assert!(matches!(
        b.chain().validate(&second.executed.block),
        Err(FinalityError::UnknownParent(_))
    ));
    b.chain().validate(&first.executed.block).unwrap();
    b.chain().validate(&second.executed.block).unwrap();
    assert!(matches!(
        b.chain().finalize(&second.executed.block),
        Err(FinalityError::NotNext { number: 2, head: 0 })
    ));
    for node in [&a, &b] {
        node.chain().finalize(&first.executed.block).unwrap();
        node.chain().finalize(&second.executed.block).unwrap();
    }
    assert_eq!(head_hash(&b), second.executed.block.hash);
    assert_eq!(state_root(&a, 2), state_root(&b, 2));
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_byzantine_proposers_blocks_are_rejected() {
    let (a, b) = (node().await, node().await);
    let accounts = a.dev_accounts().to_vec();
    send(&a, &transfer(&accounts[0], 0, None)).await;
    send(&a, &transfer(&accounts[1], 0, None)).await;
    let genesis = head_hash(&a);
    let honest = a.chain().build_on(genesis, 1).unwrap();
    let block = &honest.executed.block;

    let mut header = block.header.clone();
    header.state_root = B256::repeat_byte(0xba);
    let bad_root = SealedBlock::new(header, block.transactions.clone());
    match rejected(b.chain().validate(&bad_root)) {
        BlockRejected::Header { field, .. } => assert_eq!(field, "state_root"),
        other => panic!("{other}"),
    }

    // A valid header over another body: same hash, one transaction missing.
    let forged = SealedBlock {
        hash: block.hash,
        header: block.header.clone(),
        transactions: block.transactions[..1].to_vec(),
    };
    assert!(matches!(
        rejected(b.chain().validate(&forged)),
        BlockRejected::Body { .. }
    ));

    let mut header = block.header.clone();
    header.timestamp = 0;
    let stale = SealedBlock::new(header, block.transactions.clone());
    assert_eq!(
        rejected(b.chain().validate(&stale)),
        BlockRejected::Timestamp { parent: 0, got: 0 }
    );

    // A fee paid in a token that is not registered at all.
    let unregistered = transfer(&accounts[2], 0, Some(Address::repeat_byte(0x77)));
    match rejected(
        b.chain()
            .validate(&with_transactions(block, vec![unregistered])),
    ) {
        BlockRejected::Transaction { index, reason, .. } => {
            assert_eq!(index, 0);
            assert!(reason.contains("is not a registered token"), "{reason}");
        }
        other => panic!("{other}"),
    }

    // None of it left state behind: the honest block still validates and finalizes.
    b.chain().validate(block).unwrap();
    b.chain().finalize(block).unwrap();
    assert!(matches!(
        rejected(b.chain().finalize(&bad_root)),
        BlockRejected::ConflictsWithFinalized { number: 1, .. }
    ));
    assert_eq!(state_root(&b, 1), block.header.state_root);
    a.stop().await;
    b.stop().await;
}

/// A chain whose genesis registers a token without a seeded rate: its price is missing from
/// every rate snapshot until reporters report one.
fn genesis_with_an_unpriced_token(
    dir: &std::path::Path,
    accounts: &[DevAccount],
) -> std::path::PathBuf {
    let balances: serde_json::Map<String, serde_json::Value> = accounts
        .iter()
        .map(|a| (a.address.to_string(), serde_json::json!("0xe8d4a51000")))
        .collect();
    let alloc: serde_json::Map<String, serde_json::Value> = accounts
        .iter()
        .map(|a| {
            (
                a.address.to_string(),
                serde_json::json!({"balance": "0x21e19e0c9bab2400000"}),
            )
        })
        .collect();
    let genesis = serde_json::json!({
        "config": {"chainId": 31337, "supervm": {"tokens": [{
            "address": "0x0000000000000000000000000000000000000777",
            "name": "Unpriced", "symbol": "NOPE", "decimals": 6,
            "balances": balances,
        }]}},
        "gasLimit": "0x1c9c380", "baseFeePerGas": "0x3b9aca00", "timestamp": "0x0",
        "alloc": alloc,
    });
    let path = dir.join("genesis.json");
    std::fs::write(&path, genesis.to_string()).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fee_in_a_token_without_a_price_makes_the_block_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let accounts =
        supervm_node::derive_dev_accounts(supervm_node::config::DEV_MNEMONIC, 2).unwrap();
    let genesis = genesis_with_an_unpriced_token(dir.path(), &accounts);
    let config = || {
        let mut config = NodeConfig::default();
        config.chain.genesis = Some(genesis.clone());
        config.dev.accounts = 2;
        config
    };
    let (a, b) = (node_with(config()).await, node_with(config()).await);
    send(&a, &transfer(&accounts[0], 0, None)).await;
    let parent = head_hash(&a);
    let honest = a.chain().build_on(parent, 1).unwrap();
    let nope = alloy_primitives::address!("0x0000000000000000000000000000000000000777");
    let unpriced = transfer(&accounts[1], 0, Some(nope));
    let block = with_transactions(&honest.executed.block, vec![unpriced]);
    match rejected(b.chain().validate(&block)) {
        BlockRejected::Transaction { index, reason, .. } => {
            assert_eq!(index, 0);
            assert!(
                reason.contains("no fresh price for fee token NOPE"),
                "{reason}"
            );
        }
        other => panic!("{other}"),
    }
    a.stop().await;
    b.stop().await;
}
