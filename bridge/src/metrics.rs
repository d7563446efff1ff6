//! Counters for `/metrics`, in the Prometheus text format, without a metrics framework.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the connect-latency histogram buckets.
const CONNECT_BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// All the bridge's counters; cheap to update from every session.
#[derive(Debug, Default)]
pub struct Metrics {
    sessions_open: AtomicU64,
    sessions_total: AtomicU64,
    /// Open and total sessions per service (`imap`, `submission`).
    by_service: Mutex<BTreeMap<&'static str, ServiceSessions>>,
    bytes_to_upstream: AtomicU64,
    bytes_to_page: AtomicU64,
    refused: Mutex<BTreeMap<&'static str, u64>>,
    closed: Mutex<BTreeMap<&'static str, u64>>,
    connect_buckets: [AtomicU64; CONNECT_BUCKETS.len()],
    connect_count: AtomicU64,
    connect_sum_micros: AtomicU64,
}

#[derive(Debug, Default, Clone, Copy)]
struct ServiceSessions {
    open: u64,
    total: u64,
}

/// Keeps `sessions_open` right however a session ends (the guard decrements on drop).
#[derive(Debug)]
pub struct OpenSession<'a> {
    metrics: &'a Metrics,
    service: &'static str,
}

impl Drop for OpenSession<'_> {
    fn drop(&mut self) {
        self.metrics.sessions_open.fetch_sub(1, Ordering::Relaxed);
        let mut by_service = lock(&self.metrics.by_service);
        if let Some(counts) = by_service.get_mut(self.service) {
            counts.open = counts.open.saturating_sub(1);
        }
    }
}

/// A poisoned lock only means another thread panicked mid-increment; the map is still usable.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn bump(map: &Mutex<BTreeMap<&'static str, u64>>, label: &'static str) {
    *lock(map).entry(label).or_default() += 1;
}

