//! Log queries and polling filters (`eth_getLogs`, `eth_newFilter`, `eth_newBlockFilter`,
//! `eth_getFilterChanges`, `eth_getFilterLogs`, `eth_uninstallFilter`).
//!
//! A filter remembers the next block it has not reported; polling reads the blocks committed
//! since then from the store. Filters not polled for five minutes are removed, as in geth, by
//! a sweep that runs every few seconds whether or not new filters arrive.
//!
//! Every query is bounded ([`LogLimits`]): the block range it scans, the logs and the bytes
//! of log data it returns, the addresses and topics of a filter, and how many filters may be
//! installed at once, so no client can make the node hold gigabytes for it.

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use alloy_eips::BlockNumberOrTag;
use alloy_primitives::U256;
use alloy_rpc_types_eth::{Filter, FilterBlockOption, FilterChanges, Log as RpcLog};
use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use parking_lot::Mutex;
use supervm_storage::Reader;

use crate::{
    block_id::number_of_tag,
    context::RpcContext,
    convert::{matching_logs, RpcTransaction},
    error::header_not_found,
    RpcError,
};

/// Most addresses, and most values per topic position, in one filter (geth's limit).
const MAX_FILTER_VALUES: usize = 1000;

/// Bounds on log queries and polling filters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogLimits {
    /// Most blocks one log query may scan.
    pub max_block_range: u64,
    /// Most logs one answer may hold.
    pub max_logs: usize,
    /// Most bytes of log data (the `data` fields together) one answer may hold.
    pub max_log_bytes: usize,
    /// Most polling filters installed at once, all clients together.
    pub max_filters: usize,
    /// Idle time after which a filter is removed (geth: five minutes).
    pub filter_timeout: Duration,
}

impl LogLimits {
    /// How often idle filters are swept: often enough that none outlives its timeout by
    /// more than a quarter of it, at most every five seconds.
    fn sweep_interval(&self) -> Duration {
        (self.filter_timeout / 4).clamp(Duration::from_millis(10), Duration::from_secs(5))
    }
}

/// The `eth_*` filter methods.
#[rpc(server, namespace = "eth")]
pub trait EthFilterApi {
    /// Logs matching a filter.
    #[method(name = "getLogs")]
    async fn logs(&self, filter: Filter) -> RpcResult<Vec<RpcLog>>;
    /// Installs a log filter; returns its id.
    #[method(name = "newFilter")]
    async fn new_filter(&self, filter: Filter) -> RpcResult<U256>;
    /// Installs a new-block filter; returns its id.
    #[method(name = "newBlockFilter")]
    async fn new_block_filter(&self) -> RpcResult<U256>;
    /// What a filter saw since it was last polled.
    #[method(name = "getFilterChanges")]
    async fn filter_changes(&self, id: U256) -> RpcResult<FilterChanges<RpcTransaction>>;
    /// All logs matching a log filter.
    #[method(name = "getFilterLogs")]
    async fn filter_logs(&self, id: U256) -> RpcResult<Vec<RpcLog>>;
    /// Removes a filter; `false` if it did not exist.
    #[method(name = "uninstallFilter")]
    async fn uninstall_filter(&self, id: U256) -> RpcResult<bool>;
}

#[derive(Clone)]
enum FilterKind {
    Blocks,
    Logs(Box<Filter>),
}

struct Installed {
    kind: FilterKind,
    next_block: u64,
    last_poll: Instant,
}

/// Implementation of [`EthFilterApiServer`].
pub(crate) struct EthFilter {
    ctx: Arc<RpcContext>,
    limits: LogLimits,
    filters: Arc<Mutex<HashMap<U256, Installed>>>,
}

