//! Native transfers of every transaction type through alloy's provider, and what the node
//! reports about them: receipts, balances, nonces, blocks, base fees, fee APIs, block tags.

use crate::common::*;
use alloy::consensus::{
    proofs::{calculate_receipt_root, calculate_transaction_root},
    EMPTY_OMMER_ROOT_HASH, EMPTY_ROOT_HASH,
};

const BENEFICIARY: Address = address!("0x000000000000000000000000000000000000bEEF");

/// How a transaction prices its gas.
#[derive(Clone, Copy, Debug)]
enum Price {
    Legacy(u128),
    Dynamic { max_fee: u128, tip: u128 },
}

impl Price {
    fn effective(self, base_fee: u64) -> u128 {
        match self {
            Price::Legacy(price) => price,
            Price::Dynamic { max_fee, tip } => max_fee.min(base_fee as u128 + tip),
        }
    }
}

/// Balances and nonce around one transfer.
struct Before {
    head: u64,
    sender: U256,
    sender_nonce: u64,
    recipient: U256,
    beneficiary: U256,
}

async fn snapshot(rpc: &RawRpc, sender: Address, recipient: Address) -> Before {
    Before {
        head: rpc.block_number().await,
        sender: rpc.balance(sender, "latest").await,
        sender_nonce: rpc.nonce(sender, "latest").await,
        recipient: rpc.balance(recipient, "latest").await,
        beneficiary: rpc.balance(BENEFICIARY, "latest").await,
    }
}

