//! Fee amounts recomputed from the rules, independently of the node's code, and the checks
//! of fees paid in tokens: receipts carry `feeToken` / `feePaid`, which alloy's Ethereum types
//! do not, so everything here reads raw JSON.

use super::{
    abi::{error_string_data, revert_reason},
    address, address_of, json, quantity, quantity128, u256_of, AccessList, Address, Bytes, Cip64Tx,
    NodeConfig, PrivateKeySigner, RawRpc, Transacted, Value, B256, CHAIN_ID, U256,
};

/// The EIP-1559 base fee of the block after a parent with these values (denominator 8,
/// elasticity 2), written out independently of the node's code.
pub fn expected_next_base_fee(
    parent_gas_used: u64,
    parent_gas_limit: u64,
    parent_base_fee: u64,
) -> u64 {
    let target = parent_gas_limit / 2;
    let base = parent_base_fee as u128;
    if parent_gas_used == target {
        parent_base_fee
    } else if parent_gas_used > target {
        let delta = base * (parent_gas_used - target) as u128 / target as u128 / 8;
        (base + delta.max(1)) as u64
    } else {
        let delta = base * (target - parent_gas_used) as u128 / target as u128 / 8;
        (base - delta) as u64
    }
}

/// `ceil(a × n / d)`.
pub fn mul_div_ceil(a: U256, n: U256, d: U256) -> U256 {
    let product = a.checked_mul(n).expect("mul_div overflow in the test");
    product.div_ceil(d)
}

/// `floor(a × n / d)`.
pub fn mul_div_floor(a: U256, n: U256, d: U256) -> U256 {
    a.checked_mul(n).expect("mul_div overflow in the test") / d
}

/// The fee split of a type 0/1/2 transaction paid in a token at rate n/d, from the rules:
/// debit = ceil(L·maxFee·r), refund = floor((L·maxFee − G·price)·r), tip = floor(G·(price −
/// baseFee)·r), base = the rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExpectedFee {
    pub debit: U256,
    pub refund: U256,
    pub tip: U256,
    pub base: U256,
}

impl ExpectedFee {
    pub fn paid(&self) -> U256 {
        self.debit - self.refund
    }

    #[allow(clippy::too_many_arguments)]
    pub fn converted(
        gas_limit: u64,
        max_fee: u128,
        gas_used: u64,
        price: u128,
        base_fee: u128,
        n: U256,
        d: U256,
    ) -> Self {
        let max = U256::from(gas_limit) * U256::from(max_fee);
        let paid = U256::from(gas_used) * U256::from(price);
        let debit = mul_div_ceil(max, n, d);
        let refund = mul_div_floor(max - paid, n, d);
        let tip = mul_div_floor(U256::from(gas_used) * U256::from(price - base_fee), n, d);
        Self {
            debit,
            refund,
            tip,
            base: debit - refund - tip,
        }
    }

    /// CIP-64: fee fields in token units; base fee converted with ceil.
    pub fn denominated(
        gas_limit: u64,
        max_fee: u128,
        tip_cap: u128,
        gas_used: u64,
        base_fee_wei: u128,
        n: U256,
        d: U256,
    ) -> (Self, U256) {
        let base_in_token = mul_div_ceil(U256::from(base_fee_wei), n, d);
        let price = U256::from(max_fee).min(base_in_token + U256::from(tip_cap));
        let max = U256::from(gas_limit) * U256::from(max_fee);
        let paid = U256::from(gas_used) * price;
        let fee = Self {
            debit: max,
            refund: max - paid,
            tip: U256::from(gas_used) * (price - base_in_token),
            base: U256::from(gas_used) * base_in_token,
        };
        (fee, price)
    }
}

// ----------------------------------------------------------------------------------------------
// Fee tokens on the dev chain.
// ----------------------------------------------------------------------------------------------

/// Receives tips.
pub const BENEFICIARY: Address = address!("0x000000000000000000000000000000000000bEEF");
/// Receives base fees on chains that configure a base-fee recipient.
pub const TREASURY: Address = address!("0x0000000000000000000000000000000000007EA5");

/// Node configuration: tips go to [`BENEFICIARY`].
pub fn with_beneficiary(c: &mut NodeConfig) {
    c.mining.beneficiary = BENEFICIARY;
}

/// A rate as (numerator, denominator): token base units per wei.
pub type Rate = (U256, U256);

/// The dev genesis' sUSD rate: 3,000 USD per ETH, 6 decimals.
pub fn susd_rate() -> Rate {
    (U256::from(3u64), super::pow10(9))
}
/// The dev genesis' sBTC rate.
pub fn sbtc_rate() -> Rate {
    (U256::from(5u64), super::pow10(12))
}
/// The dev genesis' GOLD rate.
pub fn gold_rate() -> Rate {
    (U256::from(100u64), U256::from(1u64))
}

// ----------------------------------------------------------------------------------------------
// Receipts as JSON.
// ----------------------------------------------------------------------------------------------

/// Whether a receipt's status is 0x1 (panics on anything but 0x0 / 0x1).
pub fn succeeded(receipt: &Value) -> bool {
    match receipt["status"].as_str() {
        Some("0x1") => true,
        Some("0x0") => false,
        other => panic!("receipt status is {other:?}: {receipt}"),
    }
}

