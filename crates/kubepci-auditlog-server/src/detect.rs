//! Detection inside `kubepci audit serve`: the rules run on every batch of audit events before
//! it is committed, and the alerts become records of the same batch. Events and their alerts
//! are therefore durable together (one frame, one `fdatasync`), before the apiserver gets its
//! 200; an alert is tamper-evident and provable like any event. Alert IDs are derived from
//! (source, auditID, stage, rule), so a batch the apiserver sends again yields the same alerts,
//! which the store's dedupe drops. Once durable, alerts are forwarded.

use std::sync::Arc;

use kubepci_auditlog::{BatchHook, BatchOutcome, EventKind, IncomingBatch};
use kubepci_detect::{Detector, Engine, EventMeta};

use crate::forward::Forwarder;
use crate::metrics::AuditMetrics;

/// The rules and where their alerts go.
#[derive(Debug)]
pub struct Detection {
    engine: Option<Arc<Engine>>,
    forwarder: Forwarder,
    metrics: Arc<AuditMetrics>,
}

impl Detection {
    /// Detection with `engine` (none: events are only counted), forwarding through
    /// `forwarder`.
    #[must_use]
    pub fn new(
        engine: Option<Arc<Engine>>,
        forwarder: Forwarder,
        metrics: Arc<AuditMetrics>,
    ) -> Self {
        Self {
            engine,
            forwarder,
            metrics,
        }
    }

    /// Runs the rules on the batch's audit events and appends the alerts to the batch as
    /// records of their own. Returns the alerts' JSON, for [`Detection::committed`].
    pub fn run(&self, batch: &mut IncomingBatch) -> Vec<Vec<u8>> {
        let Some(engine) = &self.engine else {
            return Vec::new();
        };
        let mut detector = Detector::new(engine);
        let mut alerts = Vec::new();
        let meta = EventMeta {
            source: &batch.source,
            received_ns: kubepci_auditlog::store::now_ns(),
        };
        for event in &batch.events {
            if event.kind != EventKind::K8sAudit {
                continue;
            }
            let Some(bytes) = batch.body.get(event.range.clone()) else {
                continue;
            };
            if let Err(error) = detector.detect(bytes, &meta, &mut alerts) {
                tracing::debug!(source = %batch.source, %error, "event not evaluated");
            }
        }
        let records: Vec<Vec<u8>> = alerts
            .iter()
            .filter_map(|a| {
                self.metrics
                    .alerts
                    .get_or_create(&vec![
                        ("rule", a.rule.clone()),
                        ("priority", a.priority.as_str().to_owned()),
                    ])
                    .inc();
                serde_json::to_vec(a).ok()
            })
            .collect();
        if let Err(error) = batch.add_alert_records(&records) {
            tracing::error!(%error, "alerts could not be added to their batch");
            return Vec::new();
        }
        records
    }

    /// The batch is durable: forwards its alerts, unless the whole batch was already stored
    /// (a retry), in which case they were forwarded the first time.
    pub fn committed(&self, alerts: Vec<Vec<u8>>, outcome: &BatchOutcome) {
        if alerts.is_empty() || outcome.accepted == 0 {
            return;
        }
        for alert in &alerts {
            self.forwarder.send(alert);
        }
    }
}

impl BatchHook for Detection {
    fn prepare(&self, batch: &mut IncomingBatch) -> Vec<Vec<u8>> {
        self.metrics
            .received("tail", batch.events.len(), batch.body.len());
        self.run(batch)
    }

    fn committed(&self, prepared: Vec<Vec<u8>>, outcome: &BatchOutcome) {
        Detection::committed(self, prepared, outcome);
    }
}
