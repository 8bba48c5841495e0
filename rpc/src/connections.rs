//! Connection admission in front of jsonrpsee: the server's own accept loop, so that WebSocket
//! sessions have a cap of their own, each client IP address has a cap of its own, and WebSocket
//! sessions that do nothing are closed.
//!
//! Why: jsonrpsee counts in-flight HTTP requests and open WebSocket sessions against one
//! `max_connections`, so 500 idle WebSocket connections made every HTTP call fail with 429 for
//! as long as they were held. The limits, from the outside in:
//!
//! - **per IP address** (`max_connections_per_ip`, 0 = none): TCP connections open from one
//!   address, whatever they carry (HTTP keep-alive connections and WebSocket sessions alike).
//!   Checked when a connection is accepted; over it the connection is answered
//!   `429 Too Many Requests` and closed.
//! - **WebSocket** (`max_ws_connections`): open WebSocket sessions, all clients together. It is
//!   below the total, so `max_connections - max_ws_connections` slots always remain for HTTP.
//!   Over it an upgrade request is answered `429 Too Many Requests`; HTTP is unaffected.
//! - **total** (`max_connections`, jsonrpsee's own): HTTP requests being served plus open
//!   WebSocket sessions; jsonrpsee answers `429` past it.
//! - **idle WebSocket sessions** (`ws_idle_timeout`): a session with no subscription, no call
//!   being served and no call received for that long is closed by the node (a WebSocket close
//!   frame). Activity is what the node can see as JSON-RPC: a call, a notification or a batch
//!   reaching the method table (see [`WsActivityMiddleware`]), and a live `eth_subscribe`
//!   subscription (see [`WsActivity::busy`]). WebSocket pings and pongs are not activity (a
//!   peer answering pings is exactly the case this closes), nor are messages that are not
//!   JSON-RPC requests.

