//! The price oracle end to end: three reporters feed a token; a liar cannot move the rate;
//! when two stop reporting the token loses its price and cannot pay fees; when they resume it
//! can again; a flash move is limited by the circuit breaker. Block timestamps are set with
//! `evm_mine` so report expiry is exercised without waiting.

use crate::common::*;

const OUSD: Address = address!("0x000000000000000000000000000000000000a0a1");

/// 3 / 10^9 token base units per wei (1 ETH = 3000 USD for a 6-decimals token).
fn seeded() -> (U256, U256) {
    (U256::from(3u64), pow10(9))
}

struct Setup {
    node: TestNode,
    rpc: RawRpc,
    reporters: Vec<PrivateKeySigner>,
    user: PrivateKeySigner,
}

async fn setup() -> Setup {
    let reporters: Vec<PrivateKeySigner> = (0..3).map(|_| random_signer()).collect();
    let user = random_signer();
    let governance = dev_accounts()[0].address;
    let mut alloc: Vec<(Address, U256)> =
        reporters.iter().map(|r| (r.address(), ether(10))).collect();
    alloc.push((user.address(), ether(10)));
    alloc.push((governance, ether(10)));
    let token = GenesisTokenSpec {
        address: OUSD,
        name: "Oracle USD".into(),
        symbol: "OUSD".into(),
        decimals: 6,
        balances: vec![(user.address(), U256::from(1_000_000u64) * pow10(6))],
        rate: Some(seeded()),
        enabled: true,
    };
    let mut genesis = genesis_json(&alloc, governance, None, &[token]);
    genesis["config"]["supervm"]["tokens"][0]["reporters"] = json!(reporters
        .iter()
        .map(|r| format!("{:#x}", r.address()))
        .collect::<Vec<_>>());
    genesis["config"]["supervm"]["oracle"] =
        json!({"minReports": 3, "maxAgeSeconds": 300, "maxChangeBps": 1000});
    let node = TestNode::with_genesis(&genesis, |c| c.mining.manual = true).await;
    let rpc = node.rpc();
    Setup {
        node,
        rpc,
        reporters,
        user,
    }
}

fn report_call(numerator: U256, denominator: U256) -> Bytes {
    calldata(IOracle::reportCall {
        token: OUSD,
        numerator,
        denominator,
    })
}

/// The oracle's accepted rate of OUSD as (numerator, denominator).
async fn ousd_rate(rpc: &RawRpc) -> (U256, U256) {
    let rate = rpc.view(ORACLE, IOracle::rateOfCall { token: OUSD }).await;
    (rate.numerator, rate.denominator)
}

impl Setup {
    /// Sends reports from the given reporters, mines a block at `timestamp`, checks they landed.
    async fn report_and_mine(&self, who: &[usize], price: (U256, U256), timestamp: u64) {
        let mut hashes = Vec::new();
        for i in who {
            let hash = self
                .rpc
                .send_eip1559(
                    &self.reporters[*i],
                    ORACLE,
                    U256::ZERO,
                    report_call(price.0, price.1),
                    200_000,
                    100 * GWEI,
                    GWEI,
                )
                .await
                .unwrap_or_else(|e| panic!("report rejected: {e:?}"));
            hashes.push(hash);
        }
        self.rpc.call("evm_mine", json!([timestamp])).await;
        for hash in hashes {
            let receipt = self.rpc.wait_receipt_json(hash).await;
            assert_eq!(receipt["status"], json!("0x1"), "report failed: {receipt}");
        }
    }

    async fn price(&self) -> Value {
        let prices = self.rpc.call("supervm_tokenPrices", json!([])).await;
        prices
            .as_array()
            .and_then(|list| list.iter().find(|p| address_of(&p["address"]) == OUSD))
            .cloned()
            .unwrap_or_else(|| panic!("OUSD missing from {prices}"))
    }

    /// A CIP-64 transfer paying in OUSD, sent raw: `Ok` when admitted.
    async fn pay_in_ousd(&self) -> Result<B256, RpcError> {
        self.pay_in_ousd_with_nonce_offset(0).await
    }

