//! Prometheus metrics of the webhook: requests by kind, operation and decision, findings by
//! rule and action, a latency histogram from 100 µs, and the state of the context and of the
//! serving certificate. Label values come from bounded sets only (the kinds the rules read,
//! the catalogue's rule IDs), never from object contents.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

/// The outcome label of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum Outcome {
    /// Allowed after evaluation.
    allow,
    /// Denied.
    deny,
    /// Allowed without evaluation (operation, kind, subresource, exempt namespace).
    skip,
    /// Could not be evaluated (answered by the failure policy).
    error,
    /// Not an AdmissionReview (400).
    invalid,
}

/// What a finding did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum FindingAction {
    /// Denied the request.
    deny,
    /// Warned.
    warn,
    /// Logged only.
    audit,
    /// Covered by a waiver.
    waived,
}

/// Labels of `kubepci_webhook_requests_total`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct RequestLabels {
    /// The object's kind, or `other` for kinds no rule reads.
    pub kind: String,
    /// CREATE, UPDATE, DELETE, CONNECT (or `unknown`).
    pub operation: String,
    /// The outcome.
    pub decision: Outcome,
}

/// Labels of `kubepci_webhook_findings_total`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct FindingLabels {
    /// Rule ID.
    pub rule: String,
    /// What it did.
    pub action: FindingAction,
}

/// Latency buckets, in seconds: from 100 µs to 5 s.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// Every metric of the webhook.
#[derive(Debug, Clone)]
pub struct Metrics {
    /// Requests answered.
    pub requests: Family<RequestLabels, Counter>,
    /// Findings by rule and what they did.
    pub findings: Family<FindingLabels, Counter>,
    /// Time from the body's arrival to the answer, in seconds.
    pub latency: Histogram,
    /// Requests being evaluated.
    pub in_flight: Gauge,
    /// Objects in the context.
    pub context_objects: Gauge,
    /// Seconds since the context last changed or was confirmed current (list, watch event or
    /// bookmark).
    pub context_age: Gauge<f64, AtomicU64>,
    /// 1 once the context has been listed completely.
    pub context_synced: Gauge,
    /// Expiry of the serving certificate (Unix seconds).
    pub certificate_expiry: Gauge,
}

impl Metrics {
    /// Creates the metrics and registers them under `kubepci_webhook_`.
    #[must_use]
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self {
            requests: Family::default(),
            findings: Family::default(),
            latency: Histogram::new(LATENCY_BUCKETS),
            in_flight: Gauge::default(),
            context_objects: Gauge::default(),
            context_age: Gauge::default(),
            context_synced: Gauge::default(),
            certificate_expiry: Gauge::default(),
        };
        let registry = registry.sub_registry_with_prefix("kubepci_webhook");
        registry.register(
            "requests",
            "Admission requests answered, by kind, operation and decision",
            metrics.requests.clone(),
        );
        registry.register(
            "findings",
            "Findings on admitted or denied objects, by rule and action",
            metrics.findings.clone(),
        );
        registry.register_with_unit(
            "request_duration",
            "Time to answer an admission request, from body to response",
            Unit::Seconds,
            metrics.latency.clone(),
        );
        registry.register(
            "in_flight",
            "Admission requests being evaluated",
            metrics.in_flight.clone(),
        );
        registry.register(
            "context_objects",
            "Objects in the cluster context",
            metrics.context_objects.clone(),
        );
        registry.register_with_unit(
            "context_age",
            "Time since the cluster context was last confirmed current",
            Unit::Seconds,
            metrics.context_age.clone(),
        );
        registry.register(
            "context_synced",
            "1 once every kind of the cluster context has been listed",
            metrics.context_synced.clone(),
        );
        registry.register(
            "certificate_expiry_timestamp",
            "Expiry of the serving certificate, in Unix seconds",
            metrics.certificate_expiry.clone(),
        );
        metrics
    }
}