use std::{
    collections::HashMap,
    future::Future,
    net::{IpAddr, SocketAddr},
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use http::{header, HeaderValue, StatusCode};
use http_body_util::{BodyExt, Limited};
use jsonrpsee::{
    core::middleware::{Batch, Notification},
    server::{
        middleware::rpc::RpcServiceT, serve_with_graceful_shutdown, stop_channel, ws,
        ConnectionGuard, ConnectionPermit, HttpBody, HttpRequest, HttpResponse, ServerHandle,
        StopHandle, TowerService,
    },
    types::Request,
};
use parking_lot::Mutex;
use tokio::{
    net::{TcpListener, TcpStream},
    sync::{mpsc, Notify, Semaphore},
    time::Instant,
};
use tower::Service;
use tower_http::cors::CorsLayer;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// JSON-RPC code of a refused connection: EIP-1474's "limit exceeded".
const LIMIT_EXCEEDED: i32 = -32005;

/// How long a connection refused for its IP address may take to send the request that gets the
/// refusal; then it is dropped.
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(5);

/// Most bytes of a refused request's body read before the refusal is sent.
const REFUSAL_BODY_BYTES: usize = 64 * 1024;

/// Most refused connections being answered at once; past it a refused connection is closed
/// without an answer, so refusing costs a bounded amount of work.
const MAX_REFUSALS_IN_FLIGHT: usize = 256;

/// Pause after a failed `accept` (e.g. out of file descriptors), so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// The limits the accept loop enforces (jsonrpsee enforces the total).
#[derive(Clone, Debug)]
pub(crate) struct ConnectionLimits {
    /// Most open WebSocket sessions.
    pub max_ws: u32,
    /// Most open TCP connections from one IP address; 0 = no cap.
    pub max_per_ip: u32,
    /// Close a WebSocket session idle this long; `None` = never.
    pub ws_idle_timeout: Option<Duration>,
    /// The CORS policy, applied to refusals too so browsers can read them.
    pub cors: CorsLayer,
}

/// A jsonrpsee service that can tell when the WebSocket session it upgrades to has ended.
pub(crate) trait SessionAware {
    /// Resolves when the WebSocket session started by the next call ends (or at once after
    /// that call if it does not start one). Must be called before the call.
    fn session_closed(&mut self) -> BoxFuture<()>;
}

impl<R, H> SessionAware for TowerService<R, H> {
    fn session_closed(&mut self) -> BoxFuture<()> {
        Box::pin(self.on_session_closed())
    }
}

/// Open TCP connections per client IP address.
#[derive(Clone, Debug)]
struct PerIp {
    max: u32,
    open: Arc<Mutex<HashMap<IpAddr, u32>>>,
}

/// One counted connection; uncounted when dropped.
#[derive(Debug)]
struct IpPermit {
    open: Arc<Mutex<HashMap<IpAddr, u32>>>,
    ip: IpAddr,
}

impl PerIp {
    fn new(max: u32) -> Self {
        Self {
            max,
            open: Arc::default(),
        }
    }

    /// Counts a connection from `ip`, or `None` if `ip` already has `max` open.
    fn try_acquire(&self, ip: IpAddr) -> Option<IpPermit> {
        let mut open = self.open.lock();
        let count = open.entry(ip).or_insert(0);
        if self.max != 0 && *count >= self.max {
            return None;
        }
        *count += 1;
        Some(IpPermit {
            open: self.open.clone(),
            ip,
        })
    }
}

impl Drop for IpPermit {
    fn drop(&mut self) {
        let mut open = self.open.lock();
        if let Some(count) = open.get_mut(&self.ip) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// When a WebSocket session last did something, and whether it is doing something now. One
/// per session, carried to the method handlers in the request extensions.
#[derive(Clone, Debug)]
pub(crate) struct WsActivity(Arc<ActivityInner>);

#[derive(Debug)]
struct ActivityInner {
    state: Mutex<ActivityState>,
    /// Signalled when the last call or subscription ends, so the idle clock starts on time.
    became_idle: Notify,
}

#[derive(Debug)]
struct ActivityState {
    /// When the last call or subscription started or ended.
    last: Instant,
    /// Calls being served plus live subscriptions.
    busy: usize,
}

/// Keeps a session from counting as idle while it lives (a call being served, a subscription).
#[derive(Debug)]
pub(crate) struct Busy(WsActivity);

impl WsActivity {
    fn new() -> Self {
        Self(Arc::new(ActivityInner {
            state: Mutex::new(ActivityState {
                last: Instant::now(),
                busy: 0,
            }),
            became_idle: Notify::new(),
        }))
    }

    /// Marks the session active until the returned guard is dropped.
    pub(crate) fn busy(&self) -> Busy {
        let mut state = self.0.state.lock();
        state.busy += 1;
        state.last = Instant::now();
        Busy(self.clone())
    }

    /// `None` while something is going on, otherwise when the session last did something.
    fn idle_since(&self) -> Option<Instant> {
        let state = self.0.state.lock();
        (state.busy == 0).then_some(state.last)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        let mut state = self.0 .0.state.lock();
        state.busy = state.busy.saturating_sub(1);
        state.last = Instant::now();
        if state.busy == 0 {
            // Stored if the watcher is not waiting yet, so it cannot be missed.
            self.0 .0.became_idle.notify_one();
        }
    }
}

/// Records WebSocket activity: every call, notification and batch that reaches the method
/// table keeps its session busy while it is served. HTTP requests carry no [`WsActivity`] and
/// pass untouched.
#[derive(Clone, Debug)]
pub(crate) struct WsActivityMiddleware<S> {
    pub service: S,
}

impl<S> RpcServiceT for WsActivityMiddleware<S>
where
    S: RpcServiceT + Clone + Send + Sync + 'static,
{
    type MethodResponse = S::MethodResponse;
    type NotificationResponse = S::NotificationResponse;
    type BatchResponse = S::BatchResponse;

    fn call<'a>(
        &self,
        request: Request<'a>,
    ) -> impl Future<Output = Self::MethodResponse> + Send + 'a {
        let busy = request
            .extensions()
            .get::<WsActivity>()
            .map(WsActivity::busy);
        let service = self.service.clone();
        async move {
            let response = service.call(request).await;
            drop(busy);
            response
        }
    }

    fn batch<'a>(&self, batch: Batch<'a>) -> impl Future<Output = Self::BatchResponse> + Send + 'a {
        // Every entry carries the connection's extensions; a batch of only malformed entries
        // carries none and is not activity.
        let busy = batch
            .iter()
            .flatten()
            .find_map(|entry| entry.extensions().get::<WsActivity>().map(WsActivity::busy));
        let service = self.service.clone();
        async move {
            let response = service.batch(batch).await;
            drop(busy);
            response
        }
    }

    fn notification<'a>(
        &self,
        notification: Notification<'a>,
    ) -> impl Future<Output = Self::NotificationResponse> + Send + 'a {
        let busy = notification
            .extensions()
            .get::<WsActivity>()
            .map(WsActivity::busy);
        let service = self.service.clone();
        async move {
            let response = service.notification(notification).await;
            drop(busy);
            response
        }
    }
}

