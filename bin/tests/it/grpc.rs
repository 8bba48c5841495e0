//! The gRPC explorer API through a tonic client on 127.0.0.1: every method, pagination through
//! 1000 blocks, a live stream with resume, error codes, and server reflection
//! (`grpc.reflection.v1` and `v1alpha`).

use crate::common::*;
use supervm_rpc::grpc::proto::{
    self, account_service_client::AccountServiceClient, block_service_client::BlockServiceClient,
    node_service_client::NodeServiceClient, token_service_client::TokenServiceClient,
    transaction_service_client::TransactionServiceClient,
};
use tokio_stream::StreamExt;
use tonic::{transport::Channel, Code};

async fn channel(node: &TestNode) -> Channel {
    let addr = node.node.grpc_addr().expect("gRPC enabled");
    Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .expect("connect gRPC")
}

async fn mine_blocks(rpc: &RawRpc, count: usize) {
    for _ in 0..count {
        rpc.mine().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocks_pagination_and_errors() {
    let node = TestNode::start(|c| c.mining.manual = true).await;
    let rpc = node.rpc();
    mine_blocks(&rpc, 1000).await;
    let mut blocks = BlockServiceClient::new(channel(&node).await);

    let latest = blocks
        .get_latest_block(proto::GetLatestBlockRequest {
            full_transactions: false,
        })
        .await
        .unwrap()
        .into_inner();
    let header = latest.header.clone().unwrap();
    assert_eq!(header.number, 1000);
    let by_hash = blocks
        .get_block(proto::GetBlockRequest {
            id: Some(proto::get_block_request::Id::Hash(header.hash.clone())),
            full_transactions: false,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_hash.header.unwrap().number, 1000);

    // Page through all 1001 blocks, newest first, then oldest first: each exactly once.
    for ascending in [false, true] {
        let mut seen = Vec::new();
        let mut token = String::new();
        loop {
            let page = blocks
                .list_blocks(proto::ListBlocksRequest {
                    page_size: 128,
                    page_token: token.clone(),
                    ascending,
                    full_transactions: false,
                })
                .await
                .unwrap()
                .into_inner();
            seen.extend(
                page.blocks
                    .iter()
                    .map(|b| b.header.as_ref().unwrap().number),
            );
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        let mut expected: Vec<u64> = (0..=1000).collect();
        if !ascending {
            expected.reverse();
        }
        assert_eq!(seen, expected, "ascending = {ascending}");
    }

    let missing = blocks
        .get_block(proto::GetBlockRequest {
            id: Some(proto::get_block_request::Id::Number(5000)),
            full_transactions: false,
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    let bad_hash = blocks
        .get_block(proto::GetBlockRequest {
            id: Some(proto::get_block_request::Id::Hash("0xzz".into())),
            full_transactions: false,
        })
        .await
        .unwrap_err();
    assert_eq!(bad_hash.code(), Code::InvalidArgument);
    assert!(
        bad_hash.message().contains("hash"),
        "{}",
        bad_hash.message()
    );
    let too_big = blocks
        .list_blocks(proto::ListBlocksRequest {
            page_size: 1001,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(too_big.code(), Code::InvalidArgument);
    assert!(too_big.message().contains("page_size"));
    let bad_token = blocks
        .list_blocks(proto::ListBlocksRequest {
            page_token: "nonsense".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad_token.code(), Code::InvalidArgument);
    assert!(bad_token.message().contains("page_token"));
    // A token in the node's format that the node did not issue, and a huge one: refused, and
    // the huge one is not echoed back.
    for (token, echoed) in [
        (alloy::hex::encode("blocks:0:0"), true),
        ("ab".repeat(500_000), false),
    ] {
        let forged = blocks
            .list_blocks(proto::ListBlocksRequest {
                page_token: token.clone(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(forged.code(), Code::InvalidArgument);
        assert_eq!(forged.message().contains(&token), echoed);
        assert!(forged.message().len() < 200, "{}", forged.message().len());
    }
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_replays_then_follows_and_resumes() {
    let node = TestNode::start(|c| c.mining.manual = true).await;
    let rpc = node.rpc();
    mine_blocks(&rpc, 20).await;
    let mut blocks = BlockServiceClient::new(channel(&node).await);
    let mut stream = blocks
        .stream_blocks(proto::StreamBlocksRequest {
            from_number: 0,
            full_transactions: true,
        })
        .await
        .unwrap()
        .into_inner();
    // New blocks arrive while the history is replayed, one with a transaction.
    let miner = tokio::spawn({
        let rpc = node.rpc();
        let signer = node.signer(1);
        async move {
            rpc.send_eip1559(
                &signer,
                Address::repeat_byte(3),
                U256::from(1),
                Bytes::new(),
                21_000,
                100 * GWEI,
                GWEI,
            )
            .await
            .unwrap();
            mine_blocks(&rpc, 20).await;
        }
    });
    let mut numbers = Vec::new();
    let mut receipts = 0;
    while numbers.len() < 41 {
        let item = tokio::time::timeout(TIMEOUT, stream.next())
            .await
            .expect("stream stalled")
            .expect("stream ended")
            .unwrap();
        numbers.push(item.block.unwrap().header.unwrap().number);
        receipts += item.receipts.len();
    }
    miner.await.unwrap();
    assert_eq!(
        numbers,
        (0..=40).collect::<Vec<u64>>(),
        "no gap, no duplicate"
    );
    assert_eq!(receipts, 1, "each block carries its receipts");
    drop(stream);

    // Resume after a disconnect from the next number.
    mine_blocks(&rpc, 5).await;
    let mut resumed = blocks
        .stream_blocks(proto::StreamBlocksRequest {
            from_number: 41,
            full_transactions: false,
        })
        .await
        .unwrap()
        .into_inner();
    for expected in 41..=45u64 {
        let item = tokio::time::timeout(TIMEOUT, resumed.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(item.block.unwrap().header.unwrap().number, expected);
    }
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_accounts_tokens_and_node() {
    let node = TestNode::start(|c| c.mining.manual = true).await;
    let rpc = node.rpc();
    let alice = node.signer(1);
    let bob = Address::repeat_byte(0xb0);
    // A native transfer and an sUSD transfer paying gas in sUSD.
    let mut hashes = Vec::new();
    hashes.push(
        rpc.send_eip1559(
            &alice,
            bob,
            U256::from(7),
            Bytes::new(),
            21_000,
            100 * GWEI,
            GWEI,
        )
        .await
        .unwrap(),
    );
    hashes.push(
        rpc.send_eip1559(
            &alice,
            SUSD,
            U256::ZERO,
            calldata(IERC20::transferCall {
                to: bob,
                value: U256::from(5),
            }),
            100_000,
            100 * GWEI,
            GWEI,
        )
        .await
        .unwrap(),
    );
    rpc.mine().await;
    let channel = channel(&node).await;
    let mut txs = TransactionServiceClient::new(channel.clone());
    let tx = txs
        .get_transaction(proto::GetTransactionRequest {
            hash: hashes[1].to_string(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(tx.block_number, 1);
    assert_eq!(tx.to.to_lowercase(), format!("{SUSD:#x}"));
    let receipt = txs
        .get_receipt(proto::GetReceiptRequest {
            hash: hashes[1].to_string(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(receipt.success);
    assert_eq!(
        receipt.fee_token.to_lowercase(),
        format!("{SUSD:#x}"),
        "fee paid in the transacted token"
    );
    assert_ne!(receipt.fee_paid, "0");
    assert_eq!(receipt.logs.len(), 1, "the Transfer log");
    let list = txs
        .list_block_transactions(proto::ListBlockTransactionsRequest {
            block_number: 1,
            page_size: 1,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.transactions.len(), 1);
    let rest = txs
        .list_block_transactions(proto::ListBlockTransactionsRequest {
            block_number: 1,
            page_size: 1,
            page_token: list.next_page_token,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rest.transactions.len(), 1);
    assert!(rest.next_page_token.is_empty());
    let missing = txs
        .get_transaction(proto::GetTransactionRequest {
            hash: B256::repeat_byte(1).to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);

    let mut accounts = AccountServiceClient::new(channel.clone());
    let account = accounts
        .get_account(proto::GetAccountRequest {
            address: bob.to_string(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(account.balance, "7");
    let susd = account
        .token_balances
        .iter()
        .find(|b| b.symbol == "sUSD")
        .unwrap();
    assert_eq!(susd.balance, "5");
    let history = accounts
        .list_account_transactions(proto::ListAccountTransactionsRequest {
            address: alice.address().to_string(),
            page_size: 1,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        history.transactions[0].hash,
        hashes[1].to_string(),
        "newest first"
    );
    let older = accounts
        .list_account_transactions(proto::ListAccountTransactionsRequest {
            address: alice.address().to_string(),
            page_size: 1,
            page_token: history.next_page_token,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(older.transactions[0].hash, hashes[0].to_string());
    // The token recipient is indexed from the Transfer log, not only from `to`.
    let bob_history = accounts
        .list_account_transactions(proto::ListAccountTransactionsRequest {
            address: bob.to_string(),
            page_size: 10,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let bob_hashes: Vec<String> = bob_history
        .transactions
        .iter()
        .map(|t| t.hash.clone())
        .collect();
    assert_eq!(
        bob_hashes,
        vec![hashes[1].to_string(), hashes[0].to_string()]
    );
    let bad = accounts
        .get_account(proto::GetAccountRequest {
            address: "nope".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert!(bad.message().contains("address"));

    let mut tokens = TokenServiceClient::new(channel.clone());
    let list = tokens
        .list_tokens(proto::ListTokensRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.tokens.len(), 3);
    assert!(list
        .tokens
        .iter()
        .all(|t| t.status == "fixed" && t.rate.is_some()));
    let history = tokens
        .get_rate_history(proto::GetRateHistoryRequest {
            token: SUSD.to_string(),
            from_block: 0,
            to_block: 1,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(history.points.len(), 2);
    assert!(
        history.points[0].rate.is_none(),
        "genesis was priced by no block"
    );
    assert_eq!(history.points[1].rate.as_ref().unwrap().numerator, "3");
    let bad = tokens
        .get_rate_history(proto::GetRateHistoryRequest {
            token: SUSD.to_string(),
            from_block: 5,
            to_block: 1,
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);

    let mut nodes = NodeServiceClient::new(channel);
    let info = nodes
        .get_node_info(proto::GetNodeInfoRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(info.chain_id, CHAIN_ID);
    assert_eq!(info.head_number, 1);
    assert!(info.miner_policy.unwrap().accept_all);
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reflection_lists_the_services() {
    use tonic_reflection::pb::v1::{
        server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
        ServerReflectionRequest,
    };
    let node = TestNode::start(|_| {}).await;
    let mut client = ServerReflectionClient::new(channel(&node).await);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let response = responses.next().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("unexpected reflection answer: {response:?}");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    assert_lists_everything(&names);
    node.stop().await;
}

/// A `ListServices` answer names the five explorer services and both reflection services.
fn assert_lists_everything(names: &[String]) {
    for service in [
        "supervm.explorer.v1.BlockService",
        "supervm.explorer.v1.TransactionService",
        "supervm.explorer.v1.AccountService",
        "supervm.explorer.v1.TokenService",
        "supervm.explorer.v1.NodeService",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
    ] {
        assert!(
            names.iter().any(|name| name == service),
            "{service} not listed: {names:?}"
        );
    }
}

/// Older clients (grpcurl before 2023, several GUIs) speak only `grpc.reflection.v1alpha`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v1alpha_reflection_lists_the_services() {
    use tonic_reflection::pb::v1alpha::{
        server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
        ServerReflectionRequest,
    };
    let node = TestNode::start(|_| {}).await;
    let mut client = ServerReflectionClient::new(channel(&node).await);
    let requests = [
        ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        },
        ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::FileContainingSymbol(
                "supervm.explorer.v1.BlockService".into(),
            )),
        },
    ];
    let mut responses = client
        .server_reflection_info(tokio_stream::iter(requests))
        .await
        .unwrap()
        .into_inner();
    let response = responses.next().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("unexpected reflection answer: {response:?}");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    assert_lists_everything(&names);
    // The schema itself is served too, so a v1alpha client can describe and call methods.
    let response = responses.next().await.unwrap().unwrap();
    let Some(MessageResponse::FileDescriptorResponse(files)) = response.message_response else {
        panic!("unexpected reflection answer: {response:?}");
    };
    assert!(
        !files.file_descriptor_proto.is_empty(),
        "no file descriptor for BlockService"
    );
    node.stop().await;
}

/// Block streams are bounded: past `[grpc] max_block_streams` open streams (read or not) the
/// next one is refused with RESOURCE_EXHAUSTED, and closing one frees its slot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_block_streams_are_bounded() {
    let node = TestNode::start(|c| c.grpc.max_block_streams = 2).await;
    let mut blocks = BlockServiceClient::new(channel(&node).await);
    let request = proto::StreamBlocksRequest {
        from_number: 0,
        full_transactions: true,
    };
    let first = blocks.stream_blocks(request).await.expect("first stream");
    let _second = blocks.stream_blocks(request).await.expect("second stream");
    let refused = blocks
        .stream_blocks(request)
        .await
        .expect_err("a third stream is over the limit");
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");

    drop(first);
    let mut reopened = None;
    for _ in 0..100 {
        match blocks.stream_blocks(request).await {
            Ok(stream) => {
                reopened = Some(stream);
                break;
            }
            // The server notices the closed stream when its task next runs.
            Err(status) if status.code() == Code::ResourceExhausted => {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            Err(status) => panic!("unexpected status {status:?}"),
        }
    }
    let mut reopened = reopened
        .expect("a closed stream frees its slot")
        .into_inner();
    let genesis = reopened.next().await.expect("a message").expect("genesis");
    assert_eq!(
        genesis.block.and_then(|b| b.header).map(|h| h.number),
        Some(0)
    );
}
