//! Log queries and polling filters (`eth_getLogs`, `eth_newFilter`, `eth_newBlockFilter`,
//! `eth_getFilterChanges`, `eth_getFilterLogs`, `eth_uninstallFilter`).
//!
//! A filter remembers the next block it has not reported; polling reads the blocks committed
//! since then from the store, so no background task is needed. Filters not polled for five
//! minutes are removed, as in geth.

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
    convert::{block_logs, RpcTransaction},
    error::header_not_found,
    RpcError,
};

/// Most blocks one log query may scan.
const MAX_BLOCK_RANGE: u64 = 100_000;
/// Idle time after which a filter is removed.
const FILTER_TIMEOUT: Duration = Duration::from_secs(300);

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
    filters: Arc<Mutex<HashMap<U256, Installed>>>,
}

impl EthFilter {
    pub(crate) fn new(ctx: Arc<RpcContext>) -> Self {
        Self {
            ctx,
            filters: Arc::default(),
        }
    }

    async fn install(&self, kind: FilterKind) -> Result<U256, RpcError> {
        let head = self
            .ctx
            .read(|_, reader| -> Result<_, RpcError> { Ok(reader.head_number()) })
            .await?;
        let mut filters = self.filters.lock();
        filters.retain(|_, f| f.last_poll.elapsed() < FILTER_TIMEOUT);
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

/// The inclusive block range a log filter covers in this snapshot (`None` = empty range).
fn filter_range(reader: &Reader, filter: &Filter) -> Result<Option<(u64, u64)>, RpcError> {
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
            if to - from >= MAX_BLOCK_RANGE {
                return Err(RpcError::Server(format!(
                    "query exceeds max block range {MAX_BLOCK_RANGE}: from {from} to {to}"
                )));
            }
            Ok(Some((from, to)))
        }
    }
}

/// Matching logs of blocks `from..=to`, skipping blocks whose bloom rules them out.
fn logs_in_range(
    reader: &Reader,
    filter: &Filter,
    from: u64,
    to: u64,
) -> Result<Vec<RpcLog>, RpcError> {
    let mut logs = Vec::new();
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
        logs.extend(
            block_logs(&block, &receipts)
                .into_iter()
                .flatten()
                .filter(|log| filter.matches(&log.inner)),
        );
    }
    Ok(logs)
}

#[jsonrpsee::core::async_trait]
impl EthFilterApiServer for EthFilter {
    async fn logs(&self, filter: Filter) -> RpcResult<Vec<RpcLog>> {
        Ok(self
            .ctx
            .read(move |_, reader| match filter_range(reader, &filter)? {
                Some((from, to)) => logs_in_range(reader, &filter, from, to),
                None => Ok(Vec::new()),
            })
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
                        let (start, end) = match filter_range(reader, &filter)? {
                            Some((start, end)) => (start.max(from), end),
                            None => (from, from.saturating_sub(1)),
                        };
                        let logs = if start <= end {
                            logs_in_range(reader, &filter, start, end)?
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
