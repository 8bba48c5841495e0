//! Governance of the token registry: only the governance account registers tokens and enables
//! or disables them for fee payment; a new token is an ERC-20 without a price, and a disabled
//! token pays no fee until it is enabled again.

use crate::common::*;

const ONLY_GOV: &str = "only the governance account can change the token registry";

fn transfer(to: Address, value: U256) -> Bytes {
    calldata(IERC20::transferCall { to, value })
}

async fn is_registered(rpc: &RawRpc, token: Address) -> bool {
    rpc.view(TOKEN_REGISTRY, ITokenRegistry::isRegisteredCall { token })
        .await
}

async fn is_enabled(rpc: &RawRpc, token: Address) -> bool {
    rpc.view(TOKEN_REGISTRY, ITokenRegistry::isEnabledCall { token })
        .await
}

fn set_enabled(token: Address, enabled: bool) -> Bytes {
    calldata(ITokenRegistry::setEnabledCall { token, enabled })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn governance_registers_tokens_without_a_price() {
    let node = TestNode::start(with_beneficiary).await;
    let rpc = node.rpc();
    let gov = node.signer(0);
    let other = node.signer(1);
    let recipient = random_signer().address();

    assert_eq!(
        rpc.view(TOKEN_REGISTRY, ITokenRegistry::governanceCall {})
            .await,
        gov.address()
    );

    let new_token = random_signer().address();
    let supply = U256::from(5_000_000u64) * pow10(12);
    let register = calldata(ITokenRegistry::registerTokenCall {
        token: new_token,
        name: "Test Token".into(),
        symbol: "TST".into(),
        decimals: 12,
        holder: other.address(),
        supply,
    });

    // Not the governance: eth_call reverts with code 3 and the reason ...
    assert_call_reverts(&rpc, other.address(), TOKEN_REGISTRY, &register, ONLY_GOV).await;
    // ... and a transaction is mined with status 0 and still pays.
    let native_before = rpc.balance(other.address(), "latest").await;
    let receipt = send_with_gas(&rpc, &other, TOKEN_REGISTRY, register.clone(), 500_000)
        .await
        .receipt;
    assert!(
        !succeeded(&receipt),
        "registerToken by a non-governance account: {receipt}"
    );
    assert_eq!(receipt["logs"], json!([]), "a reverted call leaves no logs");
    assert_eq!(fee_token(&receipt), Address::ZERO);
    let paid = gas_cost(&receipt);
    assert!(!paid.is_zero());
    assert_eq!(fee_paid(&receipt), paid);
    assert_eq!(
        rpc.balance(other.address(), "latest").await,
        native_before - paid
    );
    assert!(!is_registered(&rpc, new_token).await);

    // The governance registers it.
    let receipt = rpc
        .transact(&gov, TOKEN_REGISTRY, U256::ZERO, register)
        .await
        .receipt;
    assert_success(&receipt, "registerToken by the governance");
    let mints = logs_matching(
        &receipt,
        new_token,
        &[
            IERC20::Transfer::SIGNATURE_HASH,
            Address::ZERO.into_word(),
            other.address().into_word(),
        ],
    );
    assert_eq!(
        mints.len(),
        1,
        "mint Transfer(0, holder, supply): {receipt}"
    );
    assert_eq!(log_data(mints[0]), uint_data(supply));
    assert!(is_registered(&rpc, new_token).await);
    assert_eq!(
        rpc.view(TOKEN_REGISTRY, ITokenRegistry::tokensCall {})
            .await,
        vec![SUSD, SBTC, GOLD, new_token]
    );

    // It answers ERC-20 calls.
    assert_eq!(rpc.view(new_token, IERC20::nameCall {}).await, "Test Token");
    assert_eq!(rpc.view(new_token, IERC20::symbolCall {}).await, "TST");
    assert_eq!(rpc.view(new_token, IERC20::decimalsCall {}).await, 12);
    assert_eq!(rpc.token_supply(new_token).await, supply);
    assert_eq!(rpc.token_balance(new_token, other.address()).await, supply);
    assert_eq!(
        rpc.storage_u256(new_token, balance_slot(other.address()), "latest")
            .await,
        supply
    );

    // It is listed without a rate, unusable for fees.
    let entry = fee_token_entry(&rpc, new_token).await;
    assert_eq!(entry["symbol"], "TST", "{entry}");
    assert_eq!(entry["name"], "Test Token", "{entry}");
    assert_eq!(entry["decimals"], json!(12), "{entry}");
    assert_eq!(entry["rate"], Value::Null, "{entry}");
    assert_eq!(entry["usableForFees"], json!(false), "{entry}");
    assert_eq!(u256_of(&entry["totalSupply"]), supply, "{entry}");

    // Its own transfers pay natively (no price); as an explicit fee currency it is refused.
    transact_paying_natively(
        &rpc,
        &other,
        new_token,
        U256::ZERO,
        transfer(recipient, U256::from(9u8)),
        "TST transfer",
    )
    .await;
    assert_eq!(
        rpc.token_balance(new_token, recipient).await,
        U256::from(9u8)
    );
    let tx = Cip64Tx {
        gas_limit: 100_000,
        ..Cip64Tx::transfer(
            rpc.nonce(other.address(), "pending").await,
            recipient,
            new_token,
            1_000_000,
            1,
        )
    };
    let err = rpc
        .expect_rejected(&tx.signed_raw(&other), "no fresh price")
        .await;
    assert_message(
        &err,
        &format!("no fresh price for fee token TST ({new_token:#x})"),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_token_pays_no_fee_until_governance_enables_it_again() {
    let node = TestNode::start(with_beneficiary).await;
    let rpc = node.rpc();
    let gov = node.signer(0);
    let other = node.signer(1);
    let recipient = random_signer().address();

    // setEnabled is governance-only too.
    let disable = set_enabled(SUSD, false);
    assert_call_reverts(&rpc, other.address(), TOKEN_REGISTRY, &disable, ONLY_GOV).await;

    // An account that prefers sUSD, set before the token is disabled.
    let fan = node.signer(4);
    let receipt = rpc
        .transact(
            &fan,
            FEE_PREFERENCE,
            U256::ZERO,
            calldata(IFeePreference::setFeeTokenCall { token: SUSD }),
        )
        .await
        .receipt;
    assert_success(&receipt, "setFeeToken(sUSD)");

    // Disable sUSD.
    let receipt = rpc
        .transact(&gov, TOKEN_REGISTRY, U256::ZERO, disable)
        .await
        .receipt;
    assert_success(&receipt, "setEnabled(sUSD, false)");
    assert!(!is_enabled(&rpc, SUSD).await);
    assert!(is_registered(&rpc, SUSD).await);
    let entry = fee_token_entry(&rpc, SUSD).await;
    assert_eq!(entry["enabled"], json!(false), "{entry}");
    assert_eq!(entry["usableForFees"], json!(false), "{entry}");

    // Neither an explicit fee currency (rule a) nor a stored preference (rule b) can pay.
    let dev2 = node.signer(2);
    let disabled = format!("fee token sUSD ({SUSD:#x}) is disabled for fee payment");
    let tx = Cip64Tx::transfer(
        rpc.nonce(dev2.address(), "pending").await,
        recipient,
        SUSD,
        100,
        10,
    );
    let err = rpc
        .expect_rejected(&tx.signed_raw(&dev2), "fee token")
        .await;
    assert_message(&err, &disabled);
    let tx = eip1559(
        rpc.nonce(fan.address(), "pending").await,
        recipient,
        U256::from(1u8),
        rpc.usual_max_fee().await,
        GWEI,
    );
    let err = rpc
        .expect_rejected(&signed_raw(&fan, tx), "fee token")
        .await;
    assert_message(&err, &disabled);

    // ERC-20 transfers still work; the fee falls back to native by rule (c).
    let before = rpc.token_balance(SUSD, dev2.address()).await;
    let amount = U256::from(31_337u64);
    transact_paying_natively(
        &rpc,
        &dev2,
        SUSD,
        U256::ZERO,
        transfer(recipient, amount),
        "sUSD transfer while disabled",
    )
    .await;
    assert_eq!(
        rpc.token_balance(SUSD, dev2.address()).await,
        before - amount
    );
    assert_eq!(rpc.token_balance(SUSD, recipient).await, amount);

    // Re-enable: both paths pay in sUSD again.
    let receipt = rpc
        .transact(&gov, TOKEN_REGISTRY, U256::ZERO, set_enabled(SUSD, true))
        .await
        .receipt;
    assert_success(&receipt, "setEnabled(sUSD, true)");
    assert!(is_enabled(&rpc, SUSD).await);
    let tx = build_cip64(&rpc, &dev2, recipient, U256::ZERO, Bytes::new(), SUSD).await;
    let receipt = send_cip64(&rpc, &dev2, &tx).await;
    assert_success(&receipt, "CIP-64 in sUSD after re-enabling");
    assert_eq!(fee_token(&receipt), SUSD);
    let receipt = rpc
        .transact(&fan, recipient, U256::from(1u8), Bytes::new())
        .await
        .receipt;
    assert_success(&receipt, "preference for sUSD after re-enabling");
    assert_eq!(fee_token(&receipt), SUSD, "{receipt}");
}
