//! Building and starting the jsonrpsee server.
//!
//! jsonrpsee serves the requests; the accept loop in front of it is ours
//! ([`crate::connections`]), so that WebSocket sessions and client IP addresses have caps of
//! their own and idle WebSocket sessions are closed.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use http::{header, HeaderValue, Method};
use jsonrpsee::{
    server::{
        middleware::rpc::RpcServiceBuilder, stop_channel, BatchRequestConfig, PingConfig,
        ServerBuilder, ServerConfig, ServerHandle,
    },
    Methods, RpcModule,
};
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

use crate::{
    connections::{accept_loop, ConnectionLimits, WsActivityMiddleware},
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
    /// Most HTTP requests being served plus WebSocket sessions open at once (jsonrpsee's
    /// limit); past it a request or upgrade is answered 429.
    pub max_connections: u32,
    /// Most WebSocket sessions open at once. Below `max_connections`, so that WebSocket
    /// clients can never take the slots HTTP clients need; past it an upgrade is answered 429.
    pub max_ws_connections: u32,
    /// Most TCP connections open at once from one IP address (HTTP keep-alive connections
    /// and WebSocket sessions alike), so one client cannot take every slot; 0 = no cap.
    pub max_connections_per_ip: u32,
    /// A WebSocket session with no subscription, no call being served and no call received
    /// for this long is closed (pings and pongs do not count); `None` = never.
    pub ws_idle_timeout: Option<Duration>,
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

/// Checks the limits the server cannot run with.
fn check_limits(config: &RpcServerConfig) -> std::io::Result<()> {
    if config.ws_message_buffer == 0 {
        return Err(std::io::Error::other(
            "ws_message_buffer must be at least 1",
        ));
    }
    if config.max_ws_connections >= config.max_connections {
        return Err(std::io::Error::other(format!(
            "max_ws_connections ({}) must be below max_connections ({}), so that WebSocket \
             clients cannot take every slot",
            config.max_ws_connections, config.max_connections
        )));
    }
    if config.ws_idle_timeout.is_some_and(|t| t.is_zero()) {
        return Err(std::io::Error::other(
            "the WebSocket idle timeout must be at least 1 s",
        ));
    }
    Ok(())
}

/// Binds the server and starts serving.
pub async fn start(
    ctx: Arc<RpcContext>,
    config: RpcServerConfig,
    metrics: RpcMetrics,
) -> std::io::Result<RpcServer> {
    check_limits(&config)?;
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
    let cors = cors_layer(&config.cors);
    let http = tower::ServiceBuilder::new()
        .layer(cors.clone())
        .layer(RequestShapeLayer {
            max_body: config.max_request_body_bytes,
        });
    // Only the names of served methods become metric labels, so clients cannot add label sets.
    let methods = KnownMethods::of(&module);
    let rpc = RpcServiceBuilder::new()
        .layer_fn(|service| WsActivityMiddleware { service })
        .layer_fn(move |service| MetricsMiddleware {
            service,
            metrics: metrics.clone(),
            methods: methods.clone(),
        });
    let services = ServerBuilder::with_config(server_config)
        .set_http_middleware(http)
        .set_rpc_middleware(rpc)
        .to_service_builder();
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    let addr = listener.local_addr()?;
    let limits = ConnectionLimits {
        max_ws: config.max_ws_connections,
        max_per_ip: config.max_connections_per_ip,
        ws_idle_timeout: config.ws_idle_timeout,
        cors,
    };
    let method_table: Methods = module.into();
    let (stop, handle) = stop_channel();
    tokio::spawn(accept_loop(
        listener,
        move |conn_stop| services.clone().build(method_table.clone(), conn_stop),
        limits,
        stop,
    ));
    tracing::info!(%addr, "JSON-RPC server listening (HTTP and WebSocket)");
    Ok(RpcServer { addr, handle })
}
