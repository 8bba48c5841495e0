//! Rejects HTTP bodies that are valid JSON but neither a request object nor a batch.
//!
//! JSON-RPC 2.0 answers such a body (`42`, `"eth_chainId"`, `null`) with -32600 "invalid
//! request", and malformed JSON with -32700 "parse error". jsonrpsee answers both with -32700,
//! so this layer tells them apart before the body reaches it.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

use http::{header, Method, StatusCode};
use http_body_util::{BodyExt, Limited};
use jsonrpsee::server::{HttpBody, HttpRequest, HttpResponse};
use tower::{Layer, Service};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// JSON-RPC code for an oversized request (jsonrpsee's).
const TOO_BIG_REQUEST: i32 = -32007;
/// JSON-RPC code for an invalid request object.
const INVALID_REQUEST: i32 = -32600;

/// The layer; `max_body` is the server's request size limit.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RequestShapeLayer {
    pub max_body: u32,
}

impl<S> Layer<S> for RequestShapeLayer {
    type Service = RequestShape<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestShape {
            inner,
            max_body: self.max_body,
        }
    }
}

/// The service built by [`RequestShapeLayer`].
#[derive(Clone, Debug)]
pub(crate) struct RequestShape<S> {
    inner: S,
    max_body: u32,
}

fn json_error(status: StatusCode, code: i32, message: &str) -> HttpResponse {
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "error": { "code": code, "message": message },
        "id": null,
    })
    .to_string();
    let mut response = HttpResponse::new(HttpBody::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response
}

impl<S> Service<HttpRequest> for RequestShape<S>
where
    S: Service<HttpRequest, Response = HttpResponse, Error = BoxError> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = HttpResponse;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: HttpRequest) -> Self::Future {
        // WebSocket upgrades and other GETs pass untouched.
        if request.method() != Method::POST {
            return Box::pin(self.inner.call(request));
        }
        // The service that was polled ready serves this request (tower's clone-and-swap).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let max_body = self.max_body as usize;
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let bytes = match Limited::new(body, max_body).collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(_) => {
                    return Ok(json_error(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        TOO_BIG_REQUEST,
                        "Request is too big",
                    ))
                }
            };
            let first = bytes.iter().find(|b| !b.is_ascii_whitespace()).copied();
            let is_request_shaped = matches!(first, Some(b'{') | Some(b'['));
            if !is_request_shaped && serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok()
            {
                return Ok(json_error(
                    StatusCode::OK,
                    INVALID_REQUEST,
                    "invalid request: expected a request object or a batch array",
                ));
            }
            inner
                .call(HttpRequest::from_parts(
                    parts,
                    HttpBody::from(bytes.to_vec()),
                ))
                .await
        })
    }
}