pub fn assert_success(receipt: &Value, what: &str) {
    assert!(
        succeeded(receipt),
        "{what}: expected status 0x1, receipt {receipt}"
    );
}

pub fn fee_token(receipt: &Value) -> Address {
    assert!(
        receipt.get("feeToken").is_some(),
        "receipt has no feeToken field: {receipt}"
    );
    address_of(&receipt["feeToken"])
}

pub fn fee_paid(receipt: &Value) -> U256 {
    assert!(
        receipt.get("feePaid").is_some(),
        "receipt has no feePaid field: {receipt}"
    );
    u256_of(&receipt["feePaid"])
}

pub fn gas_used(receipt: &Value) -> u64 {
    quantity(&receipt["gasUsed"])
}

pub fn effective_price(receipt: &Value) -> u128 {
    quantity128(&receipt["effectiveGasPrice"])
}

/// gasUsed × effectiveGasPrice: what a native or CIP-64 payment charges exactly.
pub fn gas_cost(receipt: &Value) -> U256 {
    U256::from(gas_used(receipt)) * U256::from(effective_price(receipt))
}

pub fn tx_hash(receipt: &Value) -> B256 {
    serde_json::from_value(receipt["transactionHash"].clone()).expect("transactionHash")
}

/// Base fee (wei) of the block that holds `receipt`.
pub async fn base_fee_of(rpc: &RawRpc, receipt: &Value) -> u128 {
    let block = rpc.block_json(receipt["blockNumber"].clone(), false).await;
    quantity128(&block["baseFeePerGas"])
}

/// The logs of a receipt with this address and exactly these topics.
pub fn logs_matching<'a>(receipt: &'a Value, address: Address, topics: &[B256]) -> Vec<&'a Value> {
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

pub fn log_data(log: &Value) -> Bytes {
    serde_json::from_value(log["data"].clone()).expect("log data")
}

// ----------------------------------------------------------------------------------------------
// Checks of fee payments.
// ----------------------------------------------------------------------------------------------

