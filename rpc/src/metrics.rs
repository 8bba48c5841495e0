//! RPC request counts and latencies, recorded by a jsonrpsee middleware. Names are documented
//! in `docs/metrics.md`.

use std::{collections::HashSet, future::Future, sync::Arc, time::Instant};

use jsonrpsee::{
    core::middleware::{Batch, BatchEntry, Notification},
    server::middleware::rpc::RpcServiceT,
    types::Request,
    RpcModule,
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
    /// JSON-RPC method name if the server serves it, `unknown` otherwise (`batch` for a whole
    /// batch's latency).
    pub method: String,
}

/// Per-method request counter and latency histogram.
#[derive(Clone)]
pub struct RpcMetrics {
    requests: Family<MethodLabel, Counter>,
    latency: Family<MethodLabel, Histogram>,
}

/// Label of calls to methods the server does not serve: clients can name any number of methods,
/// so only served names become labels and the number of label sets stays bounded.
const UNKNOWN_METHOD: &str = "unknown";

/// Label of a batch's latency (a batch is timed as a whole).
const BATCH: &str = "batch";

/// The names of the methods the server serves: the only names that become labels.
#[derive(Clone, Debug, Default)]
pub(crate) struct KnownMethods(Arc<HashSet<&'static str>>);

impl KnownMethods {
    /// The methods registered in `module` (including subscribe and unsubscribe methods).
    pub(crate) fn of<Context>(module: &RpcModule<Context>) -> Self {
        Self(Arc::new(module.method_names().collect()))
    }

    /// The label for a call of `method`: its name if it is served, [`UNKNOWN_METHOD`] otherwise.
    fn label(&self, method: &str) -> MethodLabel {
        let method = self.0.get(method).copied().unwrap_or(UNKNOWN_METHOD);
        MethodLabel {
            method: method.to_string(),
        }
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

    fn count(&self, label: &MethodLabel) {
        self.requests.get_or_create(label).inc();
    }

    fn observe(&self, label: &MethodLabel, started: Instant) {
        self.latency
            .get_or_create(label)
            .observe(started.elapsed().as_secs_f64());
    }
}

/// The middleware that records [`RpcMetrics`] around every call.
#[derive(Clone)]
pub(crate) struct MetricsMiddleware<S> {
    pub service: S,
    pub metrics: RpcMetrics,
    pub methods: KnownMethods,
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
        let label = self.methods.label(request.method_name());
        async move {
            metrics.count(&label);
            let started = Instant::now();
            let response = service.call(request).await;
            metrics.observe(&label, started);
            response
        }
    }

    fn batch<'a>(&self, batch: Batch<'a>) -> impl Future<Output = Self::BatchResponse> + Send + 'a {
        for entry in batch.iter().flatten() {
            if let BatchEntry::Call(request) = entry {
                self.metrics
                    .count(&self.methods.label(request.method_name()));
            }
        }
        let metrics = self.metrics.clone();
        let service = self.service.clone();
        async move {
            let started = Instant::now();
            let response = service.batch(batch).await;
            let label = MethodLabel {
                method: BATCH.to_string(),
            };
            metrics.observe(&label, started);
            response
        }
    }

    fn notification<'a>(
        &self,
        notification: Notification<'a>,
    ) -> impl Future<Output = Self::NotificationResponse> + Send + 'a {
        self.metrics
            .count(&self.methods.label(notification.method_name()));
        self.service.notification(notification)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_served_methods_become_labels() {
        let mut module = RpcModule::new(());
        module
            .register_method("eth_chainId", |_, _, _| "0x7a69")
            .expect("register");
        let methods = KnownMethods::of(&module);
        assert_eq!(methods.label("eth_chainId").method, "eth_chainId");
        for made_up in [
            "eth_x0",
            "eth_chainid",
            "",
            "batch",
            "a".repeat(10_000).as_str(),
        ] {
            assert_eq!(
                methods.label(made_up).method,
                UNKNOWN_METHOD,
                "{made_up:.20}"
            );
        }
    }
}
