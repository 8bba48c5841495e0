//! Paying gas in tokens, end to end over JSON-RPC: fee-token resolution (CIP-64 `feeCurrency`,
//! stored preference, transacted token, native), exact charging and distribution, the errors,
//! governance of the token registry, the ERC-20 behaviour of registered tokens, extreme
//! decimals and rates, and the fee APIs.
//!
//! Everything goes through raw JSON (the receipts' `feeToken` / `feePaid` fields and type 0x7b
//! transactions are not part of alloy's Ethereum types). Expected amounts are recomputed here
//! from the rules, independently of the node's code.

mod common;

use common::*;

/// Receives tips.
const BENEFICIARY: Address = address!("0x000000000000000000000000000000000000bEEF");
/// Receives base fees on chains that configure a base-fee recipient.
const TREASURY: Address = address!("0x0000000000000000000000000000000000007EA5");

fn with_beneficiary(c: &mut NodeConfig) {
    c.mining.beneficiary = BENEFICIARY;
}

/// A rate as (numerator, denominator): token base units per wei.
type Rate = (U256, U256);

fn susd_rate() -> Rate {
    (U256::from(3u64), pow10(9))
}
fn sbtc_rate() -> Rate {
    (U256::from(5u64), pow10(12))
}
fn gold_rate() -> Rate {
    (U256::from(100u64), U256::from(1u64))
}

// ----------------------------------------------------------------------------------------------
// Receipt accessors.
// ----------------------------------------------------------------------------------------------

fn succeeded(receipt: &Value) -> bool {
    match receipt["status"].as_str() {
        Some("0x1") => true,
        Some("0x0") => false,
        other => panic!("receipt status is {other:?}: {receipt}"),
    }
}

fn assert_success(receipt: &Value, what: &str) {
    assert!(
        succeeded(receipt),
        "{what}: expected status 0x1, receipt {receipt}"
    );
}

fn fee_token(receipt: &Value) -> Address {
    assert!(
        receipt.get("feeToken").is_some(),
        "receipt has no feeToken field: {receipt}"
    );
    address_of(&receipt["feeToken"])
}

fn fee_paid(receipt: &Value) -> U256 {
    assert!(
        receipt.get("feePaid").is_some(),
        "receipt has no feePaid field: {receipt}"
    );
    u256_of(&receipt["feePaid"])
}

fn gas_used(receipt: &Value) -> u64 {
    quantity(&receipt["gasUsed"])
}

fn effective_price(receipt: &Value) -> u128 {
    quantity128(&receipt["effectiveGasPrice"])
}

fn tx_hash(receipt: &Value) -> B256 {
    serde_json::from_value(receipt["transactionHash"].clone()).expect("transactionHash")
}

/// Base fee (wei) of the block that holds `receipt`.
async fn base_fee_of(rpc: &RawRpc, receipt: &Value) -> u128 {
    let block = rpc.block_json(receipt["blockNumber"].clone(), false).await;
    quantity128(&block["baseFeePerGas"])
}

/// The logs of a receipt with this address and exactly these topics.
fn logs_matching<'a>(receipt: &'a Value, address: Address, topics: &[B256]) -> Vec<&'a Value> {
    receipt["logs"]
        .as_array()
        .unwrap_or_else(|| panic!("receipt without logs array: {receipt}"))
        .iter()
        .filter(|log| {
            address_of(&log["address"]) == address
                && log["topics"]
                    .as_array()
                    .map(|t| {
                        t.iter()
                            .map(|x| serde_json::from_value::<B256>(x.clone()).unwrap())
                            .collect::<Vec<_>>()
                    })
                    .as_deref()
                    == Some(topics)
        })
        .collect()
}

fn log_data(log: &Value) -> Bytes {
    serde_json::from_value(log["data"].clone()).expect("log data")
}

/// Lower-cased equality: addresses in messages may be EIP-55 checksummed.
fn assert_message(err: &RpcError, expected: &str) {
    assert_eq!(
        err.message.to_lowercase(),
        expected.to_lowercase(),
        "error message (compared case-insensitively); full error: {err:?}"
    );
    assert_eq!(err.code, -32000, "error code for '{expected}': {err:?}");
}

/// Like [`assert_message`], but records a mismatch instead of stopping, so that one run reports
/// every wrong error of a test.
fn check_message(problems: &mut Vec<String>, what: &str, err: &RpcError, expected: &str) {
    if err.message.to_lowercase() != expected.to_lowercase() || err.code != -32000 {
        problems.push(format!(
            "{what}: expected -32000 \"{expected}\", got {} \"{}\"",
            err.code, err.message
        ));
    }
}

/// `eth_call` that must revert with code 3 and `Error(reason)` data.
async fn assert_call_reverts(rpc: &RawRpc, from: Address, to: Address, data: &Bytes, reason: &str) {
    let err = match rpc.eth_call_at(Some(from), to, data, "latest").await {
        Ok(out) => panic!("eth_call to {to} should revert with '{reason}' but returned {out}"),
        Err(err) => err,
    };
    assert_eq!(err.code, 3, "revert code for '{reason}': {err:?}");
    assert!(
        err.message.starts_with("execution reverted"),
        "revert message for '{reason}': {err:?}"
    );
    let revert_data: Bytes = serde_json::from_value(
        err.data
            .clone()
            .unwrap_or_else(|| panic!("revert without data for '{reason}': {err:?}")),
    )
    .expect("revert data is hex");
    assert_eq!(
        revert_reason(&revert_data).as_deref(),
        Some(reason),
        "revert data {revert_data}"
    );
    assert_eq!(
        revert_data,
        error_string_data(reason),
        "exact Error(string) encoding"
    );
}

/// A CIP-64 transaction from `signer` with estimated gas and fee fields quoted in `token`
/// units by the node (max fee = 2 × eth_gasPrice(token), tip = eth_maxPriorityFeePerGas(token)).
async fn build_cip64(
    rpc: &RawRpc,
    signer: &PrivateKeySigner,
    to: Address,
    value: U256,
    input: Bytes,
    token: Address,
) -> Cip64Tx {
    let gas = rpc
        .estimate(json!({"from": signer.address(), "to": to, "value": value, "data": input, "feeCurrency": token}))
        .await;
    let price = u256_of(&rpc.call("eth_gasPrice", json!([token])).await);
    let tip = u256_of(&rpc.call("eth_maxPriorityFeePerGas", json!([token])).await);
    Cip64Tx {
        chain_id: CHAIN_ID,
        nonce: rpc.nonce(signer.address(), "pending").await,
        max_priority_fee_per_gas: tip.to(),
        max_fee_per_gas: (price * U256::from(2u8)).to(),
        gas_limit: gas,
        to,
        value,
        input,
        access_list: AccessList::default(),
        fee_currency: Some(token),
    }
}

/// Sends a hand-signed CIP-64 transaction and waits for its receipt.
async fn send_cip64(rpc: &RawRpc, signer: &PrivateKeySigner, tx: &Cip64Tx) -> Value {
    let (raw, hash) = tx.sign(signer);
    let sent = rpc
        .send_raw(&raw)
        .await
        .unwrap_or_else(|e| panic!("CIP-64 transaction {tx:?} rejected: {e:?}"));
    assert_eq!(
        sent, hash,
        "eth_sendRawTransaction returns keccak256 of the raw bytes"
    );
    rpc.wait_receipt_json(hash).await
}

/// Checks a converted (type 0/1/2) fee payment against the rules; returns the expected split.
async fn check_converted(
    rpc: &RawRpc,
    receipt: &Value,
    token: Address,
    rate: Rate,
    gas_limit: u64,
    max_fee: u128,
    tip: u128,
) -> ExpectedFee {
    assert_eq!(fee_token(receipt), token, "feeToken: {receipt}");
    let base_fee = base_fee_of(rpc, receipt).await;
    let price = effective_price(receipt);
    assert_eq!(
        price,
        max_fee.min(base_fee + tip),
        "effectiveGasPrice of a type 2 transaction is in wei: min(maxFee, baseFee + tip)"
    );
    let expected = ExpectedFee::converted(
        gas_limit,
        max_fee,
        gas_used(receipt),
        price,
        base_fee,
        rate.0,
        rate.1,
    );
    assert_eq!(
        fee_paid(receipt),
        expected.paid(),
        "feePaid = ceil(L·maxFee·r) − floor((L·maxFee − G·price)·r) with {expected:?}; receipt {receipt}"
    );
    assert!(
        !fee_paid(receipt).is_zero(),
        "a fee payment is never zero: {receipt}"
    );
    expected
}

async fn holders_sum(rpc: &RawRpc, token: Address, holders: &[Address]) -> U256 {
    let mut sum = U256::ZERO;
    for holder in holders {
        sum += rpc.token_balance(token, *holder).await;
    }
    sum
}