/// Checks a converted (type 0/1/2) fee payment in `token` against the rules; returns the
/// expected split.
pub async fn check_converted(
    rpc: &RawRpc,
    sent: &Transacted,
    token: Address,
    rate: Rate,
) -> ExpectedFee {
    let receipt = &sent.receipt;
    assert_eq!(fee_token(receipt), token, "feeToken: {receipt}");
    let base_fee = base_fee_of(rpc, receipt).await;
    let price = effective_price(receipt);
    assert_eq!(
        price,
        sent.max_fee.min(base_fee + sent.tip),
        "effectiveGasPrice of a type 2 transaction is in wei: min(maxFee, baseFee + tip)"
    );
    let expected = ExpectedFee::converted(
        sent.gas_limit,
        sent.max_fee,
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

/// [`RawRpc::transact`] that must succeed and pay its fee converted into `token`.
#[allow(clippy::too_many_arguments)]
pub async fn transact_paying_in(
    rpc: &RawRpc,
    signer: &PrivateKeySigner,
    to: Address,
    value: U256,
    input: Bytes,
    token: Address,
    rate: Rate,
    what: &str,
) -> (Value, ExpectedFee) {
    let sent = rpc.transact(signer, to, value, input).await;
    assert_success(&sent.receipt, what);
    let expected = check_converted(rpc, &sent, token, rate).await;
    (sent.receipt, expected)
}

/// [`RawRpc::transact`] that must succeed and pay its fee natively.
pub async fn transact_paying_natively(
    rpc: &RawRpc,
    signer: &PrivateKeySigner,
    to: Address,
    value: U256,
    input: Bytes,
    what: &str,
) -> Value {
    let receipt = rpc.transact(signer, to, value, input).await.receipt;
    assert_success(&receipt, what);
    assert_eq!(
        fee_token(&receipt),
        Address::ZERO,
        "{what}: paid natively: {receipt}"
    );
    receipt
}

/// Sends a call with a fixed gas limit and the usual fees (no estimate: the call may revert),
/// and waits for its receipt.
pub async fn send_with_gas(
    rpc: &RawRpc,
    signer: &PrivateKeySigner,
    to: Address,
    input: Bytes,
    gas_limit: u64,
) -> Transacted {
    let max_fee = rpc.usual_max_fee().await;
    let tip = super::GWEI;
    let hash = rpc
        .send_eip1559(signer, to, U256::ZERO, input, gas_limit, max_fee, tip)
        .await
        .unwrap_or_else(|e| {
            panic!("a call with {gas_limit} gas is admitted even if it reverts: {e:?}")
        });
    Transacted {
        receipt: rpc.wait_receipt_json(hash).await,
        gas_limit,
        max_fee,
        tip,
    }
}

/// Checks a CIP-64 payment: fee fields in token units, the base fee converted with ceil,
/// feePaid = gasUsed × effectiveGasPrice exactly. Returns the expected split.
pub async fn check_denominated(
    rpc: &RawRpc,
    receipt: &Value,
    gas_limit: u64,
    max_fee: u128,
    tip: u128,
    rate: Rate,
) -> ExpectedFee {
    let base_fee = base_fee_of(rpc, receipt).await;
    let (expected, price) = ExpectedFee::denominated(
        gas_limit,
        max_fee,
        tip,
        gas_used(receipt),
        base_fee,
        rate.0,
        rate.1,
    );
    assert_eq!(
        U256::from(effective_price(receipt)),
        price,
        "effectiveGasPrice in token units: min(maxFee, ceil(baseFee·r) + tip); {receipt}"
    );
    assert_eq!(
        fee_paid(receipt),
        gas_cost(receipt),
        "CIP-64 feePaid = gasUsed × effectiveGasPrice exactly"
    );
    assert!(
        !fee_paid(receipt).is_zero(),
        "a CIP-64 fee is not zero: {receipt}"
    );
    expected
}

/// A CIP-64 transaction from `signer` with estimated gas and fee fields quoted in `token`
/// units by the node (max fee = 2 × eth_gasPrice(token), tip = eth_maxPriorityFeePerGas(token)).
pub async fn build_cip64(
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
pub async fn send_cip64(rpc: &RawRpc, signer: &PrivateKeySigner, tx: &Cip64Tx) -> Value {
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

/// Token balances of some accounts and the token's total supply, read at `latest`.
#[derive(Clone, Debug)]
pub struct TokenLedger {
    token: Address,
    balances: Vec<(Address, U256)>,
    pub supply: U256,
}

impl TokenLedger {
    pub async fn read(rpc: &RawRpc, token: Address, holders: &[Address]) -> Self {
        let mut balances = Vec::with_capacity(holders.len());
        for holder in holders {
            balances.push((*holder, rpc.token_balance(token, *holder).await));
        }
        Self {
            token,
            balances,
            supply: rpc.token_supply(token).await,
        }
    }

    /// The balance of `holder` as read.
    pub fn balance(&self, holder: Address) -> U256 {
        self.balances
            .iter()
            .find(|(h, _)| *h == holder)
            .unwrap_or_else(|| panic!("{holder} not read in the {} ledger", self.token))
            .1
    }

    /// The sum of all balances read.
    pub fn sum(&self) -> U256 {
        self.balances.iter().map(|(_, b)| *b).sum()
    }
}

/// Where the base part of a token fee goes.
#[derive(Clone, Copy, Debug)]
pub enum BaseFeeGoes {
    /// Burned: the supply shrinks by it.
    Burned,
    /// Credited to [`TREASURY`].
    ToTreasury,
}

/// Checks that a fee `expected` paid by `payer` moved exactly: the payer lost the fee plus
/// `spent` (what the transaction itself moved out of its balance), [`BENEFICIARY`] got the tip,
/// and the base part went where `base` says.
pub fn assert_fee_distributed(
    before: &TokenLedger,
    after: &TokenLedger,
    payer: Address,
    spent: U256,
    expected: &ExpectedFee,
    base: BaseFeeGoes,
    what: &str,
) {
    assert_eq!(
        before.balance(payer) - after.balance(payer),
        spent + expected.paid(),
        "{what}: the payer's balance decreases by the amount moved plus the fee"
    );
    assert_eq!(
        after.balance(BENEFICIARY) - before.balance(BENEFICIARY),
        expected.tip,
        "{what}: the beneficiary gets the tip"
    );
    assert_eq!(
        expected.paid(),
        expected.tip + expected.base,
        "{what}: feePaid = tip + base"
    );
    match base {
        BaseFeeGoes::Burned => assert_eq!(
            before.supply - after.supply,
            expected.base,
            "{what}: the base part is burned"
        ),
        BaseFeeGoes::ToTreasury => {
            assert_eq!(
                after.balance(TREASURY) - before.balance(TREASURY),
                expected.base,
                "{what}: the treasury gets the base part"
            );
            assert_eq!(
                after.supply, before.supply,
                "{what}: nothing burned with a base-fee recipient"
            );
        }
    }
}

/// `eth_call` that must revert with code 3 and exactly the `Error(reason)` data.
pub async fn assert_call_reverts(
    rpc: &RawRpc,
    from: Address,
    to: Address,
    data: &Bytes,
    reason: &str,
) {
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

/// Lower-cased equality with code -32000: addresses in messages may be EIP-55 checksummed.
pub fn assert_message(err: &super::RpcError, expected: &str) {
    assert_eq!(
        err.message.to_lowercase(),
        expected.to_lowercase(),
        "error message (compared case-insensitively); full error: {err:?}"
    );
    assert_eq!(err.code, -32000, "error code for '{expected}': {err:?}");
}

/// The entry of `token` in `supervm_feeTokens`.
pub async fn fee_token_entry(rpc: &RawRpc, token: Address) -> Value {
    let tokens = rpc.call("supervm_feeTokens", json!([])).await;
    tokens
        .as_array()
        .expect("supervm_feeTokens is an array")
        .iter()
        .find(|t| address_of(&t["address"]) == token)
        .unwrap_or_else(|| panic!("{token} not in supervm_feeTokens: {tokens}"))
        .clone()
}
