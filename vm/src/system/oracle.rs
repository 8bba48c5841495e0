//! The oracle: price feeds of fee tokens. Whitelisted reporters report prices; at the end of
//! every block the feed of each token is aggregated (freshness, quorum, median, circuit
//! breaker — `supervm_oracle::aggregate`) into the accepted rate that prices the next block's
//! fees. Governance (the registry's governance account) manages reporters and parameters.
//!
//! Layout:
//! - slot 0 `mapping(address token => Rate)`: accepted rate, two slots (numerator,
//!   denominator); token base units per wei.
//! - slot 1 `mapping(address token => Feed)`: status, lastUpdate, reportCount, median
//!   (fixed-point), reporters (`address[]`), then the feed's own minReports, maxAgeSeconds,
//!   maxChangeBps (zero = the defaults), at consecutive slots.
//! - slot 2 `mapping(address token => mapping(address reporter => Report))`: price
//!   (fixed-point), timestamp, whitelisted flag.
//! - slots 3, 4, 5: default minReports, maxAgeSeconds, maxChangeBps.

use alloy_primitives::{keccak256, Address, Bytes, Log, B256, U256};
use alloy_sol_types::{SolCall, SolEvent};
use supervm_gas::Rate;
use supervm_oracle::{
    aggregate::{self, to_fixed, FeedParams, FeedStatus, Report},
    PRICE_SCALE,
};
use supervm_primitives::system::{
    IOracle::{self, IOracleCalls},
    ORACLE,
};

use super::{
    emit, layout::mapping_slot, only_governance, prologue, registry, revert, sload, sstore, Call,
    CallError, CallResult, GasMeter, SystemContract, SCHEDULE,
};
use crate::{StateAccess, StateError};

/// Most reporters one token may have.
pub const MAX_REPORTERS: u64 = 32;

const MIN_REPORTS_SLOT: B256 = B256::with_last_byte(3);
const MAX_AGE_SLOT: B256 = B256::with_last_byte(4);
const MAX_CHANGE_SLOT: B256 = B256::with_last_byte(5);

fn offset(slot: B256, by: u64) -> B256 {
    B256::from(U256::from_be_bytes(slot.0).wrapping_add(U256::from(by)))
}

fn rate_slots(token: Address) -> (B256, B256) {
    let numerator = mapping_slot(token, B256::ZERO);
    (numerator, offset(numerator, 1))
}

/// Slots of a token's feed record.
struct FeedSlots {
    status: B256,
    last_update: B256,
    report_count: B256,
    median: B256,
    reporters: B256,
    /// Per-feed parameters (minReports, maxAgeSeconds, maxChangeBps); zero = the default.
    params: [B256; 3],
}

fn feed_slots(token: Address) -> FeedSlots {
    let base = mapping_slot(token, B256::with_last_byte(1));
    FeedSlots {
        status: base,
        last_update: offset(base, 1),
        report_count: offset(base, 2),
        median: offset(base, 3),
        reporters: offset(base, 4),
        params: [offset(base, 5), offset(base, 6), offset(base, 7)],
    }
}

fn reporter_element(list: B256, index: u64) -> B256 {
    offset(keccak256(list), index)
}

/// Slots of one reporter's report: (price, timestamp, whitelisted).
fn report_slots(token: Address, reporter: Address) -> (B256, B256, B256) {
    let base = mapping_slot(reporter, mapping_slot(token, B256::with_last_byte(2)));
    (base, offset(base, 1), offset(base, 2))
}

fn to_address(word: U256) -> Address {
    Address::from_word(B256::from(word))
}

fn to_word(address: Address) -> U256 {
    U256::from_be_bytes(address.into_word().0)
}

/// The accepted rate of `token`, if it has a valid one (whatever the feed status).
pub fn rate(state: &mut impl StateAccess, token: Address) -> Result<Option<Rate>, StateError> {
    let (n, d) = rate_slots(token);
    Ok(Rate::new(
        state.storage(ORACLE, n)?,
        state.storage(ORACLE, d)?,
    ))
}

/// Writes the accepted rate of `token` (genesis seeding and aggregation).
pub fn set_rate(state: &mut impl StateAccess, token: Address, rate: Rate) {
    let (n, d) = rate_slots(token);
    state.set_storage(ORACLE, n, rate.numerator());
    state.set_storage(ORACLE, d, rate.denominator());
}