// ----------------------------------------------------------------------------------------------
// 1. Rule (c): a zero-native account pays gas in the token it transfers.
// ----------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_native_account_pays_gas_in_the_token_it_transfers() {
    let node = TestNode::start(with_beneficiary).await;
    let rpc = node.rpc();
    let alice = random_signer();
    let bob = random_signer().address();
    let per_account = U256::from(1_000_000u64) * pow10(6);
    let genesis_supply = per_account * U256::from(10u8);
    assert_eq!(
        abi_word(
            &rpc.eth_call_at(None, SUSD, &erc20::total_supply(), "0x0")
                .await
                .unwrap(),
            0
        ),
        genesis_supply,
        "sUSD supply at genesis: 10 dev accounts × 1,000,000 sUSD"
    );

    // A dev account sends Alice 100 sUSD (it pays its own fee in sUSD too, by rule c).
    let (funding, ..) = rpc
        .transact(
            &node.signer(0),
            SUSD,
            U256::ZERO,
            erc20::transfer(alice.address(), U256::from(100_000_000u64)),
        )
        .await;
    assert_success(&funding, "funding transfer");
    assert_eq!(
        fee_token(&funding),
        SUSD,
        "dev account's sUSD transfer pays in sUSD"
    );
    assert_eq!(rpc.balance(alice.address(), "latest").await, U256::ZERO);
    assert_eq!(
        rpc.token_balance(SUSD, alice.address()).await,
        U256::from(100_000_000u64)
    );

    let mut holders: Vec<Address> = (0..10).map(|i| node.account(i)).collect();
    holders.extend([alice.address(), bob, BENEFICIARY]);
    let supply_before = rpc.token_supply(SUSD).await;
    assert_eq!(
        holders_sum(&rpc, SUSD, &holders).await,
        supply_before,
        "sum of balances = totalSupply after the funding transfer"
    );
    let alice_before = rpc.token_balance(SUSD, alice.address()).await;
    let beneficiary_before = rpc.token_balance(SUSD, BENEFICIARY).await;
    let beneficiary_native = rpc.balance(BENEFICIARY, "latest").await;

    // Alice, with no native coin at all, sends a plain EIP-1559 `transfer`.
    let amount = U256::from(12_345_678u64);
    let (receipt, gas_limit, max_fee, tip) = rpc
        .transact(&alice, SUSD, U256::ZERO, erc20::transfer(bob, amount))
        .await;
    assert_success(&receipt, "Alice's sUSD transfer");
    assert_eq!(receipt["type"], "0x2", "{receipt}");
    assert_eq!(address_of(&receipt["from"]), alice.address());
    assert!(
        gas_limit > 21_000,
        "a token transfer costs more than 21000 gas: {gas_limit}"
    );
    assert!(gas_used(&receipt) > 21_000);
    let expected =
        check_converted(&rpc, &receipt, SUSD, susd_rate(), gas_limit, max_fee, tip).await;
    let paid = fee_paid(&receipt);
    assert!(
        !expected.tip.is_zero(),
        "a 1 gwei tip is worth sUSD base units: {expected:?}"
    );

    // The Transfer event of the call itself.
    let transfers = logs_matching(
        &receipt,
        SUSD,
        &[
            erc20::transfer_topic(),
            word_address(alice.address()),
            word_address(bob),
        ],
    );
    assert_eq!(transfers.len(), 1, "one Transfer(alice, bob): {receipt}");
    assert_eq!(
        log_data(transfers[0]),
        Bytes::from(word_uint(amount).to_vec())
    );

    // Balances moved exactly.
    assert_eq!(
        rpc.token_balance(SUSD, alice.address()).await,
        alice_before - amount - paid,
        "sender's sUSD decreases by amount + feePaid"
    );
    assert_eq!(
        rpc.token_balance(SUSD, bob).await,
        amount,
        "recipient gets the amount"
    );
    assert_eq!(
        rpc.token_balance(SUSD, BENEFICIARY).await - beneficiary_before,
        expected.tip,
        "beneficiary gets the tip in sUSD"
    );
    assert_eq!(
        rpc.balance(alice.address(), "latest").await,
        U256::ZERO,
        "native stays 0"
    );
    assert_eq!(rpc.nonce(alice.address(), "latest").await, 1);
    assert_eq!(
        rpc.balance(BENEFICIARY, "latest").await,
        beneficiary_native,
        "no native tip for a fee paid in sUSD"
    );

    // The base part is burned: the supply shrinks by exactly feePaid − tip, and the balances of
    // all holders still add up to it.
    let supply_after = rpc.token_supply(SUSD).await;
    assert_eq!(
        supply_before - supply_after,
        paid - expected.tip,
        "burned = feePaid − tip = {:?}",
        expected.base
    );
    assert_eq!(
        holders_sum(&rpc, SUSD, &holders).await,
        supply_after,
        "conservation"
    );
    assert_eq!(
        rpc.storage_u256(SUSD, erc20::total_supply_slot(), "latest")
            .await,
        supply_after,
        "totalSupply slot 2"
    );
}

// ----------------------------------------------------------------------------------------------
// 2. Rule (b): the stored preference beats the transacted token.
// ----------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_preference_overrides_the_transacted_token() {
    let node = TestNode::start(with_beneficiary).await;
    let rpc = node.rpc();
    let dev = node.signer(1);
    let me = dev.address();
    let recipient = random_signer().address();
    let preference = |account| system_abi::fee_token_of(account);

    assert_eq!(
        abi_address(&rpc.view(FEE_PREFERENCE, &preference(me)).await, 0),
        Address::ZERO,
        "no preference at genesis"
    );

    // setFeeToken(GOLD): the call transacts the token it chooses (rule c), so it pays its own
    // fee in GOLD, which the account holds plenty of.
    let (receipt, gas, max_fee, tip) = rpc
        .transact(
            &dev,
            FEE_PREFERENCE,
            U256::ZERO,
            system_abi::set_fee_token(GOLD),
        )
        .await;
    assert_success(&receipt, "setFeeToken(GOLD)");
    check_converted(&rpc, &receipt, GOLD, gold_rate(), gas, max_fee, tip).await;
    assert_eq!(
        abi_address(&rpc.view(FEE_PREFERENCE, &preference(me)).await, 0),
        GOLD,
        "feeTokenOf returns GOLD"
    );

    // An sUSD transfer now pays in GOLD.
    let gold_before = rpc.token_balance(GOLD, me).await;
    let susd_before = rpc.token_balance(SUSD, me).await;
    let native_before = rpc.balance(me, "latest").await;
    let beneficiary_gold = rpc.token_balance(GOLD, BENEFICIARY).await;
    let gold_supply = rpc.token_supply(GOLD).await;
    let amount = U256::from(777_000u64);
    let (receipt, gas, max_fee, tip) = rpc
        .transact(&dev, SUSD, U256::ZERO, erc20::transfer(recipient, amount))
        .await;
    assert_success(&receipt, "sUSD transfer with GOLD preference");
    let expected = check_converted(&rpc, &receipt, GOLD, gold_rate(), gas, max_fee, tip).await;
    let paid = fee_paid(&receipt);
    assert_eq!(
        rpc.token_balance(GOLD, me).await,
        gold_before - paid,
        "fee in GOLD"
    );
    assert_eq!(
        rpc.token_balance(SUSD, me).await,
        susd_before - amount,
        "sUSD moves by the amount only"
    );
    assert_eq!(rpc.token_balance(SUSD, recipient).await, amount);
    assert_eq!(
        rpc.balance(me, "latest").await,
        native_before,
        "no native fee"
    );
    assert_eq!(
        rpc.token_balance(GOLD, BENEFICIARY).await - beneficiary_gold,
        expected.tip
    );
    assert_eq!(
        gold_supply - rpc.token_supply(GOLD).await,
        paid - expected.tip,
        "GOLD burned"
    );

    // The preference applies to any transaction, a native transfer too.
    let native_before = rpc.balance(me, "latest").await;
    let value = U256::from(1_000u64);
    let (receipt, gas, max_fee, tip) = rpc.transact(&dev, recipient, value, Bytes::new()).await;
    assert_success(&receipt, "native transfer with GOLD preference");
    check_converted(&rpc, &receipt, GOLD, gold_rate(), gas, max_fee, tip).await;
    assert_eq!(
        rpc.balance(me, "latest").await,
        native_before - value,
        "native balance pays the value only"
    );

    // Setting zero restores automatic; calls to the preference contract skip the stored
    // preference (so a preference for a token that cannot pay can always be cleared), and
    // clearing chooses no token, so this transaction pays natively.
    let (receipt, ..) = rpc
        .transact(
            &dev,
            FEE_PREFERENCE,
            U256::ZERO,
            system_abi::set_fee_token(Address::ZERO),
        )
        .await;
    assert_success(&receipt, "setFeeToken(0)");
    assert_eq!(
        fee_token(&receipt),
        Address::ZERO,
        "clearing the preference is paid for natively: {receipt}"
    );
    assert_eq!(
        abi_address(&rpc.view(FEE_PREFERENCE, &preference(me)).await, 0),
        Address::ZERO
    );
    let (receipt, gas, max_fee, tip) = rpc
        .transact(
            &dev,
            SUSD,
            U256::ZERO,
            erc20::transfer(recipient, U256::from(1u8)),
        )
        .await;
    assert_success(&receipt, "sUSD transfer after reset");
    check_converted(&rpc, &receipt, SUSD, susd_rate(), gas, max_fee, tip).await;
    let (receipt, ..) = rpc.transact(&dev, recipient, value, Bytes::new()).await;
    assert_success(&receipt, "native transfer after reset");
    assert_eq!(fee_token(&receipt), Address::ZERO, "{receipt}");
    assert_eq!(
        fee_paid(&receipt),
        U256::from(gas_used(&receipt)) * U256::from(effective_price(&receipt)),
        "native feePaid = gasUsed × effectiveGasPrice"
    );

    // An unregistered token cannot be preferred.
    let bogus = random_signer().address();
    let data = system_abi::set_fee_token(bogus);
    assert_call_reverts(
        &rpc,
        me,
        FEE_PREFERENCE,
        &data,
        "fee token is not a registered token",
    )
    .await;
    let max_fee = 2 * rpc.latest_base_fee().await + GWEI;
    let hash = rpc
        .send_eip1559(
            &dev,
            FEE_PREFERENCE,
            U256::ZERO,
            data,
            100_000,
            max_fee,
            GWEI,
        )
        .await
        .expect("a reverting call is still admitted");
    let receipt = rpc.wait_receipt_json(hash).await;
    assert!(
        !succeeded(&receipt),
        "setFeeToken(unregistered) reverts: {receipt}"
    );
    assert!(
        !fee_paid(&receipt).is_zero(),
        "a reverted transaction still pays: {receipt}"
    );
    assert_eq!(
        abi_address(&rpc.view(FEE_PREFERENCE, &preference(me)).await, 0),
        Address::ZERO
    );
}

