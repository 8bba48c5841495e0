//! The five explorer services over storage snapshots.

use std::{str::FromStr, sync::Arc};

use alloy_primitives::{Address, B256};
use supervm_storage::Reader;
use supervm_txpool::AcceptedTokens;
use supervm_vm::{
    system::{fee_preference, layout, registry},
    PendingState, StateAccess, StoreState,
};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use super::{
    convert, page,
    proto::{
        self, account_service_server::AccountService, block_service_server::BlockService,
        node_service_server::NodeService, token_service_server::TokenService,
        transaction_service_server::TransactionService,
    },
    stream,
};
use crate::{tokens::catalogue, RpcContext};

/// Most blocks one rate-history request may span.
const MAX_RATE_HISTORY: u64 = 1000;

/// The explorer API over the node's context.
#[derive(Clone)]
pub(super) struct Explorer {
    pub ctx: Arc<RpcContext>,
    /// Turns true when the node stops; open streams end then.
    pub shutdown: tokio::sync::watch::Receiver<bool>,
    /// One permit per open `StreamBlocks` stream: each may hold a buffer of whole blocks,
    /// so their number is bounded.
    pub streams: Arc<tokio::sync::Semaphore>,
}

fn internal(err: impl std::fmt::Display) -> Status {
    Status::internal(err.to_string())
}

fn parse<T: FromStr>(field: &str, value: &str) -> Result<T, Status> {
    value
        .parse()
        .map_err(|_| Status::invalid_argument(format!("{field}: {value:?} is not valid")))
}

pub(super) fn block_at(reader: &Reader, number: u64, full: bool) -> Result<proto::Block, Status> {
    let block = reader
        .block(number)
        .map_err(internal)?
        .ok_or_else(|| Status::not_found(format!("block {number} not found")))?;
    Ok(convert::block(&block, full))
}

fn transaction_by_hash(reader: &Reader, hash: &B256) -> Result<proto::Transaction, Status> {
    let (tx, location) = reader
        .transaction(hash)
        .map_err(internal)?
        .ok_or_else(|| Status::not_found(format!("transaction {hash} not found")))?;
    let position = convert::Position {
        block_number: location.block_number,
        block_hash: location.block_hash.to_string(),
        index: location.index,
    };
    Ok(convert::transaction(&tx, Some(&position)))
}

#[tonic::async_trait]
impl BlockService for Explorer {
    type StreamBlocksStream = ReceiverStream<Result<proto::StreamBlocksResponse, Status>>;

    async fn get_block(
        &self,
        request: Request<proto::GetBlockRequest>,
    ) -> Result<Response<proto::Block>, Status> {
        let request = request.into_inner();
        let full = request.full_transactions;
        let id = request
            .id
            .ok_or_else(|| Status::invalid_argument("id: give a block number or hash"))?;
        let block = self
            .ctx
            .read(move |_, reader| match id {
                proto::get_block_request::Id::Number(number) => block_at(reader, number, full),
                proto::get_block_request::Id::Hash(hash) => {
                    let hash: B256 = parse("hash", &hash)?;
                    let number = reader
                        .block_number(&hash)
                        .map_err(internal)?
                        .ok_or_else(|| Status::not_found(format!("block {hash} not found")))?;
                    block_at(reader, number, full)
                }
            })
            .await?;
        Ok(Response::new(block))
    }

    async fn get_latest_block(
        &self,
        request: Request<proto::GetLatestBlockRequest>,
    ) -> Result<Response<proto::Block>, Status> {
        let full = request.into_inner().full_transactions;
        Ok(Response::new(
            self.ctx
                .read(move |_, reader| block_at(reader, reader.head_number(), full))
                .await?,
        ))
    }

    async fn list_blocks(
        &self,
        request: Request<proto::ListBlocksRequest>,
    ) -> Result<Response<proto::ListBlocksResponse>, Status> {
        let request = request.into_inner();
        let size = page::page_size(request.page_size)?;
        let cursor = page::cursor("blocks", &request.page_token)?;
        let response = self
            .ctx
            .read(move |_, reader| -> Result<_, Status> {
                let head = reader.head_number();
                let numbers: Vec<u64> = if request.ascending {
                    let start = cursor.map(|(n, _)| n).unwrap_or(0);
                    (start..=head).take(size + 1).collect()
                } else {
                    let start = cursor.map(|(n, _)| n).unwrap_or(head).min(head);
                    (0..=start).rev().take(size + 1).collect()
                };
                let next = numbers.get(size).copied();
                let blocks = numbers
                    .iter()
                    .take(size)
                    .map(|n| block_at(reader, *n, request.full_transactions))
                    .collect::<Result<_, _>>()?;
                Ok(proto::ListBlocksResponse {
                    blocks,
                    next_page_token: next
                        .map(|n| page::token("blocks", n, 0))
                        .unwrap_or_default(),
                })
            })
            .await?;
        Ok(Response::new(response))
    }

