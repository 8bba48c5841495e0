//! Fee tokens of 6, 8 and 18 decimals at extreme rates (a whole token worth 10⁻⁹ ETH or 10⁹
//! ETH), on a chain whose base fees go to a treasury: every payment is exact and nothing is
//! burned, by rule (c) and by rule (a).

use crate::common::*;

/// Tokens of every decimals at both extreme rates, held by `holders`.
fn extreme_tokens(holders: &[Address]) -> Vec<GenesisTokenSpec> {
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
                balances: holders.iter().map(|h| (*h, pow10(30))).collect(),
                rate: Some((pow10(decimals as u64), denominator)),
                enabled: true,
            });
        }
    }
    specs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extreme_decimals_and_rates_pay_exactly_and_send_the_base_fee_to_the_treasury() {
    let devs = dev_accounts();
    let payer = random_signer(); // token balances only, no native coin
    let recipient = random_signer().address();
    let specs = extreme_tokens(&[payer.address(), devs[0].address]);
    let genesis = genesis_json(
        &[(devs[0].address, dev_balance())],
        devs[0].address,
        Some(TREASURY),
        &specs,
    );
    let node = TestNode::with_genesis(&genesis, with_beneficiary).await;
    let rpc = node.rpc();
    let accounts = [payer.address(), recipient, BENEFICIARY, TREASURY];

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
        let amount = pow10(spec.decimals as u64);
        let transfer = calldata(IERC20::transferCall {
            to: recipient,
            value: amount,
        });

        // Type 2 transfer of the token, fee by rule (c).
        let before = TokenLedger::read(&rpc, token, &accounts).await;
        let (_, expected) = transact_paying_in(
            &rpc,
            &payer,
            token,
            U256::ZERO,
            transfer.clone(),
            token,
            rate,
            what,
        )
        .await;
        let after = TokenLedger::read(&rpc, token, &accounts).await;
        assert_fee_distributed(
            &before,
            &after,
            payer.address(),
            amount,
            &expected,
            BaseFeeGoes::ToTreasury,
            what,
        );
        assert_eq!(
            after.balance(recipient) - before.balance(recipient),
            amount,
            "{what}: recipient delta"
        );

        // CIP-64 with the fee fields in this token's units.
        let before = after;
        let tx = build_cip64(&rpc, &payer, token, U256::ZERO, transfer, token).await;
        let receipt = send_cip64(&rpc, &payer, &tx).await;
        assert_success(&receipt, what);
        assert_eq!(fee_token(&receipt), token);
        let expected = check_denominated(
            &rpc,
            &receipt,
            tx.gas_limit,
            tx.max_fee_per_gas,
            tx.max_priority_fee_per_gas,
            rate,
        )
        .await;
        let after = TokenLedger::read(&rpc, token, &accounts).await;
        assert_fee_distributed(
            &before,
            &after,
            payer.address(),
            amount,
            &expected,
            BaseFeeGoes::ToTreasury,
            &format!("{what} CIP-64"),
        );
    }
    assert_eq!(rpc.balance(payer.address(), "latest").await, U256::ZERO);
}