// ----------------------------------------------------------------------------------------------
// 3. Rule (a): CIP-64 transactions, hand-signed and from eth_sendTransaction.
// ----------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cip64_transactions_pay_in_their_fee_currency() {
    let node = TestNode::start(with_beneficiary).await;
    let rpc = node.rpc();
    let dev = node.signer(2);
    let me = dev.address();
    let recipient = random_signer().address();

    // Hand-built and hand-signed: an sUSD transfer whose fee is paid in GOLD (rule a beats c).
    let amount = U256::from(4_200_000u64);
    let tx = build_cip64(
        &rpc,
        &dev,
        SUSD,
        U256::ZERO,
        erc20::transfer(recipient, amount),
        GOLD,
    )
    .await;
    let (raw, hash) = tx.sign(&dev);
    assert_eq!(raw[0], CIP64_TYPE);
    let gold_before = rpc.token_balance(GOLD, me).await;
    let susd_before = rpc.token_balance(SUSD, me).await;
    let native_before = rpc.balance(me, "latest").await;
    let beneficiary_gold = rpc.token_balance(GOLD, BENEFICIARY).await;
    let gold_supply = rpc.token_supply(GOLD).await;
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
    let base_fee = base_fee_of(&rpc, &receipt).await;
    let (expected, price) = ExpectedFee::denominated(
        tx.gas_limit,
        tx.max_fee_per_gas,
        tx.max_priority_fee_per_gas,
        gas_used(&receipt),
        base_fee,
        gold_rate().0,
        gold_rate().1,
    );
    assert_eq!(
        U256::from(effective_price(&receipt)),
        price,
        "effectiveGasPrice in GOLD units: min(maxFee, ceil(baseFee·r) + tip)"
    );
    assert_eq!(
        fee_paid(&receipt),
        U256::from(gas_used(&receipt)) * U256::from(effective_price(&receipt)),
        "CIP-64 feePaid = gasUsed × effectiveGasPrice exactly"
    );
    assert_eq!(fee_paid(&receipt), expected.paid());
    assert_eq!(
        rpc.token_balance(GOLD, me).await,
        gold_before - expected.paid()
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
    assert_eq!(
        rpc.token_balance(GOLD, BENEFICIARY).await - beneficiary_gold,
        expected.tip,
        "tip = gasUsed × (price − ceil(baseFee·r))"
    );
    assert_eq!(
        gold_supply - rpc.token_supply(GOLD).await,
        expected.base,
        "burned = gasUsed × ceil(baseFee·r)"
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

    // eth_sendTransaction with feeCurrency: the node signs a CIP-64 transaction.
    let dev3 = node.account(3);
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
    assert!(!fee_paid(&receipt).is_zero());
    assert_eq!(
        fee_paid(&receipt),
        U256::from(gas_used(&receipt)) * U256::from(effective_price(&receipt)),
        "CIP-64 feePaid = gasUsed × effectiveGasPrice exactly"
    );
    let json = rpc.call("eth_getTransactionByHash", json!([hash])).await;
    assert_eq!(json["type"], "0x7b", "{json}");
    assert_eq!(
        json.get("feeCurrency").map(address_of),
        Some(SUSD),
        "{json}"
    );
    let base_fee = base_fee_of(&rpc, &receipt).await;
    let (_, price) = ExpectedFee::denominated(
        quantity(&json["gas"]),
        quantity128(&json["maxFeePerGas"]),
        quantity128(&json["maxPriorityFeePerGas"]),
        gas_used(&receipt),
        base_fee,
        susd_rate().0,
        susd_rate().1,
    );
    assert_eq!(
        U256::from(effective_price(&receipt)),
        price,
        "price in sUSD units"
    );
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

// ----------------------------------------------------------------------------------------------
// 4. Errors.
// ----------------------------------------------------------------------------------------------

const USDX: Address = address!("0x000000000000000000000000000000000000a001");
const NOPX: Address = address!("0x000000000000000000000000000000000000a002");
const OFFX: Address = address!("0x000000000000000000000000000000000000a003");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fee_token_errors_name_the_token_and_the_amounts() {
    let devs = dev_accounts();
    let poor = random_signer(); // 1000 USDX base units, no native coin
    let token_rich = random_signer(); // plenty of USDX, no native coin
    let empty = random_signer(); // nothing at all
    let mut balances: Vec<(Address, U256)> = devs
        .iter()
        .take(4)
        .map(|d| (d.address, pow10(12)))
        .collect();
    let token = |address: Address,
                 symbol: &str,
                 balances: Vec<(Address, U256)>,
                 rate: Option<Rate>,
                 enabled: bool| {
        GenesisTokenSpec {
            address,
            name: format!("{symbol} token"),
            symbol: symbol.into(),
            decimals: 6,
            balances,
            rate,
            enabled,
        }
    };
    let others = balances.clone();
    balances.push((poor.address(), U256::from(1_000u64)));
    balances.push((token_rich.address(), pow10(12)));
    let genesis = genesis_json(
        &devs
            .iter()
            .take(4)
            .map(|d| (d.address, dev_balance()))
            .collect::<Vec<_>>(),
        devs[0].address,
        None,
        &[
            token(USDX, "USDX", balances, Some(susd_rate()), true),
            token(NOPX, "NOPX", others.clone(), None, true),
            token(OFFX, "OFFX", others, Some(susd_rate()), false),
        ],
    );
    let node = TestNode::with_genesis(&genesis, with_beneficiary).await;
    let rpc = node.rpc();
    let dev1 = node.signer(1);
    let recipient = random_signer().address();

    let cip64 = |signer: &PrivateKeySigner, nonce, token, to, value, input: Bytes| {
        Cip64Tx {
            chain_id: CHAIN_ID,
            nonce,
            max_priority_fee_per_gas: 1,
            max_fee_per_gas: 10,
            gas_limit: 100_000,
            to,
            value,
            input,
            access_list: AccessList::default(),
            fee_currency: Some(token),
        }
        .sign(signer)
        .0
    };
    let nonce1 = rpc.nonce(dev1.address(), "pending").await;
    // Every wrong or missing error is collected so that one run reports all of them.
    let mut problems: Vec<String> = Vec::new();
    fn expect_error<T: std::fmt::Debug>(
        problems: &mut Vec<String>,
        what: &str,
        result: Result<T, RpcError>,
        expected: &str,
    ) {
        match result {
            Ok(value) => problems.push(format!(
                "{what}: accepted ({value:?}); expected \"{expected}\""
            )),
            Err(err) => check_message(problems, what, &err, expected),
        }
    }
    let send_tx = |request: Value| {
        let rpc = rpc.clone();
        async move { rpc.try_call("eth_sendTransaction", json!([request])).await }
    };

    // Fee cap below ceil(baseFee × rate) for a 0x7b transaction (at genesis the next base fee
    // is 0.875 gwei = 2.625 → 3 USDX units per gas).
    let raw = Cip64Tx {
        chain_id: CHAIN_ID,
        nonce: nonce1,
        max_priority_fee_per_gas: 0,
        max_fee_per_gas: 1,
        gas_limit: 100_000,
        to: recipient,
        value: U256::ZERO,
        input: Bytes::new(),
        access_list: AccessList::default(),
        fee_currency: Some(USDX),
    }
    .sign(&dev1)
    .0;
    match rpc.send_raw(&raw).await {
        Err(err)
            if err.code == -32000
                && err.message.starts_with("max fee per gas less than block base fee") => {}
        other => problems.push(format!(
            "CIP-64 maxFee 1 below ceil(baseFee × rate) = 3: expected -32000 \"max fee per gas less than block base fee…\", got {other:?}"
        )),
    }

    // (a) Unregistered fee currency.
    let bogus = random_signer().address();
    let raw = cip64(&dev1, nonce1, bogus, recipient, U256::ZERO, Bytes::new());
    expect_error(
        &mut problems,
        "CIP-64 with an unregistered feeCurrency",
        rpc.send_raw(&raw).await,
        &format!("fee token {bogus:#x} is not a registered token"),
    );

    // (b) Disabled.
    let disabled = format!("fee token OFFX ({OFFX:#x}) is disabled for fee payment");
    let raw = cip64(&dev1, nonce1, OFFX, recipient, U256::ZERO, Bytes::new());
    expect_error(
        &mut problems,
        "CIP-64 with a disabled feeCurrency",
        rpc.send_raw(&raw).await,
        &disabled,
    );

    // (c) No fresh price.
    let unpriced = format!("no fresh price for fee token NOPX ({NOPX:#x})");
    let raw = cip64(&dev1, nonce1, NOPX, recipient, U256::ZERO, Bytes::new());
    expect_error(
        &mut problems,
        "CIP-64 with an unpriced feeCurrency",
        rpc.send_raw(&raw).await,
        &unpriced,
    );
    // ... and the same through eth_sendTransaction with feeCurrency (explicit gas and fees,
    // so that the node has nothing to quote).
    let request = |token: Address| {
        json!({"from": dev1.address(), "to": recipient, "value": "0x1", "gas": "0x186a0",
               "maxFeePerGas": "0xa", "maxPriorityFeePerGas": "0x1", "feeCurrency": token})
    };
    expect_error(
        &mut problems,
        "eth_sendTransaction with an unpriced feeCurrency",
        send_tx(request(NOPX)).await,
        &unpriced,
    );
    expect_error(
        &mut problems,
        "eth_sendTransaction with a disabled feeCurrency",
        send_tx(request(OFFX)).await,
        &disabled,
    );
    expect_error(
        &mut problems,
        "eth_sendTransaction with an unregistered feeCurrency",
        send_tx(request(bogus)).await,
        &format!("fee token {bogus:#x} is not a registered token"),
    );

    // (d) Rule (c) applies only when the transacted token covers the maximum fee: with 1000
    // USDX base units it does not, so the native coin pays, and this account has none.
    let gas = 60_000u64;
    let max_fee = 2 * GWEI;
    let want = U256::from(gas) * U256::from(max_fee);
    let tx = TxEip1559 {
        chain_id: CHAIN_ID,
        nonce: 0,
        gas_limit: gas,
        max_fee_per_gas: max_fee,
        max_priority_fee_per_gas: GWEI,
        to: TxKind::Call(USDX),
        value: U256::ZERO,
        access_list: AccessList::default(),
        input: erc20::transfer(recipient, U256::from(1u8)),
    };
    expect_error(
        &mut problems,
        "type 2 USDX transfer from an account with 1000 USDX base units (rule c does not apply)",
        rpc.send_raw(&raw_of(&poor, tx)).await,
        &format!(
            "insufficient funds for gas * price + value: address {} have 0 want {want}",
            poor.address()
        ),
    );
    // ... and by rule (a): the maximum fee is gas × maxFee in token units.
    let raw = Cip64Tx {
        chain_id: CHAIN_ID,
        nonce: 0,
        max_priority_fee_per_gas: 1,
        max_fee_per_gas: 10,
        gas_limit: gas,
        to: recipient,
        value: U256::ZERO,
        input: Bytes::new(),
        access_list: AccessList::default(),
        fee_currency: Some(USDX),
    }
    .sign(&poor)
    .0;
    expect_error(
        &mut problems,
        "CIP-64 in USDX from an account with 1000 USDX base units",
        rpc.send_raw(&raw).await,
        &format!(
            "insufficient USDX balance for gas * price: address {:#x} have 1000 want {} (fee token {USDX:#x})",
            poor.address(),
            gas * 10
        ),
    );

    // (e) Native: no coin for gas + value ...
    let tx = eip1559(0, recipient, U256::from(1u8), max_fee, GWEI);
    expect_error(
        &mut problems,
        "native transfer from an empty account",
        rpc.send_raw(&raw_of(&empty, tx)).await,
        &format!(
            "insufficient funds for gas * price + value: address {:#x} have 0 want {}",
            empty.address(),
            21_000 * max_fee + 1
        ),
    );
    // ... and a fee payable in USDX does not pay a native value.
    let raw = Cip64Tx {
        chain_id: CHAIN_ID,
        nonce: 0,
        max_priority_fee_per_gas: 1,
        max_fee_per_gas: 10,
        gas_limit: 21_000,
        to: recipient,
        value: U256::from(1u8),
        input: Bytes::new(),
        access_list: AccessList::default(),
        fee_currency: Some(USDX),
    }
    .sign(&token_rich)
    .0;
    match rpc.send_raw(&raw).await {
        Err(err)
            if err.code == -32000
                && err.message.starts_with("insufficient funds for gas * price + value")
                && err.message.contains("have 0") => {}
        other => problems.push(format!(
            "CIP-64 in USDX with value 1 wei from a zero-native account: expected -32000 \"insufficient funds for gas * price + value: … have 0 …\", got {other:?}"
        )),
    }

    // eth_gasPrice / eth_maxPriorityFeePerGas in a token that cannot pay: an error.
    for token in [NOPX, OFFX, bogus] {
        for method in ["eth_gasPrice", "eth_maxPriorityFeePerGas"] {
            if let Ok(value) = rpc.try_call(method, json!([token])).await {
                problems.push(format!(
                    "{method}({token}) answered {value}; expected an error"
                ));
            }
        }
    }

    // Nothing above was admitted.
    assert_eq!(
        rpc.block_number().await,
        0,
        "no block was mined by rejected transactions"
    );

    // Implicit rule (c) never errors: an unpriced or disabled token's own transfer pays natively.
    for token in [NOPX, OFFX] {
        let (receipt, ..) = rpc
            .transact(
                &dev1,
                token,
                U256::ZERO,
                erc20::transfer(recipient, U256::from(5u8)),
            )
            .await;
        assert_success(&receipt, "transfer of a token that cannot pay fees");
        assert_eq!(
            fee_token(&receipt),
            Address::ZERO,
            "falls back to native: {receipt}"
        );
        assert_eq!(rpc.token_balance(token, recipient).await, U256::from(5u8));
    }
    // USDX itself does pay.
    let (receipt, ..) = rpc
        .transact(
            &token_rich,
            USDX,
            U256::ZERO,
            erc20::transfer(recipient, U256::from(5u8)),
        )
        .await;
    assert_success(&receipt, "USDX transfer from a zero-native account");
    assert_eq!(fee_token(&receipt), USDX);

    // Explicit rule (b) never falls back: a preference for an unpriced or disabled token
    // makes every transaction of that account fail admission.
    for (i, token, expected) in [(2, NOPX, &unpriced), (3, OFFX, &disabled)] {
        let signer = node.signer(i);
        let (receipt, ..) = rpc
            .transact(
                &signer,
                FEE_PREFERENCE,
                U256::ZERO,
                system_abi::set_fee_token(token),
            )
            .await;
        assert_success(&receipt, "setFeeToken of a registered token");
        let nonce = rpc.nonce(signer.address(), "pending").await;
        let max_fee = 2 * rpc.latest_base_fee().await + GWEI;
        let tx = eip1559(nonce, recipient, U256::from(1u8), max_fee, GWEI);
        expect_error(
            &mut problems,
            &format!("native transfer with a stored preference for {token}"),
            rpc.send_raw(&raw_of(&signer, tx)).await,
            expected,
        );
    }

    assert!(
        problems.is_empty(),
        "{} wrong error answer(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

fn raw_of(signer: &PrivateKeySigner, tx: TxEip1559) -> Bytes {
    raw(&sign(signer, tx))
}

// ----------------------------------------------------------------------------------------------
// 5. Governance of the registry.
// ----------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn governance_registers_enables_and_disables_tokens() {
    let node = TestNode::start(with_beneficiary).await;
    let rpc = node.rpc();
    let gov = node.signer(0);
    let other = node.signer(1);
    let recipient = random_signer().address();
    const ONLY_GOV: &str = "only the governance account can change the token registry";

    assert_eq!(
        abi_address(
            &rpc.view(TOKEN_REGISTRY, &system_abi::governance()).await,
            0
        ),
        gov.address()
    );

    let new_token = random_signer().address();
    let supply = U256::from(5_000_000u64) * pow10(12);
    let register =
        system_abi::register_token(new_token, "Test Token", "TST", 12, other.address(), supply);

    // Not the governance: eth_call reverts with code 3 and the reason ...
    assert_call_reverts(&rpc, other.address(), TOKEN_REGISTRY, &register, ONLY_GOV).await;
    // ... and a transaction is mined with status 0 and still pays.
    let native_before = rpc.balance(other.address(), "latest").await;
    let max_fee = 2 * rpc.latest_base_fee().await + GWEI;
    let hash = rpc
        .send_eip1559(
            &other,
            TOKEN_REGISTRY,
            U256::ZERO,
            register.clone(),
            500_000,
            max_fee,
            GWEI,
        )
        .await
        .expect("admitted");
    let receipt = rpc.wait_receipt_json(hash).await;
    assert!(
        !succeeded(&receipt),
        "registerToken by a non-governance account: {receipt}"
    );
    assert_eq!(receipt["logs"], json!([]), "a reverted call leaves no logs");
    assert_eq!(fee_token(&receipt), Address::ZERO);
    let paid = U256::from(gas_used(&receipt)) * U256::from(effective_price(&receipt));
    assert!(!paid.is_zero());
    assert_eq!(fee_paid(&receipt), paid);
    assert_eq!(
        rpc.balance(other.address(), "latest").await,
        native_before - paid
    );
    assert!(!abi_bool(
        &rpc.view(TOKEN_REGISTRY, &system_abi::is_registered(new_token))
            .await,
        0
    ));

    // The governance registers it.
    let (receipt, ..) = rpc
        .transact(&gov, TOKEN_REGISTRY, U256::ZERO, register)
        .await;
    assert_success(&receipt, "registerToken by the governance");
    let mints = logs_matching(
        &receipt,
        new_token,
        &[
            erc20::transfer_topic(),
            word_address(Address::ZERO),
            word_address(other.address()),
        ],
    );
    assert_eq!(
        mints.len(),
        1,
        "mint Transfer(0, holder, supply): {receipt}"
    );
    assert_eq!(log_data(mints[0]), Bytes::from(word_uint(supply).to_vec()));
    assert!(abi_bool(
        &rpc.view(TOKEN_REGISTRY, &system_abi::is_registered(new_token))
            .await,
        0
    ));
    assert_eq!(
        abi_address_array(&rpc.view(TOKEN_REGISTRY, &system_abi::tokens()).await),
        vec![SUSD, SBTC, GOLD, new_token]
    );

    // It answers ERC-20 calls.
    assert_eq!(
        abi_string(&rpc.view(new_token, &erc20::name()).await),
        "Test Token"
    );
    assert_eq!(
        abi_string(&rpc.view(new_token, &erc20::symbol()).await),
        "TST"
    );
    assert_eq!(
        abi_word(&rpc.view(new_token, &erc20::decimals()).await, 0),
        U256::from(12u8)
    );
    assert_eq!(rpc.token_supply(new_token).await, supply);
    assert_eq!(rpc.token_balance(new_token, other.address()).await, supply);
    assert_eq!(
        rpc.storage_u256(new_token, erc20::balance_slot(other.address()), "latest")
            .await,
        supply
    );

    // It is listed without a rate, unusable for fees.
    let tokens = rpc.call("supervm_feeTokens", json!([])).await;
    let entry = tokens
        .as_array()
        .expect("array")
        .iter()
        .find(|t| address_of(&t["address"]) == new_token)
        .unwrap_or_else(|| panic!("{new_token} not in supervm_feeTokens: {tokens}"));
    assert_eq!(entry["symbol"], "TST", "{entry}");
    assert_eq!(entry["name"], "Test Token", "{entry}");
    assert_eq!(entry["decimals"], json!(12), "{entry}");
    assert_eq!(entry["rate"], Value::Null, "{entry}");
    assert_eq!(entry["usableForFees"], json!(false), "{entry}");
    assert_eq!(u256_of(&entry["totalSupply"]), supply, "{entry}");

    // Its own transfers pay natively (no price); as an explicit fee currency it is refused.
    let (receipt, ..) = rpc
        .transact(
            &other,
            new_token,
            U256::ZERO,
            erc20::transfer(recipient, U256::from(9u8)),
        )
        .await;
    assert_success(&receipt, "TST transfer");
    assert_eq!(fee_token(&receipt), Address::ZERO, "{receipt}");
    assert_eq!(
        rpc.token_balance(new_token, recipient).await,
        U256::from(9u8)
    );
    let tx = Cip64Tx {
        chain_id: CHAIN_ID,
        nonce: rpc.nonce(other.address(), "pending").await,
        max_priority_fee_per_gas: 1,
        max_fee_per_gas: 1_000_000,
        gas_limit: 100_000,
        to: recipient,
        value: U256::ZERO,
        input: Bytes::new(),
        access_list: AccessList::default(),
        fee_currency: Some(new_token),
    };
    let err = rpc
        .expect_rejected(&tx.sign(&other).0, "no fresh price")
        .await;
    assert_message(
        &err,
        &format!("no fresh price for fee token TST ({new_token:#x})"),
    );

    // setEnabled is governance-only too.
    let disable = system_abi::set_enabled(SUSD, false);
    assert_call_reverts(&rpc, other.address(), TOKEN_REGISTRY, &disable, ONLY_GOV).await;

    // An account that prefers sUSD, set before the token is disabled.
    let fan = node.signer(4);
    let (receipt, ..) = rpc
        .transact(
            &fan,
            FEE_PREFERENCE,
            U256::ZERO,
            system_abi::set_fee_token(SUSD),
        )
        .await;
    assert_success(&receipt, "setFeeToken(sUSD)");

    // Disable sUSD.
    let (receipt, ..) = rpc
        .transact(&gov, TOKEN_REGISTRY, U256::ZERO, disable)
        .await;
    assert_success(&receipt, "setEnabled(sUSD, false)");
    assert!(!abi_bool(
        &rpc.view(TOKEN_REGISTRY, &system_abi::is_enabled(SUSD))
            .await,
        0
    ));
    assert!(abi_bool(
        &rpc.view(TOKEN_REGISTRY, &system_abi::is_registered(SUSD))
            .await,
        0
    ));
    let tokens = rpc.call("supervm_feeTokens", json!([])).await;
    let entry = tokens
        .as_array()
        .expect("array")
        .iter()
        .find(|t| address_of(&t["address"]) == SUSD)
        .expect("sUSD listed");
    assert_eq!(entry["enabled"], json!(false), "{entry}");
    assert_eq!(entry["usableForFees"], json!(false), "{entry}");

    let dev2 = node.signer(2);
    let disabled = format!("fee token sUSD ({SUSD:#x}) is disabled for fee payment");
    let tx = build_cip64_fixed(&rpc, &dev2, SUSD, recipient).await;
    let err = rpc.expect_rejected(&tx.sign(&dev2).0, "fee token").await;
    assert_message(&err, &disabled);
    let max_fee = 2 * rpc.latest_base_fee().await + GWEI;
    let tx = eip1559(
        rpc.nonce(fan.address(), "pending").await,
        recipient,
        U256::from(1u8),
        max_fee,
        GWEI,
    );
    let err = rpc.expect_rejected(&raw_of(&fan, tx), "fee token").await;
    assert_message(&err, &disabled);

    // ERC-20 transfers still work; the fee falls back to native by rule (c).
    let before = rpc.token_balance(SUSD, dev2.address()).await;
    let amount = U256::from(31_337u64);
    let (receipt, ..) = rpc
        .transact(&dev2, SUSD, U256::ZERO, erc20::transfer(recipient, amount))
        .await;
    assert_success(&receipt, "sUSD transfer while disabled");
    assert_eq!(fee_token(&receipt), Address::ZERO, "{receipt}");
    assert_eq!(
        rpc.token_balance(SUSD, dev2.address()).await,
        before - amount
    );
    assert_eq!(rpc.token_balance(SUSD, recipient).await, amount);

    // Re-enable: both paths pay in sUSD again.
    let (receipt, ..) = rpc
        .transact(
            &gov,
            TOKEN_REGISTRY,
            U256::ZERO,
            system_abi::set_enabled(SUSD, true),
        )
        .await;
    assert_success(&receipt, "setEnabled(sUSD, true)");
    assert!(abi_bool(
        &rpc.view(TOKEN_REGISTRY, &system_abi::is_enabled(SUSD))
            .await,
        0
    ));
    let tx = build_cip64(&rpc, &dev2, recipient, U256::ZERO, Bytes::new(), SUSD).await;
    let receipt = send_cip64(&rpc, &dev2, &tx).await;
    assert_success(&receipt, "CIP-64 in sUSD after re-enabling");
    assert_eq!(fee_token(&receipt), SUSD);
    let (receipt, ..) = rpc
        .transact(&fan, recipient, U256::from(1u8), Bytes::new())
        .await;
    assert_success(&receipt, "preference for sUSD after re-enabling");
    assert_eq!(fee_token(&receipt), SUSD, "{receipt}");
}

/// A CIP-64 transfer of nothing with fixed fee fields (for a token the node will not quote).
async fn build_cip64_fixed(
    rpc: &RawRpc,
    signer: &PrivateKeySigner,
    token: Address,
    to: Address,
) -> Cip64Tx {
    Cip64Tx {
        chain_id: CHAIN_ID,
        nonce: rpc.nonce(signer.address(), "pending").await,
        max_priority_fee_per_gas: 10,
        max_fee_per_gas: 100,
        gas_limit: 21_000,
        to,
        value: U256::ZERO,
        input: Bytes::new(),
        access_list: AccessList::default(),
        fee_currency: Some(token),
    }
}

// ----------------------------------------------------------------------------------------------
// 6. ERC-20 behaviour.
// ----------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registered_tokens_behave_as_erc20() {
    let node = TestNode::start(with_beneficiary).await;
    let rpc = node.rpc();
    let fee_tokens = rpc.call("supervm_feeTokens", json!([])).await;

    for (token, symbol, decimals, per_account) in [
        (SUSD, "sUSD", 6u8, U256::from(1_000_000u64) * pow10(6)),
        (SBTC, "sBTC", 8, U256::from(100u64) * pow10(8)),
        (GOLD, "GOLD", 18, U256::from(1_000_000u64) * pow10(18)),
    ] {
        assert_eq!(abi_string(&rpc.view(token, &erc20::symbol()).await), symbol);
        let name = abi_string(&rpc.view(token, &erc20::name()).await);
        assert!(!name.is_empty(), "{symbol} has a name");
        let listed = fee_tokens
            .as_array()
            .expect("array")
            .iter()
            .find(|t| address_of(&t["address"]) == token)
            .unwrap_or_else(|| panic!("{symbol} not in supervm_feeTokens"));
        assert_eq!(
            listed["name"],
            json!(name),
            "name() matches supervm_feeTokens"
        );
        assert_eq!(
            abi_word(&rpc.view(token, &erc20::decimals()).await, 0),
            U256::from(decimals),
            "{symbol} decimals"
        );
        let at_genesis = |data: Bytes| {
            let rpc = rpc.clone();
            async move {
                abi_word(
                    &rpc.eth_call_at(None, token, &data, "0x0").await.unwrap(),
                    0,
                )
            }
        };
        assert_eq!(
            at_genesis(erc20::total_supply()).await,
            per_account * U256::from(10u8)
        );
        assert_eq!(
            rpc.storage_u256(token, erc20::total_supply_slot(), "0x0")
                .await,
            per_account * U256::from(10u8),
            "{symbol} totalSupply at slot 2"
        );
        for i in 0..10 {
            let owner = node.account(i);
            assert_eq!(at_genesis(erc20::balance_of(owner)).await, per_account);
            assert_eq!(
                rpc.storage_u256(token, erc20::balance_slot(owner), "0x0")
                    .await,
                per_account,
                "{symbol} balance slot of dev {i}"
            );
        }
        let stranger = random_signer().address();
        assert_eq!(rpc.token_balance(token, stranger).await, U256::ZERO);
        assert_eq!(
            rpc.token_balance(token, node.account(1)).await,
            rpc.storage_u256(token, erc20::balance_slot(node.account(1)), "latest")
                .await
        );
    }

    // approve → Approval, allowance, allowance slot.
    let owner = node.signer(1);
    let spender = node.signer(2);
    let recipient = random_signer().address();
    let token = SBTC;
    let estimate = rpc
        .estimate(json!({"from": owner.address(), "to": token, "data": erc20::transfer(recipient, U256::from(1u8))}))
        .await;
    assert!(estimate > 21_000, "token transfer estimate {estimate}");
    let (approve, ..) = rpc
        .transact(
            &owner,
            token,
            U256::ZERO,
            erc20::approve(spender.address(), U256::from(5_000u64)),
        )
        .await;
    assert_success(&approve, "approve");
    assert_eq!(
        fee_token(&approve),
        SBTC,
        "approve on a token pays in it (rule c)"
    );
    let approvals = logs_matching(
        &approve,
        token,
        &[
            erc20::approval_topic(),
            word_address(owner.address()),
            word_address(spender.address()),
        ],
    );
    assert_eq!(approvals.len(), 1, "Approval log: {approve}");
    assert_eq!(
        log_data(approvals[0]),
        Bytes::from(word_uint(U256::from(5_000u64)).to_vec())
    );
    let allowance = erc20::allowance(owner.address(), spender.address());
    assert_eq!(
        abi_word(&rpc.view(token, &allowance).await, 0),
        U256::from(5_000u64)
    );
    let allowance_slot = erc20::allowance_slot(owner.address(), spender.address());
    assert_eq!(
        rpc.storage_u256(token, allowance_slot, "latest").await,
        U256::from(5_000u64),
        "allowance slot keccak(spender, keccak(owner, 1))"
    );

    // transferFrom → Transfer, balances, allowance decreases.
    let owner_before = rpc.token_balance(token, owner.address()).await;
    let (moved, ..) = rpc
        .transact(
            &spender,
            token,
            U256::ZERO,
            erc20::transfer_from(owner.address(), recipient, U256::from(2_000u64)),
        )
        .await;
    assert_success(&moved, "transferFrom");
    assert_eq!(
        fee_token(&moved),
        SBTC,
        "transferFrom pays in the token (rule c)"
    );
    let transfers = logs_matching(
        &moved,
        token,
        &[
            erc20::transfer_topic(),
            word_address(owner.address()),
            word_address(recipient),
        ],
    );
    assert_eq!(transfers.len(), 1, "Transfer log: {moved}");
    assert_eq!(
        log_data(transfers[0]),
        Bytes::from(word_uint(U256::from(2_000u64)).to_vec())
    );
    assert_eq!(
        rpc.token_balance(token, owner.address()).await,
        owner_before - U256::from(2_000u64),
        "the owner pays the amount only (the spender pays the fee)"
    );
    assert_eq!(
        rpc.token_balance(token, recipient).await,
        U256::from(2_000u64)
    );
    assert_eq!(
        abi_word(&rpc.view(token, &allowance).await, 0),
        U256::from(3_000u64)
    );
    assert_eq!(
        rpc.storage_u256(token, allowance_slot, "latest").await,
        U256::from(3_000u64)
    );
    for holder in [owner.address(), spender.address(), recipient, BENEFICIARY] {
        assert_eq!(
            rpc.token_balance(token, holder).await,
            rpc.storage_u256(token, erc20::balance_slot(holder), "latest")
                .await,
            "balanceOf({holder}) = storage at its balance slot"
        );
    }

    // eth_getLogs by token address and topics.
    let from_block = approve["blockNumber"].clone();
    let logs = rpc
        .call(
            "eth_getLogs",
            json!([{"address": token, "topics": [erc20::transfer_topic()], "fromBlock": from_block, "toBlock": "latest"}]),
        )
        .await;
    let logs = logs.as_array().expect("logs array");
    for log in logs {
        assert_eq!(address_of(&log["address"]), token, "{log}");
        assert_eq!(log["topics"][0], json!(erc20::transfer_topic()), "{log}");
    }
    assert!(
        logs.iter()
            .any(|l| l["transactionHash"] == moved["transactionHash"]
                && l["topics"] == transfers[0]["topics"]
                && l["logIndex"] == transfers[0]["logIndex"]
                && l["blockNumber"] == moved["blockNumber"]),
        "the transferFrom log is found by eth_getLogs: {logs:?}"
    );
    let exact = rpc
        .call(
            "eth_getLogs",
            json!([{"address": token, "fromBlock": "0x0", "toBlock": "latest",
                    "topics": [erc20::transfer_topic(), word_address(owner.address()), word_address(recipient)]}]),
        )
        .await;
    assert_eq!(exact.as_array().map(Vec::len), Some(1), "{exact}");
    let approvals = rpc
        .call(
            "eth_getLogs",
            json!([{"address": token, "fromBlock": "0x0", "toBlock": "latest",
                    "topics": [erc20::approval_topic(), word_address(owner.address())]}]),
        )
        .await;
    assert_eq!(approvals.as_array().map(Vec::len), Some(1), "{approvals}");
    let other_token = rpc
        .call(
            "eth_getLogs",
            json!([{"address": SUSD, "fromBlock": "0x0", "toBlock": "latest",
                    "topics": [erc20::transfer_topic(), word_address(owner.address()), word_address(recipient)]}]),
        )
        .await;
    assert_eq!(other_token, json!([]), "filtered by token address");

    // Reverts: eth_call answers code 3 with the OpenZeppelin reason.
    assert_call_reverts(
        &rpc,
        spender.address(),
        token,
        &erc20::transfer_from(owner.address(), recipient, U256::from(3_001u64)),
        "ERC20: insufficient allowance",
    )
    .await;
    assert_call_reverts(
        &rpc,
        owner.address(),
        token,
        &erc20::transfer(Address::ZERO, U256::from(1u8)),
        "ERC20: transfer to the zero address",
    )
    .await;
    let poor = node.signer(3);
    let balance = rpc.token_balance(token, poor.address()).await;
    let too_much = erc20::transfer(recipient, balance + U256::from(1u8));
    assert_call_reverts(
        &rpc,
        poor.address(),
        token,
        &too_much,
        "ERC20: transfer amount exceeds balance",
    )
    .await;
    // ... and as a transaction it is mined with status 0 and pays its fee.
    let recipient_before = rpc.token_balance(token, recipient).await;
    let max_fee = 2 * rpc.latest_base_fee().await + GWEI;
    let hash = rpc
        .send_eip1559(&poor, token, U256::ZERO, too_much, 100_000, max_fee, GWEI)
        .await
        .expect("a reverting transfer is admitted");
    let receipt = rpc.wait_receipt_json(hash).await;
    assert!(
        !succeeded(&receipt),
        "transfer beyond balance reverts: {receipt}"
    );
    assert_eq!(receipt["logs"], json!([]));
    check_converted(&rpc, &receipt, SBTC, sbtc_rate(), 100_000, max_fee, GWEI).await;
    assert_eq!(
        rpc.token_balance(token, poor.address()).await,
        balance - fee_paid(&receipt),
        "only the fee left the sender"
    );
    assert_eq!(rpc.token_balance(token, recipient).await, recipient_before);
}

// ----------------------------------------------------------------------------------------------
// 7. Decimals 6, 8, 18 at extreme rates.
// ----------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extreme_decimals_and_rates() {
    let devs = dev_accounts();
    let payer = random_signer(); // token balances only, no native coin
    let recipient = random_signer().address();
    let mut specs = Vec::new();
    for decimals in [6u8, 8, 18] {
        // 1 whole token = 1e-9 ETH = 1e9 wei → 10^d / 10^9 base units per wei.
        // 1 whole token = 1e9 ETH = 1e27 wei → 10^d / 10^27 base units per wei.
        for (j, (kind, denominator)) in [("CHEAP", pow10(9)), ("DEAR", pow10(27))]
            .into_iter()
            .enumerate()
        {
            let mut address = [0u8; 20];
            address[18] = 0xc0 + j as u8;
            address[19] = decimals;
            specs.push(GenesisTokenSpec {
                address: Address::from(address),
                name: format!("{kind} {decimals}"),
                symbol: format!("{kind}{decimals}"),
                decimals,
                balances: vec![(payer.address(), pow10(30)), (devs[0].address, pow10(30))],
                rate: Some((pow10(decimals as u64), denominator)),
                enabled: true,
            });
        }
    }
    let genesis = genesis_json(
        &[(devs[0].address, dev_balance())],
        devs[0].address,
        Some(TREASURY),
        &specs,
    );
    let node = TestNode::with_genesis(&genesis, with_beneficiary).await;
    let rpc = node.rpc();

    let payer_address = payer.address();
    for spec in &specs {
        let token = spec.address;
        let rate = spec.rate.unwrap();
        let what = &spec.symbol;
        let native_price = u256_of(&rpc.call("eth_gasPrice", json!([])).await);
        assert_eq!(
            u256_of(&rpc.call("eth_gasPrice", json!([token])).await),
            mul_div_ceil(native_price, rate.0, rate.1),
            "{what}: eth_gasPrice in token units = ceil(native × rate)"
        );

        // Type 2 transfer of the token, fee by rule (c).
        let amount = pow10(spec.decimals as u64);
        let snapshot = |rpc: RawRpc| async move {
            [
                rpc.token_balance(token, payer_address).await,
                rpc.token_balance(token, recipient).await,
                rpc.token_balance(token, BENEFICIARY).await,
                rpc.token_balance(token, TREASURY).await,
                rpc.token_supply(token).await,
            ]
        };
        let before = snapshot(rpc.clone()).await;
        let (receipt, gas, max_fee, tip) = rpc
            .transact(
                &payer,
                token,
                U256::ZERO,
                erc20::transfer(recipient, amount),
            )
            .await;
        assert_success(&receipt, what);
        let expected = check_converted(&rpc, &receipt, token, rate, gas, max_fee, tip).await;
        let paid = fee_paid(&receipt);
        let after = snapshot(rpc.clone()).await;
        assert_eq!(before[0] - after[0], amount + paid, "{what}: payer delta");
        assert_eq!(after[1] - before[1], amount, "{what}: recipient delta");
        assert_eq!(
            after[2] - before[2],
            expected.tip,
            "{what}: beneficiary gets the tip"
        );
        assert_eq!(
            after[3] - before[3],
            expected.base,
            "{what}: treasury gets the base part"
        );
        assert_eq!(
            paid,
            expected.tip + expected.base,
            "{what}: feePaid = tip + base"
        );
        assert_eq!(
            after[4], before[4],
            "{what}: nothing burned with a base-fee recipient"
        );

        // CIP-64 with the fee fields in this token's units.
        let before = snapshot(rpc.clone()).await;
        let tx = build_cip64(
            &rpc,
            &payer,
            token,
            U256::ZERO,
            erc20::transfer(recipient, amount),
            token,
        )
        .await;
        let receipt = send_cip64(&rpc, &payer, &tx).await;
        assert_success(&receipt, what);
        assert_eq!(fee_token(&receipt), token);
        let base_fee = base_fee_of(&rpc, &receipt).await;
        let (expected, price) = ExpectedFee::denominated(
            tx.gas_limit,
            tx.max_fee_per_gas,
            tx.max_priority_fee_per_gas,
            gas_used(&receipt),
            base_fee,
            rate.0,
            rate.1,
        );
        assert_eq!(
            U256::from(effective_price(&receipt)),
            price,
            "{what}: CIP-64 price"
        );
        let paid = fee_paid(&receipt);
        assert!(!paid.is_zero(), "{what}: CIP-64 fee is not zero");
        assert_eq!(
            paid,
            U256::from(gas_used(&receipt)) * price,
            "{what}: gasUsed × price"
        );
        let after = snapshot(rpc.clone()).await;
        assert_eq!(
            before[0] - after[0],
            amount + paid,
            "{what}: CIP-64 payer delta"
        );
        assert_eq!(after[2] - before[2], expected.tip, "{what}: CIP-64 tip");
        assert_eq!(
            after[3] - before[3],
            expected.base,
            "{what}: CIP-64 base to treasury"
        );
        assert_eq!(after[4], before[4], "{what}: CIP-64 supply unchanged");
    }
    assert_eq!(rpc.balance(payer.address(), "latest").await, U256::ZERO);
}

// ----------------------------------------------------------------------------------------------
// 8. Fee APIs and the supervm namespace.
// ----------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fee_apis_and_supervm_namespace() {
    let node = TestNode::start(with_beneficiary).await;
    let rpc = node.rpc();
    let tokens = [
        (
            SUSD,
            "sUSD",
            6u64,
            U256::from(1_000_000u64) * pow10(6),
            susd_rate(),
        ),
        (SBTC, "sBTC", 8, U256::from(100u64) * pow10(8), sbtc_rate()),
        (
            GOLD,
            "GOLD",
            18,
            U256::from(1_000_000u64) * pow10(18),
            gold_rate(),
        ),
    ];
    let same_fraction = |json: &Value, (n, d): Rate| {
        let numerator = u256_of(&json["numerator"]);
        let denominator = u256_of(&json["denominator"]);
        numerator * d == n * denominator && !denominator.is_zero()
    };

    let system = rpc.call("supervm_systemContracts", json!([])).await;
    assert_eq!(
        address_of(&system["tokenRegistry"]),
        TOKEN_REGISTRY,
        "{system}"
    );
    assert_eq!(
        address_of(&system["feePreference"]),
        FEE_PREFERENCE,
        "{system}"
    );
    assert_eq!(address_of(&system["oracle"]), ORACLE, "{system}");

    let list = rpc.call("supervm_feeTokens", json!([])).await;
    let list = list.as_array().expect("supervm_feeTokens is an array");
    assert_eq!(list.len(), 4, "native + 3 tokens: {list:?}");
    for entry in list {
        for key in [
            "address",
            "symbol",
            "name",
            "decimals",
            "enabled",
            "usableForFees",
            "rate",
            "totalSupply",
        ] {
            assert!(entry.get(key).is_some(), "entry without {key}: {entry}");
        }
    }
    let native = &list[0];
    assert_eq!(address_of(&native["address"]), Address::ZERO, "{native}");
    assert_eq!(native["symbol"], "ETH");
    assert_eq!(native["decimals"], json!(18));
    assert_eq!(native["enabled"], json!(true));
    assert_eq!(native["usableForFees"], json!(true));
    assert!(
        same_fraction(&native["rate"], (U256::from(1u8), U256::from(1u8))),
        "{native}"
    );
    for ((token, symbol, decimals, per_account, rate), entry) in tokens.iter().zip(&list[1..]) {
        assert_eq!(address_of(&entry["address"]), *token, "{entry}");
        assert_eq!(entry["symbol"], *symbol, "{entry}");
        assert_eq!(entry["decimals"], json!(decimals), "{entry}");
        assert_eq!(entry["enabled"], json!(true), "{entry}");
        assert_eq!(entry["usableForFees"], json!(true), "{entry}");
        assert!(
            same_fraction(&entry["rate"], *rate),
            "{symbol} rate: {entry}"
        );
        assert_eq!(
            u256_of(&entry["totalSupply"]),
            *per_account * U256::from(10u8),
            "{entry}"
        );
        assert_eq!(
            u256_of(&entry["totalSupply"]),
            rpc.token_supply(*token).await
        );
        let answer = rpc.view(ORACLE, &system_abi::rate_of(*token)).await;
        let oracle =
            json!({"numerator": abi_word(&answer, 0), "denominator": abi_word(&answer, 1)});
        assert!(
            same_fraction(&oracle, *rate),
            "{symbol} oracle rateOf: {oracle}"
        );
        assert!(abi_bool(
            &rpc.view(TOKEN_REGISTRY, &system_abi::is_registered(*token))
                .await,
            0
        ));
        assert!(abi_bool(
            &rpc.view(TOKEN_REGISTRY, &system_abi::is_enabled(*token))
                .await,
            0
        ));
    }
    assert_eq!(
        abi_address(
            &rpc.view(TOKEN_REGISTRY, &system_abi::governance()).await,
            0
        ),
        address!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
    );
    assert_eq!(
        abi_address_array(&rpc.view(TOKEN_REGISTRY, &system_abi::tokens()).await),
        vec![SUSD, SBTC, GOLD]
    );
    let stranger = random_signer().address();
    assert!(!abi_bool(
        &rpc.view(TOKEN_REGISTRY, &system_abi::is_registered(stranger))
            .await,
        0
    ));
    let answer = rpc.view(ORACLE, &system_abi::rate_of(stranger)).await;
    assert_eq!(
        (abi_word(&answer, 0), abi_word(&answer, 1)),
        (U256::ZERO, U256::ZERO)
    );

    // Quotes in token units, before and after some traffic with a higher tip.
    for round in 0..2 {
        let price = u256_of(&rpc.call("eth_gasPrice", json!([])).await);
        let tip = u256_of(&rpc.call("eth_maxPriorityFeePerGas", json!([])).await);
        for (token, symbol, _, _, (n, d)) in &tokens {
            assert_eq!(
                u256_of(&rpc.call("eth_gasPrice", json!([token])).await),
                mul_div_ceil(price, *n, *d),
                "round {round}: eth_gasPrice({symbol}) = ceil({price} × {n}/{d})"
            );
            assert_eq!(
                u256_of(&rpc.call("eth_maxPriorityFeePerGas", json!([token])).await),
                mul_div_ceil(tip, *n, *d),
                "round {round}: eth_maxPriorityFeePerGas({symbol}) = ceil({tip} × {n}/{d})"
            );
        }
        if round == 0 {
            let signer = node.signer(5);
            for _ in 0..3 {
                let max_fee = 2 * rpc.latest_base_fee().await + 3 * GWEI;
                let hash = rpc
                    .send_eip1559(
                        &signer,
                        stranger,
                        U256::from(1u8),
                        Bytes::new(),
                        21_000,
                        max_fee,
                        3 * GWEI + 7,
                    )
                    .await
                    .expect("admitted");
                assert_success(&rpc.wait_receipt_json(hash).await, "traffic");
            }
        }
    }

    // feeCurrency in eth_estimateGas / eth_call request objects.
    let from = node.account(1);
    let call =
        json!({"from": from, "to": SUSD, "data": erc20::transfer(stranger, U256::from(1u8))});
    let plain = rpc.estimate(call.clone()).await;
    let mut with_currency = call.clone();
    with_currency["feeCurrency"] = json!(GOLD);
    assert_eq!(
        rpc.estimate(with_currency.clone()).await,
        plain,
        "same gas in any fee currency"
    );
    assert!(plain > 21_000);
    let balance_call =
        json!({"from": from, "to": SUSD, "data": erc20::balance_of(from), "feeCurrency": GOLD});
    let out = rpc.call("eth_call", json!([balance_call, "latest"])).await;
    let out: Bytes = serde_json::from_value(out).unwrap();
    assert_eq!(abi_word(&out, 0), rpc.token_balance(SUSD, from).await);
    // An eth_call with fee fields in an unregistered feeCurrency is refused like the transaction.
    let mut bad = call.clone();
    bad["feeCurrency"] = json!(stranger);
    bad["maxFeePerGas"] = json!("0x64");
    bad["maxPriorityFeePerGas"] = json!("0x1");
    let err = rpc.call_err("eth_call", json!([bad, "latest"])).await;
    assert!(
        err.message.to_lowercase() == format!("fee token {stranger:#x} is not a registered token"),
        "{err:?}"
    );

    // eth_getBalance stays native.
    assert_eq!(rpc.balance(node.account(0), "0x0").await, dev_balance());
    let (receipt, ..) = rpc
        .transact(
            &node.signer(6),
            SUSD,
            U256::ZERO,
            erc20::transfer(stranger, U256::from(1u8)),
        )
        .await;
    assert_eq!(fee_token(&receipt), SUSD);
    assert_eq!(
        rpc.balance(node.account(6), "latest").await,
        dev_balance(),
        "a fee paid in sUSD leaves the native balance alone"
    );
}