    async fn stream_blocks(
        &self,
        request: Request<proto::StreamBlocksRequest>,
    ) -> Result<Response<Self::StreamBlocksStream>, Status> {
        let request = request.into_inner();
        let permit = self.streams.clone().try_acquire_owned().map_err(|_| {
            Status::resource_exhausted(
                "too many block streams open on this node: close one or retry later",
            )
        })?;
        Ok(Response::new(stream::start(
            self.ctx.clone(),
            request.from_number,
            request.full_transactions,
            self.shutdown.clone(),
            permit,
        )))
    }
}

#[tonic::async_trait]
impl TransactionService for Explorer {
    async fn get_transaction(
        &self,
        request: Request<proto::GetTransactionRequest>,
    ) -> Result<Response<proto::Transaction>, Status> {
        let hash: B256 = parse("hash", &request.into_inner().hash)?;
        Ok(Response::new(
            self.ctx
                .read(move |_, reader| transaction_by_hash(reader, &hash))
                .await?,
        ))
    }

    async fn get_receipt(
        &self,
        request: Request<proto::GetReceiptRequest>,
    ) -> Result<Response<proto::Receipt>, Status> {
        let hash: B256 = parse("hash", &request.into_inner().hash)?;
        let receipt = self
            .ctx
            .read(move |_, reader| -> Result<_, Status> {
                let (_, location) = reader
                    .transaction(&hash)
                    .map_err(internal)?
                    .ok_or_else(|| Status::not_found(format!("transaction {hash} not found")))?;
                let block = reader
                    .block(location.block_number)
                    .map_err(internal)?
                    .ok_or_else(|| {
                        Status::not_found(format!("block {} not found", location.block_number))
                    })?;
                let stored = reader
                    .block_receipts(location.block_number)
                    .map_err(internal)?;
                convert::receipts(&block, &stored)
                    .into_iter()
                    .nth(location.index as usize)
                    .ok_or_else(|| Status::not_found(format!("receipt of {hash} not found")))
            })
            .await?;
        Ok(Response::new(receipt))
    }

    async fn list_block_transactions(
        &self,
        request: Request<proto::ListBlockTransactionsRequest>,
    ) -> Result<Response<proto::ListBlockTransactionsResponse>, Status> {
        let request = request.into_inner();
        let size = page::page_size(request.page_size)?;
        let start = page::cursor("block-txs", &request.page_token)?
            .map(|(_, i)| i as usize)
            .unwrap_or(0);
        let number = request.block_number;
        let response = self
            .ctx
            .read(move |_, reader| -> Result<_, Status> {
                let block = reader
                    .block(number)
                    .map_err(internal)?
                    .ok_or_else(|| Status::not_found(format!("block {number} not found")))?;
                let position = |index: usize| convert::Position {
                    block_number: number,
                    block_hash: block.hash.to_string(),
                    index: index as u32,
                };
                let transactions = block
                    .transactions
                    .iter()
                    .enumerate()
                    .skip(start)
                    .take(size)
                    .map(|(i, tx)| convert::transaction(tx, Some(&position(i))))
                    .collect();
                let next = start + size;
                Ok(proto::ListBlockTransactionsResponse {
                    transactions,
                    next_page_token: if next < block.transactions.len() {
                        page::token("block-txs", number, next as u64)
                    } else {
                        String::new()
                    },
                })
            })
            .await?;
        Ok(Response::new(response))
    }
}

#[tonic::async_trait]
impl AccountService for Explorer {
    async fn get_account(
        &self,
        request: Request<proto::GetAccountRequest>,
    ) -> Result<Response<proto::Account>, Status> {
        let address: Address = parse("address", &request.into_inner().address)?;
        let account = self
            .ctx
            .read(move |_, reader| -> Result<_, Status> {
                let head = reader.head_number();
                let mut state = PendingState::new(StoreState::new(reader, head));
                let account = state.account(address).map_err(internal)?;
                let mut token_balances = Vec::new();
                for info in registry::token_infos(&mut state).map_err(internal)? {
                    token_balances.push(proto::TokenBalance {
                        token: info.address.to_string(),
                        symbol: info.symbol,
                        decimals: u32::from(info.decimals),
                        balance: state
                            .storage(info.address, layout::balance_slot(address))
                            .map_err(internal)?
                            .to_string(),
                    });
                }
                let preference =
                    fee_preference::preference(&mut state, address).map_err(internal)?;
                Ok(proto::Account {
                    address: address.to_string(),
                    nonce: account.nonce,
                    balance: account.balance.to_string(),
                    token_balances,
                    fee_token_preference: preference.map(|t| t.to_string()).unwrap_or_default(),
                    code_hash: account.code_hash.to_string(),
                })
            })
            .await?;
        Ok(Response::new(account))
    }