/// A `429 Too Many Requests` whose body is a JSON-RPC error naming the limit.
fn too_many(message: String, close: bool) -> HttpResponse {
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "error": { "code": LIMIT_EXCEEDED, "message": message },
        "id": null,
    })
    .to_string();
    let mut response = HttpResponse::new(HttpBody::from(body));
    *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if close {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// The WebSocket limits, shared by every connection.
struct WsGate {
    /// Open WebSocket sessions, all connections together.
    guard: ConnectionGuard,
    idle_timeout: Option<Duration>,
}

/// The service of one TCP connection: jsonrpsee's, with WebSocket upgrades counted and watched.
struct ConnectionService<S> {
    inner: S,
    ws: Arc<WsGate>,
    /// Stops this connection (and its WebSocket session) only.
    stop: ServerHandle,
    /// Held by every WebSocket session of this connection; the connection waits for all
    /// holders to be gone before it uncounts itself from its IP address.
    sessions: mpsc::Sender<()>,
}

impl<S: Clone> Clone for ConnectionService<S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            ws: self.ws.clone(),
            stop: self.stop.clone(),
            sessions: self.sessions.clone(),
        }
    }
}

impl<S> Service<http::Request<hyper::body::Incoming>> for ConnectionService<S>
where
    S: SessionAware
        + Service<HttpRequest, Response = HttpResponse, Error = BoxError>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = HttpResponse;
    type Error = BoxError;
    type Future = BoxFuture<Result<HttpResponse, BoxError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<hyper::body::Incoming>) -> Self::Future {
        let mut request = request.map(HttpBody::new);
        let mut inner = self.inner.clone();
        if !ws::is_upgrade_request(&request) {
            return Box::pin(inner.call(request));
        }
        let Some(permit) = self.ws.guard.try_acquire() else {
            let max = self.ws.guard.max_connections();
            tracing::debug!(
                max,
                "WebSocket upgrade refused: too many WebSocket connections"
            );
            let refusal = too_many(
                format!("too many WebSocket connections: the limit is {max}"),
                false,
            );
            return Box::pin(async move { Ok(refusal) });
        };
        let activity = WsActivity::new();
        request.extensions_mut().insert(activity.clone());
        let closed = inner.session_closed();
        tokio::spawn(watch_session(
            closed,
            activity,
            self.ws.idle_timeout,
            self.stop.clone(),
            permit,
            self.sessions.clone(),
        ));
        Box::pin(inner.call(request))
    }
}