// ----------------------------------------------------------------------------------------------
// 9. A token-only account chooses its fee token: setFeeToken(T) pays its own fee in T.
// ----------------------------------------------------------------------------------------------

/// topic0 of the fee preference's `FeeTokenSet(address indexed, address indexed)`.
fn fee_token_set_topic() -> B256 {
    keccak256("FeeTokenSet(address,address)")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_only_account_chooses_its_fee_token_from_a_wallet() {
    let node = TestNode::start(with_beneficiary).await;
    let rpc = node.rpc();
    let fresh = random_signer();
    let me = fresh.address();
    let recipient = random_signer().address();
    assert_eq!(rpc.balance(me, "latest").await, U256::ZERO);
    assert_eq!(rpc.nonce(me, "latest").await, 0);

    // Holding nothing, setFeeToken(sUSD) chooses a token the account cannot pay with: the usual
    // rules apply (native), and there is no ETH.
    let max_fee = 2 * rpc.latest_base_fee().await + GWEI;
    let tx = TxEip1559 {
        chain_id: CHAIN_ID,
        nonce: 0,
        gas_limit: 60_000,
        max_fee_per_gas: max_fee,
        max_priority_fee_per_gas: GWEI,
        to: TxKind::Call(FEE_PREFERENCE),
        value: U256::ZERO,
        access_list: AccessList::default(),
        input: system_abi::set_fee_token(SUSD),
    };
    let err = rpc
        .expect_rejected(&raw_of(&fresh, tx), "insufficient funds")
        .await;
    assert_message(
        &err,
        &format!(
            "insufficient funds for gas * price + value: address {me:#x} have 0 want {}",
            U256::from(60_000u64) * U256::from(max_fee)
        ),
    );

    // A dev account sends it 100 sUSD and 1 GOLD; the dev account pays for those transfers.
    let dev = node.signer(0);
    for (token, amount) in [(SUSD, U256::from(100_000_000u64)), (GOLD, pow10(18))] {
        let (receipt, ..) = rpc
            .transact(&dev, token, U256::ZERO, erc20::transfer(me, amount))
            .await;
        assert_success(&receipt, "funding transfer");
        assert_eq!(address_of(&receipt["from"]), dev.address());
        assert_eq!(rpc.token_balance(token, me).await, amount);
    }
    assert_eq!(
        rpc.balance(me, "latest").await,
        U256::ZERO,
        "never held ETH"
    );

    // setFeeToken(sUSD) from a wallet: alloy's fillers pick the nonce, the gas limit
    // (eth_estimateGas) and the EIP-1559 fee fields, and sign a type 2 transaction.
    let susd_before = rpc.token_balance(SUSD, me).await;
    let gold_before = rpc.token_balance(GOLD, me).await;
    let beneficiary_before = rpc.token_balance(SUSD, BENEFICIARY).await;
    let supply_before = rpc.token_supply(SUSD).await;
    let request = TransactionRequest::default()
        .with_to(FEE_PREFERENCE)
        .with_input(system_abi::set_fee_token(SUSD));
    let hash = *node
        .wallet_provider(fresh.clone())
        .send_transaction(request)
        .await
        .expect("setFeeToken(sUSD) from a token-only account is admitted")
        .tx_hash();
    let receipt = rpc.wait_receipt_json(hash).await;
    assert_success(&receipt, "setFeeToken(sUSD) from a token-only account");
    assert_eq!(receipt["type"], "0x2", "{receipt}");
    assert_eq!(address_of(&receipt["from"]), me);
    let tx = rpc.call("eth_getTransactionByHash", json!([hash])).await;
    assert_eq!(tx["type"], "0x2", "{tx}");
    let gas = quantity(&tx["gas"]);
    let max_fee = quantity128(&tx["maxFeePerGas"]);
    let tip = quantity128(&tx["maxPriorityFeePerGas"]);
    let expected = check_converted(&rpc, &receipt, SUSD, susd_rate(), gas, max_fee, tip).await;
    let paid = fee_paid(&receipt);
    assert_eq!(
        rpc.token_balance(SUSD, me).await,
        susd_before - paid,
        "the fee is debited in sUSD"
    );
    assert_eq!(rpc.token_balance(GOLD, me).await, gold_before);
    assert_eq!(
        rpc.token_balance(SUSD, BENEFICIARY).await - beneficiary_before,
        expected.tip,
        "the beneficiary gets the tip in sUSD"
    );
    assert_eq!(
        supply_before - rpc.token_supply(SUSD).await,
        expected.base,
        "the base part is burned"
    );
    assert_eq!(rpc.balance(me, "latest").await, U256::ZERO, "ETH stays 0");
    assert_eq!(rpc.nonce(me, "latest").await, 1);
    assert_eq!(
        logs_matching(
            &receipt,
            FEE_PREFERENCE,
            &[fee_token_set_topic(), word_address(me), word_address(SUSD)]
        )
        .len(),
        1,
        "FeeTokenSet(me, sUSD): {receipt}"
    );
    assert_eq!(
        abi_address(
            &rpc.view(FEE_PREFERENCE, &system_abi::fee_token_of(me))
                .await,
            0
        ),
        SUSD
    );

    // The stored preference pays what follows: a valueless plain transaction (no token is
    // transacted, so only the preference can pick sUSD) ...
    let (receipt, gas, max_fee, tip) = rpc
        .transact(&fresh, recipient, U256::ZERO, Bytes::new())
        .await;
    assert_success(&receipt, "valueless transaction with an sUSD preference");
    check_converted(&rpc, &receipt, SUSD, susd_rate(), gas, max_fee, tip).await;
    // ... a transfer of sUSD ...
    let susd_before = rpc.token_balance(SUSD, me).await;
    let amount = U256::from(1_234_567u64);
    let (receipt, gas, max_fee, tip) = rpc
        .transact(&fresh, SUSD, U256::ZERO, erc20::transfer(recipient, amount))
        .await;
    assert_success(&receipt, "sUSD transfer with an sUSD preference");
    check_converted(&rpc, &receipt, SUSD, susd_rate(), gas, max_fee, tip).await;
    assert_eq!(
        rpc.token_balance(SUSD, me).await,
        susd_before - amount - fee_paid(&receipt)
    );
    assert_eq!(rpc.token_balance(SUSD, recipient).await, amount);
    // ... and a transfer of GOLD (rule b beats rule c).
    let (receipt, gas, max_fee, tip) = rpc
        .transact(
            &fresh,
            GOLD,
            U256::ZERO,
            erc20::transfer(recipient, U256::from(1u8)),
        )
        .await;
    assert_success(&receipt, "GOLD transfer with an sUSD preference");
    check_converted(&rpc, &receipt, SUSD, susd_rate(), gas, max_fee, tip).await;
    assert_eq!(
        rpc.token_balance(GOLD, me).await,
        gold_before - U256::from(1u8)
    );
    assert_eq!(rpc.balance(me, "latest").await, U256::ZERO, "ETH stays 0");

    // Clearing chooses no token and is paid natively as before: without ETH it is rejected.
    let max_fee = 2 * rpc.latest_base_fee().await + GWEI;
    let tx = TxEip1559 {
        chain_id: CHAIN_ID,
        nonce: rpc.nonce(me, "pending").await,
        gas_limit: 60_000,
        max_fee_per_gas: max_fee,
        max_priority_fee_per_gas: GWEI,
        to: TxKind::Call(FEE_PREFERENCE),
        value: U256::ZERO,
        access_list: AccessList::default(),
        input: system_abi::set_fee_token(Address::ZERO),
    };
    rpc.expect_rejected(
        &raw_of(&fresh, tx),
        "insufficient funds for gas * price + value",
    )
    .await;
}

// ----------------------------------------------------------------------------------------------
// Receipts of a block with several log-emitting transactions.
// ----------------------------------------------------------------------------------------------

/// `eth_getTransactionReceipt` builds one receipt from the block's receipts alone; its logs
/// must carry the same block-wide `logIndex` as the same receipt in `eth_getBlockReceipts`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receipt_alone_equals_its_entry_in_the_block_receipts() {
    let node = TestNode::manual().await;
    let rpc = node.rpc();
    let recipient = random_signer().address();
    let max_fee = 2 * rpc.latest_base_fee().await + GWEI;
    let mut hashes = Vec::new();
    for i in 0..3 {
        let mut tx = eip1559(0, SUSD, U256::ZERO, max_fee, GWEI);
        tx.gas_limit = 200_000;
        tx.input = erc20::transfer(recipient, U256::from(7u8));
        hashes.push(
            rpc.send_raw(&raw_of(&node.signer(i), tx))
                .await
                .expect("token transfer admitted"),
        );
    }
    rpc.mine().await;

    let block_receipts = rpc.call("eth_getBlockReceipts", json!(["latest"])).await;
    let block_receipts = block_receipts.as_array().expect("receipts array");
    assert_eq!(
        block_receipts.len(),
        hashes.len(),
        "one block holds all three"
    );
    let mut log_indices = Vec::new();
    for in_block in block_receipts {
        assert_success(in_block, "token transfer");
        let single = rpc
            .call(
                "eth_getTransactionReceipt",
                json!([in_block["transactionHash"]]),
            )
            .await;
        assert_eq!(&single, in_block, "receipt alone = its entry in the block");
        let logs = single["logs"].as_array().expect("logs array");
        assert!(!logs.is_empty(), "a token transfer logs: {single}");
        log_indices.extend(logs.iter().map(|log| quantity(&log["logIndex"])));
    }
    let expected: Vec<u64> = (0..log_indices.len() as u64).collect();
    assert_eq!(log_indices, expected, "log indices run through the block");
}
