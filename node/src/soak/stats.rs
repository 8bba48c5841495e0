//! What the load generators observed, drained once per sample.

use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

/// Counters shared by every load task.
#[derive(Default)]
pub(super) struct Stats {
    /// JSON-RPC latencies (microseconds) since the last sample.
    latencies_us: Mutex<Vec<u32>>,
    /// Requests that failed (transport failure or an unexpected JSON-RPC error).
    errors: AtomicU64,
    /// The most recent failure, for the report.
    last_error: Mutex<Option<String>>,
    /// Transactions the node accepted.
    submitted: AtomicU64,
    /// Subscription notifications received over WebSocket.
    notifications: AtomicU64,
    /// Blocks received over gRPC streams.
    streamed: AtomicU64,
}

/// One sample's worth of [`Stats`].
#[derive(Clone, Debug, Default)]
pub(super) struct Window {
    /// Latencies, sorted.
    pub latencies_us: Vec<u32>,
    /// Failures in the window.
    pub errors: u64,
    /// Transactions accepted in the window.
    pub submitted: u64,
    /// Notifications in the window.
    pub notifications: u64,
    /// Streamed blocks in the window.
    pub streamed: u64,
}

impl Stats {
    /// Records one JSON-RPC round trip.
    pub fn latency(&self, micros: u128) {
        self.latencies_us
            .lock()
            .push(u32::try_from(micros).unwrap_or(u32::MAX));
    }

    /// Records a failure.
    pub fn error(&self, what: impl std::fmt::Display) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        *self.last_error.lock() = Some(what.to_string());
    }

    /// Records an accepted transaction.
    pub fn submitted(&self) {
        self.submitted.fetch_add(1, Ordering::Relaxed);
    }

    /// Records a subscription notification.
    pub fn notification(&self) {
        self.notifications.fetch_add(1, Ordering::Relaxed);
    }

    /// Records a streamed block.
    pub fn streamed(&self) {
        self.streamed.fetch_add(1, Ordering::Relaxed);
    }

    /// The most recent failure, if any.
    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().clone()
    }

    /// Takes everything recorded since the previous call.
    pub fn drain(&self) -> Window {
        let mut latencies_us = std::mem::take(&mut *self.latencies_us.lock());
        latencies_us.sort_unstable();
        Window {
            latencies_us,
            errors: self.errors.swap(0, Ordering::Relaxed),
            submitted: self.submitted.swap(0, Ordering::Relaxed),
            notifications: self.notifications.swap(0, Ordering::Relaxed),
            streamed: self.streamed.swap(0, Ordering::Relaxed),
        }
    }
}