impl Metrics {
    /// Counts a new WebSocket session for `service` until the guard drops.
    pub fn session_opened(&self, service: &'static str) -> OpenSession<'_> {
        self.sessions_open.fetch_add(1, Ordering::Relaxed);
        self.sessions_total.fetch_add(1, Ordering::Relaxed);
        let mut by_service = lock(&self.by_service);
        let counts = by_service.entry(service).or_default();
        counts.open += 1;
        counts.total += 1;
        OpenSession { metrics: self, service }
    }

    /// Sessions currently open.
    pub fn sessions_open(&self) -> u64 {
        self.sessions_open.load(Ordering::Relaxed)
    }

    /// A request refused before or at the upgrade, by reason.
    pub fn refused(&self, reason: &'static str) {
        bump(&self.refused, reason);
    }

    /// A session's end, by reason.
    pub fn closed(&self, reason: &'static str) {
        bump(&self.closed, reason);
    }

    /// Bytes relayed from the page to the upstream.
    pub fn add_to_upstream(&self, bytes: usize) {
        self.bytes_to_upstream.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    /// Bytes relayed from the upstream to the page.
    pub fn add_to_page(&self, bytes: usize) {
        self.bytes_to_page.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    /// Records one upstream connect latency.
    pub fn observe_connect(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        for (bucket, bound) in self.connect_buckets.iter().zip(CONNECT_BUCKETS) {
            if seconds <= bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.connect_count.fetch_add(1, Ordering::Relaxed);
        self.connect_sum_micros
            .fetch_add(elapsed.as_micros().min(u128::from(u64::MAX)) as u64, Ordering::Relaxed);
    }

    /// The Prometheus exposition text.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(2048);
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "# HELP bridge_sessions_open WebSocket sessions currently relaying."
        );
        let _ = writeln!(out, "# TYPE bridge_sessions_open gauge");
        let _ = writeln!(out, "bridge_sessions_open {}", load(&self.sessions_open));
        let _ = writeln!(
            out,
            "# HELP bridge_sessions_total WebSocket sessions accepted since start."
        );
        let _ = writeln!(out, "# TYPE bridge_sessions_total counter");
        let _ = writeln!(out, "bridge_sessions_total {}", load(&self.sessions_total));
        let by_service = lock(&self.by_service).clone();
        for (name, kind, help, count) in [
            (
                "bridge_service_sessions_open",
                "gauge",
                "Sessions currently relaying",
                (|counts| counts.open) as fn(&ServiceSessions) -> u64,
            ),
            (
                "bridge_service_sessions_total",
                "counter",
                "Sessions accepted since start",
                |counts| counts.total,
            ),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}, by service (imap, submission).");
            let _ = writeln!(out, "# TYPE {name} {kind}");
            for (service, counts) in &by_service {
                let _ = writeln!(out, "{name}{{service=\"{service}\"}} {}", count(counts));
            }
        }
        let _ = writeln!(out, "# HELP bridge_bytes_total Bytes relayed, by direction.");
        let _ = writeln!(out, "# TYPE bridge_bytes_total counter");
        let _ = writeln!(
            out,
            "bridge_bytes_total{{direction=\"to_upstream\"}} {}",
            load(&self.bytes_to_upstream)
        );
        let _ = writeln!(
            out,
            "bridge_bytes_total{{direction=\"to_page\"}} {}",
            load(&self.bytes_to_page)
        );
        for (name, help, map) in [
            (
                "bridge_refused_total",
                "Requests refused before relaying, by reason.",
                &self.refused,
            ),
            (
                "bridge_sessions_closed_total",
                "Sessions ended, by reason.",
                &self.closed,
            ),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} counter");
            for (reason, count) in lock(map).iter() {
                let _ = writeln!(out, "{name}{{reason=\"{reason}\"}} {count}");
            }
        }
        let _ = writeln!(
            out,
            "# HELP bridge_upstream_connect_seconds Time to resolve and connect to an upstream."
        );
        let _ = writeln!(out, "# TYPE bridge_upstream_connect_seconds histogram");
        for (bucket, bound) in self.connect_buckets.iter().zip(CONNECT_BUCKETS) {
            let _ = writeln!(
                out,
                "bridge_upstream_connect_seconds_bucket{{le=\"{bound}\"}} {}",
                load(bucket)
            );
        }
        let count = load(&self.connect_count);
        let _ = writeln!(out, "bridge_upstream_connect_seconds_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(
            out,
            "bridge_upstream_connect_seconds_sum {}",
            load(&self.connect_sum_micros) as f64 / 1e6
        );
        let _ = writeln!(out, "bridge_upstream_connect_seconds_count {count}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_a_cumulative_histogram() {
        let metrics = Metrics::default();
        {
            let _open = metrics.session_opened("imap");
            let _sending = metrics.session_opened("submission");
            assert_eq!(metrics.sessions_open(), 2);
            let text = metrics.render();
            assert!(text.contains("bridge_service_sessions_open{service=\"submission\"} 1\n"));
        }
        let _again = metrics.session_opened("submission");
        metrics.refused("origin");
        metrics.refused("origin");
        metrics.add_to_page(10);
        metrics.observe_connect(Duration::from_millis(3));
        let text = metrics.render();
        assert!(text.contains("bridge_sessions_open 1\n"));
        assert!(text.contains("bridge_sessions_total 3\n"));
        assert!(text.contains("bridge_service_sessions_open{service=\"imap\"} 0\n"));
        assert!(text.contains("bridge_service_sessions_total{service=\"submission\"} 2\n"));
        assert!(text.contains("bridge_refused_total{reason=\"origin\"} 2\n"));
        assert!(text.contains("bridge_bytes_total{direction=\"to_page\"} 10\n"));
        assert!(text.contains("bridge_upstream_connect_seconds_bucket{le=\"0.0025\"} 0\n"));
        assert!(text.contains("bridge_upstream_connect_seconds_bucket{le=\"0.005\"} 1\n"));
        assert!(text.contains("bridge_upstream_connect_seconds_count 1\n"));
    }
}