/// Holds a WebSocket session's slot until the session ends, and stops the session once it has
/// been idle for `idle_timeout`.
async fn watch_session(
    closed: BoxFuture<()>,
    activity: WsActivity,
    idle_timeout: Option<Duration>,
    stop: ServerHandle,
    _permit: ConnectionPermit,
    _session: mpsc::Sender<()>,
) {
    tokio::pin!(closed);
    if let Some(timeout) = idle_timeout {
        loop {
            match activity.idle_since() {
                Some(since) if since.elapsed() >= timeout => {
                    tracing::debug!(?timeout, "closing an idle WebSocket connection");
                    // Ignored error: the session is already stopping.
                    let _ = stop.stop();
                    break;
                }
                Some(since) => tokio::select! {
                    () = &mut closed => return,
                    () = tokio::time::sleep_until(since + timeout) => {}
                },
                // A call or subscription is going on: wait for it to end.
                None => tokio::select! {
                    () = &mut closed => return,
                    () = activity.0.became_idle.notified() => {}
                },
            }
        }
    }
    closed.await;
}

/// Serves one accepted connection until it and the WebSocket session it may have become have
/// ended; the server's stop stops it gracefully.
async fn serve_connection<S>(
    socket: TcpStream,
    inner: S,
    conn_stopped: StopHandle,
    conn_handle: ServerHandle,
    ws: Arc<WsGate>,
    _ip: IpPermit,
    server_stop: StopHandle,
) where
    S: SessionAware
        + Service<HttpRequest, Response = HttpResponse, Error = BoxError>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let (sessions, mut sessions_done) = mpsc::channel::<()>(1);
    let service = ConnectionService {
        inner,
        ws,
        stop: conn_handle.clone(),
        sessions,
    };
    // Holding this (a receiver of the server's stop channel) makes `RpcServer::stop` wait for
    // this connection.
    let server_stopped = server_stop.shutdown();
    tokio::pin!(server_stopped);
    let mut stopping = false;
    {
        let serve = serve_with_graceful_shutdown(socket, service, conn_stopped.shutdown());
        tokio::pin!(serve);
        let served = tokio::select! {
            served = &mut serve => served,
            () = &mut server_stopped => {
                stopping = true;
                let _ = conn_handle.stop();
                serve.await
            }
        };
        if let Err(err) = served {
            tracing::debug!(%err, "JSON-RPC connection ended with an error");
        }
    }
    // An upgraded connection outlives hyper's connection future: wait for its session.
    if !stopping {
        tokio::select! {
            _ = sessions_done.recv() => return,
            () = &mut server_stopped => {
                let _ = conn_handle.stop();
            }
        }
    }
    let _ = sessions_done.recv().await;
}

/// Answers a connection refused for its IP address with a 429 naming the limit, then closes it.
async fn refuse(socket: TcpStream, ip: IpAddr, max: u32, cors: CorsLayer, server_stop: StopHandle) {
    let message = format!("too many connections from {ip}: the limit is {max} per IP address");
    let service = tower::ServiceBuilder::new()
        .layer(cors)
        .service(tower::service_fn(
            move |request: http::Request<hyper::body::Incoming>| {
                let response = too_many(message.clone(), true);
                async move {
                    // Read (a bounded part of) the body first: closing a socket with unread data
                    // resets it, and the client could lose the answer.
                    let _ = Limited::new(request.into_body(), REFUSAL_BODY_BYTES)
                        .collect()
                        .await;
                    Ok::<_, std::convert::Infallible>(response)
                }
            },
        ));
    let answer = serve_with_graceful_shutdown(socket, service, server_stop.shutdown());
    // A timeout (no request in time) just drops the connection.
    if let Ok(Err(err)) = tokio::time::timeout(REFUSAL_TIMEOUT, answer).await {
        tracing::debug!(%err, "refused connection ended with an error");
    }
}

