//! A minimal JSON-RPC client over a raw WebSocket, for subscriptions.

use super::{json, Value, TIMEOUT};

/// A minimal JSON-RPC client over a raw WebSocket, to see subscription ids and notifications
/// exactly as the node sends them.
pub struct WsClient {
    stream: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    next_id: u64,
    /// Notifications received while waiting for a response, in arrival order.
    pending: std::collections::VecDeque<Value>,
}

impl WsClient {
    pub async fn connect(url: &str) -> Self {
        Self::try_connect(url)
            .await
            .unwrap_or_else(|e| panic!("websocket connect to {url} failed: {e}"))
    }

    /// The WebSocket handshake's outcome: a refused upgrade is
    /// `Err(tungstenite::Error::Http(response))` with the node's status.
    pub async fn try_connect(url: &str) -> Result<Self, tokio_tungstenite::tungstenite::Error> {
        let (stream, _) = tokio::time::timeout(TIMEOUT, tokio_tungstenite::connect_async(url))
            .await
            .expect("websocket connect timed out")?;
        Ok(Self {
            stream,
            next_id: 1,
            pending: Default::default(),
        })
    }

    /// Closes the connection from the client's side (close handshake, then the socket).
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(TIMEOUT, self.stream.close(None)).await;
    }

    /// Waits up to `within` for the node to close the connection (a close frame, the end of
    /// the stream or a reset), skipping pings; `false` if it is still open then. Panics on
    /// any other message.
    pub async fn closed_by_node(&mut self, within: std::time::Duration) -> bool {
        use futures::StreamExt;
        let deadline = tokio::time::Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, self.stream.next()).await {
                Err(_) => return false,
                Ok(None | Some(Err(_))) => return true,
                Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Close(_)))) => return true,
                Ok(Some(Ok(
                    tokio_tungstenite::tungstenite::Message::Ping(_)
                    | tokio_tungstenite::tungstenite::Message::Pong(_),
                ))) => continue,
                Ok(Some(Ok(message))) => panic!("unexpected websocket message: {message:?}"),
            }
        }
    }

    async fn next_message(&mut self) -> Value {
        use futures::StreamExt;
        loop {
            let message = tokio::time::timeout(TIMEOUT, self.stream.next())
                .await
                .expect("no websocket message within the timeout")
                .expect("websocket closed")
                .expect("websocket error");
            match message {
                tokio_tungstenite::tungstenite::Message::Text(text) => {
                    return serde_json::from_str(text.as_str()).unwrap_or_else(|e| {
                        panic!("websocket message is not JSON ({e}): {}", text.as_str())
                    });
                }
                tokio_tungstenite::tungstenite::Message::Binary(bytes) => {
                    return serde_json::from_slice(&bytes)
                        .expect("binary websocket message is not JSON");
                }
                tokio_tungstenite::tungstenite::Message::Close(frame) => {
                    panic!("websocket closed by the node: {frame:?}")
                }
                _ => continue, // ping / pong
            }
        }
    }

    /// Sends a request and waits for its response (notifications arriving first are kept).
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        use futures::SinkExt;
        let id = self.next_id;
        self.next_id += 1;
        let text =
            json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string();
        self.stream
            .send(tokio_tungstenite::tungstenite::Message::Text(text.into()))
            .await
            .expect("websocket send");
        loop {
            let message = self.next_message().await;
            if message.get("id") == Some(&json!(id)) {
                return message;
            }
            assert_eq!(
                message["method"], "eth_subscription",
                "unexpected websocket message: {message}"
            );
            self.pending.push_back(message);
        }
    }

    /// A request that must succeed; its result.
    pub async fn call(&mut self, method: &str, params: Value) -> Value {
        let answer = self.request(method, params.clone()).await;
        match answer.get("result") {
            Some(result) if answer.get("error").is_none() => result.clone(),
            _ => panic!("{method}({params}) over websocket failed: {answer}"),
        }
    }

    /// The next `eth_subscription` notification: (subscription id, result).
    pub async fn notification(&mut self) -> (Value, Value) {
        let message = match self.pending.pop_front() {
            Some(message) => message,
            None => self.next_message().await,
        };
        assert_eq!(message["jsonrpc"], "2.0", "{message}");
        assert_eq!(
            message["method"], "eth_subscription",
            "expected a notification, got {message}"
        );
        assert!(
            message.get("id").is_none(),
            "notifications carry no id: {message}"
        );
        (
            message["params"]["subscription"].clone(),
            message["params"]["result"].clone(),
        )
    }
}
