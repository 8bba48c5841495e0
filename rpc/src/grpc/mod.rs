//! The gRPC explorer API (`supervm.explorer.v1`, protos in `rpc/proto/`): blocks,
//! transactions, receipts, accounts, tokens and rates, paginated, plus a resumable live block
//! stream; served by tonic with server reflection (`grpc.reflection.v1` and
//! `grpc.reflection.v1alpha`).

mod convert;
mod page;
mod services;
mod stream;

use std::{net::SocketAddr, sync::Arc};

use tokio::{net::TcpListener, sync::watch, task::JoinHandle};
use tokio_stream::wrappers::TcpListenerStream;
use tonic::Status;

use crate::{context::ReadFailure, RpcContext};

/// Generated protobuf types and service traits.
#[allow(missing_docs, clippy::all)]
pub mod proto {
    tonic::include_proto!("supervm.explorer.v1");

    /// The encoded file descriptor set, for server reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        tonic::include_file_descriptor_set!("explorer_descriptor");
}

impl From<ReadFailure> for Status {
    fn from(failure: ReadFailure) -> Self {
        match failure {
            ReadFailure::Snapshot(err) => Status::internal(err.to_string()),
            ReadFailure::Task(err) => Status::internal(err.to_string()),
        }
    }
}

/// A reflection builder that knows the explorer services and both reflection services, so a
/// `ListServices` answer names everything the server serves, whichever version is asked.
fn reflection() -> tonic_reflection::server::Builder<'static> {
    tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET)
        .include_reflection_service(false)
}

/// Bounds on what gRPC clients may hold open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GrpcLimits {
    /// Most `StreamBlocks` streams open at once, all clients together; the next gets
    /// RESOURCE_EXHAUSTED.
    pub max_block_streams: usize,
    /// Most HTTP/2 streams (calls in flight) one connection may open.
    pub max_concurrent_streams_per_connection: u32,
    /// Most requests one connection may have served at once; more wait.
    pub max_concurrent_requests_per_connection: usize,
}

/// Binds `addr` and serves the explorer API until `shutdown` turns true. Returns the bound
/// address and the server task.
pub async fn serve(
    ctx: Arc<RpcContext>,
    addr: SocketAddr,
    limits: GrpcLimits,
    mut shutdown: watch::Receiver<bool>,
) -> std::io::Result<(SocketAddr, JoinHandle<()>)> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let reflection_v1 = reflection().build_v1().map_err(std::io::Error::other)?;
    let reflection_v1alpha = reflection()
        .build_v1alpha()
        .map_err(std::io::Error::other)?;
    let api = services::Explorer {
        ctx,
        shutdown: shutdown.clone(),
        streams: Arc::new(tokio::sync::Semaphore::new(limits.max_block_streams)),
    };
    let router = tonic::transport::Server::builder()
        .concurrency_limit_per_connection(limits.max_concurrent_requests_per_connection)
        .max_concurrent_streams(Some(limits.max_concurrent_streams_per_connection))
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(proto::block_service_server::BlockServiceServer::new(
            api.clone(),
        ))
        .add_service(proto::transaction_service_server::TransactionServiceServer::new(api.clone()))
        .add_service(proto::account_service_server::AccountServiceServer::new(
            api.clone(),
        ))
        .add_service(proto::token_service_server::TokenServiceServer::new(
            api.clone(),
        ))
        .add_service(proto::node_service_server::NodeServiceServer::new(api));
    let task = tokio::spawn(async move {
        let stop = async move {
            while shutdown.changed().await.is_ok() {
                if *shutdown.borrow() {
                    break;
                }
            }
        };
        if let Err(err) = router
            .serve_with_incoming_shutdown(TcpListenerStream::new(listener), stop)
            .await
        {
            tracing::error!(%err, "gRPC server failed");
        }
    });
    tracing::info!(addr = %bound, "gRPC explorer API listening");
    Ok((bound, task))
}
