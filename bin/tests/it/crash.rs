//! Crash safety: the `supervm` binary is SIGKILLed while transactions pour in. On restart the
//! database opens, the head is a fully committed block, and every receipt a client was given
//! before the kill is still there, identical.

use std::{
    collections::BTreeMap,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use tokio::sync::mpsc;

use crate::common::*;

/// Sender tasks per run.
const SENDERS: usize = 4;
/// How many receipts the senders together receive before the kill (they keep sending).
const RECEIPTS_BEFORE_KILL: usize = 40;

/// A receipt a client received: (tx hash, sender, receipt JSON).
type Seen = (B256, Address, Value);

/// Sends transfers one after another and collects each receipt, announcing it on `mined`,
/// until the node goes away or `stop` is set. `Err` only for answers a healthy node must not
/// give.
async fn send_until_killed(
    rpc: RawRpc,
    signer: PrivateKeySigner,
    stop: Arc<AtomicBool>,
    mined: mpsc::UnboundedSender<()>,
) -> Result<Vec<Seen>, String> {
    let mut seen = Vec::new();
    let sender = signer.address();
    let to = random_signer().address();
    let nonce = match rpc
        .try_request("eth_getTransactionCount", json!([sender, "pending"]))
        .await
    {
        Ok(answer) => answer["result"].clone(),
        Err(_) => return Ok(seen),
    };
    let mut nonce = quantity(&nonce);
    while !stop.load(Ordering::Relaxed) {
        let tx = sign(
            &signer,
            eip1559(nonce, to, U256::from(1u64), 100 * GWEI, GWEI),
        );
        let hash = match rpc
            .try_request("eth_sendRawTransaction", json!([raw(&tx)]))
            .await
        {
            Err(_) => break, // killed
            Ok(answer) if answer.get("error").is_some() => {
                return Err(format!(
                    "{sender} nonce {nonce}: transaction rejected: {answer}"
                ));
            }
            Ok(answer) => serde_json::from_value::<B256>(answer["result"].clone())
                .map_err(|e| e.to_string())?,
        };
        if hash != *tx.tx_hash() {
            return Err(format!(
                "node returned hash {hash}, expected {}",
                tx.tx_hash()
            ));
        }
        // Poll for the receipt (automine) until it comes or the node is gone.
        let deadline = std::time::Instant::now() + TIMEOUT;
        loop {
            match rpc
                .try_request("eth_getTransactionReceipt", json!([hash]))
                .await
            {
                Err(_) => return Ok(seen), // killed
                Ok(answer) if answer.get("error").is_some() => {
                    return Err(format!("receipt of {hash}: {answer}"))
                }
                Ok(answer) if answer["result"].is_null() => {
                    if std::time::Instant::now() > deadline {
                        return Err(format!("no receipt for {hash} after {TIMEOUT:?}"));
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                Ok(answer) => {
                    seen.push((hash, sender, answer["result"].clone()));
                    let _ = mined.send(());
                    break;
                }
            }
        }
        nonce += 1;
    }
    Ok(seen)
}

/// Checks a restarted node against everything seen before the kill.
async fn verify_after_restart(node: &BinNode, seen: &[Seen]) {
    let rpc = node.rpc();
    let provider = node.provider();
    let head = rpc.block_number().await;
    let highest_seen = seen
        .iter()
        .map(|(_, _, r)| quantity(&r["blockNumber"]))
        .max()
        .unwrap_or(0);
    assert!(
        head >= highest_seen,
        "head {head} is behind block {highest_seen} of a receipt returned before the kill"
    );

    // The whole chain up to the head is there and links up.
    let mut parent_hash = B256::ZERO;
    for number in 0..=head {
        let block = provider
            .get_block_by_number(number.into())
            .full()
            .await
            .unwrap_or_else(|e| panic!("block {number}: {e}"))
            .unwrap_or_else(|| panic!("block {number} of {head} is missing after restart"));
        assert_eq!(
            block.header.hash,
            block.header.inner.hash_slow(),
            "block {number}: hash"
        );
        assert_eq!(
            block.header.parent_hash, parent_hash,
            "block {number}: parentHash"
        );
        parent_hash = block.header.hash;
        // Every transaction of every block, the head included, has its receipt.
        let receipts = provider
            .get_block_receipts(BlockId::number(number))
            .await
            .unwrap_or_else(|e| panic!("receipts of block {number}: {e}"))
            .unwrap_or_else(|| panic!("receipts of block {number} missing"));
        assert_eq!(
            receipts.len(),
            block.transactions.len(),
            "block {number}: one receipt per transaction"
        );
        let gas: u64 = receipts.iter().map(|r| r.gas_used).sum();
        assert_eq!(gas, block.header.gas_used, "block {number}: gasUsed");
        if number == head {
            for tx in block.transactions.txns() {
                let receipt = provider
                    .get_transaction_receipt(tx.tx_hash())
                    .await
                    .unwrap();
                let receipt = receipt.unwrap_or_else(|| {
                    panic!("head block transaction {} has no receipt", tx.tx_hash())
                });
                assert_eq!(receipt.block_hash, Some(block.header.hash));
                let by_hash = provider
                    .get_transaction_by_hash(tx.tx_hash())
                    .await
                    .unwrap();
                assert_eq!(by_hash.as_ref(), Some(tx), "head block transaction by hash");
            }
        }
    }

    // Every receipt returned before the kill, identical.
    for (hash, _, receipt) in seen {
        let now = rpc.call("eth_getTransactionReceipt", json!([hash])).await;
        assert_eq!(
            &now, receipt,
            "receipt of {hash} changed or vanished after the crash"
        );
    }

    // Nonces cover at least every transaction seen mined.
    let mut highest_nonce: BTreeMap<Address, u64> = BTreeMap::new();
    for (hash, sender, _) in seen {
        let tx = rpc.call("eth_getTransactionByHash", json!([hash])).await;
        let nonce = quantity(&tx["nonce"]);
        let entry = highest_nonce.entry(*sender).or_default();
        *entry = (*entry).max(nonce + 1);
    }
    for (sender, nonce) in highest_nonce {
        assert!(
            rpc.nonce(sender, "latest").await >= nonce,
            "nonce of {sender} went backwards"
        );
    }
}

/// One run: senders go until the kill, which comes once they have received
/// [`RECEIPTS_BEFORE_KILL`] receipts. Returns the receipts they saw.
async fn run_and_kill(node: &mut BinNode, signers: &[PrivateKeySigner]) -> Vec<Seen> {
    let stop = Arc::new(AtomicBool::new(false));
    let (mined, mut receipts) = mpsc::unbounded_channel();
    let tasks: Vec<_> = signers
        .iter()
        .map(|signer| {
            tokio::spawn(send_until_killed(
                node.rpc(),
                signer.clone(),
                stop.clone(),
                mined.clone(),
            ))
        })
        .collect();
    for received in 0..RECEIPTS_BEFORE_KILL {
        match tokio::time::timeout(TIMEOUT, receipts.recv()).await {
            Ok(Some(())) => {}
            _ => panic!(
                "only {received} receipts before the senders stopped or stalled\nnode log:\n{}",
                node.log()
            ),
        }
    }
    node.kill(); // SIGKILL while the senders are mid-flight
    stop.store(true, Ordering::Relaxed);
    let mut seen = Vec::new();
    for task in tasks {
        match tokio::time::timeout(TIMEOUT + TIMEOUT, task).await {
            Ok(Ok(Ok(receipts))) => seen.extend(receipts),
            Ok(Ok(Err(err))) => panic!(
                "sender failed before the kill: {err}\nnode log:\n{}",
                node.log()
            ),
            Ok(Err(err)) => panic!("sender task panicked: {err}"),
            Err(_) => panic!("sender task did not finish after the kill"),
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_while_sending_keeps_every_committed_block() {
    let base = tempfile::Builder::new()
        .prefix("supervm-crash-")
        .tempdir()
        .unwrap();
    let data_dir = base.path().join("data");
    let accounts = dev_accounts();
    let mut seen: Vec<Seen> = Vec::new();

    let mut node = BinNode::spawn(&data_dir, &[], "run-0.log");
    for run in 0..2 {
        let signers: Vec<PrivateKeySigner> = accounts
            .iter()
            .take(SENDERS + run)
            .map(|a| a.signer.clone())
            .collect();
        let new = run_and_kill(&mut node, &signers).await;
        assert!(
            !new.is_empty(),
            "run {run}: no transaction was mined before the kill\nnode log:\n{}",
            node.log()
        );
        let highest = new
            .iter()
            .map(|(_, _, r)| quantity(&r["blockNumber"]))
            .max()
            .unwrap_or(0);
        eprintln!(
            "run {run}: {} receipts seen before the kill, up to block {highest}",
            new.len()
        );
        seen.extend(new);

        node = BinNode::spawn(&data_dir, &[], &format!("run-{}.log", run + 1));
        verify_after_restart(&node, &seen).await;

        // The restarted node takes new transactions at the right nonces.
        let rpc = node.rpc();
        let signer = &accounts[0].signer;
        let nonce = rpc.nonce(signer.address(), "pending").await;
        assert_eq!(
            nonce,
            rpc.nonce(signer.address(), "latest").await,
            "the pool starts empty"
        );
        let hash = rpc
            .send_raw(&raw(&sign(
                signer,
                eip1559(
                    nonce,
                    random_signer().address(),
                    U256::from(1u64),
                    100 * GWEI,
                    GWEI,
                ),
            )))
            .await
            .expect("transaction after restart");
        let receipt = rpc.wait_receipt_json(hash).await;
        assert_eq!(receipt["status"], json!("0x1"));
        seen.push((hash, signer.address(), receipt));
    }
    let log = node.log();
    node.kill();
    assert!(!log.contains("panicked"), "the node panicked:\n{log}");
}
