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
        let (stream, _) = tokio::time::timeout(TIMEOUT, tokio_tungstenite::connect_async(url))
            .await
            .expect("websocket connect timed out")
            .unwrap_or_else(|e| panic!("websocket connect to {url} failed: {e}"));
        Self {
            stream,
            next_id: 1,
            pending: Default::default(),
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