/// Checks everything the node says about a mined transfer against what it must be.
#[allow(clippy::too_many_arguments)]
async fn check_transfer(
    node: &TestNode,
    hash: B256,
    before: &Before,
    sender: Address,
    recipient: Address,
    value: U256,
    tx_type: u8,
    gas: u64,
    price: Price,
) -> TransactionReceipt {
    let provider = node.provider();
    let rpc = node.rpc();
    let receipt = wait_receipt(&provider, hash).await;
    assert!(receipt.status(), "transfer {hash} failed: {receipt:?}");
    assert_eq!(receipt.transaction_hash, hash);
    assert_eq!(receipt.inner.tx_type() as u8, tx_type, "receipt type");
    assert_eq!(receipt.from, sender, "receipt from");
    assert_eq!(receipt.to, Some(recipient), "receipt to");
    assert_eq!(receipt.contract_address, None);
    assert_eq!(
        receipt.gas_used, gas,
        "gasUsed of a type {tx_type} transfer"
    );
    assert!(receipt.inner.logs().is_empty());

    // Automine with a single sender: the transfer is alone in the next block.
    let number = receipt.block_number.expect("receipt blockNumber");
    assert_eq!(
        number,
        before.head + 1,
        "transfer should be mined in the next block"
    );
    let block = provider
        .get_block_by_number(number.into())
        .full()
        .await
        .expect("eth_getBlockByNumber")
        .expect("block of the receipt exists");
    assert_eq!(
        Some(block.header.hash),
        receipt.block_hash,
        "receipt blockHash"
    );
    assert_eq!(receipt.transaction_index, Some(0));
    assert_eq!(block.transactions.len(), 1);
    assert_eq!(block.transactions.hashes().next(), Some(hash));
    assert_eq!(block.header.gas_used, gas);
    assert_eq!(receipt.inner.cumulative_gas_used(), gas);
    let base_fee = block.header.base_fee_per_gas.expect("baseFeePerGas");
    assert_eq!(
        block.header.beneficiary, BENEFICIARY,
        "miner field is the configured beneficiary"
    );

    let price_paid = price.effective(base_fee);
    assert_eq!(
        receipt.effective_gas_price, price_paid,
        "effectiveGasPrice ({price:?}, base fee {base_fee})"
    );

    let tx = provider
        .get_transaction_by_hash(hash)
        .await
        .expect("eth_getTransactionByHash")
        .expect("tx exists");
    assert_eq!(tx.block_hash, receipt.block_hash);
    assert_eq!(tx.block_number, Some(number));
    assert_eq!(tx.transaction_index, Some(0));
    assert_eq!(tx.from(), sender);
    assert_eq!(tx.inner.tx_type() as u8, tx_type);
    assert_eq!(tx.inner.nonce(), before.sender_nonce);
    assert_eq!(tx.inner.value(), value);
    assert_eq!(tx.inner.to(), Some(recipient));

    let fee = U256::from(gas) * U256::from(price_paid);
    let tip = U256::from(gas) * U256::from(price_paid - base_fee as u128);
    let tag = format!("{number:#x}");
    assert_eq!(
        rpc.balance(sender, &tag).await,
        before.sender - value - fee,
        "sender pays value + gasUsed × effectiveGasPrice"
    );
    assert_eq!(
        rpc.balance(recipient, &tag).await,
        before.recipient + value,
        "recipient receives value"
    );
    assert_eq!(
        rpc.balance(BENEFICIARY, &tag).await,
        before.beneficiary + tip,
        "beneficiary receives gasUsed × (effectiveGasPrice − baseFee)"
    );
    assert_eq!(
        rpc.nonce(sender, &tag).await,
        before.sender_nonce + 1,
        "sender nonce"
    );
    receipt
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfers_of_every_type() {
    let node = TestNode::start(|c| c.mining.beneficiary = BENEFICIARY).await;
    let signer = node.signer(0);
    let sender = signer.address();
    // A fresh provider per transaction: alloy's nonce filler caches nonces, and some
    // transactions below are sent around it.
    let wallet = || node.wallet_provider(signer.clone());
    let provider = node.provider();
    let rpc = node.rpc();
    assert_eq!(rpc.balance(sender, "latest").await, dev_balance());

    // Type 0, EIP-155, built by alloy's fillers (nonce, gas limit, chain id).
    let to = random_signer().address();
    let value = U256::from(1_000_000_007u64);
    let before = snapshot(&rpc, sender, to).await;
    let request = TransactionRequest::default()
        .with_to(to)
        .with_value(value)
        .with_gas_price(2 * GWEI);
    let hash = *wallet()
        .send_transaction(request)
        .await
        .expect("send legacy")
        .tx_hash();
    check_transfer(
        &node,
        hash,
        &before,
        sender,
        to,
        value,
        0,
        21_000,
        Price::Legacy(2 * GWEI),
    )
    .await;
    let tx = provider
        .get_transaction_by_hash(hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        tx.inner.chain_id(),
        Some(CHAIN_ID),
        "EIP-155 legacy transaction keeps its chain id"
    );

    // Type 0 before EIP-155: no chain id in the signature.
    let to = random_signer().address();
    let value = ether(1);
    let before = snapshot(&rpc, sender, to).await;
    let mut tx = legacy(before.sender_nonce, to, value, 3 * GWEI);
    tx.chain_id = None;
    let envelope = sign(&signer, tx);
    let hash = *provider
        .send_raw_transaction(&raw(&envelope))
        .await
        .expect("send pre-EIP-155")
        .tx_hash();
    assert_eq!(
        hash,
        *envelope.tx_hash(),
        "node returns the transaction hash"
    );
    check_transfer(
        &node,
        hash,
        &before,
        sender,
        to,
        value,
        0,
        21_000,
        Price::Legacy(3 * GWEI),
    )
    .await;
    let fetched = provider
        .get_transaction_by_hash(hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        fetched.inner.chain_id(),
        None,
        "pre-EIP-155 transaction has no chain id"
    );
    assert_eq!(
        fetched.inner.inner(),
        &envelope,
        "transaction round-trips exactly"
    );

    // Type 1 with an access list (one address, two storage keys).
    let to = random_signer().address();
    let value = U256::from(12345u64);
    let before = snapshot(&rpc, sender, to).await;
    let access_list = AccessList(vec![AccessListItem {
        address: address!("0x00000000000000000000000000000000000000aa"),
        storage_keys: vec![B256::ZERO, B256::with_last_byte(1)],
    }]);
    let request = TransactionRequest::default()
        .with_to(to)
        .with_value(value)
        .with_gas_price(2 * GWEI)
        .with_access_list(access_list.clone());
    let hash = *wallet()
        .send_transaction(request)
        .await
        .expect("send EIP-2930")
        .tx_hash();
    check_transfer(
        &node,
        hash,
        &before,
        sender,
        to,
        value,
        1,
        21_000 + 2_400 + 2 * 1_900,
        Price::Legacy(2 * GWEI),
    )
    .await;
    let fetched = provider
        .get_transaction_by_hash(hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(fetched.inner.access_list(), Some(&access_list));
    assert_eq!(fetched.inner.chain_id(), Some(CHAIN_ID));

    // Type 2 with explicit fees and some calldata (4 non-zero bytes, 1 zero byte).
    let to = random_signer().address();
    let value = ether(2);
    let data = Bytes::from(vec![1u8, 2, 0, 3, 4]);
    let before = snapshot(&rpc, sender, to).await;
    let (max_fee, tip) = (5 * GWEI, GWEI);
    let request = TransactionRequest::default()
        .with_to(to)
        .with_value(value)
        .with_input(data.clone())
        .with_max_fee_per_gas(max_fee)
        .with_max_priority_fee_per_gas(tip);
    let hash = *wallet()
        .send_transaction(request)
        .await
        .expect("send EIP-1559")
        .tx_hash();
    let gas = 21_000 + 4 * 16 + 4;
    check_transfer(
        &node,
        hash,
        &before,
        sender,
        to,
        value,
        2,
        gas,
        Price::Dynamic { max_fee, tip },
    )
    .await;
    let fetched = provider
        .get_transaction_by_hash(hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(fetched.inner.input(), &data);

    // Type 2 with the fees chosen by alloy from eth_feeHistory.
    let to = random_signer().address();
    let value = U256::from(1u64);
    let before = snapshot(&rpc, sender, to).await;
    let request = TransactionRequest::default().with_to(to).with_value(value);
    let pending = wallet()
        .send_transaction(request)
        .await
        .expect("send EIP-1559 with estimated fees");
    let hash = *pending.tx_hash();
    let fetched = provider
        .get_transaction_by_hash(hash)
        .await
        .unwrap()
        .expect("tx known right after sending");
    let price = Price::Dynamic {
        max_fee: fetched.inner.max_fee_per_gas(),
        tip: fetched.inner.max_priority_fee_per_gas().expect("tip"),
    };
    check_transfer(&node, hash, &before, sender, to, value, 2, 21_000, price).await;

    assert_eq!(rpc.nonce(sender, "latest").await, 5);
    assert_eq!(rpc.nonce(sender, "pending").await, 5);
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_transaction_from_dev_account() {
    let node = TestNode::automine().await;
    let provider = node.provider();
    let rpc = node.rpc();
    let from = node.account(3);
    let to = random_signer().address();
    let value = ether(3);

    let accounts = provider.get_accounts().await.expect("eth_accounts");
    let expected: Vec<Address> = node.node.dev_accounts().iter().map(|a| a.address).collect();
    assert_eq!(accounts, expected, "eth_accounts lists the dev accounts");

    let before = rpc.balance(from, "latest").await;
    let request = TransactionRequest::default()
        .with_from(from)
        .with_to(to)
        .with_value(value);
    let hash = *provider
        .send_transaction(request)
        .await
        .expect("eth_sendTransaction")
        .tx_hash();
    let receipt = wait_receipt(&provider, hash).await;
    assert!(receipt.status());
    assert_eq!(receipt.from, from);
    assert_eq!(receipt.to, Some(to));
    assert_eq!(receipt.gas_used, 21_000);
    let fee = U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price);
    assert_eq!(rpc.balance(from, "latest").await, before - value - fee);
    assert_eq!(rpc.balance(to, "latest").await, value);
    assert_eq!(rpc.nonce(from, "latest").await, 1);

    // A second one picks the next nonce by itself.
    let request = TransactionRequest::default()
        .with_from(from)
        .with_to(to)
        .with_value(value);
    let hash = *provider
        .send_transaction(request)
        .await
        .expect("eth_sendTransaction")
        .tx_hash();
    let receipt = wait_receipt(&provider, hash).await;
    assert!(receipt.status());
    let tx = provider
        .get_transaction_by_hash(hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tx.inner.nonce(), 1);
    assert_eq!(tx.inner.chain_id(), Some(CHAIN_ID));

    // Not a dev account: the node holds no key for it.
    let stranger = random_signer().address();
    let err = rpc
        .call_err(
            "eth_sendTransaction",
            json!([{"from": stranger, "to": to, "value": "0x1"}]),
        )
        .await;
    assert!(!err.message.is_empty(), "{err:?}");
    assert_eq!(
        rpc.block_number().await,
        2,
        "no block for the rejected request"
    );
    node.stop().await;
}

/// Blocks link up, hash to keccak(rlp(header)), commit to their transactions and receipts, and
/// can be read by number, hash and index.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocks_are_consistent() {
    let node = TestNode::manual().await;
    let provider = node.provider();
    let rpc = node.rpc();
    let signers: Vec<_> = (0..3).map(|i| node.signer(i)).collect();
    let to = random_signer().address();

    // Block 1: three transfers of different types from three senders.
    let txs = [
        sign(&signers[0], legacy(0, to, U256::from(1u64), 2 * GWEI)),
        sign(
            &signers[1],
            TxEip2930 {
                chain_id: CHAIN_ID,
                nonce: 0,
                gas_price: 2 * GWEI,
                gas_limit: 30_000,
                to: TxKind::Call(to),
                value: U256::from(2u64),
                access_list: AccessList(vec![AccessListItem {
                    address: to,
                    storage_keys: vec![],
                }]),
                input: Bytes::new(),
            },
        ),
        sign(
            &signers[2],
            eip1559(0, to, U256::from(3u64), 4 * GWEI, GWEI / 2),
        ),
    ];
    for tx in &txs {
        rpc.send_raw(&raw(tx)).await.expect("send");
    }
    rpc.mine().await;
    // Block 2: empty.
    rpc.mine().await;
    // Block 3: two transfers from the same sender, plus one with calldata.
    let mut data_tx = eip1559(1, to, U256::ZERO, 4 * GWEI, GWEI);
    data_tx.input = Bytes::from(vec![0xff; 100]);
    data_tx.gas_limit = 21_000 + 1_600;
    for tx in [
        sign(
            &signers[0],
            eip1559(1, to, U256::from(4u64), 4 * GWEI, GWEI),
        ),
        sign(
            &signers[0],
            eip1559(2, to, U256::from(5u64), 4 * GWEI, GWEI),
        ),
        sign(&signers[1], data_tx),
    ] {
        rpc.send_raw(&raw(&tx)).await.expect("send");
    }
    rpc.mine().await;
    assert_eq!(rpc.block_number().await, 3);
    let expected_tx_counts = [0usize, 3, 0, 3];

    let mut parent: Option<Block> = None;
    for number in 0..=3u64 {
        let block = provider
            .get_block_by_number(number.into())
            .full()
            .await
            .unwrap()
            .expect("block exists");
        let header = &block.header;
        assert_eq!(header.number, number);
        assert_eq!(
            header.hash,
            header.inner.hash_slow(),
            "block {number}: hash must be keccak(rlp(header))"
        );
        assert_eq!(header.gas_limit, BLOCK_GAS_LIMIT);
        assert_eq!(header.ommers_hash, EMPTY_OMMER_ROOT_HASH);
        assert!(block.uncles.is_empty());
        assert_eq!(
            header.logs_bloom,
            alloy::primitives::Bloom::ZERO,
            "no logs, empty bloom"
        );
        let base_fee = header.base_fee_per_gas.expect("baseFeePerGas");
        match &parent {
            None => {
                assert_eq!(base_fee, GENESIS_BASE_FEE);
                assert_eq!(header.parent_hash, B256::ZERO);
            }
            Some(parent) => {
                assert_eq!(
                    header.parent_hash, parent.header.hash,
                    "block {number}: parentHash"
                );
                assert!(
                    header.timestamp > parent.header.timestamp,
                    "block {number}: timestamp increases"
                );
                assert_eq!(
                    base_fee,
                    expected_next_base_fee(
                        parent.header.gas_used,
                        parent.header.gas_limit,
                        parent.header.base_fee_per_gas.unwrap()
                    ),
                    "block {number}: base fee follows EIP-1559"
                );
            }
        }

        // Transactions: count, root, lookups by index.
        let transactions: Vec<Transaction> = block.transactions.clone().into_transactions_vec();
        assert_eq!(
            transactions.len(),
            expected_tx_counts[number as usize],
            "block {number}: transaction count"
        );
        let envelopes: Vec<TxEnvelope> = transactions
            .iter()
            .map(|t| t.clone().into_inner())
            .collect();
        assert_eq!(
            header.transactions_root,
            calculate_transaction_root(&envelopes),
            "block {number}: transactionsRoot"
        );
        if transactions.is_empty() {
            assert_eq!(header.transactions_root, EMPTY_ROOT_HASH);
            assert_eq!(header.receipts_root, EMPTY_ROOT_HASH);
            assert_eq!(header.gas_used, 0);
        } else {
            assert_ne!(header.transactions_root, EMPTY_ROOT_HASH);
        }
        let count_by_number = provider
            .get_block_transaction_count_by_number(number.into())
            .await
            .unwrap();
        let count_by_hash = provider
            .get_block_transaction_count_by_hash(header.hash)
            .await
            .unwrap();
        assert_eq!(count_by_number, Some(transactions.len() as u64));
        assert_eq!(count_by_hash, Some(transactions.len() as u64));
        for (index, tx) in transactions.iter().enumerate() {
            assert_eq!(tx.block_hash, Some(header.hash));
            assert_eq!(tx.block_number, Some(number));
            assert_eq!(tx.transaction_index, Some(index as u64));
            let by_number = provider
                .get_transaction_by_block_number_and_index(number.into(), index)
                .await
                .unwrap()
                .expect("tx by number and index");
            let by_hash = provider
                .get_transaction_by_block_hash_and_index(header.hash, index)
                .await
                .unwrap()
                .expect("tx by hash and index");
            let by_tx_hash = provider
                .get_transaction_by_hash(tx.tx_hash())
                .await
                .unwrap()
                .expect("tx by hash");
            assert_eq!(&by_number, tx);
            assert_eq!(&by_hash, tx);
            assert_eq!(&by_tx_hash, tx);
        }
        let past_end = transactions.len();
        assert!(provider
            .get_transaction_by_block_number_and_index(number.into(), past_end)
            .await
            .unwrap()
            .is_none());
        assert!(provider
            .get_transaction_by_block_hash_and_index(header.hash, past_end)
            .await
            .unwrap()
            .is_none());

        // Receipts: by block and one by one, gas accounting, receipts root.
        let receipts = provider
            .get_block_receipts(BlockId::number(number))
            .await
            .expect("eth_getBlockReceipts")
            .expect("receipts of an existing block");
        assert_eq!(receipts.len(), transactions.len());
        let by_hash_receipts = provider
            .get_block_receipts(BlockId::hash(header.hash))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(by_hash_receipts, receipts);
        let mut cumulative = 0;
        for (index, (receipt, tx)) in receipts.iter().zip(&transactions).enumerate() {
            assert_eq!(receipt.transaction_hash, tx.tx_hash());
            assert_eq!(receipt.transaction_index, Some(index as u64));
            assert_eq!(receipt.block_hash, Some(header.hash));
            assert_eq!(receipt.block_number, Some(number));
            assert_eq!(receipt.from, tx.from());
            assert!(receipt.status());
            cumulative += receipt.gas_used;
            assert_eq!(receipt.inner.cumulative_gas_used(), cumulative);
            let single = provider
                .get_transaction_receipt(tx.tx_hash())
                .await
                .unwrap()
                .unwrap();
            assert_eq!(&single, receipt);
        }
        assert_eq!(
            header.gas_used, cumulative,
            "block {number}: gasUsed is the sum of its receipts"
        );
        let receipt_envelopes: Vec<_> = receipts
            .iter()
            .map(|r| r.clone().into_primitives_receipt().inner)
            .collect();
        assert_eq!(
            header.receipts_root,
            calculate_receipt_root(&receipt_envelopes),
            "block {number}: receiptsRoot"
        );

        // Other views of the same block.
        let by_hash = provider
            .get_block_by_hash(header.hash)
            .full()
            .await
            .unwrap()
            .expect("block by hash");
        assert_eq!(by_hash, block);
        let hashes_only = provider
            .get_block_by_number(number.into())
            .hashes()
            .await
            .unwrap()
            .unwrap();
        assert_eq!(hashes_only.header, block.header);
        let tx_hashes: Vec<B256> = transactions.iter().map(|t| t.tx_hash()).collect();
        assert_eq!(
            hashes_only.transactions.hashes().collect::<Vec<_>>(),
            tx_hashes
        );
        assert!(
            hashes_only.transactions.is_hashes(),
            "hashes mode returns hashes"
        );

        parent = Some(block);
    }

    // Gas used in block 3 includes the calldata cost.
    let receipt = provider
        .get_transaction_receipt(
            *sign(&signers[1], {
                let mut t = eip1559(1, to, U256::ZERO, 4 * GWEI, GWEI);
                t.input = Bytes::from(vec![0xff; 100]);
                t.gas_limit = 21_000 + 1_600;
                t
            })
            .tx_hash(),
        )
        .await
        .unwrap()
        .expect("calldata transfer receipt");
    assert_eq!(receipt.gas_used, 21_000 + 100 * 16);

    assert!(
        provider
            .get_block_by_number(4.into())
            .await
            .unwrap()
            .is_none(),
        "no block past the head"
    );
    assert!(provider
        .get_block_by_hash(B256::repeat_byte(0x42))
        .await
        .unwrap()
        .is_none());
    assert!(provider
        .get_transaction_receipt(B256::repeat_byte(0x42))
        .await
        .unwrap()
        .is_none());
    assert!(provider
        .get_transaction_by_hash(B256::repeat_byte(0x42))
        .await
        .unwrap()
        .is_none());
    node.stop().await;
}

/// In manual mining, an empty block lowers the base fee by 1/8 and a block above the 15M gas
/// target raises it, exactly as EIP-1559 says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn base_fee_follows_eip1559() {
    let node = TestNode::manual().await;
    let provider = node.provider();
    let rpc = node.rpc();

    let header = |n: u64| {
        let provider = provider.clone();
        async move {
            provider
                .get_block_by_number(n.into())
                .await
                .unwrap()
                .expect("block")
                .header
        }
    };

    // Two empty blocks: each lowers the base fee by exactly base/8.
    rpc.mine().await;
    rpc.mine().await;
    let (h0, h1, h2) = (header(0).await, header(1).await, header(2).await);
    let b0 = h0.base_fee_per_gas.unwrap();
    let b1 = h1.base_fee_per_gas.unwrap();
    let b2 = h2.base_fee_per_gas.unwrap();
    assert_eq!(b0, GENESIS_BASE_FEE);
    assert_eq!(
        b1,
        b0 - b0 / 8,
        "empty genesis lowers the base fee by 12.5%"
    );
    assert_eq!(b2, b1 - b1 / 8, "empty block lowers the base fee by 12.5%");

    // Block 3: 10 senders × 40 transfers of 1200 non-zero calldata bytes = 400 × 40,200 gas
    // = 16.08M gas, above the 15M target.
    let data = Bytes::from(vec![0xab; 1200]);
    let gas_per_tx = 21_000 + 1200 * 16;
    let per_sender = 40u64;
    let to = random_signer().address();
    for i in 0..10 {
        let signer = node.signer(i);
        let batch: Vec<Value> = (0..per_sender)
            .map(|nonce| {
                let mut tx = eip1559(nonce, to, U256::from(1u64), 10 * GWEI, GWEI);
                tx.input = data.clone();
                tx.gas_limit = gas_per_tx;
                json!({"jsonrpc": "2.0", "id": nonce, "method": "eth_sendRawTransaction", "params": [raw(&sign(&signer, tx))]})
            })
            .collect();
        let answers = rpc.post_json(&Value::Array(batch)).await;
        let answers = answers.as_array().expect("batch answer is an array");
        assert_eq!(answers.len(), per_sender as usize);
        for answer in answers {
            assert!(
                answer.get("result").is_some(),
                "batch item rejected: {answer}"
            );
        }
        assert_eq!(
            rpc.nonce(signer.address(), "pending").await,
            per_sender,
            "pending nonce counts pool txs"
        );
        assert_eq!(
            rpc.nonce(signer.address(), "latest").await,
            0,
            "latest nonce ignores the pool"
        );
    }
    assert_eq!(
        rpc.block_number().await,
        2,
        "manual mining: nothing mined yet"
    );
    rpc.mine().await;
    let block3 = provider
        .get_block_by_number(3.into())
        .await
        .unwrap()
        .expect("block 3");
    let total = 10 * per_sender;
    assert_eq!(
        block3.transactions.len() as u64,
        total,
        "all pending transfers fit in one block"
    );
    assert_eq!(block3.header.gas_used, total * gas_per_tx);
    assert!(block3.header.gas_used > BLOCK_GAS_LIMIT / 2);
    let b3 = block3.header.base_fee_per_gas.unwrap();
    assert_eq!(b3, b2 - b2 / 8);
    let receipts = provider
        .get_block_receipts(BlockId::number(3))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(receipts.len() as u64, total);
    for receipt in &receipts {
        assert!(receipt.status());
        assert_eq!(receipt.gas_used, gas_per_tx);
        assert_eq!(receipt.effective_gas_price, b3 as u128 + GWEI);
    }
    for i in 0..10 {
        let address = node.account(i);
        assert_eq!(rpc.nonce(address, "latest").await, per_sender);
        assert_eq!(rpc.nonce(address, "pending").await, per_sender);
    }

    // Block 4's base fee rises by base × (used − target) / target / 8.
    rpc.mine().await;
    let b4 = header(4).await.base_fee_per_gas.unwrap();
    let target = BLOCK_GAS_LIMIT / 2;
    let used = total * gas_per_tx;
    let expected = b3 + (b3 as u128 * (used - target) as u128 / target as u128 / 8) as u64;
    assert_eq!(
        b4, expected,
        "full-ish block raises the base fee per EIP-1559"
    );
    assert!(b4 > b3);
    assert_eq!(b4, expected_next_base_fee(used, BLOCK_GAS_LIMIT, b3));

    // eth_feeHistory over these blocks agrees with the headers.
    let history = provider
        .get_fee_history(5, BlockNumberOrTag::Latest, &[10.0, 90.0])
        .await
        .expect("eth_feeHistory");
    assert_eq!(history.oldest_block, 0);
    let base_fees = [b0, b1, b2, b3, b4].map(u128::from);
    assert_eq!(&history.base_fee_per_gas[..5], &base_fees);
    assert_eq!(
        history.base_fee_per_gas.len(),
        6,
        "one base fee per block plus the next block's"
    );
    assert_eq!(
        history.base_fee_per_gas[5],
        u128::from(expected_next_base_fee(0, BLOCK_GAS_LIMIT, b4))
    );
    assert_eq!(history.gas_used_ratio.len(), 5);
    assert!((history.gas_used_ratio[3] - used as f64 / BLOCK_GAS_LIMIT as f64).abs() < 1e-9);
    assert_eq!(history.gas_used_ratio[4], 0.0);
    let rewards = history.reward.expect("reward percentiles were asked for");
    assert_eq!(rewards.len(), 5);
    assert!(rewards.iter().all(|r| r.len() == 2));
    assert_eq!(
        rewards[3],
        vec![GWEI, GWEI],
        "every tip in block 3 is 1 gwei"
    );
    assert_eq!(rewards[4], vec![0, 0], "empty block: zero rewards");
    node.stop().await;
}

/// eth_getBalance / eth_getTransactionCount at older blocks answer as of that block.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn historical_state() {
    let node = TestNode::automine().await;
    let provider = node.provider();
    let rpc = node.rpc();
    let signer = node.signer(1);
    let sender = signer.address();
    let to = random_signer().address();

    let mut blocks = Vec::new();
    for (nonce, value) in [ether(1), ether(2), ether(3)].into_iter().enumerate() {
        let envelope = sign(&signer, eip1559(nonce as u64, to, value, 10 * GWEI, GWEI));
        let hash = rpc.send_raw(&raw(&envelope)).await.expect("send");
        let receipt = wait_receipt(&provider, hash).await;
        blocks.push((
            receipt.block_number.unwrap(),
            receipt.block_hash.unwrap(),
            receipt,
        ));
    }
    assert_eq!(
        blocks.iter().map(|b| b.0).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );

    let mut sender_balance = dev_balance();
    let mut recipient_balance = U256::ZERO;
    assert_eq!(
        provider.get_balance(sender).number(0).await.unwrap(),
        sender_balance
    );
    assert_eq!(
        provider.get_balance(to).earliest().await.unwrap(),
        U256::ZERO
    );
    for (i, (number, hash, receipt)) in blocks.iter().enumerate() {
        let value = ether(i as u64 + 1);
        sender_balance -=
            value + U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price);
        recipient_balance += value;
        assert_eq!(
            provider.get_balance(sender).number(*number).await.unwrap(),
            sender_balance,
            "sender at block {number}"
        );
        assert_eq!(
            provider.get_balance(to).number(*number).await.unwrap(),
            recipient_balance,
            "recipient at block {number}"
        );
        // EIP-1898: the same block named by hash.
        assert_eq!(
            provider.get_balance(to).hash(*hash).await.unwrap(),
            recipient_balance,
            "recipient at block {hash}"
        );
        assert_eq!(
            provider
                .get_transaction_count(sender)
                .number(*number)
                .await
                .unwrap(),
            i as u64 + 1
        );
    }
    assert_eq!(
        provider
            .get_transaction_count(sender)
            .number(0)
            .await
            .unwrap(),
        0
    );
    assert_eq!(provider.get_balance(to).latest().await.unwrap(), ether(6));
    assert_eq!(
        provider.get_balance(to).number(1).await.unwrap(),
        ether(1),
        "old state still readable after new blocks"
    );

    // A block that does not exist yet is an error, not the latest state.
    let err = rpc.call_err("eth_getBalance", json!([to, "0x64"])).await;
    assert!(!err.message.is_empty());
    node.stop().await;
}

