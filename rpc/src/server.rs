//! Building and starting the jsonrpsee server.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use http::{header, HeaderValue, Method};
use jsonrpsee::{
    server::{
        middleware::rpc::RpcServiceBuilder, BatchRequestConfig, PingConfig, ServerBuilder,
        ServerConfig, ServerHandle,
    },
    RpcModule,
};
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

use crate::{
    dev::{Evm, EvmApiServer},
    eth::{EthApi, EthApiServer},
    filters::{EthFilter, EthFilterApiServer, LogLimits},
    metrics::{KnownMethods, MetricsMiddleware},
    net::{NetApiServer, NetWeb3, Web3ApiServer},
    pubsub::{EthPubSub, EthPubSubApiServer, HexIdProvider},
    request_shape::RequestShapeLayer,
    supervm::{Supervm, SupervmApiServer},
    txpool::{MinerApiServer, Txpool, TxpoolApiServer},
    RpcContext, RpcMetrics,
};

/// Server limits and exposure.
#[derive(Clone, Debug)]
pub struct RpcServerConfig {
    /// Listen address (HTTP and WebSocket).
    pub addr: SocketAddr,
    /// Allowed CORS origins; `*` allows any.
    pub cors: Vec<String>,
    /// Largest request body.
    pub max_request_body_bytes: u32,
    /// Largest response body.
    pub max_response_body_bytes: u32,
    /// Maximum simultaneous connections.
    pub max_connections: u32,
    /// Maximum requests per batch.
    pub max_batch_size: u32,
    /// Most `eth_subscribe` subscriptions one WebSocket connection may hold.
    pub max_subscriptions_per_connection: u32,
    /// Most notifications queued for one WebSocket connection that does not read them; past
    /// it the subscriptions wait, fall behind the chain and are closed.
    pub ws_message_buffer: u32,
    /// Bounds on log queries and polling filters.
    pub logs: LogLimits,
    /// Serve the admin namespaces (`miner_*`, `evm_*`).
    pub admin: bool,
}

/// A running server.
pub struct RpcServer {
    addr: SocketAddr,
    handle: ServerHandle,
}

impl RpcServer {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting requests and waits until the server has shut down.
    pub async fn stop(self) {
        if self.handle.stop().is_ok() {
            self.handle.stopped().await;
        }
    }
}

fn cors_layer(origins: &[String]) -> CorsLayer {
    let base = CorsLayer::new()
        .allow_methods([Method::POST, Method::GET, Method::OPTIONS])
        .allow_headers([header::CONTENT_TYPE]);
    if origins.iter().any(|o| o == "*") {
        return base.allow_origin(Any);
    }
    let list: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    base.allow_origin(AllowOrigin::list(list))
}

/// The full method table.
fn module(
    ctx: Arc<RpcContext>,
    config: &RpcServerConfig,
) -> Result<RpcModule<()>, jsonrpsee::core::RegisterMethodError> {
    let mut module = RpcModule::new(());
    module.merge(EthApi { ctx: ctx.clone() }.into_rpc())?;
    module.merge(EthFilter::new(ctx.clone(), config.logs).into_rpc())?;
    module.merge(EthPubSub { ctx: ctx.clone() }.into_rpc())?;
    module.merge(NetApiServer::into_rpc(NetWeb3 { ctx: ctx.clone() }))?;
    module.merge(Web3ApiServer::into_rpc(NetWeb3 { ctx: ctx.clone() }))?;
    module.merge(Supervm { ctx: ctx.clone() }.into_rpc())?;
    module.merge(TxpoolApiServer::into_rpc(Txpool { ctx: ctx.clone() }))?;
    if config.admin {
        module.merge(MinerApiServer::into_rpc(Txpool { ctx: ctx.clone() }))?;
        module.merge(Evm { ctx }.into_rpc())?;
    }
    Ok(module)
}

/// Binds the server and starts serving.
pub async fn start(
    ctx: Arc<RpcContext>,
    config: RpcServerConfig,
    metrics: RpcMetrics,
) -> std::io::Result<RpcServer> {
    if config.ws_message_buffer == 0 {
        return Err(std::io::Error::other(
            "ws_message_buffer must be at least 1",
        ));
    }
    let module = module(ctx, &config).map_err(std::io::Error::other)?;
    let server_config = ServerConfig::builder()
        .max_request_body_size(config.max_request_body_bytes)
        .max_response_body_size(config.max_response_body_bytes)
        .max_connections(config.max_connections)
        .max_subscriptions_per_connection(config.max_subscriptions_per_connection)
        .set_message_buffer_capacity(config.ws_message_buffer)
        // A WebSocket peer that stops answering pings is disconnected, freeing its slot.
        .enable_ws_ping(PingConfig::new().ping_interval(Duration::from_secs(30)))
        .set_batch_request_config(BatchRequestConfig::Limit(config.max_batch_size))
        .set_id_provider(HexIdProvider)
        .build();
    let http = tower::ServiceBuilder::new()
        .layer(cors_layer(&config.cors))
        .layer(RequestShapeLayer {
            max_body: config.max_request_body_bytes,
        });
    // Only the names of served methods become metric labels, so clients cannot add label sets.
    let methods = KnownMethods::of(&module);
    let rpc = RpcServiceBuilder::new().layer_fn(move |service| MetricsMiddleware {
        service,
        metrics: metrics.clone(),
        methods: methods.clone(),
    });
    let server = ServerBuilder::with_config(server_config)
        .set_http_middleware(http)
        .set_rpc_middleware(rpc)
        .build(config.addr)
        .await?;
    let addr = server.local_addr()?;
    let handle = server.start(module);
    tracing::info!(%addr, "JSON-RPC server listening (HTTP and WebSocket)");
    Ok(RpcServer { addr, handle })
}