/// Everything known about a token's feed, for `supervm_tokenPrices`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedInfo {
    /// The accepted rate.
    pub rate: Option<Rate>,
    /// The status after the last aggregation.
    pub status: FeedStatus,
    /// Median of the fresh reports at the last aggregation (fixed-point over 10^36).
    pub median: Option<U256>,
    /// Fresh reports at the last aggregation.
    pub report_count: u64,
    /// Timestamp of the newest report, if any.
    pub newest_report: Option<u64>,
    /// Block timestamp of the last change of rate or status.
    pub last_update: u64,
}

/// Reads a token's feed.
pub fn feed(state: &mut impl StateAccess, token: Address) -> Result<FeedInfo, StateError> {
    let slots = feed_slots(token);
    let median = state.storage(ORACLE, slots.median)?;
    let mut newest = None;
    for reporter in reporters(state, token)? {
        let (price, timestamp, _) = report_slots(token, reporter);
        if !state.storage(ORACLE, price)?.is_zero() {
            let at = state.storage(ORACLE, timestamp)?.saturating_to::<u64>();
            newest = Some(newest.map_or(at, |n: u64| n.max(at)));
        }
    }
    Ok(FeedInfo {
        rate: rate(state, token)?,
        status: FeedStatus::from_u8(state.storage(ORACLE, slots.status)?.saturating_to()),
        median: (!median.is_zero()).then_some(median),
        report_count: state.storage(ORACLE, slots.report_count)?.saturating_to(),
        newest_report: newest,
        last_update: state.storage(ORACLE, slots.last_update)?.saturating_to(),
    })
}

/// Whether fee payments may use `token`'s accepted rate.
pub fn priced(state: &mut impl StateAccess, token: Address) -> Result<bool, StateError> {
    let status = state
        .storage(ORACLE, feed_slots(token).status)?
        .saturating_to::<u8>();
    Ok(FeedStatus::from_u8(status).priced())
}

/// The whitelisted reporters of `token`.
pub fn reporters(state: &mut impl StateAccess, token: Address) -> Result<Vec<Address>, StateError> {
    let list = feed_slots(token).reporters;
    let count = state
        .storage(ORACLE, list)?
        .saturating_to::<u64>()
        .min(MAX_REPORTERS);
    (0..count)
        .map(|i| {
            Ok(to_address(
                state.storage(ORACLE, reporter_element(list, i))?,
            ))
        })
        .collect()
}

/// The aggregation parameters.
pub fn params(state: &mut impl StateAccess) -> Result<FeedParams, StateError> {
    Ok(FeedParams {
        min_reports: state.storage(ORACLE, MIN_REPORTS_SLOT)?.saturating_to(),
        max_age_seconds: state.storage(ORACLE, MAX_AGE_SLOT)?.saturating_to(),
        max_change_bps: state.storage(ORACLE, MAX_CHANGE_SLOT)?.saturating_to(),
    })
}

/// The parameters in force for `token`'s feed: its own if governance set them, else the
/// defaults.
pub fn feed_params(state: &mut impl StateAccess, token: Address) -> Result<FeedParams, StateError> {
    let slots = feed_slots(token).params;
    let own = FeedParams {
        min_reports: state.storage(ORACLE, slots[0])?.saturating_to(),
        max_age_seconds: state.storage(ORACLE, slots[1])?.saturating_to(),
        max_change_bps: state.storage(ORACLE, slots[2])?.saturating_to(),
    };
    if own.min_reports == 0 {
        return params(state);
    }
    Ok(own)
}

/// Writes the aggregation parameters (genesis, or governance after validation).
pub fn set_params(state: &mut impl StateAccess, params: &FeedParams) {
    state.set_storage(ORACLE, MIN_REPORTS_SLOT, U256::from(params.min_reports));
    state.set_storage(ORACLE, MAX_AGE_SLOT, U256::from(params.max_age_seconds));
    state.set_storage(ORACLE, MAX_CHANGE_SLOT, U256::from(params.max_change_bps));
}

/// Whitelists `reporter` for `token` (genesis, or governance).
pub fn add_reporter(
    state: &mut impl StateAccess,
    gas: &mut GasMeter,
    token: Address,
    reporter: Address,
) -> Result<(), CallError> {
    let (_, _, flag) = report_slots(token, reporter);
    if !sload(state, gas, ORACLE, flag)?.is_zero() {
        return Err(revert("already a reporter for this token"));
    }
    let list = feed_slots(token).reporters;
    let count = sload(state, gas, ORACLE, list)?.saturating_to::<u64>();
    if count >= MAX_REPORTERS {
        return Err(revert("too many reporters for this token"));
    }
    sstore(
        state,
        gas,
        ORACLE,
        reporter_element(list, count),
        to_word(reporter),
    )?;
    sstore(state, gas, ORACLE, list, U256::from(count + 1))?;
    sstore(state, gas, ORACLE, flag, U256::from(1))
}

