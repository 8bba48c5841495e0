//! Abuse through the public interface: each test reproduces a way a client could exhaust the
//! node and checks the bound that stops it.

mod common;

use common::*;

/// An account holding enough for a few transactions cannot fill the pool: once its pooled
/// transactions would cost more than its balance, the next is refused with geth's overdraft
/// error, and other senders are still admitted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_funded_account_cannot_fill_the_pool() {
    let node = TestNode::manual().await;
    let rpc = node.rpc();
    let attacker = random_signer();
    let max_fee = 10 * GWEI;
    // 0.05 ETH: 238 transfers of 21,000 gas at a 10 gwei fee cap.
    let funding = U256::from(50_000_000_000_000_000u64);
    rpc.send_eip1559(
        &node.signer(0),
        attacker.address(),
        funding,
        Bytes::new(),
        21_000,
        max_fee,
        GWEI,
    )
    .await
    .expect("funding admitted");
    rpc.mine().await;

    let affordable = funding / U256::from(21_000 * max_fee + 1);
    let mut admitted = 0u64;
    let refusal = loop {
        let tx = eip1559(
            admitted,
            Address::repeat_byte(0x42),
            U256::from(1u8),
            max_fee,
            GWEI,
        );
        match rpc.send_raw(&raw(&sign(&attacker, tx))).await {
            Ok(_) => admitted += 1,
            Err(err) => break err,
        }
        assert!(
            admitted <= 1_000,
            "the pool kept admitting past the balance"
        );
    };
    assert_eq!(refusal.message, "transaction would cause overdraft");
    assert_eq!(
        U256::from(admitted),
        affordable,
        "exactly what the balance covers"
    );

    let honest = rpc
        .send_eip1559(
            &node.signer(1),
            Address::repeat_byte(0x43),
            U256::from(1u8),
            Bytes::new(),
            21_000,
            max_fee,
            GWEI,
        )
        .await;
    assert!(honest.is_ok(), "another sender is admitted: {honest:?}");
}

/// Large transactions cannot make the pool (and its journal) grow without bound: past
/// `[pool] max_bytes` a newcomer is refused unless it outbids what it would evict.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_transactions_cannot_grow_the_pool_past_its_byte_limit() {
    let node = TestNode::start(|c| {
        c.mining.manual = true;
        c.pool.max_bytes = 8 * 1024;
    })
    .await;
    let rpc = node.rpc();
    let data = Bytes::from(vec![1u8; 2 * 1024]);
    let gas = 21_000 + calldata_gas(&data);
    let send = |i: usize, tip: u128| {
        let (rpc, data) = (rpc.clone(), data.clone());
        let signer = node.signer(i);
        async move {
            rpc.send_eip1559(
                &signer,
                Address::repeat_byte(0x44),
                U256::ZERO,
                data,
                gas,
                100 * GWEI,
                tip,
            )
            .await
        }
    };
    for i in 0..3 {
        send(i, GWEI).await.expect("fits in 8 KiB");
    }
    let refused = send(3, GWEI)
        .await
        .expect_err("a fourth 2 KiB transaction does not fit");
    assert_eq!(refused.message, "transaction underpriced");
    send(4, 2 * GWEI)
        .await
        .expect("a better tip evicts the cheapest");
    let status = rpc.call("txpool_status", json!([])).await;
    assert_eq!(status["pending"], json!("0x3"), "{status}");
}
