//! RPC request counts and latencies, recorded by a jsonrpsee middleware. Names are documented
//! in `docs/metrics.md`.

use std::{future::Future, time::Instant};

use jsonrpsee::{
    core::middleware::{Batch, BatchEntry, Notification},
    server::middleware::rpc::RpcServiceT,
    types::Request,
};
use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{
        counter::Counter,
        family::Family,
        histogram::{exponential_buckets, Histogram},
    },
    registry::Registry,
};

/// Label of a per-method metric.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct MethodLabel {
    /// JSON-RPC method name (`batch` for a whole batch's latency).
    pub method: String,
}

/// Per-method request counter and latency histogram.
#[derive(Clone)]
pub struct RpcMetrics {
    requests: Family<MethodLabel, Counter>,
    latency: Family<MethodLabel, Histogram>,
}

/// Methods a client can name are unbounded; only known names become labels.
fn label(method: &str) -> MethodLabel {
    let known = method.len() <= 64
        && method.contains('_')
        && method
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    MethodLabel {
        method: if known {
            method.to_string()
        } else {
            "other".to_string()
        },
    }
}

impl RpcMetrics {
    /// Creates the metrics and registers them.
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self {
            requests: Family::default(),
            latency: Family::new_with_constructor(|| {
                Histogram::new(exponential_buckets(0.0001, 2.0, 18))
            }),
        };
        registry.register(
            "supervm_rpc_requests",
            "JSON-RPC requests by method",
            metrics.requests.clone(),
        );
        registry.register(
            "supervm_rpc_request_duration_seconds",
            "JSON-RPC request latency by method",
            metrics.latency.clone(),
        );
        metrics
    }

    fn count(&self, method: &str) {
        self.requests.get_or_create(&label(method)).inc();
    }

    fn observe(&self, method: &str, started: Instant) {
        self.latency
            .get_or_create(&label(method))
            .observe(started.elapsed().as_secs_f64());
    }
}

/// The middleware that records [`RpcMetrics`] around every call.
#[derive(Clone)]
pub(crate) struct MetricsMiddleware<S> {
    pub service: S,
    pub metrics: RpcMetrics,
}

impl<S> RpcServiceT for MetricsMiddleware<S>
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
        let metrics = self.metrics.clone();
        let service = self.service.clone();
        async move {
            let method = request.method_name().to_string();
            metrics.count(&method);
            let started = Instant::now();
            let response = service.call(request).await;
            metrics.observe(&method, started);
            response
        }
    }

    fn batch<'a>(&self, batch: Batch<'a>) -> impl Future<Output = Self::BatchResponse> + Send + 'a {
        for entry in batch.iter().flatten() {
            if let BatchEntry::Call(request) = entry {
                self.metrics.count(request.method_name());
            }
        }
        let metrics = self.metrics.clone();
        let service = self.service.clone();
        async move {
            let started = Instant::now();
            let response = service.batch(batch).await;
            metrics.observe("batch", started);
            response
        }
    }

    fn notification<'a>(
        &self,
        notification: Notification<'a>,
    ) -> impl Future<Output = Self::NotificationResponse> + Send + 'a {
        self.metrics.count(notification.method_name());
        self.service.notification(notification)
    }
}