    async fn list_account_transactions(
        &self,
        request: Request<proto::ListAccountTransactionsRequest>,
    ) -> Result<Response<proto::ListAccountTransactionsResponse>, Status> {
        let request = request.into_inner();
        let address: Address = parse("address", &request.address)?;
        let size = page::page_size(request.page_size)?;
        let before = page::cursor("account-txs", &request.page_token)?.map(|(b, i)| (b, i as u32));
        let response = self
            .ctx
            .read(move |_, reader| -> Result<_, Status> {
                let mut entries = reader
                    .account_transactions(&address, before, size + 1)
                    .map_err(internal)?;
                let next = (entries.len() > size)
                    .then(|| entries.get(size.wrapping_sub(1)).copied())
                    .flatten()
                    .map(|(b, i, _)| page::token("account-txs", b, u64::from(i)));
                entries.truncate(size);
                let transactions = entries
                    .iter()
                    .map(|(_, _, hash)| transaction_by_hash(reader, hash))
                    .collect::<Result<_, _>>()?;
                Ok(proto::ListAccountTransactionsResponse {
                    transactions,
                    next_page_token: next.unwrap_or_default(),
                })
            })
            .await?;
        Ok(Response::new(response))
    }
}

fn rate_message(numerator: impl ToString, denominator: impl ToString) -> proto::Rate {
    proto::Rate {
        numerator: numerator.to_string(),
        denominator: denominator.to_string(),
    }
}

#[tonic::async_trait]
impl TokenService for Explorer {
    async fn list_tokens(
        &self,
        _request: Request<proto::ListTokensRequest>,
    ) -> Result<Response<proto::ListTokensResponse>, Status> {
        let tokens = self
            .ctx
            .read(|_, reader| -> Result<_, Status> {
                Ok(catalogue(reader)
                    .map_err(internal)?
                    .tokens
                    .into_iter()
                    .map(|token| proto::Token {
                        address: token.listing.address.to_string(),
                        name: token.listing.name,
                        symbol: token.listing.symbol,
                        decimals: u32::from(token.listing.decimals),
                        enabled: token.listing.enabled,
                        rate: token
                            .listing
                            .rate
                            .map(|r| rate_message(r.numerator(), r.denominator())),
                        status: token.status.to_string(),
                        total_supply: token.listing.total_supply.to_string(),
                    })
                    .collect())
            })
            .await?;
        Ok(Response::new(proto::ListTokensResponse { tokens }))
    }

    async fn get_rate_history(
        &self,
        request: Request<proto::GetRateHistoryRequest>,
    ) -> Result<Response<proto::GetRateHistoryResponse>, Status> {
        let request = request.into_inner();
        let token: Address = parse("token", &request.token)?;
        let (from, to) = (request.from_block, request.to_block);
        if to < from {
            return Err(Status::invalid_argument(format!(
                "to_block {to} is before from_block {from}"
            )));
        }
        if to - from >= MAX_RATE_HISTORY {
            return Err(Status::invalid_argument(format!(
                "to_block: at most {MAX_RATE_HISTORY} blocks per request"
            )));
        }
        let points = self
            .ctx
            .read(move |_, reader| -> Result<_, Status> {
                let head = reader.head_number();
                if from > head {
                    return Err(Status::not_found(format!("block {from} not found")));
                }
                (from..=to.min(head))
                    .map(|number| {
                        let snapshot = reader
                            .rate_snapshot(number)
                            .map_err(internal)?
                            .unwrap_or_default();
                        let rate = snapshot
                            .iter()
                            .find(|e| e.token == token)
                            .map(|e| rate_message(e.numerator, e.denominator));
                        Ok(proto::RatePoint {
                            block_number: number,
                            rate,
                        })
                    })
                    .collect()
            })
            .await?;
        Ok(Response::new(proto::GetRateHistoryResponse { points }))
    }
}

#[tonic::async_trait]
impl NodeService for Explorer {
    async fn get_node_info(
        &self,
        _request: Request<proto::GetNodeInfoRequest>,
    ) -> Result<Response<proto::NodeInfo>, Status> {
        let (head_number, head_hash) = self
            .ctx
            .read(|_, reader| -> Result<_, Status> {
                let head = reader.head_number();
                Ok((
                    head,
                    reader
                        .block_hash(head)
                        .map_err(internal)?
                        .unwrap_or_default()
                        .to_string(),
                ))
            })
            .await?;
        let policy = self.ctx.policy.read().clone();
        let (accept_all, accepted_tokens) = match &policy.accepted {
            AcceptedTokens::All => (true, Vec::new()),
            AcceptedTokens::Only(set) => {
                (false, set.iter().map(|t| t.address().to_string()).collect())
            }
        };
        Ok(Response::new(proto::NodeInfo {
            chain_id: self.ctx.spec.chain_id(),
            head_number,
            head_hash,
            version: self.ctx.client_version.clone(),
            miner_policy: Some(proto::MinerPolicy {
                accept_all,
                accepted_tokens,
                min_tips: policy
                    .min_tips
                    .iter()
                    .map(|(t, v)| (t.address().to_string(), v.to_string()))
                    .collect(),
                share_caps_bps: policy
                    .share_caps_bps
                    .iter()
                    .map(|(t, v)| (t.address().to_string(), *v))
                    .collect(),
            }),
        }))
    }
}
