//! A node stopped and relaunched on the same data directory serves exactly the same chain and
//! carries on from it.

use crate::common::*;

/// Everything a client can read about the chain, as raw JSON, to compare byte for byte.
#[derive(Debug, PartialEq)]
struct ChainView {
    head: u64,
    blocks_full: Vec<Value>,
    blocks_by_hash: Vec<Value>,
    block_receipts: Vec<Value>,
    receipts: Vec<Value>,
    transactions: Vec<Value>,
    balances: Vec<(Address, Vec<Value>)>,
    nonces: Vec<(Address, Value)>,
    fee_history: Value,
}

async fn read_chain(rpc: &RawRpc, tx_hashes: &[B256], accounts: &[Address]) -> ChainView {
    let head = rpc.block_number().await;
    let mut view = ChainView {
        head,
        blocks_full: vec![],
        blocks_by_hash: vec![],
        block_receipts: vec![],
        receipts: vec![],
        transactions: vec![],
        balances: vec![],
        nonces: vec![],
        fee_history: rpc
            .call(
                "eth_feeHistory",
                json!([format!("{:#x}", head + 1), "latest", [25, 75]]),
            )
            .await,
    };
    for number in 0..=head {
        let tag = json!(format!("{number:#x}"));
        let block = rpc.block_json(tag.clone(), true).await;
        assert!(!block.is_null(), "block {number} missing");
        let by_hash = rpc
            .call("eth_getBlockByHash", json!([block["hash"], false]))
            .await;
        view.blocks_by_hash.push(by_hash);
        view.block_receipts
            .push(rpc.call("eth_getBlockReceipts", json!([tag])).await);
        view.blocks_full.push(block);
    }
    for hash in tx_hashes {
        view.receipts
            .push(rpc.call("eth_getTransactionReceipt", json!([hash])).await);
        view.transactions
            .push(rpc.call("eth_getTransactionByHash", json!([hash])).await);
    }
    for address in accounts {
        let mut balances = vec![];
        for number in 0..=head {
            balances.push(
                rpc.call("eth_getBalance", json!([address, format!("{number:#x}")]))
                    .await,
            );
        }
        view.balances.push((*address, balances));
        view.nonces.push((
            *address,
            rpc.call("eth_getTransactionCount", json!([address, "latest"]))
                .await,
        ));
    }
    view
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_preserves_the_chain() {
    let beneficiary = address!("0x00000000000000000000000000000000000000b1");
    let node = TestNode::start(|c| c.mining.beneficiary = beneficiary).await;
    let rpc = node.rpc();
    let provider = node.provider();
    let signers: Vec<_> = (0..3).map(|i| node.signer(i)).collect();
    let recipients: Vec<Address> = (0..2).map(|_| random_signer().address()).collect();

    // Several blocks with transfers of every type, from three senders.
    let mut hashes = Vec::new();
    for round in 0..4u64 {
        for (i, signer) in signers.iter().enumerate() {
            let to = recipients[(round as usize + i) % 2];
            let value = U256::from(1_000 * (round + 1) + i as u64);
            let envelope = match (round + i as u64) % 3 {
                0 => sign(signer, legacy(round, to, value, 3 * GWEI)),
                1 => sign(
                    signer,
                    TxEip2930 {
                        chain_id: CHAIN_ID,
                        nonce: round,
                        gas_price: 3 * GWEI,
                        gas_limit: 30_000,
                        to: TxKind::Call(to),
                        value,
                        access_list: AccessList(vec![AccessListItem {
                            address: to,
                            storage_keys: vec![B256::ZERO],
                        }]),
                        input: Bytes::new(),
                    },
                ),
                _ => sign(signer, eip1559(round, to, value, 10 * GWEI, GWEI)),
            };
            hashes.push(rpc.send_raw(&raw(&envelope)).await.expect("send"));
        }
        for hash in &hashes {
            wait_receipt(&provider, *hash).await;
        }
    }
    let mut accounts: Vec<Address> = signers.iter().map(|s| s.address()).collect();
    accounts.extend(&recipients);
    accounts.push(beneficiary);
    let before = read_chain(&rpc, &hashes, &accounts).await;
    assert!(
        before.head >= 4,
        "transfers spread over several blocks (head {})",
        before.head
    );
    assert!(before.receipts.iter().all(|r| r["status"] == json!("0x1")));
    let dir = node.stop().await;

    // Same directory, new process-level state: the same chain.
    let node = TestNode::start_in(dir, |c| c.mining.beneficiary = beneficiary).await;
    let rpc = node.rpc();
    let provider = node.provider();
    let after = read_chain(&rpc, &hashes, &accounts).await;
    assert_eq!(after.head, before.head, "head survives a restart");
    for (number, (a, b)) in before
        .blocks_full
        .iter()
        .zip(&after.blocks_full)
        .enumerate()
    {
        assert_eq!(a, b, "block {number} differs after restart");
    }
    for (a, b) in before.receipts.iter().zip(&after.receipts) {
        assert_eq!(a, b, "receipt differs after restart");
    }
    assert_eq!(
        before, after,
        "everything a client can read is identical after restart"
    );

    // New transactions continue from the stored nonces, on top of the stored head.
    let head_hash = before.blocks_full.last().unwrap()["hash"].clone();
    let mut new_hashes = Vec::new();
    for signer in &signers {
        let nonce = rpc.nonce(signer.address(), "pending").await;
        assert_eq!(nonce, 4, "nonce of {} after restart", signer.address());
        let hash = rpc
            .send_raw(&raw(&sign(
                signer,
                eip1559(nonce, recipients[0], U256::from(7u64), 10 * GWEI, GWEI),
            )))
            .await;
        new_hashes.push(hash.expect("transaction after restart"));
    }
    let mut numbers = Vec::new();
    for hash in &new_hashes {
        let receipt = wait_receipt(&provider, *hash).await;
        assert!(receipt.status());
        numbers.push(receipt.block_number.unwrap());
    }
    let first_new = numbers.iter().copied().min().unwrap();
    assert_eq!(
        first_new,
        before.head + 1,
        "the next block follows the stored head"
    );
    let block = rpc
        .block_json(json!(format!("{first_new:#x}")), false)
        .await;
    assert_eq!(
        block["parentHash"], head_hash,
        "the next block links to the stored head"
    );
    let parent = &before.blocks_full.last().unwrap();
    assert_eq!(
        quantity(&block["baseFeePerGas"]),
        expected_next_base_fee(
            quantity(&parent["gasUsed"]),
            quantity(&parent["gasLimit"]),
            quantity(&parent["baseFeePerGas"])
        ),
        "base fee continues from the stored head"
    );
    for signer in &signers {
        assert_eq!(rpc.nonce(signer.address(), "latest").await, 5);
    }
    // Old transactions cannot be replayed.
    let replay = rpc
        .send_raw(&raw(&sign(
            &signers[0],
            legacy(0, recipients[0], U256::from(1_000u64), 3 * GWEI),
        )))
        .await;
    let err = replay.expect_err("replaying nonce 0 after restart");
    assert!(
        err.message.starts_with("nonce too low") || err.message.starts_with("already known"),
        "{err:?}"
    );

    // A second restart sees the new blocks too.
    hashes.extend(&new_hashes);
    let before = read_chain(&rpc, &hashes, &accounts).await;
    let dir = node.stop().await;
    let node = TestNode::start_in(dir, |c| c.mining.beneficiary = beneficiary).await;
    let after = read_chain(&node.rpc(), &hashes, &accounts).await;
    assert_eq!(before, after, "second restart");
    node.stop().await;
}

/// Blocks mined without transactions (manual mining) and the pool: a restart keeps the
/// blocks; pool transactions are not part of the chain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_in_manual_mode() {
    let node = TestNode::manual().await;
    let rpc = node.rpc();
    for _ in 0..3 {
        rpc.mine().await;
    }
    let signer = node.signer(6);
    let hash = rpc
        .send_raw(&raw(&sign(
            &signer,
            eip1559(
                0,
                random_signer().address(),
                U256::from(1u64),
                10 * GWEI,
                GWEI,
            ),
        )))
        .await
        .unwrap();
    rpc.mine().await;
    rpc.wait_receipt_json(hash).await;
    let before = read_chain(&rpc, &[hash], &[signer.address()]).await;
    assert_eq!(before.head, 4);
    let dir = node.stop().await;

    let node = TestNode::start_in(dir, |c| c.mining.manual = true).await;
    let rpc = node.rpc();
    let after = read_chain(&rpc, &[hash], &[signer.address()]).await;
    assert_eq!(before, after);
    rpc.mine().await;
    assert_eq!(rpc.block_number().await, 5);
    let block5 = rpc.block_json(json!("0x5"), false).await;
    assert_eq!(block5["parentHash"], before.blocks_full[4]["hash"]);
    node.stop().await;
}
