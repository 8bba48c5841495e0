//! gRPC explorer requests: the first byte picks a method, the rest is decoded as its request
//! message and sent to a running development node. Every well-typed request must get an
//! answer (a status for a bad one) without crashing or stalling the node.
//!
//! The first byte selects, modulo 8: 0 GetBlock, 1 ListBlocks, 2 GetTransaction, 3 GetReceipt,
//! 4 ListBlockTransactions, 5 GetAccount, 6 ListAccountTransactions, 7 GetRateHistory.

use std::sync::OnceLock;

use prost::Message;
use supervm_rpc::grpc::proto::{
    account_service_client::AccountServiceClient, block_service_client::BlockServiceClient,
    token_service_client::TokenServiceClient,
    transaction_service_client::TransactionServiceClient, GetAccountRequest, GetBlockRequest,
    GetRateHistoryRequest, GetReceiptRequest, GetTransactionRequest,
    ListAccountTransactionsRequest, ListBlockTransactionsRequest, ListBlocksRequest,
};
use tonic::transport::Channel;

async fn call(channel: Channel, method: u8, body: &[u8]) {
    macro_rules! send {
        ($client:ident, $request:ty, $rpc:ident) => {
            if let Ok(request) = <$request>::decode(body) {
                let answer = $client::new(channel).$rpc(request).await;
                supervm_fuzz::print(|| format!("{answer:?}"));
            }
        };
    }
    match method % 8 {
        0 => send!(BlockServiceClient, GetBlockRequest, get_block),
        1 => send!(BlockServiceClient, ListBlocksRequest, list_blocks),
        2 => send!(TransactionServiceClient, GetTransactionRequest, get_transaction),
        3 => send!(TransactionServiceClient, GetReceiptRequest, get_receipt),
        4 => send!(
            TransactionServiceClient,
            ListBlockTransactionsRequest,
            list_block_transactions
        ),
        5 => send!(AccountServiceClient, GetAccountRequest, get_account),
        6 => send!(
            AccountServiceClient,
            ListAccountTransactionsRequest,
            list_account_transactions
        ),
        _ => send!(TokenServiceClient, GetRateHistoryRequest, get_rate_history),
    }
}

/// One HTTP/2 connection to the harness's node for the whole run, made on first use (inside
/// `fuzz!`, like the node itself: see `supervm_fuzz::harness`).
fn channel() -> Channel {
    static CHANNEL: OnceLock<Channel> = OnceLock::new();
    CHANNEL
        .get_or_init(|| {
            let harness = supervm_fuzz::harness();
            harness
                .runtime()
                .block_on(Channel::from_shared(harness.grpc_uri()).expect("a URI").connect())
                .expect("the gRPC server accepts a connection")
        })
        .clone()
}

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let Some((&method, body)) = data.split_first() else {
            return;
        };
        let channel = channel();
        // The timer is made inside the runtime (inside `block_on`'s future): made outside, it
        // panics for want of a reactor.
        let answered = supervm_fuzz::harness().runtime().block_on(async {
            tokio::time::timeout(supervm_fuzz::REQUEST_TIMEOUT, call(channel, method, body)).await
        });
        assert!(answered.is_ok(), "the gRPC server did not answer in time");
    });
}