impl EthFilter {
    /// The filter methods; starts the sweep of idle filters on the current runtime, which
    /// ends when the methods are dropped.
    pub(crate) fn new(ctx: Arc<RpcContext>, limits: LogLimits) -> Self {
        let filters: Arc<Mutex<HashMap<U256, Installed>>> = Arc::default();
        let swept = Arc::downgrade(&filters);
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(limits.sweep_interval());
            loop {
                ticks.tick().await;
                let Some(filters) = swept.upgrade() else {
                    return;
                };
                filters
                    .lock()
                    .retain(|_, f| f.last_poll.elapsed() < limits.filter_timeout);
            }
        });
        Self {
            ctx,
            limits,
            filters,
        }
    }

    async fn install(&self, kind: FilterKind) -> Result<U256, RpcError> {
        if let FilterKind::Logs(filter) = &kind {
            check_filter_size(filter)?;
        }
        let head = self
            .ctx
            .read(|_, reader| -> Result<_, RpcError> { Ok(reader.head_number()) })
            .await?;
        let mut filters = self.filters.lock();
        filters.retain(|_, f| f.last_poll.elapsed() < self.limits.filter_timeout);
        if filters.len() >= self.limits.max_filters {
            return Err(RpcError::Server(format!(
                "too many filters: {} are installed, the limit is {}; uninstall one (idle filters expire after {} s)",
                filters.len(),
                self.limits.max_filters,
                self.limits.filter_timeout.as_secs()
            )));
        }
        let id = loop {
            let id = U256::from(crate::pubsub::random_u64());
            if !filters.contains_key(&id) {
                break id;
            }
        };
        filters.insert(
            id,
            Installed {
                kind,
                next_block: head + 1,
                last_poll: Instant::now(),
            },
        );
        Ok(id)
    }
}

fn filter_not_found() -> RpcError {
    RpcError::Server("filter not found".into())
}

/// Refuses a filter with more addresses, topic positions or values per position than geth
/// accepts.
fn check_filter_size(filter: &Filter) -> Result<(), RpcError> {
    if filter.address.len() > MAX_FILTER_VALUES {
        return Err(RpcError::InvalidParams(format!(
            "exceed max addresses: {} given, the limit is {MAX_FILTER_VALUES}",
            filter.address.len()
        )));
    }
    if filter
        .topics
        .iter()
        .any(|position| position.len() > MAX_FILTER_VALUES)
    {
        return Err(RpcError::InvalidParams(format!(
            "exceed max topics per search position: the limit is {MAX_FILTER_VALUES}"
        )));
    }
    Ok(())
}

/// The inclusive block range a log filter covers in this snapshot (`None` = empty range).
fn filter_range(
    reader: &Reader,
    filter: &Filter,
    max_block_range: u64,
) -> Result<Option<(u64, u64)>, RpcError> {
    match filter.block_option {
        FilterBlockOption::AtBlockHash(hash) => {
            let number = reader.block_number(&hash)?.ok_or_else(header_not_found)?;
            Ok(Some((number, number)))
        }
        FilterBlockOption::Range {
            from_block,
            to_block,
        } => {
            let head = reader.head_number();
            let resolve = |tag: Option<BlockNumberOrTag>| match tag.unwrap_or_default() {
                BlockNumberOrTag::Number(n) => n,
                other => number_of_tag(reader, other).unwrap_or(head),
            };
            let (from, to) = (resolve(from_block), resolve(to_block).min(head));
            if from > to {
                return Ok(None);
            }
            if to - from >= max_block_range {
                return Err(RpcError::Server(format!(
                    "query exceeds max block range {max_block_range}: from {from} to {to}"
                )));
            }
            Ok(Some((from, to)))
        }
    }
}

/// Matching logs of blocks `from..=to`, skipping blocks whose bloom rules them out. Stops
/// with an error naming the range that fits once the answer would pass the limits.
fn logs_in_range(
    reader: &Reader,
    filter: &Filter,
    (from, to): (u64, u64),
    limits: &LogLimits,
) -> Result<Vec<RpcLog>, RpcError> {
    check_filter_size(filter)?;
    let mut logs = Vec::new();
    let mut bytes = 0usize;
    for number in from..=to {
        let Some(header) = reader.header(number)? else {
            break;
        };
        if !filter.matches_bloom(header.logs_bloom) {
            continue;
        }
        let Some(block) = reader.block(number)? else {
            break;
        };
        let receipts = reader.block_receipts(number)?;
        let before = logs.len();
        for log in matching_logs(&block, &receipts, |log| filter.matches(log)) {
            bytes = bytes.saturating_add(log.inner.data.data.len());
            logs.push(log);
            if logs.len() > limits.max_logs || bytes > limits.max_log_bytes {
                logs.truncate(before);
                return Err(too_many_logs(limits, from, number));
            }
        }
    }
    Ok(logs)
}