/// With manual mining, "pending" counts pool transactions; a nonce gap waits in the pool.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_and_latest_nonces() {
    let node = TestNode::manual().await;
    let provider = node.provider();
    let rpc = node.rpc();
    let signer = node.signer(2);
    let sender = signer.address();
    let to = random_signer().address();

    let mut hashes = Vec::new();
    for nonce in 0..3 {
        let hash = rpc
            .send_raw(&raw(&sign(
                &signer,
                eip1559(nonce, to, U256::from(1u64), 10 * GWEI, GWEI),
            )))
            .await
            .unwrap();
        hashes.push(hash);
    }
    assert_eq!(rpc.nonce(sender, "latest").await, 0);
    assert_eq!(rpc.nonce(sender, "pending").await, 3);
    assert_eq!(rpc.block_number().await, 0);
    // A pool transaction is known but not mined.
    let tx = provider
        .get_transaction_by_hash(hashes[0])
        .await
        .unwrap()
        .expect("pool transaction is visible");
    assert_eq!(tx.block_number, None);
    assert_eq!(tx.block_hash, None);
    assert!(
        provider
            .get_transaction_receipt(hashes[0])
            .await
            .unwrap()
            .is_none(),
        "no receipt before mining"
    );

    rpc.mine().await;
    assert_eq!(rpc.block_number().await, 1);
    assert_eq!(rpc.nonce(sender, "latest").await, 3);
    assert_eq!(rpc.nonce(sender, "pending").await, 3);
    let block = provider
        .get_block_by_number(1.into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        block.transactions.hashes().collect::<Vec<_>>(),
        hashes,
        "mined in nonce order"
    );

    // Nonce 4 leaves a gap at 3: it waits.
    let gapped = rpc
        .send_raw(&raw(&sign(
            &signer,
            eip1559(4, to, U256::from(1u64), 10 * GWEI, GWEI),
        )))
        .await
        .unwrap();
    assert_eq!(
        rpc.nonce(sender, "pending").await,
        3,
        "a gapped transaction does not advance the pending nonce"
    );
    rpc.mine().await;
    assert!(
        provider
            .get_transaction_receipt(gapped)
            .await
            .unwrap()
            .is_none(),
        "gapped transaction is not mined"
    );
    assert_eq!(rpc.nonce(sender, "latest").await, 3);
    // Filling the gap releases both.
    let filler = rpc
        .send_raw(&raw(&sign(
            &signer,
            eip1559(3, to, U256::from(1u64), 10 * GWEI, GWEI),
        )))
        .await
        .unwrap();
    assert_eq!(rpc.nonce(sender, "pending").await, 5);
    rpc.mine().await;
    let r3 = wait_receipt(&provider, filler).await;
    let r4 = wait_receipt(&provider, gapped).await;
    assert_eq!(r3.block_number, Some(3));
    assert_eq!(r4.block_number, Some(3));
    assert_eq!(
        (r3.transaction_index, r4.transaction_index),
        (Some(0), Some(1))
    );
    assert_eq!(rpc.nonce(sender, "latest").await, 5);
    node.stop().await;
}