/// Accepts connections on `listener` until `stop` fires, each served by the service `make`
/// builds for it (given the connection's own stop handle), within `limits`.
pub(crate) async fn accept_loop<M, S>(
    listener: TcpListener,
    make: M,
    limits: ConnectionLimits,
    stop: StopHandle,
) where
    M: Fn(StopHandle) -> S + Send + 'static,
    S: SessionAware
        + Service<HttpRequest, Response = HttpResponse, Error = BoxError>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let ws = Arc::new(WsGate {
        guard: ConnectionGuard::new(limits.max_ws as usize),
        idle_timeout: limits.ws_idle_timeout,
    });
    let per_ip = PerIp::new(limits.max_per_ip);
    let refusals = Arc::new(Semaphore::new(MAX_REFUSALS_IN_FLIGHT));
    let stopped = stop.clone().shutdown();
    tokio::pin!(stopped);
    loop {
        let (socket, peer): (TcpStream, SocketAddr) = tokio::select! {
            () = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    tracing::debug!(%err, "accepting a JSON-RPC connection failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        if let Err(err) = socket.set_nodelay(true) {
            tracing::debug!(%err, "cannot set TCP_NODELAY");
        }
        // An IPv4 client reaching an IPv6 socket counts as its IPv4 address.
        let ip = peer.ip().to_canonical();
        let Some(ip_permit) = per_ip.try_acquire(ip) else {
            tracing::debug!(%ip, max = limits.max_per_ip, "connection refused: too many from its IP address");
            match refusals.clone().try_acquire_owned() {
                Ok(slot) => {
                    let (cors, stop) = (limits.cors.clone(), stop.clone());
                    let max = limits.max_per_ip;
                    tokio::spawn(async move {
                        refuse(socket, ip, max, cors, stop).await;
                        drop(slot);
                    });
                }
                Err(_) => drop(socket),
            }
            continue;
        };
        // Each connection has a stop channel of its own: the server's stop is forwarded to it,
        // and an idle WebSocket session is stopped through it alone.
        let (conn_stopped, conn_handle) = stop_channel();
        let inner = make(conn_stopped.clone());
        tokio::spawn(serve_connection(
            socket,
            inner,
            conn_stopped,
            conn_handle,
            ws.clone(),
            ip_permit,
            stop.clone(),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_ip_counts_open_connections_and_frees_them() {
        let per_ip = PerIp::new(2);
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        let first = per_ip.try_acquire(a).expect("first");
        let _second = per_ip.try_acquire(a).expect("second");
        assert!(
            per_ip.try_acquire(a).is_none(),
            "third from the same address"
        );
        assert!(per_ip.try_acquire(b).is_some(), "another address");
        drop(first);
        assert!(
            per_ip.try_acquire(a).is_some(),
            "a closed connection frees its slot"
        );
    }

    #[test]
    fn per_ip_zero_is_no_cap_and_forgets_closed_addresses() {
        let per_ip = PerIp::new(0);
        let ip: IpAddr = [10, 0, 0, 1].into();
        let permits: Vec<_> = (0..1000).filter_map(|_| per_ip.try_acquire(ip)).collect();
        assert_eq!(permits.len(), 1000);
        drop(permits);
        assert!(
            per_ip.open.lock().is_empty(),
            "no entry left for a gone client"
        );
    }

    #[test]
    fn activity_is_idle_only_without_calls_or_subscriptions() {
        let activity = WsActivity::new();
        assert!(activity.idle_since().is_some());
        let call = activity.busy();
        let subscription = activity.busy();
        assert!(
            activity.idle_since().is_none(),
            "a call or subscription is going on"
        );
        drop(call);
        assert!(
            activity.idle_since().is_none(),
            "the subscription still lives"
        );
        let before = Instant::now();
        drop(subscription);
        let since = activity.idle_since().expect("idle again");
        assert!(since >= before, "idle from the end of the last activity");
    }

    #[tokio::test]
    async fn the_end_of_the_last_activity_is_signalled_even_before_anyone_waits() {
        let activity = WsActivity::new();
        let first = activity.busy();
        let second = activity.busy();
        drop(first);
        drop(second);
        tokio::time::timeout(Duration::from_secs(5), activity.0.became_idle.notified())
            .await
            .expect("the signal is kept for the watcher");
    }
}
