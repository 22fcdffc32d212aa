//! Prometheus metrics of `kubepci audit serve`, served on its operations port.

use std::sync::Arc;
use std::time::Duration;

use kubepci_auditlog::{BatchOutcome, CommitObserver};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

type Labels = Vec<(&'static str, String)>;

/// Every metric of the audit server.
#[derive(Debug)]
pub struct AuditMetrics {
    /// Events and alerts received, by endpoint (`k8s-audit`, `falco`, `tail`).
    pub events: Family<Labels, Counter>,
    /// Bytes of request bodies and followed files received, by endpoint.
    pub bytes: Family<Labels, Counter>,
    /// Batches refused, by reason (`bad-request`, `unavailable`).
    pub rejected: Family<Labels, Counter>,
    /// Events dropped by the dedupe on (source, auditID, stage).
    pub duplicates: Counter,
    /// Records appended to the log.
    pub appended: Counter,
    /// Group commits that failed (nothing kept, the client retries).
    pub commit_failures: Counter,
    /// `fdatasync` latency of each group commit, in seconds.
    pub fsync: Histogram,
    /// Entries in the log.
    pub entries: Gauge<i64, std::sync::atomic::AtomicI64>,
    /// Alerts raised by detection, by rule and priority.
    pub alerts: Family<Labels, Counter>,
    /// Alerts handed to an output, by output (`stdout`, `http`).
    pub forwarded: Family<Labels, Counter>,
    /// Alerts an output could not take because its queue was full, by output.
    pub forward_dropped: Family<Labels, Counter>,
    /// Alerts an output gave up on after its retries, by output.
    pub forward_failed: Family<Labels, Counter>,
}

impl AuditMetrics {
    /// The metrics, registered in a new registry.
    #[must_use]
    pub fn new() -> (Arc<Self>, Registry) {
        let m = Self {
            events: Family::default(),
            bytes: Family::default(),
            rejected: Family::default(),
            duplicates: Counter::default(),
            appended: Counter::default(),
            commit_failures: Counter::default(),
            fsync: Histogram::new(exponential_buckets(0.000_125, 2.0, 16)),
            entries: Gauge::default(),
            alerts: Family::default(),
            forwarded: Family::default(),
            forward_dropped: Family::default(),
            forward_failed: Family::default(),
        };
        let mut r = Registry::with_prefix("kubepci_audit");
        r.register(
            "events",
            "Events and alerts received, by endpoint",
            m.events.clone(),
        );
        r.register(
            "received_bytes",
            "Bytes received, by endpoint",
            m.bytes.clone(),
        );
        r.register(
            "rejected_batches",
            "Batches refused, by reason",
            m.rejected.clone(),
        );
        r.register(
            "dedupe_hits",
            "Events already in the log (same source, auditID and stage), not appended again",
            m.duplicates.clone(),
        );
        r.register(
            "appended_records",
            "Records appended to the log",
            m.appended.clone(),
        );
        r.register(
            "commit_failures",
            "Group commits that failed and were undone",
            m.commit_failures.clone(),
        );
        r.register(
            "fsync_seconds",
            "fdatasync latency of each group commit",
            m.fsync.clone(),
        );
        r.register("entries", "Entries in the log", m.entries.clone());
        r.register(
            "alerts",
            "Alerts raised by detection, by rule and priority",
            m.alerts.clone(),
        );
        r.register(
            "alerts_forwarded",
            "Alerts handed to an output",
            m.forwarded.clone(),
        );
        r.register(
            "alerts_forward_dropped",
            "Alerts an output's full queue could not take (they stay in the log)",
            m.forward_dropped.clone(),
        );
        r.register(
            "alerts_forward_failed",
            "Alerts an output gave up on after its retries (they stay in the log)",
            m.forward_failed.clone(),
        );
        (Arc::new(m), r)
    }

    /// Counts a received batch.
    pub fn received(&self, endpoint: &'static str, events: usize, bytes: usize) {
        let l = vec![("endpoint", endpoint.to_owned())];
        self.events.get_or_create(&l).inc_by(events as u64);
        self.bytes.get_or_create(&l).inc_by(bytes as u64);
    }

    /// Counts a refused batch.
    pub fn refused(&self, reason: &'static str) {
        self.rejected
            .get_or_create(&vec![("reason", reason.to_owned())])
            .inc();
    }

    /// A label set for one output.
    pub(crate) fn output(name: &str) -> Labels {
        vec![("output", name.to_owned())]
    }
}

impl CommitObserver for AuditMetrics {
    fn committed(&self, _events: usize, _bytes: usize, fsync: Duration, outcomes: &[BatchOutcome]) {
        self.fsync.observe(fsync.as_secs_f64());
        for o in outcomes {
            self.duplicates.inc_by(u64::from(o.duplicates));
            self.appended.inc_by(u64::from(o.accepted));
        }
        if let Some(size) = outcomes.iter().map(|o| o.tree_size).max() {
            self.entries.set(i64::try_from(size).unwrap_or(i64::MAX));
        }
    }

    fn failed(&self, _events: usize) {
        self.commit_failures.inc();
    }
}
