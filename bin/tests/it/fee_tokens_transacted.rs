//! Fee-token rule (c): a transaction that transacts a registered token (calls it) pays its fee
//! in that token when it can, converted from wei at the token's rate; the tip goes to the
//! beneficiary and the base part is burned.
//!
//! Expected amounts are recomputed from the rules, independently of the node's code.

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_native_account_pays_gas_in_the_token_it_transfers() {
    let node = TestNode::start(with_beneficiary).await;
    let rpc = node.rpc();
    let alice = random_signer();
    let bob = random_signer().address();
    let per_account = U256::from(1_000_000u64) * pow10(6);
    assert_eq!(
        rpc.view_at(SUSD, IERC20::totalSupplyCall {}, "0x0").await,
        per_account * U256::from(10u8),
        "sUSD supply at genesis: 10 dev accounts × 1,000,000 sUSD"
    );

    // A dev account sends Alice 100 sUSD (it pays its own fee in sUSD too, by rule c).
    let funding = rpc
        .transact(
            &node.signer(0),
            SUSD,
            U256::ZERO,
            calldata(IERC20::transferCall {
                to: alice.address(),
                value: U256::from(100_000_000u64),
            }),
        )
        .await
        .receipt;
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
    let before = TokenLedger::read(&rpc, SUSD, &holders).await;
    assert_eq!(
        before.sum(),
        before.supply,
        "sum of balances = totalSupply after the funding transfer"
    );
    let beneficiary_native = rpc.balance(BENEFICIARY, "latest").await;

    // Alice, with no native coin at all, sends a plain EIP-1559 `transfer`.
    let amount = U256::from(12_345_678u64);
    let sent = rpc
        .transact(
            &alice,
            SUSD,
            U256::ZERO,
            calldata(IERC20::transferCall {
                to: bob,
                value: amount,
            }),
        )
        .await;
    let receipt = &sent.receipt;
    assert_success(receipt, "Alice's sUSD transfer");
    assert_eq!(receipt["type"], "0x2", "{receipt}");
    assert_eq!(address_of(&receipt["from"]), alice.address());
    assert!(
        sent.gas_limit > 21_000,
        "a token transfer costs more than 21000 gas: {}",
        sent.gas_limit
    );
    assert!(gas_used(receipt) > 21_000);
    let expected = check_converted(&rpc, &sent, SUSD, susd_rate()).await;
    assert!(
        !expected.tip.is_zero(),
        "a 1 gwei tip is worth sUSD base units: {expected:?}"
    );

    // The Transfer event of the call itself.
    let transfers = logs_matching(
        receipt,
        SUSD,
        &[
            IERC20::Transfer::SIGNATURE_HASH,
            alice.address().into_word(),
            bob.into_word(),
        ],
    );
    assert_eq!(transfers.len(), 1, "one Transfer(alice, bob): {receipt}");
    assert_eq!(log_data(transfers[0]), uint_data(amount));

    // Balances moved exactly; the base part is burned: the supply shrinks by exactly
    // feePaid − tip, and the balances of all holders still add up to it.
    let after = TokenLedger::read(&rpc, SUSD, &holders).await;
    assert_fee_distributed(
        &before,
        &after,
        alice.address(),
        amount,
        &expected,
        BaseFeeGoes::Burned,
        "Alice's sUSD transfer",
    );
    assert_eq!(after.balance(bob), amount, "recipient gets the amount");
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
    assert_eq!(after.sum(), after.supply, "conservation");
    assert_eq!(
        rpc.storage_u256(SUSD, total_supply_slot(), "latest").await,
        after.supply,
        "totalSupply slot 2"
    );
}
