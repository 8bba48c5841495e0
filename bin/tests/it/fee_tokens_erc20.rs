//! Registered tokens are ERC-20 tokens: metadata, balances and allowances at Solidity's storage
//! slots, `approve` / `transferFrom` with their events (found by `eth_getLogs`), OpenZeppelin's
//! revert reasons, and fees paid in the token they call (rule c).

use crate::common::*;

fn transfer(to: Address, value: U256) -> Bytes {
    calldata(IERC20::transferCall { to, value })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn genesis_tokens_answer_erc20_metadata_and_balances_at_their_storage_slots() {
    let node = TestNode::start(with_beneficiary).await;
    let rpc = node.rpc();

    for (token, symbol, decimals, per_account) in [
        (SUSD, "sUSD", 6u8, U256::from(1_000_000u64) * pow10(6)),
        (SBTC, "sBTC", 8, U256::from(100u64) * pow10(8)),
        (GOLD, "GOLD", 18, U256::from(1_000_000u64) * pow10(18)),
    ] {
        assert_eq!(rpc.view(token, IERC20::symbolCall {}).await, symbol);
        let name = rpc.view(token, IERC20::nameCall {}).await;
        assert!(!name.is_empty(), "{symbol} has a name");
        assert_eq!(
            fee_token_entry(&rpc, token).await["name"],
            json!(name),
            "name() matches supervm_feeTokens"
        );
        assert_eq!(
            rpc.view(token, IERC20::decimalsCall {}).await,
            decimals,
            "{symbol} decimals"
        );
        assert_eq!(
            rpc.view_at(token, IERC20::totalSupplyCall {}, "0x0").await,
            per_account * U256::from(10u8)
        );
        assert_eq!(
            rpc.storage_u256(token, total_supply_slot(), "0x0").await,
            per_account * U256::from(10u8),
            "{symbol} totalSupply at slot 2"
        );
        for i in 0..10 {
            let owner = node.account(i);
            assert_eq!(
                rpc.view_at(token, IERC20::balanceOfCall { owner }, "0x0")
                    .await,
                per_account
            );
            assert_eq!(
                rpc.storage_u256(token, balance_slot(owner), "0x0").await,
                per_account,
                "{symbol} balance slot of dev {i}"
            );
        }
        let stranger = random_signer().address();
        assert_eq!(rpc.token_balance(token, stranger).await, U256::ZERO);
        assert_eq!(
            rpc.token_balance(token, node.account(1)).await,
            rpc.storage_u256(token, balance_slot(node.account(1)), "latest")
                .await
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approve_and_transfer_from_move_allowances_and_log_their_events() {
    let node = TestNode::start(with_beneficiary).await;
    let rpc = node.rpc();
    let owner = node.signer(1);
    let spender = node.signer(2);
    let recipient = random_signer().address();
    let token = SBTC;
    let estimate = rpc
        .estimate(json!({"from": owner.address(), "to": token, "data": transfer(recipient, U256::from(1u8))}))
        .await;
    assert!(estimate > 21_000, "token transfer estimate {estimate}");

    // approve → Approval, allowance, allowance slot.
    let approve = rpc
        .transact(
            &owner,
            token,
            U256::ZERO,
            calldata(IERC20::approveCall {
                spender: spender.address(),
                value: U256::from(5_000u64),
            }),
        )
        .await
        .receipt;
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
            IERC20::Approval::SIGNATURE_HASH,
            owner.address().into_word(),
            spender.address().into_word(),
        ],
    );
    assert_eq!(approvals.len(), 1, "Approval log: {approve}");
    assert_eq!(log_data(approvals[0]), uint_data(U256::from(5_000u64)));
    let allowance = IERC20::allowanceCall {
        owner: owner.address(),
        spender: spender.address(),
    };
    assert_eq!(
        rpc.view(token, allowance.clone()).await,
        U256::from(5_000u64)
    );
    let allowance_slot = allowance_slot(owner.address(), spender.address());
    assert_eq!(
        rpc.storage_u256(token, allowance_slot, "latest").await,
        U256::from(5_000u64),
        "allowance slot keccak(spender, keccak(owner, 1))"
    );

    // transferFrom → Transfer, balances, allowance decreases.
    let owner_before = rpc.token_balance(token, owner.address()).await;
    let moved = rpc
        .transact(
            &spender,
            token,
            U256::ZERO,
            calldata(IERC20::transferFromCall {
                from: owner.address(),
                to: recipient,
                value: U256::from(2_000u64),
            }),
        )
        .await
        .receipt;
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
            IERC20::Transfer::SIGNATURE_HASH,
            owner.address().into_word(),
            recipient.into_word(),
        ],
    );
    assert_eq!(transfers.len(), 1, "Transfer log: {moved}");
    assert_eq!(log_data(transfers[0]), uint_data(U256::from(2_000u64)));
    assert_eq!(
        rpc.token_balance(token, owner.address()).await,
        owner_before - U256::from(2_000u64),
        "the owner pays the amount only (the spender pays the fee)"
    );
    assert_eq!(
        rpc.token_balance(token, recipient).await,
        U256::from(2_000u64)
    );
    assert_eq!(rpc.view(token, allowance).await, U256::from(3_000u64));
    assert_eq!(
        rpc.storage_u256(token, allowance_slot, "latest").await,
        U256::from(3_000u64)
    );
    for holder in [owner.address(), spender.address(), recipient, BENEFICIARY] {
        assert_eq!(
            rpc.token_balance(token, holder).await,
            rpc.storage_u256(token, balance_slot(holder), "latest")
                .await,
            "balanceOf({holder}) = storage at its balance slot"
        );
    }

    // eth_getLogs by token address and topics.
    let transfer_topic = IERC20::Transfer::SIGNATURE_HASH;
    let logs = rpc
        .call(
            "eth_getLogs",
            json!([{"address": token, "topics": [transfer_topic], "fromBlock": approve["blockNumber"], "toBlock": "latest"}]),
        )
        .await;
    let logs = logs.as_array().expect("logs array");
    for log in logs {
        assert_eq!(address_of(&log["address"]), token, "{log}");
        assert_eq!(log["topics"][0], json!(transfer_topic), "{log}");
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
                    "topics": [transfer_topic, owner.address().into_word(), recipient.into_word()]}]),
        )
        .await;
    assert_eq!(exact.as_array().map(Vec::len), Some(1), "{exact}");
    let approvals = rpc
        .call(
            "eth_getLogs",
            json!([{"address": token, "fromBlock": "0x0", "toBlock": "latest",
                    "topics": [IERC20::Approval::SIGNATURE_HASH, owner.address().into_word()]}]),
        )
        .await;
    assert_eq!(approvals.as_array().map(Vec::len), Some(1), "{approvals}");
    let other_token = rpc
        .call(
            "eth_getLogs",
            json!([{"address": SUSD, "fromBlock": "0x0", "toBlock": "latest",
                    "topics": [transfer_topic, owner.address().into_word(), recipient.into_word()]}]),
        )
        .await;
    assert_eq!(other_token, json!([]), "filtered by token address");

    // Reverts: eth_call answers code 3 with the OpenZeppelin reason.
    assert_call_reverts(
        &rpc,
        spender.address(),
        token,
        &calldata(IERC20::transferFromCall {
            from: owner.address(),
            to: recipient,
            value: U256::from(3_001u64),
        }),
        "ERC20: insufficient allowance",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_token_transfer_reverts_with_its_reason_and_still_pays_its_fee() {
    let node = TestNode::start(with_beneficiary).await;
    let rpc = node.rpc();
    let token = SBTC;
    let recipient = random_signer().address();
    assert_call_reverts(
        &rpc,
        node.account(1),
        token,
        &transfer(Address::ZERO, U256::from(1u8)),
        "ERC20: transfer to the zero address",
    )
    .await;
    let poor = node.signer(3);
    let balance = rpc.token_balance(token, poor.address()).await;
    let too_much = transfer(recipient, balance + U256::from(1u8));
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
    let sent = send_with_gas(&rpc, &poor, token, too_much, 100_000).await;
    let receipt = &sent.receipt;
    assert!(
        !succeeded(receipt),
        "transfer beyond balance reverts: {receipt}"
    );
    assert_eq!(receipt["logs"], json!([]));
    check_converted(&rpc, &sent, SBTC, sbtc_rate()).await;
    assert_eq!(
        rpc.token_balance(token, poor.address()).await,
        balance - fee_paid(receipt),
        "only the fee left the sender"
    );
    assert_eq!(rpc.token_balance(token, recipient).await, recipient_before);
}

/// `eth_getTransactionReceipt` builds one receipt from the block's receipts alone; its logs
/// must carry the same block-wide `logIndex` as the same receipt in `eth_getBlockReceipts`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receipt_alone_equals_its_entry_in_the_block_receipts() {
    let node = TestNode::manual().await;
    let rpc = node.rpc();
    let recipient = random_signer().address();
    let max_fee = rpc.usual_max_fee().await;
    let mut hashes = Vec::new();
    for i in 0..3 {
        let tx = eip1559_call(
            0,
            SUSD,
            transfer(recipient, U256::from(7u8)),
            200_000,
            max_fee,
            GWEI,
        );
        hashes.push(
            rpc.send_raw(&signed_raw(&node.signer(i), tx))
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
