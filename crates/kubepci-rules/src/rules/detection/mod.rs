//! Malware protection, intrusion and change detection (PCI DSS 5.2, 5.3, 11.3, 11.5): the
//! agents that must run on a whole cluster and whether they can do their job. These rules
//! only run when the input is a whole cluster (see `support::cluster`).

mod detector_alerts_not_forwarded;
mod detector_tamperable;
mod integrity_monitor_missing;
mod network_monitor_missing;
mod runtime_detector_missing;
mod vulnerability_scanner_missing;

pub(crate) use detector_alerts_not_forwarded::DetectorAlertsNotForwarded;
pub(crate) use detector_tamperable::DetectorTamperable;
pub(crate) use integrity_monitor_missing::IntegrityMonitorMissing;
pub(crate) use network_monitor_missing::NetworkMonitorMissing;
pub(crate) use runtime_detector_missing::RuntimeDetectorMissing;
pub(crate) use vulnerability_scanner_missing::VulnerabilityScannerMissing;