/// reth's answer to a log query over the limits, naming the range that fits.
fn too_many_logs(limits: &LogLimits, from: u64, failed_at: u64) -> RpcError {
    let (logs, bytes) = (limits.max_logs, limits.max_log_bytes);
    RpcError::Server(match failed_at.checked_sub(1).filter(|last| *last >= from) {
        Some(last) => format!(
            "query exceeds max results {logs} logs or {bytes} bytes of log data, retry with the range {from}-{last}"
        ),
        None => format!("query exceeds max results {logs} logs or {bytes} bytes of log data"),
    })
}

#[jsonrpsee::core::async_trait]
impl EthFilterApiServer for EthFilter {
    async fn logs(&self, filter: Filter) -> RpcResult<Vec<RpcLog>> {
        let limits = self.limits;
        Ok(self
            .ctx
            .read(
                move |_, reader| match filter_range(reader, &filter, limits.max_block_range)? {
                    Some(range) => logs_in_range(reader, &filter, range, &limits),
                    None => Ok(Vec::new()),
                },
            )
            .await?)
    }

    async fn new_filter(&self, filter: Filter) -> RpcResult<U256> {
        Ok(self.install(FilterKind::Logs(Box::new(filter))).await?)
    }

    async fn new_block_filter(&self) -> RpcResult<U256> {
        Ok(self.install(FilterKind::Blocks).await?)
    }

    async fn filter_changes(&self, id: U256) -> RpcResult<FilterChanges<RpcTransaction>> {
        let (kind, from) = {
            let mut filters = self.filters.lock();
            let installed = filters.get_mut(&id).ok_or_else(filter_not_found)?;
            installed.last_poll = Instant::now();
            (installed.kind.clone(), installed.next_block)
        };
        let limits = self.limits;
        let (changes, next) = self
            .ctx
            .read(move |_, reader| -> Result<_, RpcError> {
                let head = reader.head_number();
                if from > head {
                    return Ok((FilterChanges::Empty, from));
                }
                let changes = match kind {
                    FilterKind::Blocks => FilterChanges::Hashes(
                        (from..=head)
                            .filter_map(|n| reader.block_hash(n).transpose())
                            .collect::<Result<_, _>>()?,
                    ),
                    FilterKind::Logs(filter) => {
                        let (start, end) =
                            match filter_range(reader, &filter, limits.max_block_range)? {
                                Some((start, end)) => (start.max(from), end),
                                None => (from, from.saturating_sub(1)),
                            };
                        let logs = if start <= end {
                            logs_in_range(reader, &filter, (start, end), &limits)?
                        } else {
                            Vec::new()
                        };
                        FilterChanges::Logs(logs)
                    }
                };
                Ok((changes, head + 1))
            })
            .await?;
        if let Some(installed) = self.filters.lock().get_mut(&id) {
            installed.next_block = installed.next_block.max(next);
        }
        Ok(changes)
    }

    async fn filter_logs(&self, id: U256) -> RpcResult<Vec<RpcLog>> {
        let kind = {
            let mut filters = self.filters.lock();
            let installed = filters.get_mut(&id).ok_or_else(filter_not_found)?;
            installed.last_poll = Instant::now();
            installed.kind.clone()
        };
        let FilterKind::Logs(filter) = kind else {
            return Err(filter_not_found().into());
        };
        self.logs(*filter).await
    }

    async fn uninstall_filter(&self, id: U256) -> RpcResult<bool> {
        Ok(self.filters.lock().remove(&id).is_some())
    }
}