fn remove_reporter(
    state: &mut impl StateAccess,
    gas: &mut GasMeter,
    token: Address,
    reporter: Address,
) -> Result<(), CallError> {
    let (price, timestamp, flag) = report_slots(token, reporter);
    if sload(state, gas, ORACLE, flag)?.is_zero() {
        return Err(revert("not a reporter for this token"));
    }
    let list = feed_slots(token).reporters;
    let count = sload(state, gas, ORACLE, list)?.saturating_to::<u64>();
    for i in 0..count {
        if to_address(sload(state, gas, ORACLE, reporter_element(list, i))?) == reporter {
            let last = sload(state, gas, ORACLE, reporter_element(list, count - 1))?;
            sstore(state, gas, ORACLE, reporter_element(list, i), last)?;
            sstore(
                state,
                gas,
                ORACLE,
                reporter_element(list, count - 1),
                U256::ZERO,
            )?;
            sstore(state, gas, ORACLE, list, U256::from(count - 1))?;
            break;
        }
    }
    for slot in [price, timestamp, flag] {
        sstore(state, gas, ORACLE, slot, U256::ZERO)?;
    }
    Ok(())
}

/// End of block: aggregates every registered token's feed at block time `now`. Tokens with
/// reporters get the median of fresh reports through the breaker, or become stale without a
/// quorum; tokens without reporters keep a seeded rate as a fixed rate.
pub fn end_block(state: &mut impl StateAccess, now: u64) -> Result<(), StateError> {
    for token in registry::tokens(state)? {
        let params = feed_params(state, token)?;
        let slots = feed_slots(token);
        let previous_rate = rate(state, token)?;
        let previous_status = state.storage(ORACLE, slots.status)?;
        let list = reporters(state, token)?;
        if list.is_empty() {
            let status = if previous_rate.is_some() {
                FeedStatus::Fixed
            } else {
                FeedStatus::Stale
            };
            write_status(state, token, status, now, previous_status)?;
            continue;
        }
        let mut reports = Vec::with_capacity(list.len());
        for reporter in list {
            let (price, timestamp, _) = report_slots(token, reporter);
            let price = state.storage(ORACLE, price)?;
            if !price.is_zero() {
                reports.push(Report {
                    price,
                    timestamp: state.storage(ORACLE, timestamp)?.saturating_to(),
                });
            }
        }
        let previous = previous_rate.and_then(|r| to_fixed(r.numerator(), r.denominator()));
        let update = aggregate::update(previous, &reports, now, &params);
        state.set_storage(ORACLE, slots.report_count, U256::from(update.fresh));
        state.set_storage(ORACLE, slots.median, update.median.unwrap_or_default());
        if let Some(price) = update.price.filter(|p| Some(*p) != previous) {
            if let Some(rate) = Rate::new(price, PRICE_SCALE) {
                set_rate(state, token, rate);
                state.set_storage(ORACLE, slots.last_update, U256::from(now));
            }
        }
        write_status(state, token, update.status, now, previous_status)?;
    }
    Ok(())
}

fn write_status(
    state: &mut impl StateAccess,
    token: Address,
    status: FeedStatus,
    now: u64,
    previous: U256,
) -> Result<(), StateError> {
    let slots = feed_slots(token);
    let value = U256::from(status as u8);
    if value != previous {
        state.set_storage(ORACLE, slots.status, value);
        state.set_storage(ORACLE, slots.last_update, U256::from(now));
    }
    Ok(())
}

