//! Fee-token rule (b): an account's stored preference (`setFeeToken` on the fee-preference
//! contract) pays for every transaction of that account, ahead of the transacted token;
//! clearing it is paid natively, and only registered tokens can be preferred.

use crate::common::*;

fn set_fee_token(token: Address) -> Bytes {
    calldata(IFeePreference::setFeeTokenCall { token })
}

fn transfer(to: Address, value: U256) -> Bytes {
    calldata(IERC20::transferCall { to, value })
}

async fn preference_of(rpc: &RawRpc, account: Address) -> Address {
    rpc.view(FEE_PREFERENCE, IFeePreference::feeTokenOfCall { account })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_preference_overrides_the_transacted_token() {
    let node = TestNode::start(with_beneficiary).await;
    let rpc = node.rpc();
    let dev = node.signer(1);
    let me = dev.address();
    let recipient = random_signer().address();

    assert_eq!(
        preference_of(&rpc, me).await,
        Address::ZERO,
        "no preference at genesis"
    );

    // setFeeToken(GOLD): the call transacts the token it chooses (rule c), so it pays its own
    // fee in GOLD, which the account holds plenty of.
    transact_paying_in(
        &rpc,
        &dev,
        FEE_PREFERENCE,
        U256::ZERO,
        set_fee_token(GOLD),
        GOLD,
        gold_rate(),
        "setFeeToken(GOLD)",
    )
    .await;
    assert_eq!(
        preference_of(&rpc, me).await,
        GOLD,
        "feeTokenOf returns GOLD"
    );

    // An sUSD transfer now pays in GOLD.
    let gold_before = TokenLedger::read(&rpc, GOLD, &[me, BENEFICIARY]).await;
    let susd_before = rpc.token_balance(SUSD, me).await;
    let native_before = rpc.balance(me, "latest").await;
    let amount = U256::from(777_000u64);
    let (_, expected) = transact_paying_in(
        &rpc,
        &dev,
        SUSD,
        U256::ZERO,
        transfer(recipient, amount),
        GOLD,
        gold_rate(),
        "sUSD transfer with GOLD preference",
    )
    .await;
    let gold_after = TokenLedger::read(&rpc, GOLD, &[me, BENEFICIARY]).await;
    assert_fee_distributed(
        &gold_before,
        &gold_after,
        me,
        U256::ZERO,
        &expected,
        BaseFeeGoes::Burned,
        "fee in GOLD",
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

    // The preference applies to any transaction, a native transfer too.
    let native_before = rpc.balance(me, "latest").await;
    let value = U256::from(1_000u64);
    transact_paying_in(
        &rpc,
        &dev,
        recipient,
        value,
        Bytes::new(),
        GOLD,
        gold_rate(),
        "native transfer with GOLD preference",
    )
    .await;
    assert_eq!(
        rpc.balance(me, "latest").await,
        native_before - value,
        "native balance pays the value only"
    );

    // Setting zero restores automatic; calls to the preference contract skip the stored
    // preference (so a preference for a token that cannot pay can always be cleared), and
    // clearing chooses no token, so this transaction pays natively.
    transact_paying_natively(
        &rpc,
        &dev,
        FEE_PREFERENCE,
        U256::ZERO,
        set_fee_token(Address::ZERO),
        "setFeeToken(0)",
    )
    .await;
    assert_eq!(preference_of(&rpc, me).await, Address::ZERO);
    transact_paying_in(
        &rpc,
        &dev,
        SUSD,
        U256::ZERO,
        transfer(recipient, U256::from(1u8)),
        SUSD,
        susd_rate(),
        "sUSD transfer after reset",
    )
    .await;
    let receipt = transact_paying_natively(
        &rpc,
        &dev,
        recipient,
        value,
        Bytes::new(),
        "native transfer after reset",
    )
    .await;
    assert_eq!(
        fee_paid(&receipt),
        gas_cost(&receipt),
        "native feePaid = gasUsed × effectiveGasPrice"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_registered_token_can_be_preferred() {
    let node = TestNode::start(with_beneficiary).await;
    let rpc = node.rpc();
    let dev = node.signer(1);
    let me = dev.address();
    let data = set_fee_token(random_signer().address());
    assert_call_reverts(
        &rpc,
        me,
        FEE_PREFERENCE,
        &data,
        "fee token is not a registered token",
    )
    .await;
    let receipt = send_with_gas(&rpc, &dev, FEE_PREFERENCE, data, 100_000)
        .await
        .receipt;
    assert!(
        !succeeded(&receipt),
        "setFeeToken(unregistered) reverts: {receipt}"
    );
    assert!(
        !fee_paid(&receipt).is_zero(),
        "a reverted transaction still pays: {receipt}"
    );
    assert_eq!(preference_of(&rpc, me).await, Address::ZERO);
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
    let max_fee = rpc.usual_max_fee().await;
    let tx = eip1559_call(
        0,
        FEE_PREFERENCE,
        set_fee_token(SUSD),
        60_000,
        max_fee,
        GWEI,
    );
    let err = rpc
        .expect_rejected(&signed_raw(&fresh, tx), "insufficient funds")
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
        let receipt = rpc
            .transact(&dev, token, U256::ZERO, transfer(me, amount))
            .await
            .receipt;
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
    let susd_before = TokenLedger::read(&rpc, SUSD, &[me, BENEFICIARY]).await;
    let gold_before = rpc.token_balance(GOLD, me).await;
    let request = TransactionRequest::default()
        .with_to(FEE_PREFERENCE)
        .with_input(set_fee_token(SUSD));
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
    let sent = Transacted {
        receipt,
        gas_limit: quantity(&tx["gas"]),
        max_fee: quantity128(&tx["maxFeePerGas"]),
        tip: quantity128(&tx["maxPriorityFeePerGas"]),
    };
    let expected = check_converted(&rpc, &sent, SUSD, susd_rate()).await;
    let receipt = sent.receipt;
    let susd_after = TokenLedger::read(&rpc, SUSD, &[me, BENEFICIARY]).await;
    assert_fee_distributed(
        &susd_before,
        &susd_after,
        me,
        U256::ZERO,
        &expected,
        BaseFeeGoes::Burned,
        "the fee is debited in sUSD",
    );
    assert_eq!(rpc.token_balance(GOLD, me).await, gold_before);
    assert_eq!(rpc.balance(me, "latest").await, U256::ZERO, "ETH stays 0");
    assert_eq!(rpc.nonce(me, "latest").await, 1);
    assert_eq!(
        logs_matching(
            &receipt,
            FEE_PREFERENCE,
            &[
                IFeePreference::FeeTokenSet::SIGNATURE_HASH,
                me.into_word(),
                SUSD.into_word()
            ]
        )
        .len(),
        1,
        "FeeTokenSet(me, sUSD): {receipt}"
    );
    assert_eq!(preference_of(&rpc, me).await, SUSD);

    // The stored preference pays what follows: a valueless plain transaction (no token is
    // transacted, so only the preference can pick sUSD) ...
    transact_paying_in(
        &rpc,
        &fresh,
        recipient,
        U256::ZERO,
        Bytes::new(),
        SUSD,
        susd_rate(),
        "valueless transaction with an sUSD preference",
    )
    .await;
    // ... a transfer of sUSD ...
    let susd_before = rpc.token_balance(SUSD, me).await;
    let amount = U256::from(1_234_567u64);
    let (receipt, _) = transact_paying_in(
        &rpc,
        &fresh,
        SUSD,
        U256::ZERO,
        transfer(recipient, amount),
        SUSD,
        susd_rate(),
        "sUSD transfer with an sUSD preference",
    )
    .await;
    assert_eq!(
        rpc.token_balance(SUSD, me).await,
        susd_before - amount - fee_paid(&receipt)
    );
    assert_eq!(rpc.token_balance(SUSD, recipient).await, amount);
    // ... and a transfer of GOLD (rule b beats rule c).
    transact_paying_in(
        &rpc,
        &fresh,
        GOLD,
        U256::ZERO,
        transfer(recipient, U256::from(1u8)),
        SUSD,
        susd_rate(),
        "GOLD transfer with an sUSD preference",
    )
    .await;
    assert_eq!(
        rpc.token_balance(GOLD, me).await,
        gold_before - U256::from(1u8)
    );
    assert_eq!(rpc.balance(me, "latest").await, U256::ZERO, "ETH stays 0");

    // Clearing chooses no token and is paid natively as before: without ETH it is rejected.
    let tx = eip1559_call(
        rpc.nonce(me, "pending").await,
        FEE_PREFERENCE,
        set_fee_token(Address::ZERO),
        60_000,
        rpc.usual_max_fee().await,
        GWEI,
    );
    rpc.expect_rejected(
        &signed_raw(&fresh, tx),
        "insufficient funds for gas * price + value",
    )
    .await;
}
