//! Fee-token rule (a): a CIP-64 (type 0x7b) transaction pays in its `feeCurrency`, whatever it
//! transacts, with its fee fields in that token's units; hand-signed, or signed by the node
//! for `eth_sendTransaction` with `feeCurrency`.

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hand_signed_cip64_transaction_pays_in_its_fee_currency() {
    let node = TestNode::start(with_beneficiary).await;
    let rpc = node.rpc();
    let dev = node.signer(2);
    let me = dev.address();
    let recipient = random_signer().address();

    // An sUSD transfer whose fee is paid in GOLD (rule a beats c).
    let amount = U256::from(4_200_000u64);
    let tx = build_cip64(
        &rpc,
        &dev,
        SUSD,
        U256::ZERO,
        calldata(IERC20::transferCall {
            to: recipient,
            value: amount,
        }),
        GOLD,
    )
    .await;
    let (raw, hash) = tx.sign(&dev);
    assert_eq!(raw[0], CIP64_TYPE);
    let gold_before = TokenLedger::read(&rpc, GOLD, &[me, BENEFICIARY]).await;
    let susd_before = rpc.token_balance(SUSD, me).await;
    let native_before = rpc.balance(me, "latest").await;
    let receipt = send_cip64(&rpc, &dev, &tx).await;
    assert_success(&receipt, "hand-signed CIP-64");
    assert_eq!(receipt["type"], "0x7b", "receipt type: {receipt}");
    assert_eq!(tx_hash(&receipt), hash);
    assert_eq!(
        address_of(&receipt["from"]),
        me,
        "sender recovered from the CIP-64 signature"
    );
    assert_eq!(fee_token(&receipt), GOLD, "{receipt}");
    let expected = check_denominated(
        &rpc,
        &receipt,
        tx.gas_limit,
        tx.max_fee_per_gas,
        tx.max_priority_fee_per_gas,
        gold_rate(),
    )
    .await;
    assert_eq!(fee_paid(&receipt), expected.paid());
    let gold_after = TokenLedger::read(&rpc, GOLD, &[me, BENEFICIARY]).await;
    // tip = gasUsed × (price − ceil(baseFee·r)); burned = gasUsed × ceil(baseFee·r).
    assert_fee_distributed(
        &gold_before,
        &gold_after,
        me,
        U256::ZERO,
        &expected,
        BaseFeeGoes::Burned,
        "CIP-64 fee in GOLD",
    );
    assert_eq!(
        rpc.token_balance(SUSD, me).await,
        susd_before - amount,
        "no sUSD fee"
    );
    assert_eq!(rpc.token_balance(SUSD, recipient).await, amount);
    assert_eq!(
        rpc.balance(me, "latest").await,
        native_before,
        "no native fee"
    );

    // The transaction as the node returns it.
    let json = rpc.call("eth_getTransactionByHash", json!([hash])).await;
    assert_eq!(json["type"], "0x7b", "{json}");
    assert_eq!(
        json.get("feeCurrency").map(address_of),
        Some(GOLD),
        "{json}"
    );
    assert_eq!(address_of(&json["from"]), me);
    assert_eq!(address_of(&json["to"]), SUSD);
    assert_eq!(quantity(&json["nonce"]), tx.nonce);
    assert_eq!(quantity(&json["gas"]), tx.gas_limit);
    assert_eq!(quantity128(&json["maxFeePerGas"]), tx.max_fee_per_gas);
    assert_eq!(
        quantity128(&json["maxPriorityFeePerGas"]),
        tx.max_priority_fee_per_gas
    );
    assert_eq!(quantity(&json["chainId"]), CHAIN_ID);
    assert_eq!(u256_of(&json["value"]), U256::ZERO);
    assert_eq!(json["input"], json!(tx.input));
    assert_eq!(json["blockNumber"], receipt["blockNumber"]);
    let block = rpc.block_json(receipt["blockNumber"].clone(), true).await;
    let in_block = block["transactions"]
        .as_array()
        .expect("full transactions")
        .iter()
        .find(|t| t["hash"] == json!(hash))
        .unwrap_or_else(|| panic!("{hash} not in its block {block}"));
    assert_eq!(in_block["type"], "0x7b");
    assert_eq!(in_block.get("feeCurrency").map(address_of), Some(GOLD));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eth_send_transaction_with_a_fee_currency_signs_a_cip64_transaction() {
    let node = TestNode::start(with_beneficiary).await;
    let rpc = node.rpc();
    let dev3 = node.account(3);
    let recipient = random_signer().address();
    let native_before = rpc.balance(dev3, "latest").await;
    let susd_before = rpc.token_balance(SUSD, dev3).await;
    let value = U256::from(1_000u64);
    let hash: B256 = serde_json::from_value(
        rpc.call(
            "eth_sendTransaction",
            json!([{"from": dev3, "to": recipient, "value": value, "feeCurrency": SUSD}]),
        )
        .await,
    )
    .expect("tx hash");
    let receipt = rpc.wait_receipt_json(hash).await;
    assert_success(&receipt, "eth_sendTransaction with feeCurrency");
    assert_eq!(receipt["type"], "0x7b", "{receipt}");
    assert_eq!(fee_token(&receipt), SUSD);
    let json = rpc.call("eth_getTransactionByHash", json!([hash])).await;
    assert_eq!(json["type"], "0x7b", "{json}");
    assert_eq!(
        json.get("feeCurrency").map(address_of),
        Some(SUSD),
        "{json}"
    );
    check_denominated(
        &rpc,
        &receipt,
        quantity(&json["gas"]),
        quantity128(&json["maxFeePerGas"]),
        quantity128(&json["maxPriorityFeePerGas"]),
        susd_rate(),
    )
    .await;
    assert_eq!(
        rpc.balance(dev3, "latest").await,
        native_before - value,
        "value only"
    );
    assert_eq!(
        rpc.token_balance(SUSD, dev3).await,
        susd_before - fee_paid(&receipt)
    );
}
