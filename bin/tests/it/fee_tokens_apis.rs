//! The fee APIs over JSON-RPC: the `supervm` namespace (system contracts, fee tokens with
//! their rates), the registry's and the oracle's views, quotes in token units
//! (`eth_gasPrice` / `eth_maxPriorityFeePerGas` with a token), and `feeCurrency` in
//! `eth_estimateGas` / `eth_call` request objects.

use crate::common::*;

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
        let answer = rpc
            .view(ORACLE, IOracle::rateOfCall { token: *token })
            .await;
        let oracle = json!({"numerator": answer.numerator, "denominator": answer.denominator});
        assert!(
            same_fraction(&oracle, *rate),
            "{symbol} oracle rateOf: {oracle}"
        );
        assert!(
            rpc.view(
                TOKEN_REGISTRY,
                ITokenRegistry::isRegisteredCall { token: *token }
            )
            .await
        );
        assert!(
            rpc.view(
                TOKEN_REGISTRY,
                ITokenRegistry::isEnabledCall { token: *token }
            )
            .await
        );
    }
    assert_eq!(
        rpc.view(TOKEN_REGISTRY, ITokenRegistry::governanceCall {})
            .await,
        address!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
    );
    assert_eq!(
        rpc.view(TOKEN_REGISTRY, ITokenRegistry::tokensCall {})
            .await,
        vec![SUSD, SBTC, GOLD]
    );
    let stranger = random_signer().address();
    assert!(
        !rpc.view(
            TOKEN_REGISTRY,
            ITokenRegistry::isRegisteredCall { token: stranger }
        )
        .await
    );
    let answer = rpc
        .view(ORACLE, IOracle::rateOfCall { token: stranger })
        .await;
    assert_eq!(
        (answer.numerator, answer.denominator),
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
    let call = json!({"from": from, "to": SUSD, "data": calldata(IERC20::transferCall { to: stranger, value: U256::from(1u8) })});
    let plain = rpc.estimate(call.clone()).await;
    let mut with_currency = call.clone();
    with_currency["feeCurrency"] = json!(GOLD);
    assert_eq!(
        rpc.estimate(with_currency.clone()).await,
        plain,
        "same gas in any fee currency"
    );
    assert!(plain > 21_000);
    let balance_call = json!({"from": from, "to": SUSD, "data": calldata(IERC20::balanceOfCall { owner: from }), "feeCurrency": GOLD});
    let out = rpc.call("eth_call", json!([balance_call, "latest"])).await;
    let out: Bytes = serde_json::from_value(out).unwrap();
    assert_eq!(
        IERC20::balanceOfCall::abi_decode_returns_validate(&out).expect("balanceOf return"),
        rpc.token_balance(SUSD, from).await
    );
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
    let receipt = rpc
        .transact(
            &node.signer(6),
            SUSD,
            U256::ZERO,
            calldata(IERC20::transferCall {
                to: stranger,
                value: U256::from(1u8),
            }),
        )
        .await
        .receipt;
    assert_eq!(fee_token(&receipt), SUSD);
    assert_eq!(
        rpc.balance(node.account(6), "latest").await,
        dev_balance(),
        "a fee paid in sUSD leaves the native balance alone"
    );
}