pub(super) fn call(
    call: &Call<'_>,
    state: &mut impl StateAccess,
    gas: &mut GasMeter,
    logs: &mut Vec<Log>,
) -> CallResult {
    let decoded: IOracleCalls = prologue(SystemContract::Oracle, call)?;
    let output: Bytes = match decoded {
        IOracleCalls::report(c) => {
            let (price_slot, timestamp_slot, flag) = report_slots(c.token, call.caller);
            if sload(state, gas, ORACLE, flag)?.is_zero() {
                return Err(revert("not a reporter for this token"));
            }
            let price = to_fixed(c.numerator, c.denominator)
                .ok_or_else(|| revert("invalid price: numerator and denominator must be non-zero and the price below 2^256/10^36"))?;
            sstore(state, gas, ORACLE, price_slot, price)?;
            sstore(
                state,
                gas,
                ORACLE,
                timestamp_slot,
                U256::from(call.timestamp),
            )?;
            let event = IOracle::Reported {
                token: c.token,
                reporter: call.caller,
                numerator: c.numerator,
                denominator: c.denominator,
            };
            emit(
                logs,
                gas,
                Log {
                    address: ORACLE,
                    data: event.encode_log_data(),
                },
            )?;
            Bytes::new()
        }
        IOracleCalls::addReporter(c) => {
            only_governance(SystemContract::Oracle, call, state, gas)?;
            if !registry::registered(state, gas, c.token)? {
                return Err(revert("token is not registered"));
            }
            add_reporter(state, gas, c.token, c.reporter)?;
            Bytes::new()
        }
        IOracleCalls::removeReporter(c) => {
            only_governance(SystemContract::Oracle, call, state, gas)?;
            remove_reporter(state, gas, c.token, c.reporter)?;
            Bytes::new()
        }
        IOracleCalls::setParams(c) => {
            only_governance(SystemContract::Oracle, call, state, gas)?;
            let params = FeedParams {
                min_reports: c.minReports.saturating_to(),
                max_age_seconds: c.maxAgeSeconds.saturating_to(),
                max_change_bps: c.maxChangeBps.saturating_to(),
            };
            params.validate().map_err(revert)?;
            sstore(
                state,
                gas,
                ORACLE,
                MIN_REPORTS_SLOT,
                U256::from(params.min_reports),
            )?;
            sstore(
                state,
                gas,
                ORACLE,
                MAX_AGE_SLOT,
                U256::from(params.max_age_seconds),
            )?;
            sstore(
                state,
                gas,
                ORACLE,
                MAX_CHANGE_SLOT,
                U256::from(params.max_change_bps),
            )?;
            Bytes::new()
        }
        IOracleCalls::setFeedParams(c) => {
            only_governance(SystemContract::Oracle, call, state, gas)?;
            let values = [c.minReports, c.maxAgeSeconds, c.maxChangeBps];
            if values.iter().any(|v| !v.is_zero()) {
                let params = FeedParams {
                    min_reports: c.minReports.saturating_to(),
                    max_age_seconds: c.maxAgeSeconds.saturating_to(),
                    max_change_bps: c.maxChangeBps.saturating_to(),
                };
                params.validate().map_err(revert)?;
            }
            for (slot, value) in feed_slots(c.token).params.into_iter().zip(values) {
                sstore(state, gas, ORACLE, slot, value)?;
            }
            Bytes::new()
        }
        IOracleCalls::feedParams(c) => {
            gas.charge(SCHEDULE.sload * 6)?;
            let p = feed_params(state, c.token)?;
            IOracle::feedParamsCall::abi_encode_returns(&IOracle::feedParamsReturn {
                minReports: U256::from(p.min_reports),
                maxAgeSeconds: U256::from(p.max_age_seconds),
                maxChangeBps: U256::from(p.max_change_bps),
            })
            .into()
        }
        IOracleCalls::rateOf(c) => {
            let (n, d) = rate_slots(c.token);
            let numerator = sload(state, gas, ORACLE, n)?;
            let denominator = sload(state, gas, ORACLE, d)?;
            IOracle::rateOfCall::abi_encode_returns(&IOracle::rateOfReturn {
                numerator,
                denominator,
            })
            .into()
        }
        IOracleCalls::reportCount(c) => {
            let count = sload(state, gas, ORACLE, feed_slots(c.token).report_count)?;
            IOracle::reportCountCall::abi_encode_returns(&count).into()
        }
        IOracleCalls::lastUpdate(c) => {
            let at = sload(state, gas, ORACLE, feed_slots(c.token).last_update)?;
            IOracle::lastUpdateCall::abi_encode_returns(&at).into()
        }
        IOracleCalls::reporters(c) => {
            gas.charge(SCHEDULE.sload * (1 + MAX_REPORTERS))?;
            let list = reporters(state, c.token)?;
            IOracle::reportersCall::abi_encode_returns(&list).into()
        }
        IOracleCalls::params(_) => {
            gas.charge(SCHEDULE.sload * 3)?;
            let p = params(state)?;
            IOracle::paramsCall::abi_encode_returns(&IOracle::paramsReturn {
                minReports: U256::from(p.min_reports),
                maxAgeSeconds: U256::from(p.max_age_seconds),
                maxChangeBps: U256::from(p.max_change_bps),
            })
            .into()
        }
    };
    Ok(output)
}
