//! Fee-token errors: a fee currency that is unregistered, disabled or unpriced, and balances
//! that cannot cover the maximum fee, are refused at admission with messages that name the
//! token and the amounts; where the rules choose a token implicitly (rule c), a token that
//! cannot pay falls back to native instead.

use crate::common::*;

/// Records a wrong error (or a wrong code) instead of stopping, so that one run reports every
/// wrong error of the test.
fn check_message(problems: &mut Vec<String>, what: &str, err: &RpcError, expected: &str) {
    if err.message.to_lowercase() != expected.to_lowercase() || err.code != -32000 {
        problems.push(format!(
            "{what}: expected -32000 \"{expected}\", got {} \"{}\"",
            err.code, err.message
        ));
    }
}

/// A signed CIP-64 transfer of nothing with 100,000 gas paying in `token`.
fn cip64_raw(
    signer: &PrivateKeySigner,
    nonce: u64,
    to: Address,
    token: Address,
    max_fee: u128,
    tip: u128,
) -> Bytes {
    Cip64Tx {
        gas_limit: 100_000,
        ..Cip64Tx::transfer(nonce, to, token, max_fee, tip)
    }
    .signed_raw(signer)
}

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
    let raw = cip64_raw(&dev1, nonce1, recipient, USDX, 1, 0);
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
    let raw = cip64_raw(&dev1, nonce1, recipient, bogus, 10, 1);
    expect_error(
        &mut problems,
        "CIP-64 with an unregistered feeCurrency",
        rpc.send_raw(&raw).await,
        &format!("fee token {bogus:#x} is not a registered token"),
    );

    // (b) Disabled.
    let disabled = format!("fee token OFFX ({OFFX:#x}) is disabled for fee payment");
    let raw = cip64_raw(&dev1, nonce1, recipient, OFFX, 10, 1);
    expect_error(
        &mut problems,
        "CIP-64 with a disabled feeCurrency",
        rpc.send_raw(&raw).await,
        &disabled,
    );

    // (c) No fresh price.
    let unpriced = format!("no fresh price for fee token NOPX ({NOPX:#x})");
    let raw = cip64_raw(&dev1, nonce1, recipient, NOPX, 10, 1);
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
    let tx = eip1559_call(
        0,
        USDX,
        calldata(IERC20::transferCall {
            to: recipient,
            value: U256::from(1u8),
        }),
        gas,
        max_fee,
        GWEI,
    );
    expect_error(
        &mut problems,
        "type 2 USDX transfer from an account with 1000 USDX base units (rule c does not apply)",
        rpc.send_raw(&signed_raw(&poor, tx)).await,
        &format!(
            "insufficient funds for gas * price + value: address {} have 0 want {want}",
            poor.address()
        ),
    );
    // ... and by rule (a): the maximum fee is gas × maxFee in token units.
    let raw = Cip64Tx {
        gas_limit: gas,
        ..Cip64Tx::transfer(0, recipient, USDX, 10, 1)
    }
    .signed_raw(&poor);
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
        rpc.send_raw(&signed_raw(&empty, tx)).await,
        &format!(
            "insufficient funds for gas * price + value: address {:#x} have 0 want {}",
            empty.address(),
            21_000 * max_fee + 1
        ),
    );
    // ... and a fee payable in USDX does not pay a native value.
    let raw = Cip64Tx {
        value: U256::from(1u8),
        ..Cip64Tx::transfer(0, recipient, USDX, 10, 1)
    }
    .signed_raw(&token_rich);
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
        let receipt = rpc
            .transact(
                &dev1,
                token,
                U256::ZERO,
                calldata(IERC20::transferCall {
                    to: recipient,
                    value: U256::from(5u8),
                }),
            )
            .await
            .receipt;
        assert_success(&receipt, "transfer of a token that cannot pay fees");
        assert_eq!(
            fee_token(&receipt),
            Address::ZERO,
            "falls back to native: {receipt}"
        );
        assert_eq!(rpc.token_balance(token, recipient).await, U256::from(5u8));
    }
    // USDX itself does pay.
    let receipt = rpc
        .transact(
            &token_rich,
            USDX,
            U256::ZERO,
            calldata(IERC20::transferCall {
                to: recipient,
                value: U256::from(5u8),
            }),
        )
        .await
        .receipt;
    assert_success(&receipt, "USDX transfer from a zero-native account");
    assert_eq!(fee_token(&receipt), USDX);

    // Explicit rule (b) never falls back: a preference for an unpriced or disabled token
    // makes every transaction of that account fail admission.
    for (i, token, expected) in [(2, NOPX, &unpriced), (3, OFFX, &disabled)] {
        let signer = node.signer(i);
        let receipt = rpc
            .transact(
                &signer,
                FEE_PREFERENCE,
                U256::ZERO,
                calldata(IFeePreference::setFeeTokenCall { token }),
            )
            .await
            .receipt;
        assert_success(&receipt, "setFeeToken of a registered token");
        let nonce = rpc.nonce(signer.address(), "pending").await;
        let max_fee = rpc.usual_max_fee().await;
        let tx = eip1559(nonce, recipient, U256::from(1u8), max_fee, GWEI);
        expect_error(
            &mut problems,
            &format!("native transfer with a stored preference for {token}"),
            rpc.send_raw(&signed_raw(&signer, tx)).await,
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
