//! gRPC explorer requests: the first byte picks a method, the rest is decoded as its request
//! message and sent to a running development node. Every well-typed request must get an
//! answer (a status for a bad one) without crashing or stalling the node.

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
                let _ = $client::new(channel).$rpc(request).await;
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

fn main() {
    let harness = supervm_fuzz::Harness::start();
    let channel = harness
        .runtime()
        .block_on(Channel::from_shared(harness.grpc_uri()).expect("a URI").connect())
        .expect("the gRPC server accepts a connection");
    afl::fuzz!(|data: &[u8]| {
        let Some((&method, body)) = data.split_first() else {
            return;
        };
        let answered = harness.runtime().block_on(tokio::time::timeout(
            supervm_fuzz::REQUEST_TIMEOUT,
            call(channel.clone(), method, body),
        ));
        assert!(answered.is_ok(), "the gRPC server did not answer in time");
    });
}