/// eth_call, eth_estimateGas, the fee APIs and the static methods.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_estimate_and_fee_apis() {
    let node = TestNode::automine().await;
    let provider = node.provider();
    let rpc = node.rpc();
    let from = node.account(0);
    let to = random_signer().address();

    assert_eq!(provider.get_chain_id().await.unwrap(), CHAIN_ID);
    assert_eq!(rpc.call("eth_chainId", json!([])).await, json!("0x7a69"));
    assert_eq!(rpc.call("net_version", json!([])).await, json!("31337"));
    assert_eq!(rpc.call("net_listening", json!([])).await, json!(true));
    assert_eq!(rpc.call("eth_syncing", json!([])).await, json!(false));
    let version = rpc.call("web3_clientVersion", json!([])).await;
    assert!(
        version
            .as_str()
            .unwrap()
            .to_lowercase()
            .starts_with("supervm/"),
        "{version}"
    );
    assert_eq!(provider.get_code_at(from).await.unwrap(), Bytes::new());
    assert_eq!(
        rpc.call("eth_getCode", json!([to, "latest"])).await,
        json!("0x")
    );
    assert_eq!(
        provider.get_storage_at(from, U256::ZERO).await.unwrap(),
        U256::ZERO
    );

    // eth_call of a plain transfer: nothing to return.
    let request = TransactionRequest::default()
        .with_from(from)
        .with_to(to)
        .with_value(ether(1));
    assert_eq!(
        provider.call(request.clone()).await.expect("eth_call"),
        Bytes::new()
    );
    assert_eq!(
        provider
            .call(request.clone())
            .block(BlockId::number(0))
            .await
            .expect("eth_call at genesis"),
        Bytes::new()
    );
    // eth_estimateGas: exactly the intrinsic gas of a transfer.
    assert_eq!(
        provider
            .estimate_gas(request.clone())
            .await
            .expect("eth_estimateGas"),
        21_000
    );
    let with_data = request.clone().with_input(Bytes::from(vec![1u8, 0, 2]));
    assert_eq!(
        provider.estimate_gas(with_data).await.unwrap(),
        21_000 + 16 + 4 + 16
    );
    let with_list = request
        .clone()
        .with_access_list(AccessList(vec![AccessListItem {
            address: to,
            storage_keys: vec![B256::ZERO],
        }]));
    assert_eq!(
        provider.estimate_gas(with_list).await.unwrap(),
        21_000 + 2_400 + 1_900
    );
    // eth_call does not change state.
    assert_eq!(rpc.balance(to, "latest").await, U256::ZERO);
    assert_eq!(rpc.block_number().await, 0);

    // A couple of blocks so fee history has something to say.
    let signer = node.signer(0);
    let tips = [GWEI, 2 * GWEI];
    for (nonce, tip) in tips.iter().enumerate() {
        let hash = rpc
            .send_raw(&raw(&sign(
                &signer,
                eip1559(nonce as u64, to, U256::from(1u64), 10 * GWEI, *tip),
            )))
            .await
            .unwrap();
        wait_receipt(&provider, hash).await;
    }
    let head = rpc.block_number().await;
    assert_eq!(head, 2);
    let latest = provider
        .get_block_by_number(BlockNumberOrTag::Latest)
        .await
        .unwrap()
        .unwrap()
        .header;
    let next_base_fee = expected_next_base_fee(
        latest.gas_used,
        latest.gas_limit,
        latest.base_fee_per_gas.unwrap(),
    );

    let gas_price = provider.get_gas_price().await.expect("eth_gasPrice");
    assert!(
        gas_price >= next_base_fee as u128,
        "eth_gasPrice {gas_price} is below the next base fee {next_base_fee}"
    );
    let _tip = provider
        .get_max_priority_fee_per_gas()
        .await
        .expect("eth_maxPriorityFeePerGas");

    let history = provider
        .get_fee_history(2, BlockNumberOrTag::Latest, &[50.0])
        .await
        .expect("eth_feeHistory");
    assert_eq!(history.oldest_block, 1);
    assert_eq!(history.base_fee_per_gas.len(), 3);
    assert_eq!(history.gas_used_ratio.len(), 2);
    for (i, number) in [1u64, 2].iter().enumerate() {
        let header = provider
            .get_block_by_number((*number).into())
            .await
            .unwrap()
            .unwrap()
            .header;
        assert_eq!(
            history.base_fee_per_gas[i],
            header.base_fee_per_gas.unwrap() as u128
        );
        assert!(
            (history.gas_used_ratio[i] - header.gas_used as f64 / header.gas_limit as f64).abs()
                < 1e-9
        );
    }
    assert_eq!(history.base_fee_per_gas[2], next_base_fee as u128);
    assert_eq!(
        history.reward,
        Some(vec![vec![tips[0]], vec![tips[1]]]),
        "single-tx blocks: reward is that tx's tip"
    );
    // Without percentiles there is no reward field (or an empty one).
    let history = provider
        .get_fee_history(1, BlockNumberOrTag::Number(2), &[])
        .await
        .expect("eth_feeHistory");
    assert_eq!(history.oldest_block, 2);
    assert!(history
        .reward
        .as_ref()
        .is_none_or(|r| r.iter().all(|x| x.is_empty())));
    node.stop().await;
}