    /// The same, `offset` nonces ahead of the pending nonce (a gap leaves it queued).
    async fn pay_in_ousd_with_nonce_offset(&self, offset: u64) -> Result<B256, RpcError> {
        let nonce = self.rpc.nonce(self.user.address(), "pending").await + offset;
        let tx = Cip64Tx::transfer(nonce, Address::repeat_byte(0x44), OUSD, 1_000, 1);
        self.rpc.send_raw(&tx.signed_raw(&self.user)).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reporters_liars_quorum_loss_and_recovery() {
    let s = setup().await;
    // Reporters exist but have not reported: no quorum, no fee payment.
    assert_eq!(s.price().await["status"], json!("stale"));
    let err = s
        .pay_in_ousd()
        .await
        .expect_err("a stale token cannot pay fees");
    assert!(
        err.message.starts_with("no fresh price for fee token OUSD"),
        "{err:?}"
    );

    // All three report the seeded price: the feed is live.
    s.report_and_mine(&[0, 1, 2], seeded(), 1_000).await;
    let price = s.price().await;
    assert_eq!(price["status"], json!("ok"), "{price}");
    assert_eq!(quantity(&price["reportCount"]), 3);
    let hash = s.pay_in_ousd().await.expect("a priced token pays fees");
    s.rpc.call("evm_mine", json!([1_001])).await;
    let receipt = s.rpc.wait_receipt_json(hash).await;
    assert_eq!(address_of(&receipt["feeToken"]), OUSD);

    // One reporter lies by 10x: the median, and so the rate, does not move.
    let rate_before = ousd_rate(&s.rpc).await;
    s.report_and_mine(&[2], (U256::from(30u64), pow10(9)), 1_010)
        .await;
    let rate_after = ousd_rate(&s.rpc).await;
    assert_eq!(rate_before, rate_after, "a single liar moved the rate");
    assert_eq!(s.price().await["status"], json!("ok"));

    // A transaction paying in OUSD waits in the pool behind a nonce gap.
    let waiting = s
        .pay_in_ousd_with_nonce_offset(1)
        .await
        .expect("admitted while priced");
    assert!(!s
        .rpc
        .call("eth_getTransactionByHash", json!([waiting]))
        .await
        .is_null());

    // Two reporters stop; only the liar keeps reporting. After maxAgeSeconds the quorum is
    // lost: the token is disabled for fees with a visible status, and the pool drops the
    // transactions that pay in it.
    s.report_and_mine(&[2], seeded(), 1_400).await;
    assert!(
        s.rpc
            .call("eth_getTransactionByHash", json!([waiting]))
            .await
            .is_null(),
        "a transaction paying in a token without a price stays in the pool"
    );
    let price = s.price().await;
    assert_eq!(price["status"], json!("stale"), "{price}");
    assert_eq!(quantity(&price["reportCount"]), 1);
    let err = s.pay_in_ousd().await.expect_err("quorum lost");
    assert!(
        err.message.starts_with("no fresh price for fee token OUSD"),
        "{err:?}"
    );

    // They resume: the token is enabled again.
    s.report_and_mine(&[0, 1], seeded(), 1_500).await;
    assert_eq!(s.price().await["status"], json!("ok"));
    s.pay_in_ousd().await.expect("priced again");
    s.node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn breaker_limits_a_flash_move_per_block() {
    let s = setup().await;
    s.report_and_mine(&[0, 1, 2], seeded(), 1_000).await;
    assert_eq!(s.price().await["status"], json!("ok"));
    // Everyone reports double the price: the rate moves at most 10% per block toward it.
    let doubled = (U256::from(6u64), pow10(9));
    s.report_and_mine(&[0, 1, 2], doubled, 1_001).await;
    let price = s.price().await;
    assert_eq!(price["status"], json!("breaker-limited"), "{price}");
    let scale = pow10(36);
    let base = U256::from(3u64) * pow10(27); // 3/10^9 in 10^36 fixed point
    let rate = |p: &Value| {
        (
            u256_of(&p["rate"]["numerator"]),
            u256_of(&p["rate"]["denominator"]),
        )
    };
    assert_eq!(
        rate(&price),
        (base * U256::from(11u64) / U256::from(10u64), scale)
    );
    // The same reports keep pulling it up by at most 10% a block, until it reaches the median.
    let mut previous = rate(&price).0;
    let target = base * U256::from(2u64);
    for timestamp in 1_002..1_012 {
        s.rpc.call("evm_mine", json!([timestamp])).await;
        let current = rate(&s.price().await).0;
        assert!(current >= previous && current <= target);
        assert!(current - previous <= previous / U256::from(10u64));
        previous = current;
    }
    assert_eq!(previous, target);
    assert_eq!(s.price().await["status"], json!("ok"));
    // Every block's rates are kept: the snapshot that priced the last block has the new rate.
    let snapshot = s.rpc.call("supervm_rateSnapshot", json!(["latest"])).await;
    assert!(
        snapshot
            .as_array()
            .is_some_and(|l| l.iter().any(|e| address_of(&e["token"]) == OUSD)),
        "{snapshot}"
    );
    s.node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_reporters_report_and_only_governance_manages() {
    let s = setup().await;
    let outsider = &s.user;
    let data = report_call(seeded().0, seeded().1);
    let err = s
        .rpc
        .try_call(
            "eth_call",
            json!([{"from": outsider.address(), "to": ORACLE, "data": data}, "latest"]),
        )
        .await
        .expect_err("an outsider cannot report");
    assert_eq!(err.code, 3);
    let governance = dev_accounts()[0].signer.clone();
    // Governance adds the outsider as a fourth reporter and changes the quorum.
    let add = calldata(IOracle::addReporterCall {
        token: OUSD,
        reporter: outsider.address(),
    });
    s.rpc
        .send_eip1559(
            &governance,
            ORACLE,
            U256::ZERO,
            add,
            300_000,
            100 * GWEI,
            GWEI,
        )
        .await
        .unwrap();
    let params = calldata(IOracle::setParamsCall {
        minReports: U256::from(2),
        maxAgeSeconds: U256::from(60),
        maxChangeBps: U256::from(500),
    });
    s.rpc
        .send_eip1559(
            &governance,
            ORACLE,
            U256::ZERO,
            params,
            300_000,
            100 * GWEI,
            GWEI,
        )
        .await
        .unwrap();
    s.rpc.call("evm_mine", json!([100])).await;
    let reporters = s
        .rpc
        .view(ORACLE, IOracle::reportersCall { token: OUSD })
        .await;
    assert!(reporters.contains(&outsider.address()));
    let params = s.rpc.view(ORACLE, IOracle::paramsCall {}).await;
    assert_eq!(
        (params.minReports, params.maxAgeSeconds, params.maxChangeBps),
        (U256::from(2), U256::from(60), U256::from(500))
    );
    // A feed can have its own parameters; all zero returns it to the defaults.
    let feed = calldata(IOracle::setFeedParamsCall {
        token: OUSD,
        minReports: U256::from(1),
        maxAgeSeconds: U256::from(30),
        maxChangeBps: U256::from(100),
    });
    s.rpc
        .send_eip1559(
            &governance,
            ORACLE,
            U256::ZERO,
            feed,
            300_000,
            100 * GWEI,
            GWEI,
        )
        .await
        .unwrap();
    s.rpc.call("evm_mine", json!([101])).await;
    let own = s
        .rpc
        .view(ORACLE, IOracle::feedParamsCall { token: OUSD })
        .await;
    assert_eq!(
        (own.minReports, own.maxAgeSeconds, own.maxChangeBps),
        (U256::from(1), U256::from(30), U256::from(100))
    );
    // With a quorum of one, a single report prices the token.
    s.report_and_mine(&[0], seeded(), 110).await;
    assert_eq!(s.price().await["status"], json!("ok"));
    let reset = calldata(IOracle::setFeedParamsCall {
        token: OUSD,
        minReports: U256::ZERO,
        maxAgeSeconds: U256::ZERO,
        maxChangeBps: U256::ZERO,
    });
    s.rpc
        .send_eip1559(
            &governance,
            ORACLE,
            U256::ZERO,
            reset,
            300_000,
            100 * GWEI,
            GWEI,
        )
        .await
        .unwrap();
    s.rpc.call("evm_mine", json!([111])).await;
    let own = s
        .rpc
        .view(ORACLE, IOracle::feedParamsCall { token: OUSD })
        .await;
    assert_eq!(own.minReports, U256::from(2), "back to the defaults");

    // Invalid parameters are refused with a reason.
    let bad = calldata(IOracle::setParamsCall {
        minReports: U256::ZERO,
        maxAgeSeconds: U256::from(60),
        maxChangeBps: U256::from(500),
    });
    let err = s
        .rpc
        .try_call(
            "eth_call",
            json!([{"from": governance.address(), "to": ORACLE, "data": bad}, "latest"]),
        )
        .await
        .expect_err("minReports 0");
    assert_eq!(err.code, 3);
    // Non-governance cannot manage reporters.
    let remove = calldata(IOracle::removeReporterCall {
        token: OUSD,
        reporter: outsider.address(),
    });
    let err = s
        .rpc
        .try_call(
            "eth_call",
            json!([{"from": outsider.address(), "to": ORACLE, "data": remove}, "latest"]),
        )
        .await
        .expect_err("not governance");
    assert_eq!(err.code, 3);
    s.node.stop().await;
}