/// Block tags and block ids: latest, earliest, safe, finalized, pending, numbers and hashes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_tags() {
    let node = TestNode::automine().await;
    let provider = node.provider();
    let rpc = node.rpc();
    let signer = node.signer(4);
    let to = random_signer().address();
    for nonce in 0..3 {
        let hash = rpc
            .send_raw(&raw(&sign(
                &signer,
                eip1559(nonce, to, ether(1), 10 * GWEI, GWEI),
            )))
            .await
            .unwrap();
        wait_receipt(&provider, hash).await;
    }
    let head = rpc.block_number().await;
    assert_eq!(head, 3);
    let canonical = |n: u64| {
        let provider = provider.clone();
        async move {
            provider
                .get_block_by_number(n.into())
                .await
                .unwrap()
                .expect("canonical block")
                .header
                .hash
        }
    };

    let latest = rpc.block_json(json!("latest"), false).await;
    assert_eq!(quantity(&latest["number"]), head);
    let earliest = rpc.block_json(json!("earliest"), false).await;
    assert_eq!(quantity(&earliest["number"]), 0);
    assert_eq!(earliest["hash"], json!(canonical(0).await));
    for tag in ["safe", "finalized"] {
        let block = rpc.block_json(json!(tag), false).await;
        assert!(!block.is_null(), "{tag} block exists");
        let number = quantity(&block["number"]);
        assert!(number <= head, "{tag} is at or behind the head");
        assert_eq!(
            block["hash"],
            json!(canonical(number).await),
            "{tag} block is canonical"
        );
    }
    let pending = rpc.block_json(json!("pending"), false).await;
    if !pending.is_null() {
        let number = quantity(&pending["number"]);
        assert!(
            number == head || number == head + 1,
            "pending block number {number}, head {head}"
        );
    }
    let by_number = rpc.block_json(json!("0x2"), false).await;
    assert_eq!(by_number["hash"], json!(canonical(2).await));

    // State by tag.
    let sender = signer.address();
    assert_eq!(rpc.balance(to, "earliest").await, U256::ZERO);
    assert_eq!(rpc.balance(sender, "earliest").await, dev_balance());
    assert_eq!(rpc.balance(to, "latest").await, ether(3));
    assert_eq!(rpc.balance(to, "pending").await, ether(3));
    for tag in ["safe", "finalized"] {
        let block = rpc.block_json(json!(tag), false).await;
        let number = quantity(&block["number"]);
        assert_eq!(
            rpc.balance(to, tag).await,
            ether(number),
            "balance at {tag} (block {number})"
        );
    }
    assert_eq!(rpc.nonce(sender, "earliest").await, 0);
    assert_eq!(rpc.nonce(sender, "latest").await, 3);
    assert_eq!(rpc.nonce(sender, "pending").await, 3);
    // EIP-1898 block ids.
    let hash1 = canonical(1).await;
    assert_eq!(
        rpc.call("eth_getBalance", json!([to, {"blockHash": hash1}]))
            .await,
        json!(format!("{:#x}", ether(1)))
    );
    assert_eq!(
        rpc.call("eth_getBalance", json!([to, {"blockNumber": "0x2"}]))
            .await,
        json!(format!("{:#x}", ether(2)))
    );
    assert_eq!(
        rpc.call("eth_getBlockTransactionCountByNumber", json!(["earliest"]))
            .await,
        json!("0x0")
    );
    assert_eq!(
        rpc.call("eth_getBlockTransactionCountByNumber", json!(["latest"]))
            .await,
        json!("0x1")
    );
    node.stop().await;
}
